package jpegenc

// A spec is a Huffman table as DHT stores it: count[i] codes of length i+1 bits, for the values in order.
type spec struct {
	count [16]byte
	value []byte
}

// The four Huffman tables, in the order of the DHT classes and destinations image/jpeg uses: luma DC, luma AC,
// chroma DC, chroma AC. A token's table is 2*component class + (1 for AC).
const (
	tableLumaDC = iota
	tableLumaAC
	tableChromaDC
	tableChromaAC
	nTables
)

// dhtID is the Tc<<4 | Th byte of each table in DHT.
var dhtID = [nTables]byte{0x00, 0x10, 0x01, 0x11}

// standardSpecs are the example tables of the JPEG spec's section K.3, which image/jpeg always uses.
var standardSpecs = [nTables]spec{
	{
		[16]byte{0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0},
		[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	},
	{
		[16]byte{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 125},
		[]byte{
			0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
			0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
			0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
			0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
			0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
			0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
			0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7,
			0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3, 0xc4, 0xc5,
			0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xe1, 0xe2,
			0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		},
	},
	{
		[16]byte{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0},
		[]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11},
	},
	{
		[16]byte{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 119},
		[]byte{
			0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
			0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
			0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
			0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48,
			0x49, 0x4a, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5a, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68,
			0x69, 0x6a, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7a, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87,
			0x88, 0x89, 0x8a, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0xa2, 0xa3, 0xa4, 0xa5,
			0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xc2, 0xc3,
			0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9, 0xca, 0xd2, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda,
			0xe2, 0xe3, 0xe4, 0xe5, 0xe6, 0xe7, 0xe8, 0xe9, 0xea, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xf7, 0xf8,
			0xf9, 0xfa,
		},
	},
}

// A codeTable maps table<<8 | symbol, the top half of a token, to what the bit writer emits for it: the Huffman
// code already shifted left past the symbol's extra bits in the low 27 bits, and the total length (code plus extra
// bits, at most 16+11) in the top 5. Emitting a token is then one load, one OR with its extra bits and one put.
type codeTable [nTables * 256]uint32

const codeBits = 27

// setTable fills the entries of table t from s, with canonical codes assigned as the spec's C.2 does.
func (ct *codeTable) setTable(t int, s *spec) {
	code, k := uint32(0), 0
	for l := range 16 {
		for range s.count[l] {
			sym := s.value[k]
			extra := uint32(sym & 15) // DC symbols are sizes 0..11; AC symbols hold the size in the low nibble
			ct[t<<8|int(sym)] = (uint32(l+1)+extra)<<codeBits | code<<extra
			code++
			k++
		}
		code <<= 1
	}
}

// optimalSpec builds the table for the symbol counts freq, as libjpeg's jpeg_gen_optimal_table does: Huffman's
// construction with a reserved pseudo-symbol 256, so that no real code is all ones (which a decoder could mistake
// for fill bits), then the spec's K.2 procedure to bring every code to 16 bits or fewer, then the reserved code is
// removed. Symbols with a zero count get no code. Ties are broken as libjpeg breaks them, so the tables equal its.
//
// Where libjpeg gives up (a code over 32 bits before limiting, which takes counts growing like the Fibonacci
// numbers over millions of symbols), the counts are halved, keeping every used symbol used, until it fits.
func optimalSpec(freq *[256]int64) spec {
	f := *freq
	for {
		if s, ok := buildSpec(&f); ok {
			return s
		}
		for i, x := range f {
			f[i] = (x + 1) / 2
		}
	}
}

// buildSpec is optimalSpec's construction, or false if a code before limiting exceeds 32 bits.
func buildSpec(freq *[256]int64) (spec, bool) {
	var f [257]int64
	copy(f[:], freq[:])
	f[256] = 1
	var codeSize [257]int
	var others [257]int
	for i := range others {
		others[i] = -1
	}
	// The live subtrees, each named by one of its symbols, in a binary heap ordered by count and, on ties, by larger
	// symbol first: popping twice gives the c1 and c2 libjpeg finds by scanning all 257 counts, in a fraction of
	// the time (which matters for small frames, where the scan cost as much as a fifth of the encode).
	h := symHeap{f: &f}
	for i, x := range f {
		if x != 0 {
			h.s = append(h.s, int16(i))
		}
	}
	for i := len(h.s)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
	for len(h.s) > 1 {
		c1 := int(h.pop())
		c2 := int(h.pop())
		// Merge c2's subtree into c1's: every symbol in either gets one bit longer.
		f[c1] += f[c2]
		f[c2] = 0
		h.push(int16(c1))
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
			return spec{}, false
		}
		bits[n]++
	}
	// Values in order of code length, then symbol, which is the order canonical codes are assigned in: each
	// symbol's place is the number of symbols with shorter codes plus those of its length before it.
	var at [33]int
	for l := 2; l <= 32; l++ {
		at[l] = at[l-1] + bits[l-1]
	}
	var s spec
	n := at[32] + bits[32] - 1 // every symbol with a code but the reserved one
	if n <= 0 {
		return s, true // no symbols, no codes: a table no block uses
	}
	s.value = make([]byte, n)
	for sym, l := range codeSize[:256] {
		if l > 0 {
			s.value[at[l]] = byte(sym)
			at[l]++
		}
	}
	bits[0] = 0
	// K.2: while a length above 16 is used, take two codes of that length, give one of them's prefix to the pair
	// (one code one shorter) and move the other to a pair of codes under the next shorter length that has any.
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
	// Drop the reserved symbol's code, which is one of the longest: as it has the least count and the largest
	// index, it was the first symbol merged.
	i := 16
	for bits[i] == 0 {
		i--
	}
	bits[i]--
	for l := 1; l <= 16; l++ {
		s.count[l-1] = byte(bits[l])
	}
	return s, true
}

// A symHeap is a min-heap of symbols by their counts in f, larger symbols first among equal counts.
type symHeap struct {
	f *[257]int64
	s []int16
}

func (h *symHeap) less(i, j int) bool {
	a, b := h.s[i], h.s[j]
	return h.f[a] < h.f[b] || h.f[a] == h.f[b] && a > b
}

func (h *symHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h.s) {
			return
		}
		if r := l + 1; r < len(h.s) && h.less(r, l) {
			l = r
		}
		if !h.less(l, i) {
			return
		}
		h.s[i], h.s[l] = h.s[l], h.s[i]
		i = l
	}
}

func (h *symHeap) pop() int16 {
	top := h.s[0]
	n := len(h.s) - 1
	h.s[0] = h.s[n]
	h.s = h.s[:n]
	h.down(0)
	return top
}

func (h *symHeap) push(x int16) {
	h.s = append(h.s, x)
	for i := len(h.s) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.s[i], h.s[p] = h.s[p], h.s[i]
		i = p
	}
}
