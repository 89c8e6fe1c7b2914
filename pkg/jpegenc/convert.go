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
// row and column repeated at odd sizes.
func toYCbCr420(m image.Image) *image.YCbCr {
	b := m.Bounds()
	dx, dy := b.Dx(), b.Dy()
	out := image.NewYCbCr(image.Rect(0, 0, dx, dy), image.YCbCrSubsampleRatio420)
	cw := (dx + 1) / 2
	// Two rows of full-resolution chroma at a time, summed into the output row.
	cb, cr := make([]int32, 2*cw), make([]int32, 2*cw)
	rgba, _ := m.(*image.RGBA)
	for y := range dy {
		row := out.Y[y*out.YStride:]
		if y%2 == 0 {
			clear(cb)
			clear(cr)
		}
		for x := range dx {
			var r, g, bl uint8
			if rgba != nil {
				p := rgba.Pix[rgba.PixOffset(b.Min.X+x, b.Min.Y+y):]
				r, g, bl = p[0], p[1], p[2]
			} else {
				r16, g16, b16, _ := m.At(b.Min.X+x, b.Min.Y+y).RGBA()
				r, g, bl = uint8(r16>>8), uint8(g16>>8), uint8(b16>>8)
			}
			yy, u, v := color.RGBToYCbCr(r, g, bl)
			row[x] = yy
			// A pixel counts twice when it stands for its missing right or lower neighbour.
			wgt := int32(1)
			if x == dx-1 && dx%2 == 1 {
				wgt = 2
			}
			if y == dy-1 && dy%2 == 1 {
				wgt *= 2
			}
			cb[x/2] += wgt * int32(u)
			cr[x/2] += wgt * int32(v)
		}
		if y%2 == 1 || y == dy-1 {
			o := (y / 2) * out.CStride
			for i := range cw {
				out.Cb[o+i] = uint8((cb[i] + 2) >> 2)
				out.Cr[o+i] = uint8((cr[i] + 2) >> 2)
			}
		}
	}
	return out
}
