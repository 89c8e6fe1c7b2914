package colour

import (
	"encoding/binary"
	"fmt"
)

// Tag types of multi-dimensional device-to-PCS tables.
const (
	typeMft1 = 0x6D667431 // 'mft1': lut8Type
	typeMft2 = 0x6D667432 // 'mft2': lut16Type
	typeMAB  = 0x6D414220 // 'mAB ': lutAToBType (v4)
)

// maxGridPoints bounds the sampled nodes of a CLUT, times its outputs. 17^4*3 for a typical CMYK profile is
// 250k; 33^4*3 (3.5M) is the largest seen in press profiles. The bound keeps a forged grid from allocating
// gigabytes from a tag that is checked against the profile's length only after the multiplication.
const maxGridValues = 1 << 23

// lut is a device-to-PCS table in the general order of ICC lutAToBType: A curves, CLUT, M curves, matrix,
// B curves. lut8Type and lut16Type map onto it as matrix-free input tables, CLUT and output tables, plus
// the 3x3 matrix that lcms applies first when there are three inputs.
type lut struct {
	in, out int
	legacy  bool     // lut16Type: a Lab PCS uses the v2 encoding, 0xFF00 for L* = 100
	preMat  *mat3    // mft1/mft2 matrix, applied before the input tables
	aCurves []*curve // one per input, may be nil
	clut    *clut
	mCurves []*curve // one per output, may be nil
	matrix  *mat3    // 'mAB ' matrix with offset
	offset  [3]float64
	bCurves []*curve // one per output, may be nil
}

// clut is a sampled grid with 16-bit values normalised to [0, 1].
type clut struct {
	in, out int
	grid    [maxIn]int // points per input
	stride  [maxIn]int // values between neighbours along each input
	data    []uint16
}

// maxIn is the most device channels a supported space has (CMYK).
const maxIn = 4

// decodeLUT reads an A2Bx tag with in device channels and out PCS channels.
func decodeLUT(raw []byte, in, out int) (*lut, error) {
	if len(raw) < 32 {
		return nil, fmt.Errorf("%w: LUT too short", ErrInvalid)
	}
	be := binary.BigEndian
	typ := be.Uint32(raw)
	switch typ {
	case typeMft1, typeMft2, typeMAB:
	default:
		return nil, fmt.Errorf("%w: A2B tag of type %s", ErrUnsupported, sigString(typ))
	}
	if int(raw[8]) != in || int(raw[9]) != out {
		return nil, fmt.Errorf("%w: LUT maps %d to %d channels, want %d to %d", ErrInvalid, raw[8], raw[9], in, out)
	}
	if typ == typeMAB {
		return decodeMAB(raw, in, out)
	}
	return decodeMft(raw, typ == typeMft2, in, out)
}

// decodeMft reads lut8Type and lut16Type (ICC.1 10.8, 10.9).
func decodeMft(raw []byte, wide bool, in, out int) (*lut, error) {
	be := binary.BigEndian
	l := &lut{in: in, out: out, legacy: wide}
	grid := int(raw[10])
	if grid == 1 {
		return nil, fmt.Errorf("%w: CLUT with one grid point", ErrInvalid)
	}
	if len(raw) < 48 {
		return nil, fmt.Errorf("%w: LUT too short", ErrInvalid)
	}
	var m mat3
	for i := 0; i < 9; i++ {
		m[i/3][i%3] = s15f16(raw[12+4*i:])
	}
	if in == 3 && m != identity3 {
		l.preMat = &m
	}
	inEntries, outEntries, p := 256, 256, 48
	if wide {
		if len(raw) < 52 {
			return nil, fmt.Errorf("%w: LUT too short", ErrInvalid)
		}
		inEntries, outEntries, p = int(be.Uint16(raw[48:])), int(be.Uint16(raw[50:])), 52
		if inEntries < 2 || outEntries < 2 || inEntries > 4096 || outEntries > 4096 {
			return nil, fmt.Errorf("%w: LUT tables of %d and %d entries", ErrInvalid, inEntries, outEntries)
		}
	}
	size := 1
	if wide {
		size = 2
	}
	// table reads n samples of the tag's precision, normalised to 16 bits.
	table := func(n int) ([]uint16, error) {
		if p+n*size > len(raw) {
			return nil, fmt.Errorf("%w: LUT truncated", ErrInvalid)
		}
		t := make([]uint16, n)
		for i := range t {
			if wide {
				t[i] = be.Uint16(raw[p+2*i:])
			} else {
				t[i] = uint16(raw[p+i]) * 257
			}
		}
		p += n * size
		return t, nil
	}
	l.aCurves = make([]*curve, in)
	for i := range l.aCurves {
		t, err := table(inEntries)
		if err != nil {
			return nil, err
		}
		l.aCurves[i] = tableCurve(t)
	}
	if grid > 0 {
		c, err := newCLUT(in, out, [maxIn]int{grid, grid, grid, grid})
		if err != nil {
			return nil, err
		}
		t, err := table(len(c.data))
		if err != nil {
			return nil, err
		}
		c.data = t
		l.clut = c
	}
	l.bCurves = make([]*curve, out)
	for i := range l.bCurves {
		t, err := table(outEntries)
		if err != nil {
			return nil, err
		}
		l.bCurves[i] = tableCurve(t)
	}
	return l, nil
}

