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

// A quantizer holds one table, in zig-zag order, prepared for the FDCT's output, which still has its 18 fractional
// bits (Q13.18).
//
// Quantising is image/jpeg's two steps: round the FDCT output x to an integer v = (x + 2^17) >> 18, then v/d
// rounded to nearest, ties away from zero, with the sign of v. At quality 82 about nine coefficients in ten come
// out zero, so the encoder first finds the ones that do not, with no multiply and no branch (mask), and rounds and
// divides only those (level). The result is zero exactly when -4q < v < 4q, that is when x lies in
// [(1-4q)*2^18 - 2^17, 4q*2^18 - 2^17 - 1]: when x plus (4q-1)*2^18 + 2^17, as an unsigned 32-bit number, is at most
// (8q-1)*2^18 - 1. That is one add and one compare per coefficient, exact for every int32 x as the interval is
// shorter than 2^32.
type quantizer struct {
	half  [64]uint32 // d/2
	recip [64]uint64 // ceil(2^recipShift / d)
	bias  [64]uint32 // (4q-1)*2^18 + 2^17
	lim   [64]uint64 // (8q-1)*2^18 - 1
}

func newQuantizer(t *[64]byte) *quantizer {
	var qz quantizer
	for k, q := range t {
		d := 8 * uint64(q)
		qz.half[k] = uint32(d / 2)
		qz.recip[k] = (1<<recipShift + d - 1) / d
		qz.bias[k] = (4*uint32(q)-1)<<18 + 1<<17
		qz.lim[k] = (8*uint64(q)-1)<<18 - 1
	}
	return &qz
}

// unround is image/jpeg's rounding of an FDCT output from Q13.18 to an integer.
func unround(x int32) int32 { return (x + 1<<17) >> 18 }

// level is the quantised magnitude of the FDCT output x at zig-zag position k. When it is not zero, x has the
// sign of the quantised coefficient.
func (q *quantizer) level(x int32, k int) uint32 {
	v := unround(x)
	s := v >> 31
	n := uint32((v ^ s) - s)
	return uint32((uint64(n+q.half[k&63]) * q.recip[k&63]) >> recipShift)
}

// dc is the signed quantised DC coefficient of the FDCT output b.
func (q *quantizer) dc(b *[64]int32) int32 {
	r := int32(q.level(b[0], 0))
	if b[0] < 0 { // a negative x that rounds to zero gives r = 0 either way
		return -r
	}
	return r
}

