package imageproc

import (
	"image"

	"github.com/disintegration/imaging"
)

// orient applies an EXIF orientation to img. The resize step calls it on the small outputs rather than on the
// decoded frame, so a rotated 50 MP photo is never copied at full size. YCbCr and grey frames are turned plane by
// plane; a 4:2:0 frame stays 4:2:0, because its chroma plane turns with it.
func orient(img image.Image, o int) image.Image {
	if o < 2 || o > 8 {
		return img
	}
	switch m := img.(type) {
	case *image.YCbCr:
		if m.SubsampleRatio == image.YCbCrSubsampleRatio420 {
			y := orientPlane(lumaPlane(m), o)
			cb, cr := chromaPlanes(m)
			cb, cr = orientPlane(cb, o), orientPlane(cr, o)
			return &image.YCbCr{Y: y.pix, Cb: cb.pix, Cr: cr.pix, YStride: y.stride, CStride: cb.stride,
				SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, y.w, y.h)}
		}
	case *image.Gray:
		p := orientPlane(grayPlane(m), o)
		return &image.Gray{Pix: p.pix, Stride: p.stride, Rect: image.Rect(0, 0, p.w, p.h)}
	}
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	default: // 8
		return imaging.Rotate90(img)
	}
}

// orientPlane returns src turned or mirrored by EXIF orientation o (2-8). Each case names the stored sample that
// lands at upright position (x, y); in 5-8 the upright frame is src.h wide.
func orientPlane(src plane, o int) plane {
	w, h := src.w, src.h
	if swapsAxes(o) {
		w, h = h, w
	}
	dst := newPlane(w, h)
	at := func(sx, sy int) uint8 { return src.pix[sy*src.stride+sx] }
	for y := range h {
		out := dst.pix[y*dst.stride : y*dst.stride+w]
		switch o {
		case 2: // mirrored left to right
			in := src.pix[y*src.stride:][:w]
			for x := range out {
				out[x] = in[w-1-x]
			}
		case 3: // turned 180 degrees
			in := src.pix[(h-1-y)*src.stride:][:w]
			for x := range out {
				out[x] = in[w-1-x]
			}
		case 4: // mirrored top to bottom
			copy(out, src.pix[(h-1-y)*src.stride:][:w])
		case 5: // transposed
			for x := range out {
				out[x] = at(y, x)
			}
		case 6: // stored turned 90 degrees anticlockwise: turn it clockwise
			for x := range out {
				out[x] = at(y, src.h-1-x)
			}
		case 7: // transversed
			for x := range out {
				out[x] = at(src.w-1-y, src.h-1-x)
			}
		case 8: // stored turned 90 degrees clockwise: turn it anticlockwise
			for x := range out {
				out[x] = at(src.w-1-y, x)
			}
		}
	}
	return dst
}

// swapsAxes reports whether orientation o turns the stored frame by 90 degrees.
func swapsAxes(o int) bool { return o >= 5 && o <= 8 }