// decodeMAB reads lutAToBType (ICC.1 10.12). Each element is optional except the B curves; offsets are from the
// start of the tag.
func decodeMAB(raw []byte, in, out int) (*lut, error) {
	be := binary.BigEndian
	l := &lut{in: in, out: out}
	offB, offMat, offM, offC, offA := be.Uint32(raw[12:]), be.Uint32(raw[16:]), be.Uint32(raw[20:]), be.Uint32(raw[24:]), be.Uint32(raw[28:])
	at := func(off uint32) ([]byte, error) {
		if off < 32 || uint64(off) >= uint64(len(raw)) {
			return nil, fmt.Errorf("%w: 'mAB ' element offset %d out of bounds", ErrInvalid, off)
		}
		return raw[off:], nil
	}
	curves := func(off uint32, n int) ([]*curve, error) {
		if off == 0 {
			return nil, nil
		}
		b, err := at(off)
		if err != nil {
			return nil, err
		}
		cs := make([]*curve, n)
		for i := range cs {
			c, size, err := decodeCurve(b)
			if err != nil {
				return nil, err
			}
			cs[i] = c
			if size > len(b) {
				size = len(b) // the last curve's padding may be missing
			}
			b = b[size:]
		}
		return cs, nil
	}
	var err error
	if l.aCurves, err = curves(offA, in); err != nil {
		return nil, err
	}
	if offC != 0 {
		b, err := at(offC)
		if err != nil {
			return nil, err
		}
		if len(b) < 20 {
			return nil, fmt.Errorf("%w: CLUT truncated", ErrInvalid)
		}
		var grid [maxIn]int
		for i := 0; i < in; i++ {
			grid[i] = int(b[i])
		}
		c, err := newCLUT(in, out, grid)
		if err != nil {
			return nil, err
		}
		prec := int(b[16])
		if prec != 1 && prec != 2 {
			return nil, fmt.Errorf("%w: CLUT precision %d", ErrInvalid, prec)
		}
		if 20+prec*len(c.data) > len(b) {
			return nil, fmt.Errorf("%w: CLUT truncated", ErrInvalid)
		}
		for i := range c.data {
			if prec == 2 {
				c.data[i] = be.Uint16(b[20+2*i:])
			} else {
				c.data[i] = uint16(b[20+i]) * 257
			}
		}
		l.clut = c
	} else if in != out {
		return nil, fmt.Errorf("%w: 'mAB ' maps %d to %d channels without a CLUT", ErrInvalid, in, out)
	}
	if l.mCurves, err = curves(offM, out); err != nil {
		return nil, err
	}
	if offMat != 0 {
		b, err := at(offMat)
		if err != nil {
			return nil, err
		}
		if len(b) < 48 {
			return nil, fmt.Errorf("%w: matrix truncated", ErrInvalid)
		}
		var m mat3
		for i := 0; i < 9; i++ {
			m[i/3][i%3] = s15f16(b[4*i:])
		}
		l.matrix = &m
		for i := 0; i < 3; i++ {
			l.offset[i] = s15f16(b[36+4*i:])
		}
	}
	if offB == 0 {
		return nil, fmt.Errorf("%w: 'mAB ' without B curves", ErrInvalid)
	}
	if l.bCurves, err = curves(offB, out); err != nil {
		return nil, err
	}
	return l, nil
}

// splittable reports whether the LUT can be evaluated in two parts, input curves then the rest, which lets a
// transform put its sampling grid on the CLUT's own nodes.
func (l *lut) splittable() bool {
	return l.preMat == nil && l.clut != nil && len(l.aCurves) == l.in
}

// newCLUT allocates a CLUT after checking that its size is sane.
func newCLUT(in, out int, grid [maxIn]int) (*clut, error) {
	c := &clut{in: in, out: out, grid: grid}
	n := out
	for i := in - 1; i >= 0; i-- {
		if grid[i] < 2 {
			return nil, fmt.Errorf("%w: CLUT with %d grid points", ErrInvalid, grid[i])
		}
		c.stride[i] = n
		n *= grid[i]
		if n > maxGridValues {
			return nil, fmt.Errorf("%w: CLUT too large", ErrUnsupported)
		}
	}
	c.data = make([]uint16, n)
	return c, nil
}

