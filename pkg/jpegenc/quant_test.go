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

// The reciprocal and the zero test equal division for every table entry baseline allows and every int16 value,
// which covers the FDCT's outputs (within +-8192) with room to spare.
func TestLevelMatchesDivision(t *testing.T) {
	for q := 1; q <= 255; q++ {
		var tbl [64]byte
		for i := range tbl {
			tbl[i] = byte(q)
		}
		qz := newQuantizer(&tbl)
		for v := int32(-1 << 15); v < 1<<15; v++ {
			want := div(v, 8*int32(q))
			got := int32(qz.level(v, 5))
			if want < 0 {
				got = -got
			}
			if got != want {
				t.Fatalf("q=%d v=%d: level %d, division %d", q, v, got, want)
			}
			nonzero := qz.lim[5]-uint64(uint32(v+qz.bias[5])) >= 1<<63
			if nonzero != (want != 0) {
				t.Fatalf("q=%d v=%d: zero test says non-zero=%v, division gives %d", q, v, nonzero, want)
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
		spread := int32(1) << rng.IntN(14)
		for j := range b {
			if rng.IntN(3) == 0 {
				b[j] = rng.Int32N(2*spread+1) - spread
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
