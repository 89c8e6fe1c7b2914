package imageproc

import (
	"encoding/binary"
	"math"
)

// plane is one 8-bit channel of an image (Y, Cb, Cr or grey) as the image package lays it out: w x h samples, rows
// stride bytes apart. Resizing and turning planes directly avoids converting a decoded JPEG to RGBA at all: the
// encoder takes YCbCr back, and a frame of 12 MP would cost 48 MB and a pass over every pixel as NRGBA.
type plane struct {
	pix    []uint8
	w, h   int
	stride int
}

func newPlane(w, h int) plane { return plane{pix: make([]uint8, w*h), w: w, h: h, stride: w} }

// Weights are fixed point with weightBits fraction bits, as in libvips and Pillow: an 8-bit sample times a 14-bit
// weight, summed over a few dozen taps, stays far inside an int32, and integer multiply-adds are what Go compiles
// best without SIMD.
const (
	weightBits = 14
	weightOne  = 1 << weightBits
	weightHalf = 1 << (weightBits - 1)
)

// lanczosLobes makes the filter Lanczos-3, which imaging.Lanczos, libvips and sharp use by default for reduction:
// sharper than bicubic, with only faint ringing at hard edges.
const lanczosLobes = 3

// taps lists, for one output sample, the first input sample it reads and the weight of each one from there.
type taps struct {
	start   int
	weights []int32
}

// lanczosTaps computes the taps that resample in samples to out samples, with pixel centres aligned (output
// pixel x covers input [x*in/out, (x+1)*in/out)). When reducing, the kernel is stretched by the ratio so that it
// low-pass filters at the new sampling rate; taps that would fall outside the image are dropped and the rest
// renormalised, which keeps edges from darkening.
func lanczosTaps(in, out int) []taps {
	scale := float64(in) / float64(out)
	support := lanczosLobes * max(scale, 1)
	stretch := max(scale, 1)
	all := make([]int32, 0, out*(int(2*support)+2))
	t := make([]taps, out)
	var fw []float64
	for x := range t {
		centre := (float64(x)+0.5)*scale - 0.5
		lo := max(0, int(math.Ceil(centre-support)))
		hi := min(in-1, int(math.Floor(centre+support)))
		fw = fw[:0]
		var sum float64
		for i := lo; i <= hi; i++ {
			v := lanczos((float64(i) - centre) / stretch)
			fw = append(fw, v)
			sum += v
		}
		// Trim zero weights at both ends (whole-number offsets of the unstretched kernel), so loops do no
		// useless work, then round to fixed point and give the rounding error to the largest weight so every
		// output sums to exactly one: a flat area must stay exactly flat.
		start := len(all)
		var total int32
		big := 0
		for i, v := range fw {
			q := int32(math.Round(v / sum * weightOne))
			all = append(all, q)
			total += q
			if abs32(q) > abs32(all[start+big]) {
				big = i
			}
		}
		all[start+big] += weightOne - total
		ws := all[start:]
		first := 0
		for first < len(ws)-1 && ws[first] == 0 {
			first++
		}
		last := len(ws)
		for last > first+1 && ws[last-1] == 0 {
			last--
		}
		t[x] = taps{start: lo + first, weights: ws[first:last:last]}
	}
	return t
}

func lanczos(x float64) float64 {
	if x == 0 {
		return 1
	}
	if x <= -lanczosLobes || x >= lanczosLobes {
		return 0
	}
	px := math.Pi * x
	return lanczosLobes * math.Sin(px) * math.Sin(px/lanczosLobes) / (px * px)
}

func abs32(v int32) int32 {
	if v < 0 {
		return -v
	}
	return v
}

// clamp8 rounds a fixed-point sum and saturates it to a byte; Lanczos' negative lobes overshoot at hard edges.
func clamp8(v int32) uint8 {
	v = (v + weightHalf) >> weightBits
	if uint32(v) > 255 {
		return uint8(^(v >> 31)) // 0 for negatives, 255 for overflow
	}
	return uint8(v)
}

// rowCost is how much more a multiply-add costs in resizeRows than in resizeColumns. Both passes run the same
// kernel (dot4) on lane words they spread once per input sample, and timed on amd64 on the pipeline's shapes
// (2176x1224 to 1920x1080, 1088x1224 to 960x540, 1920x1080 to 640x360, 3000x2000 to 1920x1280) the order this
// picks with 1 is as fast or faster than the other; the scalar passes before them needed 2.4.
const rowCost = 1.0

// resizePlane resamples src to w x h in two separable passes (resizer). A plane that already has the size is
// returned as is; nothing downstream writes to a plane it was given.
func resizePlane(src plane, w, h int) plane {
	return newResizer(src.w, src.h, w, h).resize(src)
}

// resizer resamples planes of one size to another: an integer box shrink when the ratio is large (shrinkFactors),
// then Lanczos-3 in two separable passes, in whichever order does less work: filtering columns first pays off when
// the height shrinks a lot, because the row pass then has fewer rows to do. Planning once serves both chroma
// planes, which share their size and so their taps: computing taps (two sines each) is a tenth of the resize
// otherwise.
type resizer struct {
	srcW, srcH int
	w, h       int
	kx, ky     int    // box factors; 1 for none
	tx, ty     []taps // nil when that side keeps its size after the box shrink
	colsFirst  bool
}

