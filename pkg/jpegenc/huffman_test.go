package jpegenc

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOptimalSpec(t *testing.T) {
	rng := rand.New(rand.NewPCG(8, 9))
	cases := map[string]func(f *[256]int64){
		"one symbol":  func(f *[256]int64) { f[0] = 1000 },
		"two symbols": func(f *[256]int64) { f[0x00], f[0x11] = 10, 1 },
		"uniform 256": func(f *[256]int64) {
			for i := range f {
				f[i] = 7
			}
		},
		// Fibonacci counts make the Huffman tree a chain, 30 deep: K.2 must cut it to 16.
		"fibonacci": func(f *[256]int64) {
			a, b := int64(1), int64(1)
			for i := range 30 {
				f[i*3], a, b = a, b, a+b
			}
		},
		"random sparse": func(f *[256]int64) {
			for range 40 {
				f[rng.IntN(256)] += rng.Int64N(1 << uint(rng.IntN(20)))
			}
		},
		"random dense": func(f *[256]int64) {
			for i := range f {
				f[i] = rng.Int64N(1 << 20)
			}
		},
	}
	for name, fill := range cases {
		t.Run(name, func(t *testing.T) {
			var f [256]int64
			fill(&f)
			s := optimalSpec(&f)
			lengths := checkSpec(t, &s)
			used := 0
			for sym, n := range f {
				if (n > 0) != (lengths[sym] > 0) {
					t.Errorf("symbol %#x: count %d, code length %d", sym, n, lengths[sym])
				}
				if n > 0 {
					used++
				}
			}
			if len(s.value) != used {
				t.Errorf("%d values for %d used symbols", len(s.value), used)
			}
			// Where no code needed limiting, the cost must be Huffman's optimum, counting the reserved pseudo-symbol
			// (count 1) at the length of the code K.2 removed, which is one of the longest.
			maxLen := 0
			var cost int64
			for sym, l := range lengths {
				cost += f[sym] * int64(l)
				maxLen = max(maxLen, l)
			}
			if opt, deepest := huffmanCost(append(f[:], 1)); deepest <= 16 {
				if cost+int64(maxLen) != opt {
					t.Errorf("cost %d (+%d reserved), Huffman's optimum %d", cost, maxLen, opt)
				}
			} else if maxLen != 16 {
				t.Errorf("limited code: longest %d, want 16", maxLen)
			}
		})
	}
}

// checkSpec checks that s is a table a decoder accepts — at most 16 bits per code, a prefix code, no code of all
// ones — and returns each value's code length.
func checkSpec(t *testing.T, s *spec) (lengths [256]int) {
	t.Helper()
	var ct codeTable
	ct.setTable(tableLumaAC, s)
	k, n := 0, 0
	kraft := 0.0
	for l := 1; l <= 16; l++ {
		for range s.count[l-1] {
			sym := s.value[k]
			k++
			if lengths[sym] != 0 {
				t.Fatalf("symbol %#x listed twice", sym)
			}
			lengths[sym] = l
			kraft += 1 / float64(uint(1)<<l)
			e := ct[tableLumaAC<<8|int(sym)]
			code := (e & (1<<codeBits - 1)) >> (sym & 15)
			if code == 1<<l-1 {
				t.Errorf("symbol %#x has the all-ones code of length %d", sym, l)
			}
			n++
		}
	}
	if k != len(s.value) {
		t.Fatalf("counts sum to %d, %d values", k, len(s.value))
	}
	if kraft >= 1 {
		t.Errorf("Kraft sum %v: not a prefix code with a spare all-ones code", kraft)
	}
	return lengths
}

// huffmanCost is the total cost sum(count*length) of an optimal unrestricted Huffman code for the non-zero counts,
// by the textbook heap construction, and the depth of its deepest leaf.
func huffmanCost(counts []int64) (cost int64, deepest int) {
	h := &nodeHeap{}
	for _, c := range counts {
		if c > 0 {
			*h = append(*h, node{c, 0})
		}
	}
	heap.Init(h)
	for h.Len() > 1 {
		a, b := heap.Pop(h).(node), heap.Pop(h).(node)
		cost += a.n + b.n
		heap.Push(h, node{a.n + b.n, max(a.depth, b.depth) + 1})
	}
	return cost, (*h)[0].depth
}

type node struct {
	n     int64
	depth int
}
type nodeHeap []node

func (h nodeHeap) Len() int { return len(h) }
func (h nodeHeap) Less(i, j int) bool {
	return h[i].n < h[j].n || h[i].n == h[j].n && h[i].depth < h[j].depth
}
func (h nodeHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *nodeHeap) Push(x any)   { *h = append(*h, x.(node)) }
func (h *nodeHeap) Pop() any {
	x := (*h)[len(*h)-1]
	*h = (*h)[:len(*h)-1]
	return x
}

