package jpegenc

import (
	"math/bits"
	"slices"
	"sync"
)

// A plane is one component's samples: w x h of them, row y starting at pix[off+y*stride].
type plane struct {
	pix       []byte
	off       int
	stride    int
	w, h      int
	hs, vs    int // sampling factors in the frame: blocks per MCU across and down
	table     int // the DC table of the component; its AC table is the next one
	quantizer *quantizer
}

// strip copies the 8*vs sample rows of MCU row my into buf, stride sw (the MCU row's width in this plane's
// samples), repeating the last column and row to fill the MCUs, as libjpeg and image/jpeg pad: a flat extension
// costs few bits and leaves the visible samples' reconstruction least disturbed.
//
// The copy pays for itself on large frames: read block by block, an MCU row of a 4:2:0 frame is 32 concurrent
// streams of cache lines, more than the hardware prefetcher follows (a 1920 px frame took 13% longer than with the
// copy); copied, each row is one sequential read, and the blocks then come from the strip in cache.
// Every block is whole in the strip, so the transform needs no edge case either.
func (p *plane) strip(buf []byte, sw, my int) {
	for j := range 8 * p.vs {
		o := p.off + min(my*8*p.vs+j, p.h-1)*p.stride
		dst := buf[j*sw : (j+1)*sw]
		copy(dst, p.pix[o:o+p.w])
		last := dst[p.w-1]
		for i := p.w; i < sw; i++ {
			dst[i] = last
		}
	}
}

// A token is one Huffman-coded symbol of the scan with its extra bits: table<<24 | symbol<<16 | extra bits. The
// scan is tokenised first and written second, so that Optimize can count symbols without transforming twice, and
// so that writing is a tight loop over a flat slice. Extra bits are at most 11 (a DC difference), so 16 hold them.
type token = uint32

// A scan is the frame's planes laid out in MCUs (interleaved when there are several planes); rows and parts
// tokenise it.
type scan struct {
	planes []plane
	mcuW   int // MCUs across
	mcuH   int // MCUs down
	// dummy codes the blocks of an MCU that lie wholly outside their plane (the bottom luma blocks of a 4:2:0 frame
	// 1-8 rows past a multiple of 16, for one) as libjpeg does: DC equal to the previous block's, no AC, two
	// symbols. image/jpeg codes them as the edge pixels repeated, which costs bits for pixels no decoder shows.
	dummy bool
}

// newScan lays out the MCUs. With one component the MCU is one block (the spec's non-interleaved order),
// otherwise it is hs x vs blocks of each plane, the largest sampling factors covering 8*hs x 8*vs pixels.
func newScan(planes []plane, width, height int) scan {
	hmax, vmax := 1, 1
	if len(planes) > 1 {
		for _, p := range planes {
			hmax, vmax = max(hmax, p.hs), max(vmax, p.vs)
		}
	} else {
		planes[0].hs, planes[0].vs = 1, 1
	}
	return scan{
		planes: planes,
		mcuW:   (width + 8*hmax - 1) / (8 * hmax),
		mcuH:   (height + 8*vmax - 1) / (8 * vmax),
	}
}

// A part is the tokens of a run of MCU rows, tokenised without the rows before it: the first DC of each
// component is coded as if predicted from zero, and first and firstDC say where and what it is, so that it can be
// recoded once the previous part's last DC values are known.
type part struct {
	toks    []token
	freq    *[nTables * 256]int64 // if not nil, the count of each table<<8 | symbol in toks
	first   [3]int                // index in toks of each component's first DC token, -1 before there is one
	firstDC [3]int32              // the quantised DC of that block
	last    [3]int32              // the quantised DC of each component's last block so far
}

// rows tokenises MCU rows r0 to r1-1 into p. With emit set, each MCU row's tokens are handed to it and dropped.
func (s *scan) rows(p *part, r0, r1 int, emit func([]token)) {
	var b [64]int32
	p.first = [3]int{-1, -1, -1}
	var strips [3][]byte
	var sw [3]int
	for c, pl := range s.planes {
		sw[c] = 8 * pl.hs * s.mcuW
		strips[c] = make([]byte, 8*pl.vs*sw[c])
	}
	for my := r0; my < r1; my++ {
		for c := range s.planes {
			s.planes[c].strip(strips[c], sw[c], my)
		}
		for mx := range s.mcuW {
			for c := range s.planes {
				pl := &s.planes[c]
				for v := range pl.vs {
					for h := range pl.hs {
						x, y := 8*(mx*pl.hs+h), 8*(my*pl.vs+v)
						if s.dummy && (x >= pl.w || y >= pl.h) {
							// Never a part's first block of a component: that one is at x = 0 on the first block
							// row of an MCU row, which is always inside the plane.
							dc := uint32(pl.table)
							p.toks = append(p.toks, dc<<24, (dc+1)<<24) // DC difference 0, EOB
							continue
						}
						fdct(&b, strips[c], 8*v*sw[c]+x, sw[c])
						first := p.first[c] < 0
						if first {
							p.first[c] = len(p.toks)
						}
						var d int32
						p.toks, d = appendBlock(p.toks, &b, pl.quantizer, p.last[c], uint32(pl.table))
						if first {
							p.firstDC[c] = d
						}
						p.last[c] = d
					}
				}
			}
		}
		if emit != nil {
			emit(p.toks)
			p.toks = p.toks[:0]
		}
	}
}