func newResizer(srcW, srcH, w, h int) *resizer {
	r := &resizer{srcW: srcW, srcH: srcH, w: w, h: h, kx: 1, ky: 1}
	if w == srcW && h == srcH {
		return r
	}
	r.kx, r.ky = shrinkFactors(srcW, srcH, w, h)
	bw, bh := ceilDiv(srcW, r.kx), ceilDiv(srcH, r.ky) // the box-shrunk size
	var nx, ny float64                                 // multiply-adds per output row and per output column
	if w != bw {
		r.tx = lanczosTaps(bw, w)
		nx = tapCount(r.tx)
	}
	if h != bh {
		r.ty = lanczosTaps(bh, h)
		ny = tapCount(r.ty)
	}
	rowsFirst := rowCost*nx*float64(bh) + ny*float64(w)
	colsFirst := ny*float64(bw) + rowCost*nx*float64(h)
	r.colsFirst = r.tx != nil && r.ty != nil && rowsFirst > colsFirst
	return r
}

// resize resamples src, which must be srcW x srcH.
func (r *resizer) resize(src plane) plane {
	if r.w == src.w && r.h == src.h {
		return src
	}
	if r.kx > 1 || r.ky > 1 {
		src = boxShrink(src, r.kx, r.ky)
	}
	if r.colsFirst {
		return resizeRowsTo(resizeCols(src, r.h, r.ty), r.w, r.tx)
	}
	return resizeCols(resizeRowsTo(src, r.w, r.tx), r.h, r.ty)
}

func tapCount(t []taps) float64 {
	n := 0
	for _, x := range t {
		n += len(x.weights)
	}
	return float64(n)
}

// resizeRowsTo and resizeCols run one pass into a new plane, or return src when t is nil (no change that way).
func resizeRowsTo(src plane, w int, t []taps) plane {
	if t == nil {
		return src
	}
	dst := newPlane(w, src.h)
	resizeRows(src, dst, t)
	return dst
}

func resizeCols(src plane, h int, t []taps) plane {
	if t == nil {
		return src
	}
	dst := newPlane(src.w, h)
	resizeColumns(src, dst, t)
	return dst
}

// The two passes do their multiply-adds two samples at a time in one uint64, a SIMD-within-a-register trick that
// Go compiles well on amd64 and arm64 alike: a sample goes in each 32-bit half (lane) of a word, one 64-bit
// multiply by a weight multiplies both, and one add accumulates both. A lane's true sum, a few million at most
// (255 times the weights' absolute sum, under 2^23), never reaches the other lane because every lane starts at
// laneBias, which keeps it positive: the two sums come out exact, whatever the sign of the weights, and adding
// weightHalf to the bias rounds them as clamp8 does. laneBias is a multiple of weightOne, so a lane shifted right
// by weightBits is the rounded sample plus laneBias>>weightBits.
const (
	laneLow  = 0x000000ff000000ff // the lowest byte of each lane
	laneBias = 1 << 30
	laneInit = (laneBias + weightHalf) * (1 + 1<<32)
)

// unlane returns the two samples of an accumulator, each rounded and saturated to a byte as clamp8 does.
func unlane(a uint64) (lo, hi uint8) {
	return clampLane(uint32(a)), clampLane(uint32(a >> 32))
}

func clampLane(v uint32) uint8 {
	s := int32(v>>weightBits) - laneBias>>weightBits
	if uint32(s) > 255 {
		return uint8(^(s >> 31)) // 0 for negatives, 255 for overflow
	}
	return uint8(s)
}

// resizeRows filters each row of src into the row of dst with the same index. It filters eight rows at once: they
// share every output sample's taps, so each weight is loaded once for eight multiply-adds, and the per-sample
// bookkeeping is paid once per eight rows. The eight rows are first interleaved into four words per column, rows
// j and j+4 in word j's lanes, so that a tap is four loads, four multiplies and four adds for eight samples (dot4).
// Planes of fewer than eight rows, a strip's, go one row at a time, so the interleaved copy (32 bytes a column)
// never outweighs the plane itself.
func resizeRows(src, dst plane, t []taps) {
	if src.h < 8 {
		for y := range src.h {
			r, o := src.pix[y*src.stride:][:src.w], dst.pix[y*dst.stride:][:dst.w]
			for x := range o {
				ws := t[x].weights
				in := r[t[x].start:]
				in = in[:len(ws)]
				var a int32
				for k, w := range ws {
					a += int32(in[k]) * w
				}
				o[x] = clamp8(a)
			}
		}
		return
	}
	packed := make([]uint64, 4*src.w)
	for y := 0; y < src.h; y += 8 {
		// The last few rows go as eight again, overlapping rows already done, which come out the same.
		resizeRows8(src, dst, t, min(y, src.h-8), packed)
	}
}

