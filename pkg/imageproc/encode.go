package imageproc

import (
	"bytes"
	"image"
	"image/draw"
	"image/jpeg"
	"image/png"
	"sync"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// Default qualities of a target that names none: JPEG's is what the resize function writes, WebP's the value at
// which libwebp's lossy output matches JPEG 82 in SSIM on photos at a smaller size.
const (
	DefaultQuality     = 82
	DefaultWebPQuality = 80
)

// encodable reports whether Encode writes format f.
func encodable(f imagefile.Format) bool {
	return f == imagefile.JPEG || f == imagefile.PNG || f == imagefile.WebP
}

// keepsAlpha reports whether format f stores transparency.
func keepsAlpha(f imagefile.Format) bool { return f == imagefile.PNG || f == imagefile.WebP }

// encodeAll encodes the frames concurrently: the encoders are independent and single-threaded, so on a 2-vCPU
// function the outputs take about the time of the largest. With GOMAXPROCS=1 it costs nothing but a few
// goroutines. The encoders write pixels only, so no EXIF, GPS or ICC metadata can leak.
func encodeAll(frames []image.Image, steps []step) ([]Output, error) {
	out := make([]Output, len(frames))
	errs := make([]error, len(frames))
	var wg sync.WaitGroup
	for i, fr := range frames {
		wg.Go(func() {
			s := steps[i]
			data, err := Encode(fr, s.format, s.target.Quality)
			out[i] = Output{Target: s.target, Width: s.geom.canvasW, Height: s.geom.canvasH, Format: s.format, Data: data}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Encode writes img in format f at quality (0 means the format's default), or returns ErrOutput for a format it
// does not write. The JPEG encoder has fast paths for *image.YCbCr, *image.Gray and *image.RGBA; an opaque *image.NRGBA is
// handed over as *image.RGBA (the bytes are identical when alpha is 255) rather than through a per-pixel At()
// call, and a transparent one is flattened onto white first, as JPEG has no alpha. The encoders fail only on
// sizes they cannot represent (JPEG stops at 65535 px), which a strip-shaped source can produce: a property of the
// image, so that is ErrDecode.
func Encode(img image.Image, f imagefile.Format, quality int) ([]byte, error) {
	if quality <= 0 {
		quality = DefaultQuality
		if f == imagefile.WebP {
			quality = DefaultWebPQuality
		}
	}
	var buf bytes.Buffer
	var err error
	switch f {
	case imagefile.WebP:
		err = encodeWebP(&buf, img, quality)
	case imagefile.PNG:
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	case imagefile.JPEG:
		if m, ok := img.(*image.NRGBA); ok {
			if !m.Opaque() {
				m = flatten(m)
			}
			img = &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	default:
		return nil, ErrOutput.Withf("%s output is not supported", cmp(f.Name, "this"))
	}
	if err != nil {
		return nil, errDecode(err)
	}
	return buf.Bytes(), nil
}

// flatten composes m over white.
func flatten(m *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Rect)
	draw.Draw(out, out.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(out, out.Rect, m, m.Rect.Min, draw.Over)
	return out
}
