package jpegenc

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// div is image/jpeg's rounding division, the reference the quantiser must reproduce.
func div(a, b int32) int32 {
	if a >= 0 {
		return (a + (b >> 1)) / b
	}
	return -((-a + (b >> 1)) / b)
}

// The rounding, the reciprocal and the zero test equal image/jpeg's rounding and division for every table entry
// baseline allows and every int16 coefficient, which covers the FDCT's outputs (within +-8192) with room to spare:
// for each, the least and the greatest Q13.18 value that rounds to it and one between.
func TestLevelMatchesDivision(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for q := 1; q <= 255; q++ {
		var tbl [64]byte
		for i := range tbl {
			tbl[i] = byte(q)
		}
		qz := newQuantizer(&tbl)
		for v := int32(-1 << 13); v < 1<<13; v++ {
			want := div(v, 8*int32(q))
			for _, x := range []int32{v<<18 - 1<<17, v<<18 + 1<<17 - 1, v<<18 - 1<<17 + rng.Int32N(1<<18)} {
				if unround(x) != v {
					t.Fatalf("x=%d rounds to %d, want %d", x, unround(x), v)
				}
				got := int32(qz.level(x, 5))
				if want < 0 {
					got = -got
				}
				if got != want {
					t.Fatalf("q=%d x=%d (v=%d): level %d, division %d", q, x, v, got, want)
				}
				nonzero := qz.lim[5]-uint64(uint32(x)+qz.bias[5]) >= 1<<63
				if nonzero != (want != 0) {
					t.Fatalf("q=%d x=%d (v=%d): zero test says non-zero=%v, division gives %d", q, x, v, nonzero, want)
				}
			}
		}
	}
}

// The written-out mask equals testing each coefficient in zig-zag order.
func TestMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for i := range 20000 {
		tables := scaledQuant(1 + rng.IntN(100))
		qz := newQuantizer(&tables[i%2])
		var b [64]int32
		// Any int32 (the FDCT's Q13.18 outputs span almost all of them), mostly small: shifted right by a random
		// amount, so that values near the thresholds of every table entry occur.
		shift := 1 + rng.IntN(14)
		for j := range b {
			if rng.IntN(3) == 0 {
				b[j] = int32(rng.Uint32()) >> shift
			}
		}
		var want uint64
		for k := 1; k < 64; k++ {
			if qz.level(b[unzig[k]], k) != 0 {
				want |= 1 << k
			}
		}
		if got := qz.mask(&b); got != want {
			t.Fatalf("mask %064b, want %064b (diff %d bits)", got, want, bits.OnesCount64(got^want))
		}
	}
}
