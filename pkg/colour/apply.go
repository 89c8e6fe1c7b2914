package colour

import (
	"fmt"
	"image"
	"image/color"
	"image/draw"
)

// Apply converts img to sRGB and returns the result, which is 8-bit:
//
//   - *image.YCbCr and *image.NYCbCrA become 4:4:4 (a per-pixel transform needs a chroma sample per pixel); a
//     4:4:4 input is converted in place;
//   - *image.RGBA, *image.NRGBA and *image.Gray are converted in place and keep their alpha;
//   - *image.RGBA64, *image.NRGBA64 and *image.CMYK become *image.NRGBA, *image.Gray16 becomes *image.Gray;
//   - *image.Paletted gets a converted copy of its palette and shares its pixels;
//   - anything else is drawn into an *image.NRGBA first.
//
// An RGB profile applies to every layout but CMYK (on gray pixels, through its neutral axis); a gray profile
// only to gray pixels, and a CMYK profile only to *image.CMYK. Gray stays gray: a gray profile whose white is
// tinted (a LUT with a* or b* off zero, as in sepia test profiles) gives the luminance of its colour. Other pairings return ErrMismatch. An identity
// transform returns img unchanged. The caller must not use img after a successful Apply.
func (t *Transform) Apply(img image.Image) (image.Image, error) {
	if t.identity {
		return img, nil
	}
	switch m := img.(type) {
	case *image.Gray:
		if t.space == CMYK {
			return nil, t.mismatch(img)
		}
		applyGray(t, m)
		return m, nil
	case *image.Gray16:
		if t.space == CMYK {
			return nil, t.mismatch(img)
		}
		return applyGray16(t, m), nil
	case *image.CMYK:
		if t.space != CMYK {
			return nil, t.mismatch(img)
		}
		return applyCMYK(t, m), nil
	}
	if t.space != RGB {
		return nil, t.mismatch(img)
	}
	switch m := img.(type) {
	case *image.YCbCr:
		return applyYCbCr(t, m), nil
	case *image.NYCbCrA:
		y := applyYCbCr(t, &m.YCbCr)
		if y == &m.YCbCr {
			return m, nil
		}
		return &image.NYCbCrA{YCbCr: *y, A: m.A, AStride: m.AStride}, nil
	case *image.NRGBA:
		applyNRGBA(t, m)
		return m, nil
	case *image.RGBA:
		applyRGBA(t, m)
		return m, nil
	case *image.NRGBA64:
		return apply64(t, m.Rect, m.Pix, m.Stride, false), nil
	case *image.RGBA64:
		return apply64(t, m.Rect, m.Pix, m.Stride, true), nil
	case *image.Paletted:
		return applyPaletted(t, m), nil
	}
	dst := image.NewNRGBA(img.Bounds())
	draw.Draw(dst, dst.Rect, img, img.Bounds().Min, draw.Src)
	applyNRGBA(t, dst)
	return dst, nil
}

func (t *Transform) mismatch(img image.Image) error {
	return fmt.Errorf("%w: %s profile on %T", ErrMismatch, t.space, img)
}

func applyGray(t *Transform, m *image.Gray) {
	w := m.Rect.Dx()
	for y := 0; y < m.Rect.Dy(); y++ {
		row := m.Pix[y*m.Stride : y*m.Stride+w]
		for i, v := range row {
			row[i] = t.gray8[v]
		}
	}
}

func applyGray16(t *Transform, m *image.Gray16) *image.Gray {
	dst := image.NewGray(m.Rect)
	w := m.Rect.Dx()
	for y := 0; y < m.Rect.Dy(); y++ {
		src := m.Pix[y*m.Stride : y*m.Stride+2*w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+w]
		for i := range out {
			out[i] = t.gray16to8(uint16(src[2*i])<<8 | uint16(src[2*i+1]))
		}
	}
	return dst
}

