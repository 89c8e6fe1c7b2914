package jpegenc

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// write and flush give what a bit-at-a-time writer gives: codes MSB first, then their extra bits, 0x00 after every
// 0xFF, ones to pad the last byte. Runs of the longest codes (ZRL is 11111111001, and the 16-bit AC codes start
// with nine ones) with all-ones extra bits make 0xFF bytes in most words.
func TestBitWriter(t *testing.T) {
	var ct codeTable
	for i := range standardSpecs {
		ct.setTable(i, &standardSpecs[i])
	}
	rng := rand.New(rand.NewPCG(14, 15))
	for round := range 200 {
		var toks []token
		for range rng.IntN(3000) {
			tbl := rng.IntN(nTables)
			sp := &standardSpecs[tbl]
			sym := sp.value[rng.IntN(len(sp.value))]
			if round%2 == 0 {
				sym = sp.value[len(sp.value)-1-rng.IntN(min(8, len(sp.value)))] // long codes
			}
			size := uint32(sym & 15)
			extra := rng.Uint32() & (1<<size - 1)
			if round%3 == 0 {
				extra = 1<<size - 1
			}
			toks = append(toks, uint32(tbl)<<24|uint32(sym)<<16|extra)
		}
		bw := newBitWriter([]byte{0xaa})
		// Two calls, as the one-pass encoder writes a row at a time.
		h := len(toks) / 3
		write(&bw, &ct, toks[:h])
		write(&bw, &ct, toks[h:])
		got := bw.flush()
		if want := referenceBits(&ct, toks); !bytes.Equal(got, want) {
			t.Fatalf("round %d: %d tokens: got %d bytes, want %d, first difference at %d", round, len(toks), len(got), len(want), firstDiff(got, want))
		}
	}
}

func referenceBits(ct *codeTable, toks []token) []byte {
	var bitsOut []byte
	for _, t := range toks {
		e := ct[t>>16]
		n := int(e >> codeBits)
		code := e&(1<<codeBits-1) | t&0xffff
		for i := n - 1; i >= 0; i-- {
			bitsOut = append(bitsOut, byte(code>>i&1))
		}
	}
	for len(bitsOut)%8 != 0 {
		bitsOut = append(bitsOut, 1)
	}
	out := []byte{0xaa}
	for i := 0; i < len(bitsOut); i += 8 {
		var b byte
		for _, x := range bitsOut[i : i+8] {
			b = b<<1 | x
		}
		out = append(out, b)
		if b == 0xff {
			out = append(out, 0)
		}
	}
	return out
}