// resizeRows8 filters rows y to y+7. packed holds 4*src.w words.
func resizeRows8(src, dst plane, t []taps, y int, packed []uint64) {
	row := func(p plane, i int) []uint8 { return p.pix[(y+i)*p.stride:][:p.w] }
	n := src.w
	{
		r0, r1, r2, r3 := row(src, 0), row(src, 1), row(src, 2), row(src, 3)
		r4, r5, r6, r7 := row(src, 4), row(src, 5), row(src, 6), row(src, 7)
		r0, r1, r2, r3, r4, r5, r6, r7 = r0[:n], r1[:n], r2[:n], r3[:n], r4[:n], r5[:n], r6[:n], r7[:n]
		for x := range r0 {
			p := packed[4*x : 4*x+4 : 4*x+4]
			p[0] = uint64(r0[x]) | uint64(r4[x])<<32
			p[1] = uint64(r1[x]) | uint64(r5[x])<<32
			p[2] = uint64(r2[x]) | uint64(r6[x])<<32
			p[3] = uint64(r3[x]) | uint64(r7[x])<<32
		}
	}
	o0, o1, o2, o3 := row(dst, 0), row(dst, 1), row(dst, 2), row(dst, 3)
	o4, o5, o6, o7 := row(dst, 4), row(dst, 5), row(dst, 6), row(dst, 7)
	m := len(o0)
	o1, o2, o3, o4, o5, o6, o7 = o1[:m], o2[:m], o3[:m], o4[:m], o5[:m], o6[:m], o7[:m]
	t = t[:m]
	for x := range o0 {
		a0, a1, a2, a3 := dot4(packed, 4*t[x].start, 4, t[x].weights)
		o0[x], o4[x] = unlane(a0)
		o1[x], o5[x] = unlane(a1)
		o2[x], o6[x] = unlane(a2)
		o3[x], o7[x] = unlane(a3)
	}
}

// resizeColumns filters columns eight samples at a time. Each input row is spread once into lane words, four for
// every eight samples (bytes 0 and 4 in the first word, 1 and 5 in the second...), and kept in a ring of the last
// rows the taps reach; each output group of eight is then dot4 down the ring, with its eight sums in registers
// until they are stored. A row is spread once however many outputs read it, and every read is sequential. The ring
// holds each row twice, at slot and slot+size, so that the rows of any output's taps lie at one stride from each
// other without wrapping. A plane narrower than eight samples goes one sample at a time; otherwise the last group
// overlaps the one before, and its overlapping samples come out the same.
func resizeColumns(src, dst plane, t []taps) {
	n := dst.w
	if n < 8 {
		for y := range dst.h {
			ws, start := t[y].weights, t[y].start
			out := dst.pix[y*dst.stride:][:n]
			for x := range out {
				var a int32
				for k, w := range ws {
					a += int32(src.pix[(start+k)*src.stride+x]) * w
				}
				out[x] = clamp8(a)
			}
		}
		return
	}
	groups := (n + 7) / 8
	at := func(g int) int { return min(8*g, n-8) } // where group g starts
	size := 0                                      // ring slots: the most rows one output reads
	for _, tp := range t {
		size = max(size, len(tp.weights))
	}
	words := 4 * groups // per row
	ring := make([]uint64, 2*size*words)
	next := 0 // the next input row to spread
	for y := range dst.h {
		ws, start := t[y].weights, t[y].start
		for ; next < start+len(ws); next++ {
			row := src.pix[next*src.stride:][:n]
			slot := next % size
			a, b := ring[slot*words:][:words], ring[(slot+size)*words:][:words]
			for g := range groups {
				v := binary.LittleEndian.Uint64(row[at(g):][:8])
				wa, wb := a[4*g:4*g+4:4*g+4], b[4*g:4*g+4:4*g+4]
				wa[0], wb[0] = v&laneLow, v&laneLow
				wa[1], wb[1] = v>>8&laneLow, v>>8&laneLow
				wa[2], wb[2] = v>>16&laneLow, v>>16&laneLow
				wa[3], wb[3] = v>>24&laneLow, v>>24&laneLow
			}
		}
		base := (start % size) * words
		out := dst.pix[y*dst.stride:][:n]
		for g := range groups {
			a0, a1, a2, a3 := dot4(ring, base+4*g, words, ws)
			x := at(g)
			o := out[x : x+8 : x+8]
			o[0], o[4] = unlane(a0)
			o[1], o[5] = unlane(a1)
			o[2], o[6] = unlane(a2)
			o[3], o[7] = unlane(a3)
		}
	}
}

// dot4 returns four lane accumulators: the sums over the taps ws of p's four words at off, off+stride, ... times
// each weight. It is a function of its own, not inlined, because only then does the compiler keep the four sums
// in registers: inlined into either pass, the pass's own variables push them onto the stack.
//
//go:noinline
func dot4(p []uint64, off, stride int, ws []int32) (a0, a1, a2, a3 uint64) {
	a0, a1, a2, a3 = laneInit, laneInit, laneInit, laneInit
	for _, w := range ws {
		q := p[off : off+4 : off+4]
		w := uint64(int64(w))
		a0 += q[0] * w
		a1 += q[1] * w
		a2 += q[2] * w
		a3 += q[3] * w
		off += stride
	}
	return a0, a1, a2, a3
}