// The standard tables pass the same checks, and the codes setTable assigns are the spec's (K.3: luma DC category
// 0 is 00, category 11 is 111111110; luma AC EOB is 1010, ZRL 11111111001).
func TestStandardCodes(t *testing.T) {
	var ct codeTable
	for i := range standardSpecs {
		checkSpec(t, &standardSpecs[i])
		ct.setTable(i, &standardSpecs[i])
	}
	for _, c := range []struct {
		table int
		sym   byte
		code  string
	}{
		{tableLumaDC, 0, "00"}, {tableLumaDC, 11, "111111110"}, {tableLumaAC, 0x00, "1010"},
		{tableLumaAC, 0xf0, "11111111001"}, {tableLumaAC, 0x01, "00"}, {tableChromaDC, 0, "00"}, {tableChromaAC, 0x00, "00"},
	} {
		e := ct[c.table<<8|int(c.sym)]
		extra := int(c.sym & 15)
		l := int(e>>codeBits) - extra
		got := fmt.Sprintf("%0*b", l, (e&(1<<codeBits-1))>>extra)
		if got != c.code {
			t.Errorf("table %d symbol %#x: code %s, want %s", c.table, c.sym, got, c.code)
		}
	}
}

// referenceSpec is libjpeg's jpeg_gen_optimal_table as written there, scanning all 257 counts for the two least:
// optimalSpec must build the same tables with its heap.
func referenceSpec(freq *[256]int64) (spec, bool) {
	var f [257]int64
	copy(f[:], freq[:])
	f[256] = 1
	var codeSize, others [257]int
	for i := range others {
		others[i] = -1
	}
	for {
		c1, c2 := -1, -1
		v := int64(1<<63 - 1)
		for i, x := range f {
			if x != 0 && x <= v {
				v, c1 = x, i
			}
		}
		v = 1<<63 - 1
		for i, x := range f {
			if x != 0 && x <= v && i != c1 {
				v, c2 = x, i
			}
		}
		if c2 < 0 {
			break
		}
		f[c1] += f[c2]
		f[c2] = 0
		codeSize[c1]++
		for others[c1] >= 0 {
			c1 = others[c1]
			codeSize[c1]++
		}
		others[c1] = c2
		codeSize[c2]++
		for others[c2] >= 0 {
			c2 = others[c2]
			codeSize[c2]++
		}
	}
	var bits [33]int
	for _, n := range codeSize {
		if n > 32 {
			return spec{}, false // libjpeg: "Huffman code size table overflow"
		}
		if n > 0 {
			bits[n]++
		}
	}
	for i := 32; i > 16; i-- {
		for bits[i] > 0 {
			j := i - 2
			for bits[j] == 0 {
				j--
			}
			bits[i] -= 2
			bits[i-1]++
			bits[j+1] += 2
			bits[j]--
		}
	}
	i := 16
	for bits[i] == 0 {
		i--
	}
	bits[i]--
	var s spec
	for l := 1; l <= 16; l++ {
		s.count[l-1] = byte(bits[l])
	}
	for l := 1; l <= 32; l++ {
		for sym := range 256 {
			if codeSize[sym] == l {
				s.value = append(s.value, byte(sym))
			}
		}
	}
	return s, true
}

func TestOptimalSpecIsLibjpegs(t *testing.T) {
	rng := rand.New(rand.NewPCG(10, 11))
	overflows := 0
	defer func() {
		if overflows == 0 {
			t.Errorf("no case overflowed 32 bits: the fallback went untested")
		}
	}()
	for i := range 3000 {
		var f [256]int64
		n := 1 + rng.IntN(256)
		for range n {
			// Small counts make many ties; a skewed spread makes deep trees that K.2 must limit.
			if i%2 == 0 {
				f[rng.IntN(256)] += 1 + rng.Int64N(4)
			} else {
				f[rng.IntN(256)] += 1 << rng.IntN(40)
			}
		}
		got := optimalSpec(&f)
		want, ok := referenceSpec(&f)
		if !ok {
			// Too deep for libjpeg: ours halves the counts until it fits, and must still make a valid table for
			// every used symbol.
			overflows++
			lengths := checkSpec(t, &got)
			for sym, n := range f {
				if (n > 0) != (lengths[sym] > 0) {
					t.Fatalf("symbol %#x: count %d, code length %d", sym, n, lengths[sym])
				}
			}
			continue
		}
		if got.count != want.count || !slices.Equal(got.value, want.value) {
			t.Fatalf("counts %v:\n got %v %v\nwant %v %v", f, got.count, got.value, want.count, want.value)
		}
	}
}
