// The forward DCT below is image/jpeg's (Go 1.26, src/image/jpeg/dct.go), kept operation for operation so that the
// coefficients, and so the files, are the standard library's:
//
// Copyright 2025 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package jpegenc

// It is Loeffler, Ligtenberg and Moschytz's 11-multiply 1-D DCT ("Practical fast 1-D DCT algorithms with 11
// multiplications", ICASSP 1989) on the columns and then the rows, in fixed point. Inputs are samples 0..255; the
// level shift by 128 is folded into the DC term. Outputs are 8x the orthonormal 2-D DCT, the scaling libjpeg's islow
// FDCT also has, which is why the quantiser divides by 8*q; they are left with 18 fractional bits, which the
// quantiser rounds off exactly as image/jpeg's last step does.

// The constants are the standard library's 60-bit fixed-point values, rounded to the bits each stage uses by c.
const (
	cos1       = 1130768441178740757 // cos(1*pi/16)
	sin1       = 224923827593068887  // sin(1*pi/16)
	cos3       = 958619196450722178  // cos(3*pi/16)
	sin3       = 640528868967736374  // sin(3*pi/16)
	sqrt2      = 1630477228166597777 // sqrt(2)
	sqrt2_cos6 = 623956622067911264  // sqrt(2)*cos(6*pi/16)
	sqrt2_sin6 = 1506364539328854985 // sqrt(2)*sin(6*pi/16)
)

// c rounds the 60-bit constant x to bits fractional bits; with constant arguments it folds to a constant.
func c(x uint64, bits int) int32 {
	return int32((x + (1 << (59 - bits))) >> (60 - bits))
}

// dctBox is a rotation with scaling in three multiplies: (x0*kcos + x1*ksin, -x0*ksin + x1*kcos).
func dctBox(x0, x1, kcos, ksin int32) (y0, y1 int32) {
	ksum := kcos * (x0 + x1)
	y0 = ksum + (ksin-kcos)*x1
	y1 = ksum - (kcos+ksin)*x0
	return y0, y1
}

// fdct transforms the 8x8 samples at src[off:], rows stride apart, into b.
func fdct(b *[64]int32, src []byte, off, stride int) {
	fdctCols(b, src, off, stride)
	fdctRows(b)
}

// fdctCols is the 1-D DCT of each column: UQ8.0 in, Q10.18 out. It reads the samples straight from the plane,
// each row once as an 8-byte array so that the column loop needs no bounds checks.
func fdctCols(b *[64]int32, src []byte, off, stride int) {
	r0 := (*[8]byte)(src[off : off+8])
	r1 := (*[8]byte)(src[off+stride : off+stride+8])
	r2 := (*[8]byte)(src[off+2*stride : off+2*stride+8])
	r3 := (*[8]byte)(src[off+3*stride : off+3*stride+8])
	r4 := (*[8]byte)(src[off+4*stride : off+4*stride+8])
	r5 := (*[8]byte)(src[off+5*stride : off+5*stride+8])
	r6 := (*[8]byte)(src[off+6*stride : off+6*stride+8])
	r7 := (*[8]byte)(src[off+7*stride : off+7*stride+8])
	for i := range 8 {
		x0, x1, x2, x3 := int32(r0[i]), int32(r1[i]), int32(r2[i]), int32(r3[i])
		x4, x5, x6, x7 := int32(r4[i]), int32(r5[i]), int32(r6[i]), int32(r7[i])

		x0, x7 = x0+x7, x0-x7
		x1, x6 = x1+x6, x1-x6
		x2, x5 = x2+x5, x2-x5
		x3, x4 = x3+x4, x3-x4

		x4, x7 = dctBox(x4, x7, c(cos3, 18), c(sin3, 18))
		x5, x6 = dctBox(x5, x6, c(cos1, 18), c(sin1, 18))
		x0, x3 = x0+x3, x0-x3
		x1, x2 = x1+x2, x1-x2

		x2, x3 = dctBox(x2, x3, c(sqrt2_cos6, 18), c(sqrt2_sin6, 18))
		x0, x1 = x0+x1, x0-x1

		// Subtracting 128*8 from the DC sum is the level shift of all eight inputs.
		b[0*8+i] = (x0 - 128*8) << 18
		b[4*8+i] = x1 << 18
		b[2*8+i] = x2
		b[6*8+i] = x3

		x4, x6 = x4+x6, x4-x6
		x7, x5 = x7+x5, x7-x5

		x5 = (x5 >> 12) * c(sqrt2, 12)
		x6 = (x6 >> 12) * c(sqrt2, 12)
		x7, x4 = x7+x4, x7-x4

		b[1*8+i] = x7
		b[3*8+i] = x5
		b[5*8+i] = x6
		b[7*8+i] = x4
	}
}

// fdctRows is the 1-D DCT of each row: Q10.18 in, Q13.18 out.
func fdctRows(b *[64]int32) {
	for i := range 8 {
		x := (*[8]int32)(b[8*i : 8*i+8])
		x0, x1, x2, x3, x4, x5, x6, x7 := x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]

		x0, x7 = x0+x7, x0-x7
		x1, x6 = x1+x6, x1-x6
		x2, x5 = x2+x5, x2-x5
		x3, x4 = x3+x4, x3-x4

		x4, x7 = dctBox(x4>>14, x7>>14, c(cos3, 14), c(sin3, 14))
		x5, x6 = dctBox(x5>>14, x6>>14, c(cos1, 14), c(sin1, 14))
		x0, x3 = x0+x3, x0-x3
		x1, x2 = x1+x2, x1-x2

		x2, x3 = dctBox(x2>>14, x3>>14, c(sqrt2_cos6, 14), c(sqrt2_sin6, 14))
		x0, x1 = x0+x1, x0-x1
		x4, x6 = x4+x6, x4-x6
		x7, x5 = x7+x5, x7-x5

		x5 = (x5 >> 14) * c(sqrt2, 14)
		x6 = (x6 >> 14) * c(sqrt2, 14)
		x7, x4 = x7+x4, x7-x4

		// image/jpeg rounds to Q13.0 here, (x + 1<<17) >> 18; the quantiser does that instead (unround), and only
		// for the one coefficient in ten that is not zero, as its zero test works on the Q13.18 value directly.
		x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7] = x0, x7, x2, x5, x1, x6, x3, x4
	}
}
