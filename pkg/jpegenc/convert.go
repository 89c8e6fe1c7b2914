package jpegenc

import (
	"image"
	"image/color"
)

// sampling returns luma's sampling factors for a subsampling ratio (chroma is always 1x1), and false for a ratio
// baseline JPEG cannot express.
func sampling(r image.YCbCrSubsampleRatio) (hs, vs int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// ycbcrPlanes views m's planes for the encoder, checking that they cover its rectangle.
func ycbcrPlanes(m *image.YCbCr) ([]plane, error) {
	b := m.Bounds()
	dx, dy := b.Dx(), b.Dy()
	hs, vs, ok := sampling(m.SubsampleRatio)
	if !ok {
		return nil, ErrPlanes
	}
	if m.YStride < dx || m.YOffset(b.Max.X-1, b.Max.Y-1) >= len(m.Y) {
		return nil, ErrPlanes
	}
	first, last := m.COffset(b.Min.X, b.Min.Y), m.COffset(b.Max.X-1, b.Max.Y-1)
	if last >= len(m.Cb) || last >= len(m.Cr) || m.CStride < (b.Max.X-1)/hs-b.Min.X/hs+1 {
		return nil, ErrPlanes
	}
	y := plane{pix: m.Y, off: m.YOffset(b.Min.X, b.Min.Y), stride: m.YStride, w: dx, h: dy, hs: hs, vs: vs}
	cw, ch := (dx+hs-1)/hs, (dy+vs-1)/vs
	// image.YCbCr maps pixel x to chroma x/hs - Min.X/hs, which is the output's grid only for an origin on the
	// grid (and, as Go's division truncates, at non-negative coordinates).
	if b.Min.X < 0 || b.Min.Y < 0 || b.Min.X%hs != 0 || b.Min.Y%vs != 0 {
		// The output's chroma sample k covers pixels hs*k..hs*k+hs-1 of the rectangle, which straddle two of m's
		// chroma samples: take the rounded mean over its pixels, as image/jpeg does for every 4:2:0 output.
		cb, cr := regrid(m, hs, vs)
		return []plane{y,
			{pix: cb, stride: cw, w: cw, h: ch, hs: 1, vs: 1},
			{pix: cr, stride: cw, w: cw, h: ch, hs: 1, vs: 1}}, nil
	}
	return []plane{y,
		{pix: m.Cb, off: first, stride: m.CStride, w: cw, h: ch, hs: 1, vs: 1},
		{pix: m.Cr, off: first, stride: m.CStride, w: cw, h: ch, hs: 1, vs: 1}}, nil
}

// regrid resamples m's chroma onto an hs x vs grid anchored at the rectangle's origin, each sample the rounded mean
// of the chroma of the pixels it covers, clamped at the right and bottom edges.
func regrid(m *image.YCbCr, hs, vs int) (cb, cr []byte) {
	b := m.Bounds()
	cw, ch := (b.Dx()+hs-1)/hs, (b.Dy()+vs-1)/vs
	cb, cr = make([]byte, cw*ch), make([]byte, cw*ch)
	n := hs * vs
	for cy := range ch {
		for cx := range cw {
			var sb, sr int
			for j := range vs {
				y := min(b.Min.Y+cy*vs+j, b.Max.Y-1)
				for i := range hs {
					o := m.COffset(min(b.Min.X+cx*hs+i, b.Max.X-1), y)
					sb += int(m.Cb[o])
					sr += int(m.Cr[o])
				}
			}
			cb[cy*cw+cx] = byte((sb + n/2) / n)
			cr[cy*cw+cx] = byte((sr + n/2) / n)
		}
	}
	return cb, cr
}

// toYCbCr420 converts any image to a 4:2:0 frame as image/jpeg does before encoding: each pixel's 8-bit
// (alpha-premultiplied) RGB to BT.601 YCbCr, and each chroma sample the rounded mean of its 2x2 pixels, the last
// row and column repeated at odd sizes. *image.RGBA and *image.NRGBA are read row by row from their pixels; other
// types through At.
func toYCbCr420(m image.Image) *image.YCbCr {
	b := m.Bounds()
	dx, dy := b.Dx(), b.Dy()
	out := image.NewYCbCr(image.Rect(0, 0, dx, dy), image.YCbCrSubsampleRatio420)
	cw := (dx + 1) / 2
	// One row of full-resolution chroma, and the sums of each 2x2 block over a pair of rows.
	u, v := make([]byte, 2*cw), make([]byte, 2*cw)
	su, sv := make([]int32, cw), make([]int32, cw)
	for y := range dy {
		yrow := out.Y[y*out.YStride : y*out.YStride+dx]
		convertRow(m, b.Min.X, b.Min.Y+y, yrow, u[:dx], v[:dx])
		if dx%2 == 1 { // the last column stands for its missing right neighbour too
			u[dx], v[dx] = u[dx-1], v[dx-1]
		}
		if y%2 == 0 {
			clear(su)
			clear(sv)
		}
		for i := range cw {
			su[i] += int32(u[2*i]) + int32(u[2*i+1])
			sv[i] += int32(v[2*i]) + int32(v[2*i+1])
		}
		if y%2 == 0 && y < dy-1 {
			continue
		}
		k := int32(1)
		if y%2 == 0 { // the last row of an odd height stands for its missing lower neighbour too
			k = 2
		}
		o := (y / 2) * out.CStride
		for i := range cw {
			out.Cb[o+i] = uint8((k*su[i] + 2) >> 2)
			out.Cr[o+i] = uint8((k*sv[i] + 2) >> 2)
		}
	}
	return out
}

// convertRow converts the len(yrow) pixels of row y from x0 on to Y, Cb and Cr.
func convertRow(m image.Image, x0, y int, yrow, u, v []byte) {
	switch m := m.(type) {
	case *image.RGBA:
		rgbaRow(yrow, u, v, m.Pix[m.PixOffset(x0, y):], false)
	case *image.NRGBA:
		rgbaRow(yrow, u, v, m.Pix[m.PixOffset(x0, y):], true)
	default:
		for x := range yrow {
			r, g, bl, _ := m.At(x0+x, y).RGBA()
			yrow[x], u[x], v[x] = color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
		}
	}
}

// rgbaRow converts a row of RGBA pixels, premultiplying by alpha first for NRGBA (as color.NRGBA.RGBA does, then
// keeping the top 8 bits, which is what image/jpeg reads). The conversion is color.RGBToYCbCr's arithmetic,
// written out here as its body is too large for the compiler to inline and the call cost more than the sums;
// TestRGBToYCbCr checks it against the original on every colour.
func rgbaRow(yrow, u, v, pix []byte, nrgba bool) {
	for x := range yrow {
		p := (*[4]byte)(pix[4*x : 4*x+4])
		r, g, b := int32(p[0]), int32(p[1]), int32(p[2])
		if a := int32(p[3]); nrgba && a != 0xff {
			r = r * 0x101 * a / 0xff >> 8
			g = g * 0x101 * a / 0xff >> 8
			b = b * 0x101 * a / 0xff >> 8
		}
		yrow[x] = uint8((19595*r + 38470*g + 7471*b + 1<<15) >> 16)
		// Cb and Cr are clamped to 0..255 with one test each: the sum is in range exactly when its top byte is
		// zero, and otherwise its sign says which end.
		cb := -11056*r - 21712*g + 32768*b + 257<<15
		if uint32(cb)&0xff000000 == 0 {
			cb >>= 16
		} else {
			cb = ^(cb >> 31)
		}
		cr := 32768*r - 27440*g - 5328*b + 257<<15
		if uint32(cr)&0xff000000 == 0 {
			cr >>= 16
		} else {
			cr = ^(cr >> 31)
		}
		u[x], v[x] = uint8(cb), uint8(cr)
	}
}