// applyCMYK reads image.CMYK as ink amounts, 0 = none: image/jpeg has already undone the inversion of Adobe's
// CMYK JPEGs, so the values are what the ICC profile expects.
func applyCMYK(t *Transform, m *image.CMYK) *image.NRGBA {
	dst := image.NewNRGBA(m.Rect)
	w := m.Rect.Dx()
	g := t.grid
	for y := 0; y < m.Rect.Dy(); y++ {
		src := m.Pix[y*m.Stride : y*m.Stride+4*w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for i := 0; i < w; i++ {
			s, o := src[4*i:4*i+4:4*i+4], out[4*i:4*i+4:4*i+4]
			o[0], o[1], o[2] = g.cmyk(s[0], s[1], s[2], s[3])
			o[3] = 0xFF
		}
	}
	return dst
}

// applyYCbCr converts through RGB with image/color's JPEG (full-range BT.601) arithmetic in both directions. A 4:2:0
// image (every JPEG photo) stays 4:2:0: each pixel is converted with its block's chroma, as YCbCr.At reads it,
// and the block's new chroma is the mean of its pixels'. The derivatives are 4:2:0 JPEGs anyway, and keeping the
// layout halves the chroma the resizer has to do after a conversion: on cmd/bench -formats a 4:2:0 Display P3
// photo's job went from about 1.12 times an sRGB one's to 1.01. Any other subsampling becomes 4:4:4, in place when
// it already is.
func applyYCbCr(t *Transform, m *image.YCbCr) *image.YCbCr {
	if m.SubsampleRatio == image.YCbCrSubsampleRatio420 && m.Rect.Min.X%2 == 0 && m.Rect.Min.Y%2 == 0 {
		return applyYCbCr420(t, m)
	}
	dst := m
	if m.SubsampleRatio != image.YCbCrSubsampleRatio444 {
		dst = image.NewYCbCr(m.Rect, image.YCbCrSubsampleRatio444)
	}
	w := m.Rect.Dx()
	if w == 0 {
		return dst
	}
	// Chroma column of each pixel relative to the row's first, the same on every row.
	cx := make([]int32, w)
	c0 := m.COffset(m.Rect.Min.X, m.Rect.Min.Y)
	for x := range cx {
		cx[x] = int32(m.COffset(m.Rect.Min.X+x, m.Rect.Min.Y) - c0)
	}
	row := make([]uint8, 3*w)
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		yi, ci := m.YOffset(m.Rect.Min.X, y), m.COffset(m.Rect.Min.X, y)
		ys := m.Y[yi : yi+w]
		cb, cr := m.Cb[ci:], m.Cr[ci:]
		for x, yy := range ys {
			c := int(cx[x])
			p := row[3*x : 3*x+3 : 3*x+3]
			p[0], p[1], p[2] = ycbcrToRGB(yy, cb[c], cr[c])
		}
		t.rgbRow(row)
		di, dc := dst.YOffset(dst.Rect.Min.X, y), dst.COffset(dst.Rect.Min.X, y)
		dy, dcb, dcr := dst.Y[di:di+w], dst.Cb[dc:dc+w], dst.Cr[dc:dc+w]
		for x := range dy { // rgbToYCbCr, inlined by hand: it is over the compiler's budget
			p := row[3*x : 3*x+3 : 3*x+3]
			r1, g1, b1 := int32(p[0]), int32(p[1]), int32(p[2])
			dy[x] = uint8((19595*r1 + 38470*g1 + 7471*b1 + 1<<15) >> 16)
			dcb[x] = uint8(min(max(-11056*r1-21712*g1+32768*b1+257<<15, 0), 0xFFFFFF) >> 16)
			dcr[x] = uint8(min(max(32768*r1-27440*g1-5328*b1+257<<15, 0), 0xFFFFFF) >> 16)
		}
	}
	return dst
}

// applyYCbCr420 converts a 4:2:0 image in place, two rows at a time: the pixels of a 2x2 block share their chroma
// before and after.
func applyYCbCr420(t *Transform, m *image.YCbCr) *image.YCbCr {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	if w == 0 || h == 0 {
		return m
	}
	cw := (w + 1) / 2
	row := make([]uint8, 3*w)
	sumCb, sumCr, n := make([]int32, cw), make([]int32, cw), make([]int32, cw)
	for y0 := 0; y0 < h; y0 += 2 {
		ci := m.COffset(m.Rect.Min.X, m.Rect.Min.Y+y0)
		cb, cr := m.Cb[ci:ci+cw], m.Cr[ci:ci+cw]
		clear(sumCb)
		clear(sumCr)
		clear(n)
		for y := y0; y < min(y0+2, h); y++ {
			yi := m.YOffset(m.Rect.Min.X, m.Rect.Min.Y+y)
			ys := m.Y[yi : yi+w]
			for x, yy := range ys {
				p := row[3*x : 3*x+3 : 3*x+3]
				p[0], p[1], p[2] = ycbcrToRGB(yy, cb[x/2], cr[x/2])
			}
			t.rgbRow(row)
			for x := range ys { // rgbToYCbCr, inlined by hand: it is over the compiler's budget
				p := row[3*x : 3*x+3 : 3*x+3]
				r1, g1, b1 := int32(p[0]), int32(p[1]), int32(p[2])
				ys[x] = uint8((19595*r1 + 38470*g1 + 7471*b1 + 1<<15) >> 16)
				sumCb[x/2] += min(max(-11056*r1-21712*g1+32768*b1+257<<15, 0), 0xFFFFFF) >> 16
				sumCr[x/2] += min(max(32768*r1-27440*g1-5328*b1+257<<15, 0), 0xFFFFFF) >> 16
				n[x/2]++
			}
		}
		for i := range cb {
			cb[i] = uint8((sumCb[i] + n[i]/2) / n[i])
			cr[i] = uint8((sumCr[i] + n[i]/2) / n[i])
		}
	}
	return m
}

// ycbcrToRGB is color.YCbCrToRGB, bit for bit, written with min and max so that it inlines.
func ycbcrToRGB(y, cb, cr uint8) (uint8, uint8, uint8) {
	yy := int32(y) * 0x10101
	b1, r1 := int32(cb)-128, int32(cr)-128
	r := yy + 91881*r1
	g := yy - 22554*b1 - 46802*r1
	b := yy + 116130*b1
	return uint8(min(max(r, 0), 0xFFFFFF) >> 16), uint8(min(max(g, 0), 0xFFFFFF) >> 16), uint8(min(max(b, 0), 0xFFFFFF) >> 16)
}

