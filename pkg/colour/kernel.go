package colour

import (
	"math"
	"sync"
)

// This file holds the per-pixel arithmetic: integer only, on interleaved rows of 8-bit (or 16-bit) samples.

// encode8 maps 16-bit linear light (65535 = 1) to 8-bit sRGB. Indexing by 16 bits keeps the steep start of the
// sRGB curve (slope 12.92) within 0.05 of an 8-bit step. It is the same for every transform, so built once.
var encode8 = sync.OnceValue(func() *[65536]uint8 {
	var t [65536]uint8
	for i := range t {
		t[i] = uint8(math.Round(255 * srgbEncode(float64(i)/65535)))
	}
	return &t
})

// shaper is a matrix/TRC profile linked to sRGB: linearise each channel by table, one fixed-point 3x3 matrix
// (the profile's colourants, black point compensation and sRGB's inverse colourants folded together), then the
// sRGB encoding by table. It is exact up to 16-bit quantisation of linear light.
type shaper struct {
	lin8  [3][256]int32  // 8-bit device value to linear light, 65535 = 1
	lin16 [3][4097]int32 // the same every 16 steps of a 16-bit value, interpolated
	m     [3][3]int64    // 16.16 fixed point
	off   [3]int64       // in linear units times 65536
	enc   *[65536]uint8
}

func newShaper(p *Profile, md *model) *shaper {
	s := &shaper{enc: encode8()}
	for c := 0; c < 3; c++ {
		for i := 0; i < 256; i++ {
			s.lin8[c][i] = int32(math.Round(65535 * clamp01(p.trc[c].eval(float64(i)/255))))
		}
		for i := 0; i < 4097; i++ {
			s.lin16[c][i] = int32(math.Round(65535 * clamp01(p.trc[c].eval(math.Min(1, float64(i)*16/65535)))))
		}
	}
	// m = xyzToSRGB * diag(bpc scale) * colourants; off = xyzToSRGB * bpc shift.
	var bpc mat3
	for i := 0; i < 3; i++ {
		bpc[i][i] = md.scale[i]
	}
	a := bpc.mul(&p.matrix)
	m := xyzToSRGB.mul(&a)
	off := xyzToSRGB.apply(md.shift)
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			s.m[i][j] = int64(math.Round(m[i][j] * 65536))
		}
		s.off[i] = int64(math.Round(off[i] * 65535 * 65536))
	}
	return s
}

// px converts one pixel given as linear light.
func (s *shaper) px(r, g, b int64) (uint8, uint8, uint8) {
	m := &s.m
	const half = 1 << 15
	x := (m[0][0]*r + m[0][1]*g + m[0][2]*b + s.off[0] + half) >> 16
	y := (m[1][0]*r + m[1][1]*g + m[1][2]*b + s.off[1] + half) >> 16
	z := (m[2][0]*r + m[2][1]*g + m[2][2]*b + s.off[2] + half) >> 16
	return s.enc[clamp16(x)], s.enc[clamp16(y)], s.enc[clamp16(z)]
}

func clamp16(v int64) uint16 {
	if v < 0 {
		return 0
	}
	if v > 65535 {
		return 65535
	}
	return uint16(v)
}

// grid is a profile linked to sRGB and sampled on n points per device axis: sRGB values in 8.8 fixed point
// (255 << 8 = 1), three per node, the last device channel varying fastest.
type grid struct {
	in, n  int
	data   []uint16
	stride [maxIn]int
	idx8   [256]int32 // grid cell of each 8-bit value (0..n-2)
	frac8  [256]int32 // position inside the cell, 16 bits (65536 = the next node)
}

// sampleGrid evaluates the model at every node. It is the expensive part of building a transform (36k nodes for
// RGB, 84k for CMYK, about a microsecond each), which is why transforms are cached.
func sampleGrid(md *model, in, n int) *grid {
	g := &grid{in: in, n: n}
	size := 3
	for i := in - 1; i >= 0; i-- {
		g.stride[i] = size
		size *= n
	}
	g.data = make([]uint16, size)
	dev := make([]float64, in)
	var idx [maxIn]int
	for node := 0; node < size/3; node++ {
		rem := node
		for i := in - 1; i >= 0; i-- {
			idx[i] = rem % n
			rem /= n
			dev[i] = float64(idx[i]) / float64(n-1)
		}
		o := md.encoded(dev)
		for k := 0; k < 3; k++ {
			g.data[3*node+k] = uint16(math.Round(o[k] * 65280))
		}
	}
	for v := 0; v < 256; v++ {
		g.idx8[v], g.frac8[v] = cell16(uint32(v)*257, n)
	}
	return g
}

// cell16 splits a 16-bit value into a grid cell and a 16-bit fraction. The top value lands at fraction 65536 of
// the last cell, so the upper neighbour is always inside the grid.
func cell16(v uint32, n int) (int32, int32) {
	pos := uint64(v) * uint64(n-1) << 16 / 65535
	i := int32(pos >> 16)
	if int(i) > n-2 {
		i = int32(n - 2)
	}
	return i, int32(int64(pos) - int64(i)<<16)
}

