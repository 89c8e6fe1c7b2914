package imageproc

import (
	"image"

	"github.com/disintegration/imaging"
)

// A reduction by a large ratio runs in two steps, as libvips' vips_resize does: an integer box shrink (each output
// sample the mean of a kx x ky block), then Lanczos-3 for the rest, a ratio from 2 to 4. Lanczos alone would read
// 6 x ratio taps per output sample, so its weight tables would grow with the source, not the output: 1.2 GB of
// them for a 50,000,000 x 1 strip reduced to 1920 (imaging's, at 16 bytes a tap, 4.8 GB), and with 14-bit fixed
// point weights that small round to nothing. After the box shrink they stay under 24 taps a sample, whatever the
// source, and the box step needs no tables at all. A JPEG is already reduced by the DCT-scaled decode, so it
// rarely gets here; PNG, GIF and WebP sources do.

// shrinkGap is the smallest ratio left for Lanczos: the box factor is the whole part of ratio/shrinkGap.
const shrinkGap = 2

// maxBoxArea bounds kx*ky so that 255 times it fits a uint32 accumulator.
const maxBoxArea = 1 << 24

// shrinkFactors returns the box factors for resizing w x h to ow x oh; 1 means no box step on that axis.
func shrinkFactors(w, h, ow, oh int) (kx, ky int) {
	kx, ky = max(1, w/max(ow, 1)/shrinkGap), max(1, h/max(oh, 1)/shrinkGap)
	for kx*ky > maxBoxArea {
		if kx > ky {
			kx /= 2
		} else {
			ky /= 2
		}
	}
	return kx, ky
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// boxShrink averages kx x ky blocks of src; the blocks at the right and bottom edges may be narrower, and average
// what they hold.
func boxShrink(src plane, kx, ky int) plane {
	ow, oh := ceilDiv(src.w, kx), ceilDiv(src.h, ky)
	dst := newPlane(ow, oh)
	acc := make([]uint32, ow)
	for oy := range oh {
		clear(acc)
		y0, y1 := oy*ky, min(oy*ky+ky, src.h)
		for y := y0; y < y1; y++ {
			row := src.pix[y*src.stride:][:src.w]
			for ox := range acc {
				var s uint32
				for _, v := range row[ox*kx : min(ox*kx+kx, src.w)] {
					s += uint32(v)
				}
				acc[ox] += s
			}
		}
		out := dst.pix[oy*dst.stride:][:ow]
		for ox, s := range acc {
			n := uint32((min(ox*kx+kx, src.w) - ox*kx) * (y1 - y0))
			out[ox] = uint8((s + n/2) / n)
		}
	}
	return dst
}

// boxShrinkImage is boxShrink for any image, in non-premultiplied RGBA with colour weighted by alpha, as imaging
// resamples, so transparent pixels lend no colour to their block. Rows are read one at a time, so no full-size
// copy of the source is made: 8-bit NRGBA as it is, the 16-bit images image/png returns into one reused row
// (nrgbaRow), anything else through imaging, which converts any image type but allocates each row anew. For a
// 50 MP 16-bit PNG those rows were 200 MB of garbage on top of the 400 MB frame, which the collector let pile up
// to a peak RSS of 705 MiB (internal/hostile's peak table).
func boxShrinkImage(img image.Image, kx, ky int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	ow, oh := ceilDiv(w, kx), ceilDiv(h, ky)
	dst := image.NewNRGBA(image.Rect(0, 0, ow, oh))
	acc := make([]uint64, 4*ow) // alpha-weighted R, G, B, and alpha
	var buf []uint8
	rowOf := func(y int) []uint8 {
		if m, ok := img.(*image.NRGBA); ok {
			return m.Pix[m.PixOffset(b.Min.X, b.Min.Y+y):][:4*w]
		}
		if buf == nil {
			buf = make([]uint8, 4*w)
		}
		if nrgbaRow(img, b.Min.Y+y, buf) {
			return buf
		}
		return imaging.Crop(img, image.Rect(b.Min.X, b.Min.Y+y, b.Max.X, b.Min.Y+y+1)).Pix
	}
	for oy := range oh {
		clear(acc)
		y0, y1 := oy*ky, min(oy*ky+ky, h)
		for y := y0; y < y1; y++ {
			row := rowOf(y)
			for x := range w {
				p := row[4*x : 4*x+4 : 4*x+4]
				a := uint64(p[3])
				o := 4 * (x / kx)
				acc[o] += uint64(p[0]) * a
				acc[o+1] += uint64(p[1]) * a
				acc[o+2] += uint64(p[2]) * a
				acc[o+3] += a
			}
		}
		out := dst.Pix[oy*dst.Stride:][:4*ow]
		for ox := range ow {
			n := uint64((min(ox*kx+kx, w) - ox*kx) * (y1 - y0))
			a := acc[4*ox+3]
			if a == 0 {
				continue // fully transparent: zero
			}
			for c := range 3 {
				out[4*ox+c] = uint8((acc[4*ox+c] + a/2) / a)
			}
			out[4*ox+3] = uint8((a + n/2) / n)
		}
	}
	return dst
}

// nrgbaRow converts row y of a 16-bit image into dst (NRGBA, one row of the image's width) exactly as imaging
// does (the high byte of each sample; RGBA64 un-premultiplied), and reports whether it knew the image's type.
func nrgbaRow(img image.Image, y int, dst []uint8) bool {
	switch m := img.(type) {
	case *image.NRGBA64:
		src := m.Pix[m.PixOffset(m.Rect.Min.X, y):][:8*m.Rect.Dx()]
		for x := range m.Rect.Dx() {
			s, d := src[8*x:8*x+8:8*x+8], dst[4*x:4*x+4:4*x+4]
			d[0], d[1], d[2], d[3] = s[0], s[2], s[4], s[6]
		}
	case *image.RGBA64:
		src := m.Pix[m.PixOffset(m.Rect.Min.X, y):][:8*m.Rect.Dx()]
		for x := range m.Rect.Dx() {
			s, d := src[8*x:8*x+8:8*x+8], dst[4*x:4*x+4:4*x+4]
			switch a := s[6]; a {
			case 0:
				d[0], d[1], d[2] = 0, 0, 0
			case 0xff:
				d[0], d[1], d[2] = s[0], s[2], s[4]
			default:
				a32 := uint32(s[6])<<8 | uint32(s[7])
				un := func(hi, lo uint8) uint8 { return uint8(((uint32(hi)<<8 | uint32(lo)) * 0xffff / a32) >> 8) }
				d[0], d[1], d[2] = un(s[0], s[1]), un(s[2], s[3]), un(s[4], s[5])
			}
			d[3] = s[6]
		}
	case *image.Gray16:
		src := m.Pix[m.PixOffset(m.Rect.Min.X, y):][:2*m.Rect.Dx()]
		for x := range m.Rect.Dx() {
			c, d := src[2*x], dst[4*x:4*x+4:4*x+4]
			d[0], d[1], d[2], d[3] = c, c, c, 0xff
		}
	default:
		return false
	}
	return true
}
