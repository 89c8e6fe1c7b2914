package jpegscale

//go:generate go run gen_idct.go

// The reduced IDCTs of idct_gen.go (written by gen_idct.go) turn the
// low-frequency NxN corner of a block into an NxN square of pixels, as
// libjpeg's jpeg_idct_NxN functions do. Truncating the spectrum to the
// corner is an ideal low-pass filter inside the block, and evaluating the
// result at the centres of the N output pixels is an N-point IDCT of the
// corner scaled by sqrt(N/8) per dimension. With JPEG's orthonormal DCT
// that makes the 2D factor N/8 and, after the usual cosine factoring, the
// overall 1/8 that the final shifts apply.

const (
	// redBits is the number of fraction bits in the reduced IDCTs'
	// constants and redPass1 the extra bits kept between their two passes,
	// the same trade-off as libjpeg's CONST_BITS and PASS1_BITS: enough
	// precision that the result rounds like a float IDCT, small enough for
	// int32.
	redBits  = 13
	redPass1 = 2
)

// idctReduced writes the bs x bs reduced IDCT (bs = 1..7) of the
// low-frequency corner of the quantized sequential block b, dequantized by
// qt, to dst.
func idctReduced(b, qt *block, bs int, dst []byte, stride int) {
	switch bs {
	case 7:
		idct7x7(b, qt, dst, stride)
	case 6:
		idct6x6(b, qt, dst, stride)
	case 5:
		idct5x5(b, qt, dst, stride)
	case 4:
		idct4x4(b, qt, dst, stride)
	case 3:
		idct3x3(b, qt, dst, stride)
	case 2:
		idct2x2(b, qt, dst, stride)
	case 1:
		dst[0] = idct1x1(b[0] * qt[0])
	}
}

// idctCorner is idctReduced for a progressive block's quantized corner
// low, bs*bs coefficients in row-major order as coefStore keeps them.
func idctCorner(low []int16, qt *block, bs int, dst []byte, stride int) {
	switch bs {
	case 7:
		idct7x7c((*[49]int16)(low), qt, dst, stride)
	case 6:
		idct6x6c((*[36]int16)(low), qt, dst, stride)
	case 5:
		idct5x5c((*[25]int16)(low), qt, dst, stride)
	case 4:
		idct4x4c((*[16]int16)(low), qt, dst, stride)
	case 3:
		idct3x3c((*[9]int16)(low), qt, dst, stride)
	case 2:
		idct2x2c((*[4]int16)(low), qt, dst, stride)
	case 1:
		dst[0] = idct1x1(int32(low[0]) * qt[0])
	}
}

// idct1x1 is the 1x1 IDCT of the dequantized DC coefficient dc: the
// rounded block mean, dc/8, the same value the 8x8 IDCT gives every pixel
// of a DC-only block.
func idct1x1(dc int32) uint8 {
	return clampByte((dc + 128*8 + 4) >> 3)
}

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
