package jpegenc

// unscaledQuant are the luminance and chrominance tables of the JPEG spec's section K.1, in zig-zag order: the tables
// image/jpeg and libjpeg scale by quality, so that a quality number means the same quantisation everywhere.
var unscaledQuant = [2][64]byte{
	{
		16, 11, 12, 14, 12, 10, 16, 14,
		13, 14, 18, 17, 16, 19, 24, 40,
		26, 24, 22, 22, 24, 49, 35, 37,
		29, 40, 58, 51, 61, 60, 57, 51,
		56, 55, 64, 72, 92, 78, 64, 68,
		87, 69, 55, 56, 80, 109, 81, 87,
		95, 98, 103, 104, 103, 62, 77, 113,
		121, 112, 100, 120, 92, 101, 103, 99,
	},
	{
		17, 18, 18, 24, 21, 24, 47, 26,
		26, 47, 99, 66, 56, 66, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
		99, 99, 99, 99, 99, 99, 99, 99,
	},
}

// unzig maps a zig-zag position to the natural (row-major) position of the coefficient it holds.
var unzig = [64]uint8{
	0, 1, 8, 16, 9, 2, 3, 10,
	17, 24, 32, 25, 18, 11, 4, 5,
	12, 19, 26, 33, 40, 48, 41, 34,
	27, 20, 13, 6, 7, 14, 21, 28,
	35, 42, 49, 56, 57, 50, 43, 36,
	29, 22, 15, 23, 30, 37, 44, 51,
	58, 59, 52, 45, 38, 31, 39, 46,
	53, 60, 61, 54, 47, 55, 62, 63,
}

// clampQuality maps any int onto 1..100 the way image/jpeg does (0 and below become 1).
func clampQuality(q int) int {
	return min(max(q, 1), 100)
}

// scaledQuant returns the two tables (zig-zag order) for quality q in 1..100, with libjpeg's and image/jpeg's
// scaling: 5000/q percent below 50, 200-2q percent from 50, rounded, clamped to 1..255 (baseline's 8-bit entries).
func scaledQuant(q int) (t [2][64]byte) {
	scale := 200 - 2*q
	if q < 50 {
		scale = 5000 / q
	}
	for i := range t {
		for j, x := range unscaledQuant[i] {
			t[i][j] = byte(min(max((int(x)*scale+50)/100, 1), 255))
		}
	}
	return t
}

// recipShift is the fixed shift of the reciprocals. The FDCT's outputs are 8x the DCT, so a coefficient is divided by
// d = 8*q <= 2040 < 2^11, and its magnitude plus d/2 stays below 2^14. With m = ceil(2^27/d), floor(n*m / 2^27)
// equals floor(n/d) for every n < 2^16 (Granlund and Montgomery: m*d - 2^27 < d <= 2^(27-16)), so one multiply
// and one constant shift replace the division image/jpeg does, with identical results.
const recipShift = 27

// quantizer holds one table, prepared for the FDCT's output: per zig-zag position, the half divisor that rounds to
// nearest and the reciprocal of the divisor.
type quantizer struct {
	half  [64]uint32
	recip [64]uint64
}

func newQuantizer(t *[64]byte) *quantizer {
	var qz quantizer
	for k, q := range t {
		d := 8 * uint64(q)
		qz.half[k] = uint32(d / 2)
		qz.recip[k] = (1<<recipShift + d - 1) / d
	}
	return &qz
}

// quantize rounds the FDCT output b (natural order) divided by the table to the nearest integer, away from zero on
// ties (image/jpeg's div), and stores it in zig-zag order in zz. It returns a mask with bit k set when zz[k] != 0,
// for k >= 1: the entropy coder walks it with TrailingZeros instead of testing 63 coefficients.
func (qz *quantizer) quantize(zz *[64]int32, b *[64]int32) (mask uint64) {
	for k := range 64 {
		v := b[unzig[k]]
		s := v >> 31             // 0 or -1
		n := uint32((v ^ s) - s) // |v|
		r := int32((uint64(n+qz.half[k]) * qz.recip[k]) >> recipShift)
		r = (r ^ s) - s
		zz[k] = r
		// (r | -r) has its sign bit set exactly when r != 0: a branch-free mask, as most coefficients are zero and a
		// branch on them would be mispredicted often.
		mask |= uint64(uint32(r|-r)>>31) << k
	}
	return mask &^ 1
}