// parts tokenises the whole scan in n parts of about equal MCU rows, concurrently, and recodes the first DC of
// each part after the first against the DC its predecessor ended with, as one pass over the scan would have coded
// it: the tokens, and so the file, do not depend on n. With count set, each part also counts its symbols.
func (s *scan) parts(n int, perPart int, count bool) []part {
	parts := make([]part, n)
	var wg sync.WaitGroup
	for i := range parts {
		r0, r1 := s.mcuH*i/n, s.mcuH*(i+1)/n
		p := &parts[i]
		p.toks = getTokens(perPart)
		if count {
			p.freq = new([nTables * 256]int64)
		}
		work := func() {
			s.rows(p, r0, r1, nil)
			if count {
				for _, t := range p.toks {
					p.freq[t>>16&(nTables*256-1)]++
				}
			}
		}
		if i == n-1 {
			work() // the last part in this goroutine, which would only wait otherwise
			break
		}
		wg.Go(work)
	}
	wg.Wait()
	for i := 1; i < n; i++ {
		p := &parts[i]
		for c := range s.planes {
			if k := p.first[c]; k >= 0 {
				t := amplitude(uint32(s.planes[c].table)<<8, p.firstDC[c]-parts[i-1].last[c])
				if count {
					p.freq[p.toks[k]>>16&(nTables*256-1)]--
					p.freq[t>>16&(nTables*256-1)]++
				}
				p.toks[k] = t
			}
			if p.first[c] < 0 { // an empty part carries its predecessor's DC on
				p.last[c] = parts[i-1].last[c]
			}
		}
	}
	return parts
}

// appendBlock quantises the FDCT output b and appends its tokens: the DC difference from the previous block of
// the same component, then each non-zero AC coefficient with the run of zeros before it (ZRL, symbol 0xF0, for each
// 16 zeros of a longer run), then EOB (symbol 0x00) unless the last coefficient is non-zero. It returns the block's
// quantised DC.
func appendBlock(toks []token, b *[64]int32, q *quantizer, prev int32, dc uint32) ([]token, int32) {
	// A block has at most 65 tokens (DC, 63 coefficients, EOB; a ZRL stands for 16 zeros). They are written into a
	// window of 128 with the index masked, so that no store needs a bounds check or a capacity check.
	n0 := len(toks)
	if cap(toks)-n0 < 128 {
		toks = slices.Grow(toks, 128)
	}
	out := (*[128]token)(toks[n0 : n0+128])
	d := q.dc(b)
	out[0] = amplitude(dc<<8, d-prev)
	i := 1
	ac := (dc + 1) << 8
	last := 0
	for m := q.mask(b); m != 0; m &= m - 1 {
		k := bits.TrailingZeros64(m)
		run := k - last - 1
		for run >= 16 {
			out[i&127] = (ac | 0xf0) << 16
			i++
			run -= 16
		}
		last = k
		// The level is not zero (mask said so): its size is at least 1, and a negative coefficient's extra bits
		// are the ones' complement of the level.
		v := b[unzig[k&63]&63]
		l := q.level(v, k)
		n := uint32(bits.Len32(l))
		out[i&127] = (ac|uint32(run)<<4|n)<<16 | (l^uint32(v>>31))&(1<<n-1)
		i++
	}
	if last != 63 {
		out[i&127] = ac << 16
		i++
	}
	return toks[:n0+i], d
}

// amplitude makes the token for symbol base|size(v) with v's extra bits: v itself when positive, v-1 (the ones'
// complement of |v|) when negative, in size(v) bits.
func amplitude(base uint32, v int32) token {
	s := v >> 31
	a := uint32((v ^ s) - s)
	n := uint32(bits.Len32(a))
	return (base|n)<<16 | (uint32(v+s) & (1<<n - 1))
}

// write emits toks with the codes of ct into w. The accumulator is kept in locals, as this loop runs once per symbol
// of the file: when it fills, it is topped up with the code's leading bits and written, and the code becomes the
// new accumulator, whose bits above the pending ones are shifted out before they can be written.
func write(w *bitWriter, ct *codeTable, toks []token) {
	acc, free := w.acc, w.free
	for _, t := range toks {
		e := ct[t>>16&(nTables*256-1)]
		n := int(e >> codeBits)
		code := uint64(e&(1<<codeBits-1) | t&0xffff)
		if free -= n; free >= 0 {
			acc = acc<<n | code
			continue
		}
		over := -free
		w.word(acc<<(n-over) | code>>over)
		acc = code
		free += 64
	}
	w.acc, w.free = acc, free
}

// tokenPool keeps token slices between encodes: a 1920 px frame's are 1 MB, and allocating them afresh (zeroed,
// and often on new pages) cost 3-7% of its optimised encode.
var tokenPool sync.Pool

func getTokens(n int) []token {
	if t, ok := tokenPool.Get().(*[]token); ok && cap(*t) >= n {
		return (*t)[:0]
	}
	return make([]token, 0, n)
}

func putTokens(t []token) { tokenPool.Put(&t) }
