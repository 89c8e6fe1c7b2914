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

// row converts interleaved 8-bit RGB in place. The matrix is held in locals so that the loop runs from
// registers; this loop is most of the cost of converting a photo.
func (s *shaper) row(px []uint8) {
	m := &s.m
	m00, m01, m02 := m[0][0], m[0][1], m[0][2]
	m10, m11, m12 := m[1][0], m[1][1], m[1][2]
	m20, m21, m22 := m[2][0], m[2][1], m[2][2]
	const half = 1 << 15
	o0, o1, o2 := s.off[0]+half, s.off[1]+half, s.off[2]+half
	l0, l1, l2, enc := &s.lin8[0], &s.lin8[1], &s.lin8[2], s.enc
	for i := 0; i+2 < len(px); i += 3 {
		p := px[i : i+3 : i+3]
		r, g, b := int64(l0[p[0]]), int64(l1[p[1]]), int64(l2[p[2]])
		p[0] = enc[uint16(min(max((m00*r+m01*g+m02*b+o0)>>16, 0), 65535))]
		p[1] = enc[uint16(min(max((m10*r+m11*g+m12*b+o1)>>16, 0), 65535))]
		p[2] = enc[uint16(min(max((m20*r+m21*g+m22*b+o2)>>16, 0), 65535))]
	}
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

func clamp16(v int64) uint16 { return uint16(min(max(v, 0), 65535)) }

// grid is a profile linked to sRGB and sampled on a grid of device values, the last axis varying fastest. Each
// node holds linear-light sRGB, 65535 = 1, before clipping: the sRGB encoding and the gamut clip are applied
// after interpolation, as the float pipeline applies them after the profile's own interpolation. (Interpolating
// encoded values instead is off by up to 20 8-bit steps next to the gamut boundary, where a clipped channel
// rises from 0 along the steep start of the sRGB curve between two nodes.)
//
// When the profile is a LUT with input curves, the grid lives in the coordinates after those curves, with its
// nodes on the CLUT's own nodes (every one, or every half or quarter cell): the profile's piecewise-linear
// interpolation is then reproduced exactly, the curves are applied per channel by table, and only the smooth
// part after the CLUT is approximated. A grid over raw device values cuts across the CLUT's cells, which costs
// up to 7 steps on ghostscript's default CMYK profile.
type grid struct {
	in     int
	n      [maxIn]int
	data   []int32
	stride [maxIn]int
	idx8   [maxIn][256]int32    // grid cell of each 8-bit value (0..n-2)
	frac8  [maxIn][256]int32    // position inside the cell, 16 bits (65536 = the next node)
	pre    [maxIn]*[4097]uint16 // grid coordinate (65535 = 1) every 16 steps of a 16-bit value; nil: the value
	enc    *[65536]uint8
}

// sampleGrid evaluates the model at every node. It is the expensive part of building a transform (up to 36k
// nodes for RGB and 84k for CMYK, about half a microsecond each), which is why transforms are cached.
func sampleGrid(md *model, in, target int) *grid {
	g := &grid{in: in, enc: encode8()}
	l := md.p.lut
	split := l != nil && l.splittable()
	for i := 0; i < in; i++ {
		g.n[i] = target
		if split {
			g.n[i] = alignedGrid(l.clut.grid[i], target)
		}
	}
	size := 3
	for i := in - 1; i >= 0; i-- {
		g.stride[i] = size
		size *= g.n[i]
	}
	g.data = make([]int32, size)
	dev := make([]float64, in)
	for node := 0; node < size/3; node++ {
		rem := node
		for i := in - 1; i >= 0; i-- {
			dev[i] = float64(rem%g.n[i]) / float64(g.n[i]-1)
			rem /= g.n[i]
		}
		o := md.linearFrom(dev, split)
		for k := 0; k < 3; k++ {
			v := o[k] * 65535
			if !(v > -1<<24) { // also NaN from a degenerate profile
				v = -1 << 24
			} else if v > 1<<24 {
				v = 1 << 24
			}
			g.data[3*node+k] = int32(math.Round(v))
		}
	}
	for i := 0; i < in; i++ {
		coord := func(v float64) uint32 { return uint32(math.Round(v * 65535)) }
		if split {
			c := l.aCurves[i]
			coord = func(v float64) uint32 { return uint32(math.Round(65535 * clamp01(c.eval(v)))) }
			pre := new([4097]uint16)
			for j := range pre {
				pre[j] = uint16(coord(math.Min(1, float64(j)*16/65535)))
			}
			g.pre[i] = pre
		}
		for v := 0; v < 256; v++ {
			g.idx8[i][v], g.frac8[i][v] = cell16(coord(float64(v)/255), g.n[i])
		}
	}
	return g
}

// alignedGrid returns the largest grid of at most target points whose nodes include all of a CLUT's clutPoints,
// or clutPoints itself when that is already larger than target (but not much: a huge CLUT is sampled off-node
// rather than copied at its size).
func alignedGrid(clutPoints, target int) int {
	n := clutPoints
	for k := 2; (clutPoints-1)*k+1 <= target; k++ {
		n = (clutPoints-1)*k + 1
	}
	if n > target+target/2 {
		return target
	}
	return n
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

// corners picks the tetrahedron of the cube that holds fractions fx, fy, fz (65536 = 1) along strides X, Y, Z:
// the offsets of its two inner corners and the fractions sorted in decreasing order. Going from the base corner
// along the axis of the largest fraction, then the next, to the far corner walks that tetrahedron's edges;
// this is lcms' six-case TetrahedralInterp16 with the case analysis done once per pixel instead of per channel.
func corners(fx, fy, fz int64, X, Y, Z int) (v1, v2 int, f1, f2, f3 int64) {
	switch {
	case fx >= fy && fy >= fz:
		return X, X + Y, fx, fy, fz
	case fx >= fz && fz >= fy:
		return X, X + Z, fx, fz, fy
	case fz >= fx && fx >= fy:
		return Z, X + Z, fz, fx, fy
	case fy >= fx && fx >= fz:
		return Y, X + Y, fy, fx, fz
	case fy >= fz && fz >= fx:
		return Y, Y + Z, fy, fz, fx
	default:
		return Z, Y + Z, fz, fy, fx
	}
}

// tetra interpolates at base, one tetrahedron found by corners, in linear light.
func (g *grid) tetra(base, v1, v2, v3 int, f1, f2, f3 int64) (int64, int64, int64) {
	d := g.data[base : base+v3+3 : base+v3+3]
	a, b, c := d[v1:v1+3:v1+3], d[v2:v2+3:v2+3], d[v3:v3+3:v3+3]
	const half = 1 << 15
	r := int64(d[0]) + ((int64(a[0])-int64(d[0]))*f1+(int64(b[0])-int64(a[0]))*f2+(int64(c[0])-int64(b[0]))*f3+half)>>16
	gg := int64(d[1]) + ((int64(a[1])-int64(d[1]))*f1+(int64(b[1])-int64(a[1]))*f2+(int64(c[1])-int64(b[1]))*f3+half)>>16
	bl := int64(d[2]) + ((int64(a[2])-int64(d[2]))*f1+(int64(b[2])-int64(a[2]))*f2+(int64(c[2])-int64(b[2]))*f3+half)>>16
	return r, gg, bl
}

// rgb converts one RGB pixel given as grid cells and fractions.
func (g *grid) rgb(ir, ig, ib int32, fr, fg, fb int64) (uint8, uint8, uint8) {
	X, Y, Z := g.stride[0], g.stride[1], g.stride[2]
	v1, v2, f1, f2, f3 := corners(fr, fg, fb, X, Y, Z)
	r, gg, b := g.tetra(int(ir)*X+int(ig)*Y+int(ib)*Z, v1, v2, X+Y+Z, f1, f2, f3)
	return g.enc[clamp16(r)], g.enc[clamp16(gg)], g.enc[clamp16(b)]
}

// row converts interleaved 8-bit RGB in place.
func (g *grid) row(px []uint8) {
	X, Y, Z := g.stride[0], g.stride[1], g.stride[2]
	i0, i1, i2 := &g.idx8[0], &g.idx8[1], &g.idx8[2]
	f0, f1, f2 := &g.frac8[0], &g.frac8[1], &g.frac8[2]
	enc := g.enc
	for i := 0; i+2 < len(px); i += 3 {
		p := px[i : i+3 : i+3]
		v1, v2, a, b, c := corners(int64(f0[p[0]]), int64(f1[p[1]]), int64(f2[p[2]]), X, Y, Z)
		r, gg, bl := g.tetra(int(i0[p[0]])*X+int(i1[p[1]])*Y+int(i2[p[2]])*Z, v1, v2, X+Y+Z, a, b, c)
		p[0], p[1], p[2] = enc[clamp16(r)], enc[clamp16(gg)], enc[clamp16(bl)]
	}
}

// cmyk converts one CMYK pixel: tetrahedral over M, Y, K in the two C slices around c, then linear along C, as
// lcms' Eval4Inputs does.
func (g *grid) cmyk(c, m, y, k uint8) (uint8, uint8, uint8) {
	C, X, Y, Z := g.stride[0], g.stride[1], g.stride[2], g.stride[3]
	base := int(g.idx8[0][c])*C + int(g.idx8[1][m])*X + int(g.idx8[2][y])*Y + int(g.idx8[3][k])*Z
	v1, v2, f1, f2, f3 := corners(int64(g.frac8[1][m]), int64(g.frac8[2][y]), int64(g.frac8[3][k]), X, Y, Z)
	r, gg, b := g.tetra(base, v1, v2, X+Y+Z, f1, f2, f3)
	if fc := int64(g.frac8[0][c]); fc != 0 {
		r1, g1, b1 := g.tetra(base+C, v1, v2, X+Y+Z, f1, f2, f3)
		const half = 1 << 15
		r, gg, b = r+((r1-r)*fc+half)>>16, gg+((g1-gg)*fc+half)>>16, b+((b1-b)*fc+half)>>16
	}
	return g.enc[clamp16(r)], g.enc[clamp16(gg)], g.enc[clamp16(b)]
}

// rgbRow converts interleaved 8-bit RGB in place.
func (t *Transform) rgbRow(px []uint8) {
	switch {
	case t.identity:
	case t.shaper != nil:
		t.shaper.row(px)
	case t.grid != nil:
		t.grid.row(px)
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
		ir, fr := gr.cell(0, r)
		ig, fg := gr.cell(1, g)
		ib, fb := gr.cell(2, b)
		return gr.rgb(ir, ig, ib, int64(fr), int64(fg), int64(fb))
	}
	return uint8((uint32(r)*255 + 32767) / 65535), uint8((uint32(g)*255 + 32767) / 65535), uint8((uint32(b)*255 + 32767) / 65535)
}

// cell places a 16-bit device value on axis i.
func (g *grid) cell(i int, v uint16) (int32, int32) {
	u := uint32(v)
	if pre := g.pre[i]; pre != nil {
		j, f := v>>4, uint32(v&15)
		a, b := uint32(pre[j]), uint32(pre[j+1])
		u = (a*(16-f) + b*f + 8) >> 4
	}
	return cell16(u, g.n[i])
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
