package imageproc

import "math"

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

// rowCost is how much more a multiply-add costs in resizeRows than in resizeColumns (measured on amd64): the
// column pass streams whole rows with fixed weights, the row pass gathers a few samples per output.
const rowCost = 2.4

// resizePlane resamples src to w x h in two separable passes, in whichever order does less work: filtering
// columns first pays off when the height shrinks a lot, because the expensive row pass then has fewer rows to do.
// A plane that already has the size is returned as is; nothing downstream writes to a plane it was given.
func resizePlane(src plane, w, h int) plane {
	if w == src.w && h == src.h {
		return src
	}
	if kx, ky := shrinkFactors(src.w, src.h, w, h); kx > 1 || ky > 1 {
		if src = boxShrink(src, kx, ky); w == src.w && h == src.h {
			return src
		}
	}
	var tx, ty []taps
	var nx, ny float64 // multiply-adds per output row and per output column
	if w != src.w {
		tx = lanczosTaps(src.w, w)
		nx = tapCount(tx)
	}
	if h != src.h {
		ty = lanczosTaps(src.h, h)
		ny = tapCount(ty)
	}
	rowsFirst := rowCost*nx*float64(src.h) + ny*float64(w)
	colsFirst := ny*float64(src.w) + rowCost*nx*float64(h)
	if tx == nil || ty == nil || rowsFirst <= colsFirst {
		return resizeCols(resizeRowsTo(src, w, tx), h, ty)
	}
	return resizeRowsTo(resizeCols(src, h, ty), w, tx)
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

// resizeRows filters each row of src into the row of dst with the same index. It filters four rows at once:
// they share every output sample's taps, so each weight is loaded once for four multiply-adds, and the per-sample
// bookkeeping, which cost as much as the arithmetic, is paid once per four rows.
func resizeRows(src, dst plane, t []taps) {
	row := func(p plane, y int) []uint8 { return p.pix[y*p.stride:][:p.w] }
	y := 0
	for ; y+4 <= src.h; y += 4 {
		r0, r1, r2, r3 := row(src, y), row(src, y+1), row(src, y+2), row(src, y+3)
		o0, o1, o2, o3 := row(dst, y), row(dst, y+1), row(dst, y+2), row(dst, y+3)
		o1, o2, o3 = o1[:len(o0)], o2[:len(o0)], o3[:len(o0)]
		for x := range o0 {
			ws, s := t[x].weights, t[x].start
			i0, i1, i2, i3 := r0[s:], r1[s:], r2[s:], r3[s:]
			i0, i1, i2, i3 = i0[:len(ws)], i1[:len(ws)], i2[:len(ws)], i3[:len(ws)]
			var a0, a1, a2, a3 int32
			for k, w := range ws {
				a0 += int32(i0[k]) * w
				a1 += int32(i1[k]) * w
				a2 += int32(i2[k]) * w
				a3 += int32(i3[k]) * w
			}
			o0[x], o1[x], o2[x], o3[x] = clamp8(a0), clamp8(a1), clamp8(a2), clamp8(a3)
		}
	}
	for ; y < src.h; y++ {
		r, o := row(src, y), row(dst, y)
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
}

// resizeColumns filters columns a whole row at a time: each tap adds one weighted input row to an accumulator
// row, so all memory access is sequential. Taps are taken four at a time, which quarters the accumulator's loads
// and stores.
func resizeColumns(src, dst plane, t []taps) {
	n := dst.w
	acc := make([]int32, n)
	for y := range dst.h {
		clear(acc)
		ws, start := t[y].weights, t[y].start
		row := func(k int) []uint8 { return src.pix[(start+k)*src.stride:][:n] }
		k := 0
		for ; k+4 <= len(ws); k += 4 {
			r0, r1, r2, r3 := row(k), row(k+1), row(k+2), row(k+3)
			w0, w1, w2, w3 := ws[k], ws[k+1], ws[k+2], ws[k+3]
			r0, r1, r2, r3 = r0[:len(acc)], r1[:len(acc)], r2[:len(acc)], r3[:len(acc)]
			for x := range acc {
				acc[x] += int32(r0[x])*w0 + int32(r1[x])*w1 + int32(r2[x])*w2 + int32(r3[x])*w3
			}
		}
		for ; k < len(ws); k++ {
			r, wt := row(k), ws[k]
			r = r[:len(acc)]
			for x := range acc {
				acc[x] += int32(r[x]) * wt
			}
		}
		out := dst.pix[y*dst.stride:]
		out = out[:len(acc)]
		for x, v := range acc {
			out[x] = clamp8(v)
		}
	}
}
