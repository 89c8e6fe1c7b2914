package jpegscale

// The reduced IDCTs below turn the low-frequency NxN corner of a block
// (N = 4, 2 or 1) into an NxN square of pixels, as libjpeg's jpeg_idct_4x4,
// jpeg_idct_2x2 and jpeg_idct_1x1 do. Truncating the spectrum to the corner
// is an ideal low-pass filter inside the block, and evaluating the result at
// the centres of the N output pixels is an N-point IDCT of the corner scaled
// by sqrt(N/8) per dimension. With JPEG's orthonormal DCT that makes the
// 2D factor N/8 and, after the usual cosine factoring, the overall 1/8 that
// the final shifts below apply.

const (
	// redBits is the number of fraction bits in the 4x4 constants and
	// redPass1 the extra bits kept between the row and column passes, the
	// same trade-off as libjpeg's CONST_BITS and PASS1_BITS: enough precision
	// that the result rounds like a float IDCT, small enough for int32.
	redBits  = 13
	redPass1 = 2

	fix1306 = 10703 // round(sqrt(2) * cos(1*pi/8) * 2**13)
	fix0541 = 4433  // round(sqrt(2) * cos(3*pi/8) * 2**13)
)

// clampByte converts a level-shifted sample to a byte, saturating at 0 and
// 255 like the standard library's reconstructBlock.
func clampByte(v int32) uint8 {
	if uint32(v) > 255 {
		if v < 0 {
			return 0
		}
		return 255
	}
	return uint8(v)
}

// idct4x4 writes the 4x4 reduced IDCT of the dequantized 4x4 low-frequency
// corner of b, level shifted and clamped, to dst.
func idct4x4(b *block, dst []byte, stride int) {
	var ws [16]int32
	const rowShift = redBits - redPass1
	const rowRound = 1 << (rowShift - 1)
	for r := 0; r < 4; r++ {
		x0 := b[8*r+0]
		x1 := b[8*r+1]
		x2 := b[8*r+2]
		x3 := b[8*r+3]
		if x1 == 0 && x2 == 0 && x3 == 0 {
			// Flat rows are common after quantization and need no multiplies.
			v := x0 << redPass1
			ws[4*r+0], ws[4*r+1], ws[4*r+2], ws[4*r+3] = v, v, v, v
			continue
		}
		e0 := (x0 + x2) << redBits
		e1 := (x0 - x2) << redBits
		o0 := x1*fix1306 + x3*fix0541
		o1 := x1*fix0541 - x3*fix1306
		ws[4*r+0] = (e0 + o0 + rowRound) >> rowShift
		ws[4*r+3] = (e0 - o0 + rowRound) >> rowShift
		ws[4*r+1] = (e1 + o1 + rowRound) >> rowShift
		ws[4*r+2] = (e1 - o1 + rowRound) >> rowShift
	}
	const colShift = redBits + redPass1 + 3
	// bias folds the +128 level shift and the rounding of the final shift
	// into the DC term, which reaches every output of the column.
	const bias = 128<<(redPass1+3) + 1<<(redPass1+2)
	for c := 0; c < 4; c++ {
		x0 := ws[c] + bias
		x1 := ws[4+c]
		x2 := ws[8+c]
		x3 := ws[12+c]
		e0 := (x0 + x2) << redBits
		e1 := (x0 - x2) << redBits
		o0 := x1*fix1306 + x3*fix0541
		o1 := x1*fix0541 - x3*fix1306
		dst[c] = clampByte((e0 + o0) >> colShift)
		dst[stride+c] = clampByte((e1 + o1) >> colShift)
		dst[2*stride+c] = clampByte((e1 - o1) >> colShift)
		dst[3*stride+c] = clampByte((e0 - o0) >> colShift)
	}
}

// idct2x2 is idct4x4 for the 2x2 corner. With two points per dimension the
// cosines are all 1/sqrt(2), so each output is a signed sum of the four
// coefficients divided by 8.
func idct2x2(b *block, dst []byte, stride int) {
	x00 := b[0] + 128*8 + 4
	x01 := b[1]
	x10 := b[8]
	x11 := b[9]
	s0, d0 := x00+x10, x00-x10
	s1, d1 := x01+x11, x01-x11
	dst[0] = clampByte((s0 + s1) >> 3)
	dst[1] = clampByte((s0 - s1) >> 3)
	dst[stride] = clampByte((d0 + d1) >> 3)
	dst[stride+1] = clampByte((d0 - d1) >> 3)
}