// rgbToYCbCr is color.RGBToYCbCr, bit for bit, likewise.
func rgbToYCbCr(r, g, b uint8) (uint8, uint8, uint8) {
	r1, g1, b1 := int32(r), int32(g), int32(b)
	y := (19595*r1 + 38470*g1 + 7471*b1 + 1<<15) >> 16
	cb := -11056*r1 - 21712*g1 + 32768*b1 + 257<<15
	cr := 32768*r1 - 27440*g1 - 5328*b1 + 257<<15
	return uint8(y), uint8(min(max(cb, 0), 0xFFFFFF) >> 16), uint8(min(max(cr, 0), 0xFFFFFF) >> 16)
}

func applyNRGBA(t *Transform, m *image.NRGBA) {
	w := m.Rect.Dx()
	row := make([]uint8, 3*w)
	for y := 0; y < m.Rect.Dy(); y++ {
		px := m.Pix[y*m.Stride : y*m.Stride+4*w]
		for x := 0; x < w; x++ {
			copy(row[3*x:3*x+3], px[4*x:4*x+3])
		}
		t.rgbRow(row)
		for x := 0; x < w; x++ {
			copy(px[4*x:4*x+3], row[3*x:3*x+3])
		}
	}
}

// applyRGBA un-premultiplies translucent pixels around the conversion; decoders give opaque photos as RGBA, so
// the opaque case costs nothing extra.
func applyRGBA(t *Transform, m *image.RGBA) {
	w := m.Rect.Dx()
	row := make([]uint8, 3*w)
	for y := 0; y < m.Rect.Dy(); y++ {
		px := m.Pix[y*m.Stride : y*m.Stride+4*w]
		for x := 0; x < w; x++ {
			p, o := px[4*x:4*x+4:4*x+4], row[3*x:3*x+3:3*x+3]
			switch a := uint32(p[3]); a {
			case 0xFF:
				o[0], o[1], o[2] = p[0], p[1], p[2]
			case 0:
				o[0], o[1], o[2] = 0, 0, 0
			default:
				o[0], o[1], o[2] = uint8((uint32(p[0])*255+a/2)/a), uint8((uint32(p[1])*255+a/2)/a), uint8((uint32(p[2])*255+a/2)/a)
			}
		}
		t.rgbRow(row)
		for x := 0; x < w; x++ {
			p, o := px[4*x:4*x+4:4*x+4], row[3*x:3*x+3:3*x+3]
			switch a := uint32(p[3]); a {
			case 0xFF:
				p[0], p[1], p[2] = o[0], o[1], o[2]
			case 0:
			default:
				p[0], p[1], p[2] = uint8((uint32(o[0])*a+127)/255), uint8((uint32(o[1])*a+127)/255), uint8((uint32(o[2])*a+127)/255)
			}
		}
	}
}

// apply64 converts 16-bit pixels, premultiplied or not, into 8-bit NRGBA.
func apply64(t *Transform, r image.Rectangle, pix []uint8, stride int, premul bool) *image.NRGBA {
	dst := image.NewNRGBA(r)
	w := r.Dx()
	for y := 0; y < r.Dy(); y++ {
		src := pix[y*stride : y*stride+8*w]
		out := dst.Pix[y*dst.Stride : y*dst.Stride+4*w]
		for x := 0; x < w; x++ {
			s, o := src[8*x:8*x+8:8*x+8], out[4*x:4*x+4:4*x+4]
			c := [4]uint32{uint32(s[0])<<8 | uint32(s[1]), uint32(s[2])<<8 | uint32(s[3]), uint32(s[4])<<8 | uint32(s[5]), uint32(s[6])<<8 | uint32(s[7])}
			a := c[3]
			if a == 0 {
				continue
			}
			if premul && a != 0xFFFF {
				for i := 0; i < 3; i++ {
					c[i] = (c[i]*0xFFFF + a/2) / a
				}
			}
			o[0], o[1], o[2] = t.rgb16(uint16(c[0]), uint16(c[1]), uint16(c[2]))
			o[3] = uint8(a >> 8)
		}
	}
	return dst
}

func applyPaletted(t *Transform, m *image.Paletted) *image.Paletted {
	pal := make(color.Palette, len(m.Palette))
	row := make([]uint8, 3*len(pal))
	alpha := make([]uint8, len(pal))
	for i, c := range m.Palette {
		n := color.NRGBAModel.Convert(c).(color.NRGBA)
		row[3*i], row[3*i+1], row[3*i+2], alpha[i] = n.R, n.G, n.B, n.A
	}
	t.rgbRow(row)
	for i := range pal {
		pal[i] = color.NRGBA{R: row[3*i], G: row[3*i+1], B: row[3*i+2], A: alpha[i]}
	}
	out := *m
	out.Palette = pal
	return &out
}
