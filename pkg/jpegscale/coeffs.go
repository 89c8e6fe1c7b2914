package jpegscale

import mathbits "math/bits"

// coefStore keeps one component's quantized coefficients between the scans
// of a progressive JPEG, whose pixels can only be reconstructed after the
// last scan. The standard library keeps a [64]int32 per block, 256 bytes,
// which is about 107 MB for a 13 MP 4:2:2 photo and dominates a Lambda's
// memory. Two facts shrink it:
//
//   - the quantized coefficients of a valid 8-bit JPEG fit in 11 bits
//     (tables F.1 and F.2 of T.81), so int16 is enough;
//   - at scale N/8 only the top-left NxN corner of each block reaches the
//     reduced IDCT. The other coefficients still matter while parsing,
//     because a successive-approximation refinement scan sends a correction
//     bit for every coefficient that is already nonzero, but for that one
//     "is nonzero" bit per coefficient is all that is needed.
//
// So a block costs 8+2*N*N bytes: 136 at full size, 106 at 7/8, 58 at 5/8,
// 40 at 4/8, 16 at 2/8 and 10 at 1/8. The nonzero bitmap also lets refinement skip zero
// coefficients without loading them.
type coefStore struct {
	// low holds bs*bs coefficients per block: the low-frequency corner in
	// natural (row-major) order.
	low []int16
	// nz holds, per block, bit zig set when the coefficient at zig-zag index
	// zig is nonzero.
	nz []uint64
}

// lowIndex maps, for each block output size bs (1..8; index 0 is unused),
// a zig-zag index to the coefficient's position in coefStore.low, or -1
// when the coefficient lies outside the low-frequency corner. For bs == 8 it
// is unzig.
var lowIndex = func() (t [9][blockSize]int8) {
	for bs := 1; bs <= 8; bs++ {
		for zig, u := range unzig {
			r, c := u/8, u%8
			t[bs][zig] = -1
			if r < bs && c < bs {
				t[bs][zig] = int8(r*bs + c)
			}
		}
	}
	return t
}()

// cornerMask has, for each block output size bs, bit zig set when the
// coefficient at zig-zag index zig lies inside the bs x bs corner.
var cornerMask = func() (t [9]uint64) {
	for bs := 1; bs <= 8; bs++ {
		for zig, i := range lowIndex[bs] {
			if i >= 0 {
				t[bs] |= 1 << zig
			}
		}
	}
	return t
}()

// alloc sizes the store for n blocks of output size bs.
func (s *coefStore) alloc(n, bs int) {
	s.low = make([]int16, n*bs*bs)
	s.nz = make([]uint64, n)
}

// allocated reports whether alloc has been called; a zero-block image still
// counts, because make returns a non-nil empty slice.
func (s *coefStore) allocated() bool { return s.low != nil }

// progBlock is a view of one block in a coefStore that the progressive
// decoding functions read and write by zig-zag index, without copying the
// block in and out for every scan.
type progBlock struct {
	// low is this block's corner, and pos maps a zig-zag index to its
	// position in low, or -1 when it lies outside the corner.
	low []int16
	pos *[blockSize]int8
	nz  *uint64
	// corner is cornerMask for the block's size.
	corner uint64
}

// view returns the progBlock for block blk of output size bs.
func (s *coefStore) view(blk, bs int) progBlock {
	n := bs * bs
	return progBlock{low: s.low[blk*n : blk*n+n : blk*n+n], pos: &lowIndex[bs], nz: &s.nz[blk], corner: cornerMask[bs]}
}

// set stores v at zig-zag index zig. Out-of-range values, which only a
// corrupt file can produce, saturate rather than wrap so that a nonzero
// coefficient never turns into zero: that keeps the bit-stream parsing of
// later refinement scans, and so success or failure, the same as
// image/jpeg's.
func (p *progBlock) set(zig, v int32) {
	zig &= blockSize - 1
	if i := p.pos[zig]; i >= 0 {
		p.low[i] = sat16(v)
	}
	bit := uint64(1) << uint(zig)
	if v != 0 {
		*p.nz |= bit
	} else {
		*p.nz &^= bit
	}
}

// refine moves the nonzero coefficient at zig-zag index zig one step of
// delta away from zero, as a correction bit of 1 asks (section G.1.2.3).
// Outside the corner only nonzero-ness is kept, and that does not change.
func (p *progBlock) refine(zig, delta int32) {
	i := p.pos[zig&(blockSize-1)]
	if i < 0 {
		return
	}
	v := int32(p.low[i])
	if v >= 0 {
		v += delta
	} else {
		v -= delta
	}
	p.low[i] = sat16(v)
}

// orDC sets bits of the DC coefficient for a DC refinement scan. The DC
// coefficient is always in the corner.
func (p *progBlock) orDC(delta int32) {
	p.set(0, int32(p.low[0])|delta)
}

// dequantize writes full-size block blk, multiplied by the natural-order
// quantization table qt, into b for the 8x8 IDCT. Reduced scales
// dequantize inside their IDCTs instead (idctCorner).
//
// Only the coefficients the nonzero bitmap marks are read: a photo's block
// has a handful, and multiplying all 64 costs more than the 8x8 IDCT's
// row pass.
func (s *coefStore) dequantize(b *block, blk int, qt *block) {
	low := (*[blockSize]int16)(s.low[blk*blockSize:])
	*b = block{}
	for m := s.nz[blk]; m != 0; m &= m - 1 {
		k := unzig[mathbits.TrailingZeros64(m)] & (blockSize - 1)
		b[k] = int32(low[k]) * qt[k]
	}
}

// sat16 narrows v to int16, saturating instead of wrapping.
func sat16(v int32) int16 {
	if v > 32767 {
		return 32767
	}
	if v < -32768 {
		return -32768
	}
	return int16(v)
}