// tetra interpolates the three axes starting at base, with fractions fx, fy, fz (65536 = 1) along strides
// X, Y, Z, and returns 8.8 fixed-point values. The tetrahedra are lcms' TetrahedralInterp16.
func (g *grid) tetra(base int, fx, fy, fz int64, X, Y, Z int) (int64, int64, int64) {
	d := g.data[base : base+X+Y+Z+3]
	var o [3]int64
	for k := 0; k < 3; k++ {
		c0 := int64(d[k])
		var c1, c2, c3 int64
		switch {
		case fx >= fy && fy >= fz:
			c1, c2, c3 = int64(d[X+k])-c0, int64(d[X+Y+k])-int64(d[X+k]), int64(d[X+Y+Z+k])-int64(d[X+Y+k])
		case fx >= fz && fz >= fy:
			c1, c2, c3 = int64(d[X+k])-c0, int64(d[X+Y+Z+k])-int64(d[X+Z+k]), int64(d[X+Z+k])-int64(d[X+k])
		case fz >= fx && fx >= fy:
			c1, c2, c3 = int64(d[X+Z+k])-int64(d[Z+k]), int64(d[X+Y+Z+k])-int64(d[X+Z+k]), int64(d[Z+k])-c0
		case fy >= fx && fx >= fz:
			c1, c2, c3 = int64(d[X+Y+k])-int64(d[Y+k]), int64(d[Y+k])-c0, int64(d[X+Y+Z+k])-int64(d[X+Y+k])
		case fy >= fz && fz >= fx:
			c1, c2, c3 = int64(d[X+Y+Z+k])-int64(d[Y+Z+k]), int64(d[Y+k])-c0, int64(d[Y+Z+k])-int64(d[Y+k])
		default:
			c1, c2, c3 = int64(d[X+Y+Z+k])-int64(d[Y+Z+k]), int64(d[Y+Z+k])-int64(d[Z+k]), int64(d[Z+k])-c0
		}
		o[k] = c0 + (c1*fx+c2*fy+c3*fz+1<<15)>>16
	}
	return o[0], o[1], o[2]
}

// to8 rounds an 8.8 fixed-point value to 8 bits.
func to8(v int64) uint8 {
	v = (v + 128) >> 8
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

// rgb converts one RGB pixel given as grid cells and fractions.
func (g *grid) rgb(ir, ig, ib int32, fr, fg, fb int64) (uint8, uint8, uint8) {
	X, Y, Z := g.stride[0], g.stride[1], g.stride[2]
	r, gg, b := g.tetra(int(ir)*X+int(ig)*Y+int(ib)*Z, fr, fg, fb, X, Y, Z)
	return to8(r), to8(gg), to8(b)
}

// cmyk converts one CMYK pixel: tetrahedral over M, Y, K in the two C slices around c, then linear along C, as
// lcms' Eval4Inputs does.
func (g *grid) cmyk(c, m, y, k uint8) (uint8, uint8, uint8) {
	C, X, Y, Z := g.stride[0], g.stride[1], g.stride[2], g.stride[3]
	base := int(g.idx8[c])*C + int(g.idx8[m])*X + int(g.idx8[y])*Y + int(g.idx8[k])*Z
	fm, fy, fk := int64(g.frac8[m]), int64(g.frac8[y]), int64(g.frac8[k])
	r0, g0, b0 := g.tetra(base, fm, fy, fk, X, Y, Z)
	fc := int64(g.frac8[c])
	if fc == 0 {
		return to8(r0), to8(g0), to8(b0)
	}
	r1, g1, b1 := g.tetra(base+C, fm, fy, fk, X, Y, Z)
	const half = 1 << 15
	return to8(r0 + ((r1-r0)*fc+half)>>16), to8(g0 + ((g1-g0)*fc+half)>>16), to8(b0 + ((b1-b0)*fc+half)>>16)
}

// rgbRow converts interleaved 8-bit RGB in place.
func (t *Transform) rgbRow(px []uint8) {
	switch {
	case t.identity:
	case t.shaper != nil:
		s := t.shaper
		for i := 0; i+2 < len(px); i += 3 {
			p := px[i : i+3 : i+3]
			p[0], p[1], p[2] = s.px(int64(s.lin8[0][p[0]]), int64(s.lin8[1][p[1]]), int64(s.lin8[2][p[2]]))
		}
	case t.grid != nil:
		g := t.grid
		for i := 0; i+2 < len(px); i += 3 {
			p := px[i : i+3 : i+3]
			p[0], p[1], p[2] = g.rgb(g.idx8[p[0]], g.idx8[p[1]], g.idx8[p[2]],
				int64(g.frac8[p[0]]), int64(g.frac8[p[1]]), int64(g.frac8[p[2]]))
		}
	}
}

// rgb16 converts one 16-bit RGB pixel to 8-bit sRGB.
func (t *Transform) rgb16(r, g, b uint16) (uint8, uint8, uint8) {
	switch {
	case t.shaper != nil:
		s := t.shaper
		return s.px(lin16(&s.lin16[0], r), lin16(&s.lin16[1], g), lin16(&s.lin16[2], b))
	case t.grid != nil:
		gr := t.grid
		ir, fr := cell16(uint32(r), gr.n)
		ig, fg := cell16(uint32(g), gr.n)
		ib, fb := cell16(uint32(b), gr.n)
		return gr.rgb(ir, ig, ib, int64(fr), int64(fg), int64(fb))
	}
	return uint8((uint32(r)*255 + 32767) / 65535), uint8((uint32(g)*255 + 32767) / 65535), uint8((uint32(b)*255 + 32767) / 65535)
}

func lin16(t *[4097]int32, v uint16) int64 {
	i, f := v>>4, int64(v&15)
	a, b := int64(t[i]), int64(t[i+1])
	return a + ((b-a)*f+8)>>4
}

// gray16to8 converts a 16-bit gray value with gray16.
func (t *Transform) gray16to8(v uint16) uint8 {
	if t.gray16 == nil { // an RGB profile on 16-bit gray: its 8-bit neutral axis
		return t.gray8[(uint32(v)*255+32767)/65535]
	}
	i, f := v>>4, int64(v&15)
	a, b := int64(t.gray16[i]), int64(t.gray16[i+1])
	return to8(a + ((b-a)*f+8)>>4)
}
