package imageproc

import (
	"image"
	"image/draw"
	"sync"

	"github.com/disintegration/imaging"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// resizeAll produces one upright frame per step. Steps are largest first, and a step that shows the whole picture
// is resized from the previous such output rather than from the source (a cascade): every step after the first
// then reads a frame of about 2 MP instead of the full photo. A cropped step (FitCover) reads its region of the
// decoded frame in place, without copying it. Frames are resized in stored orientation and only the small results
// are turned upright.
func resizeAll(src image.Image, info imagefile.Info, steps []step) []image.Image {
	o := info.Orientation
	uw, uh := info.Upright()
	db := src.Bounds()
	frames := make([]image.Image, len(steps))
	var prev image.Image // the last whole-picture output, in stored orientation
	for i, s := range steps {
		w, h := s.geom.width, s.geom.height
		if swapsAxes(o) {
			w, h = h, w
		}
		var stored image.Image
		switch {
		case s.geom.full(uw, uh) && prev != nil && prev.Bounds().Dx() == w && prev.Bounds().Dy() == h:
			stored = prev // the same size in another format: one resize, two encodes
		case s.geom.full(uw, uh):
			from := src
			if prev != nil && prev.Bounds().Dx() >= w && prev.Bounds().Dy() >= h {
				from = prev
			}
			stored = resize(from, w, h)
			prev = stored
		default:
			r := scaleRect(toStored(s.geom.crop, o, info.Width, info.Height), info.Width, info.Height, db.Dx(), db.Dy())
			stored = resize(subImage(src, r.Add(db.Min)), w, h)
		}
		frames[i] = orient(stored, o)
		if s.geom.canvasW != s.geom.width || s.geom.canvasH != s.geom.height {
			frames[i] = pad(frames[i], s.geom.canvasW, s.geom.canvasH, s.format)
		}
	}
	return frames
}

// subImage is img's region r, sharing its pixels; every decoder's image type has SubImage.
func subImage(img image.Image, r image.Rectangle) image.Image {
	if s, ok := img.(interface {
		SubImage(image.Rectangle) image.Image
	}); ok {
		return s.SubImage(r)
	}
	return imaging.Crop(img, r)
}

// pad centres img on a w x h canvas (FitContain): white behind a JPEG, transparent for a format with alpha.
func pad(img image.Image, w, h int, f imagefile.Format) image.Image {
	canvas := image.NewNRGBA(image.Rect(0, 0, w, h))
	if !keepsAlpha(f) {
		draw.Draw(canvas, canvas.Rect, image.White, image.Point{}, draw.Src)
	}
	b := img.Bounds()
	at := image.Pt((w-b.Dx())/2, (h-b.Dy())/2)
	draw.Draw(canvas, image.Rectangle{Min: at, Max: at.Add(b.Size())}, img, b.Min, draw.Over)
	return canvas
}

// resize returns img at w x h. A decoded JPEG (YCbCr or grey, also lossy WebP and grey PNG) is resized plane by
// plane with no colour conversion. Anything else, notably every source with alpha, goes through imaging, whose
// resampler weights colour by alpha so transparent pixels do not bleed into their neighbours; it streams the
// source row by row, so it holds no second full-size frame either.
func resize(img image.Image, w, h int) image.Image {
	switch m := img.(type) {
	case *image.YCbCr:
		return resizeYCbCr(m, w, h)
	case *image.Gray:
		if b := m.Bounds(); b.Dx() == w && b.Dy() == h {
			return m
		}
		p := resizePlane(grayPlane(m), w, h)
		return &image.Gray{Pix: p.pix, Stride: p.stride, Rect: image.Rect(0, 0, w, h)}
	case *image.NRGBA:
		if b := m.Bounds(); b.Dx() == w && b.Dy() == h {
			return m
		}
	}
	b := img.Bounds()
	if kx, ky := shrinkFactors(b.Dx(), b.Dy(), w, h); kx > 1 || ky > 1 {
		small := boxShrinkImage(img, kx, ky)
		if small.Rect.Dx() == w && small.Rect.Dy() == h {
			return small
		}
		img = small
	}
	return imaging.Resize(img, w, h, imaging.Lanczos)
}

// resizeYCbCr resizes each plane and returns 4:2:0, whatever the source's subsampling: the JPEG encoder subsamples
// chroma to 4:2:0 anyway, so resizing chroma straight to that size does the least work and loses nothing. A source
// already at the size is still converted when it is not 4:2:0, so that orient only ever sees one layout. Luma and
// the two chroma planes are about equal work, so on a 2-vCPU function they run side by side.
func resizeYCbCr(m *image.YCbCr, w, h int) *image.YCbCr {
	b := m.Bounds()
	if b.Dx() == w && b.Dy() == h && m.SubsampleRatio == image.YCbCrSubsampleRatio420 && b.Min == (image.Point{}) {
		return m
	}
	cw, ch := (w+1)/2, (h+1)/2
	var y plane
	var wg sync.WaitGroup
	wg.Go(func() { y = resizePlane(lumaPlane(m), w, h) })
	cb, cr := chromaPlanes(m)
	rc := newResizer(cb.w, cb.h, cw, ch)
	cb, cr = rc.resize(cb), rc.resize(cr)
	wg.Wait()
	return &image.YCbCr{Y: y.pix, Cb: cb.pix, Cr: cr.pix, YStride: y.stride, CStride: cb.stride,
		SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, w, h)}
}

// lumaPlane, chromaPlanes and grayPlane view an image's samples as planes without copying them.
func lumaPlane(m *image.YCbCr) plane {
	b := m.Bounds()
	return plane{pix: m.Y[m.YOffset(b.Min.X, b.Min.Y):], w: b.Dx(), h: b.Dy(), stride: m.YStride}
}

func chromaPlanes(m *image.YCbCr) (cb, cr plane) {
	b := m.Bounds()
	// The chroma extent follows from the subsampling: COffset of the bottom-right pixel, plus one.
	last := m.COffset(b.Max.X-1, b.Max.Y-1)
	first := m.COffset(b.Min.X, b.Min.Y)
	w := (last-first)%m.CStride + 1
	h := (last-first)/m.CStride + 1
	return plane{pix: m.Cb[first:], w: w, h: h, stride: m.CStride}, plane{pix: m.Cr[first:], w: w, h: h, stride: m.CStride}
}

func grayPlane(m *image.Gray) plane {
	b := m.Bounds()
	return plane{pix: m.Pix[m.PixOffset(b.Min.X, b.Min.Y):], w: b.Dx(), h: b.Dy(), stride: m.Stride}
}