// eval runs the LUT on device values in [0, 1] and returns the normalised PCS values. With skipA, dev is taken as
// already through the input curves: a transform samples the rest of the LUT on the CLUT's own grid coordinates.
func (l *lut) eval(dev []float64, skipA bool) [3]float64 {
	var v [maxIn]float64
	copy(v[:], dev)
	if !skipA {
		if l.preMat != nil {
			r := l.preMat.apply([3]float64{v[0], v[1], v[2]})
			v[0], v[1], v[2] = r[0], r[1], r[2]
		}
		for i, c := range l.aCurves {
			v[i] = c.eval(v[i])
		}
	}
	var o [3]float64
	if l.clut != nil {
		o = l.clut.eval(v[:l.in])
	} else {
		o = [3]float64{v[0], v[1], v[2]}
	}
	for i, c := range l.mCurves {
		o[i] = c.eval(o[i])
	}
	if l.matrix != nil {
		o = l.matrix.apply(o)
		for i := range o {
			o[i] += l.offset[i]
		}
	}
	for i, c := range l.bCurves {
		o[i] = c.eval(o[i])
	}
	return o
}

// eval interpolates the grid the way lcms' floating-point evaluators do: tetrahedral for three inputs, and for
// more, linear along the first input between two evaluations of the rest.
func (c *clut) eval(in []float64) [3]float64 {
	var o [3]float64
	c.evalAt(in, 0, 0, o[:])
	return o
}

func (c *clut) evalAt(in []float64, dim, base int, o []float64) {
	n := c.in - dim
	switch n {
	case 1:
		i, f := cell(in[dim], c.grid[dim])
		s := c.stride[dim]
		for k := 0; k < c.out; k++ {
			a, b := float64(c.data[base+i*s+k]), float64(c.data[base+(i+1)*s+k])
			o[k] = (a + (b-a)*f) / 65535
		}
	case 3:
		c.tetra(in[dim:], dim, base, o)
	default: // 2 or 4+: linear along this input between two evaluations of the remaining ones
		i, f := cell(in[dim], c.grid[dim])
		var lo, hi [3]float64
		c.evalAt(in, dim+1, base+i*c.stride[dim], lo[:])
		c.evalAt(in, dim+1, base+(i+1)*c.stride[dim], hi[:])
		for k := 0; k < c.out; k++ {
			o[k] = lo[k] + (hi[k]-lo[k])*f
		}
	}
}

// cell returns the lower grid index and the fraction for v in [0, 1] on a grid of n points. The index is at most
// n-2 so that the upper neighbour always exists; v = 1 gives fraction 1.
func cell(v float64, n int) (int, float64) {
	pos := clamp01(v) * float64(n-1)
	i := int(pos)
	if i > n-2 {
		i = n - 2
	}
	return i, pos - float64(i)
}

// tetra interpolates three inputs starting at input dim. The six tetrahedra of the cube are those of lcms'
// TetrahedralInterpFloat; each output is the base corner plus three edge differences weighted by the fractions.
func (c *clut) tetra(in []float64, dim, base int, o []float64) {
	ix, fx := cell(in[0], c.grid[dim])
	iy, fy := cell(in[1], c.grid[dim+1])
	iz, fz := cell(in[2], c.grid[dim+2])
	X, Y, Z := c.stride[dim], c.stride[dim+1], c.stride[dim+2]
	b := base + ix*X + iy*Y + iz*Z
	d := c.data
	for k := 0; k < c.out; k++ {
		at := func(off int) float64 { return float64(d[b+off+k]) }
		c0 := at(0)
		var c1, c2, c3 float64
		switch {
		case fx >= fy && fy >= fz:
			c1, c2, c3 = at(X)-c0, at(X+Y)-at(X), at(X+Y+Z)-at(X+Y)
		case fx >= fz && fz >= fy:
			c1, c2, c3 = at(X)-c0, at(X+Y+Z)-at(X+Z), at(X+Z)-at(X)
		case fz >= fx && fx >= fy:
			c1, c2, c3 = at(X+Z)-at(Z), at(X+Y+Z)-at(X+Z), at(Z)-c0
		case fy >= fx && fx >= fz:
			c1, c2, c3 = at(X+Y)-at(Y), at(Y)-c0, at(X+Y+Z)-at(X+Y)
		case fy >= fz && fz >= fx:
			c1, c2, c3 = at(X+Y+Z)-at(Y+Z), at(Y)-c0, at(Y+Z)-at(Y)
		default: // fz >= fy >= fx
			c1, c2, c3 = at(X+Y+Z)-at(Y+Z), at(Y+Z)-at(Z), at(Z)-c0
		}
		o[k] = (c0 + c1*fx + c2*fy + c3*fz) / 65535
	}
}