// mask returns, for the FDCT output b (natural order), a word with bit k set when the AC coefficient at zig-zag
// position k does not quantise to zero. The entropy coder walks it with TrailingZeros64 instead of testing 63
// coefficients. The 63 tests are written out, with the zig-zag order in the natural indices, so that no index is
// loaded or checked and every shift is a constant; the lines are generated from unzig (TestMask checks them).
func (q *quantizer) mask(b *[64]int32) (m uint64) {
	m |= (q.lim[1] - uint64(uint32(b[1])+q.bias[1])) >> 63 << 1
	m |= (q.lim[2] - uint64(uint32(b[8])+q.bias[2])) >> 63 << 2
	m |= (q.lim[3] - uint64(uint32(b[16])+q.bias[3])) >> 63 << 3
	m |= (q.lim[4] - uint64(uint32(b[9])+q.bias[4])) >> 63 << 4
	m |= (q.lim[5] - uint64(uint32(b[2])+q.bias[5])) >> 63 << 5
	m |= (q.lim[6] - uint64(uint32(b[3])+q.bias[6])) >> 63 << 6
	m |= (q.lim[7] - uint64(uint32(b[10])+q.bias[7])) >> 63 << 7
	m |= (q.lim[8] - uint64(uint32(b[17])+q.bias[8])) >> 63 << 8
	m |= (q.lim[9] - uint64(uint32(b[24])+q.bias[9])) >> 63 << 9
	m |= (q.lim[10] - uint64(uint32(b[32])+q.bias[10])) >> 63 << 10
	m |= (q.lim[11] - uint64(uint32(b[25])+q.bias[11])) >> 63 << 11
	m |= (q.lim[12] - uint64(uint32(b[18])+q.bias[12])) >> 63 << 12
	m |= (q.lim[13] - uint64(uint32(b[11])+q.bias[13])) >> 63 << 13
	m |= (q.lim[14] - uint64(uint32(b[4])+q.bias[14])) >> 63 << 14
	m |= (q.lim[15] - uint64(uint32(b[5])+q.bias[15])) >> 63 << 15
	m |= (q.lim[16] - uint64(uint32(b[12])+q.bias[16])) >> 63 << 16
	m |= (q.lim[17] - uint64(uint32(b[19])+q.bias[17])) >> 63 << 17
	m |= (q.lim[18] - uint64(uint32(b[26])+q.bias[18])) >> 63 << 18
	m |= (q.lim[19] - uint64(uint32(b[33])+q.bias[19])) >> 63 << 19
	m |= (q.lim[20] - uint64(uint32(b[40])+q.bias[20])) >> 63 << 20
	m |= (q.lim[21] - uint64(uint32(b[48])+q.bias[21])) >> 63 << 21
	m |= (q.lim[22] - uint64(uint32(b[41])+q.bias[22])) >> 63 << 22
	m |= (q.lim[23] - uint64(uint32(b[34])+q.bias[23])) >> 63 << 23
	m |= (q.lim[24] - uint64(uint32(b[27])+q.bias[24])) >> 63 << 24
	m |= (q.lim[25] - uint64(uint32(b[20])+q.bias[25])) >> 63 << 25
	m |= (q.lim[26] - uint64(uint32(b[13])+q.bias[26])) >> 63 << 26
	m |= (q.lim[27] - uint64(uint32(b[6])+q.bias[27])) >> 63 << 27
	m |= (q.lim[28] - uint64(uint32(b[7])+q.bias[28])) >> 63 << 28
	m |= (q.lim[29] - uint64(uint32(b[14])+q.bias[29])) >> 63 << 29
	m |= (q.lim[30] - uint64(uint32(b[21])+q.bias[30])) >> 63 << 30
	m |= (q.lim[31] - uint64(uint32(b[28])+q.bias[31])) >> 63 << 31
	m |= (q.lim[32] - uint64(uint32(b[35])+q.bias[32])) >> 63 << 32
	m |= (q.lim[33] - uint64(uint32(b[42])+q.bias[33])) >> 63 << 33
	m |= (q.lim[34] - uint64(uint32(b[49])+q.bias[34])) >> 63 << 34
	m |= (q.lim[35] - uint64(uint32(b[56])+q.bias[35])) >> 63 << 35
	m |= (q.lim[36] - uint64(uint32(b[57])+q.bias[36])) >> 63 << 36
	m |= (q.lim[37] - uint64(uint32(b[50])+q.bias[37])) >> 63 << 37
	m |= (q.lim[38] - uint64(uint32(b[43])+q.bias[38])) >> 63 << 38
	m |= (q.lim[39] - uint64(uint32(b[36])+q.bias[39])) >> 63 << 39
	m |= (q.lim[40] - uint64(uint32(b[29])+q.bias[40])) >> 63 << 40
	m |= (q.lim[41] - uint64(uint32(b[22])+q.bias[41])) >> 63 << 41
	m |= (q.lim[42] - uint64(uint32(b[15])+q.bias[42])) >> 63 << 42
	m |= (q.lim[43] - uint64(uint32(b[23])+q.bias[43])) >> 63 << 43
	m |= (q.lim[44] - uint64(uint32(b[30])+q.bias[44])) >> 63 << 44
	m |= (q.lim[45] - uint64(uint32(b[37])+q.bias[45])) >> 63 << 45
	m |= (q.lim[46] - uint64(uint32(b[44])+q.bias[46])) >> 63 << 46
	m |= (q.lim[47] - uint64(uint32(b[51])+q.bias[47])) >> 63 << 47
	m |= (q.lim[48] - uint64(uint32(b[58])+q.bias[48])) >> 63 << 48
	m |= (q.lim[49] - uint64(uint32(b[59])+q.bias[49])) >> 63 << 49
	m |= (q.lim[50] - uint64(uint32(b[52])+q.bias[50])) >> 63 << 50
	m |= (q.lim[51] - uint64(uint32(b[45])+q.bias[51])) >> 63 << 51
	m |= (q.lim[52] - uint64(uint32(b[38])+q.bias[52])) >> 63 << 52
	m |= (q.lim[53] - uint64(uint32(b[31])+q.bias[53])) >> 63 << 53
	m |= (q.lim[54] - uint64(uint32(b[39])+q.bias[54])) >> 63 << 54
	m |= (q.lim[55] - uint64(uint32(b[46])+q.bias[55])) >> 63 << 55
	m |= (q.lim[56] - uint64(uint32(b[53])+q.bias[56])) >> 63 << 56
	m |= (q.lim[57] - uint64(uint32(b[60])+q.bias[57])) >> 63 << 57
	m |= (q.lim[58] - uint64(uint32(b[61])+q.bias[58])) >> 63 << 58
	m |= (q.lim[59] - uint64(uint32(b[54])+q.bias[59])) >> 63 << 59
	m |= (q.lim[60] - uint64(uint32(b[47])+q.bias[60])) >> 63 << 60
	m |= (q.lim[61] - uint64(uint32(b[55])+q.bias[61])) >> 63 << 61
	m |= (q.lim[62] - uint64(uint32(b[62])+q.bias[62])) >> 63 << 62
	m |= (q.lim[63] - uint64(uint32(b[63])+q.bias[63])) >> 63 << 63
	return m
}
