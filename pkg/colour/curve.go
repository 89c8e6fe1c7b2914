package colour

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Tag types of one-dimensional curves.
const (
	typeCurv = 0x63757276 // 'curv': identity, a gamma, or a table
	typePara = 0x70617261 // 'para': one of the five parametric functions of ICC.1 10.18
)

// maxCurveEntries bounds a 'curv' table. lcms accepts up to 65530 entries; a real TRC has at most 4096.
const maxCurveEntries = 65536

// curve is a one-dimensional tone curve on [0, 1].
type curve struct {
	kind   int        // curveIdentity, curveTable, curveParam
	table  []uint16   // curveTable: samples spread evenly over [0, 1]
	fn     int        // curveParam: ICC function type 0-4
	params [7]float64 // g, a, b, c, d, e, f
}

const (
	curveIdentity = iota
	curveTable
	curveParam
)

// paramCount is the number of parameters of each ICC parametric function type.
var paramCount = [5]int{1, 3, 4, 5, 7}

// decodeCurve reads a 'curv' or 'para' tag and returns the curve and the number of bytes it occupies, padded to
// four bytes as curves inside 'mAB ' tags are.
func decodeCurve(raw []byte) (*curve, int, error) {
	if len(raw) < 12 {
		return nil, 0, fmt.Errorf("%w: curve too short", ErrInvalid)
	}
	be := binary.BigEndian
	switch be.Uint32(raw) {
	case typeCurv:
		n := be.Uint32(raw[8:])
		if n > maxCurveEntries || 12+2*int(n) > len(raw) {
			return nil, 0, fmt.Errorf("%w: curve of %d entries does not fit", ErrInvalid, n)
		}
		size := pad4(12 + 2*int(n))
		switch n {
		case 0:
			return &curve{kind: curveIdentity}, size, nil
		case 1: // a u8Fixed8 gamma
			g := float64(be.Uint16(raw[12:])) / 256
			return &curve{kind: curveParam, fn: 0, params: [7]float64{g}}, size, nil
		}
		t := make([]uint16, n)
		for i := range t {
			t[i] = be.Uint16(raw[12+2*i:])
		}
		return &curve{kind: curveTable, table: t}, size, nil
	case typePara:
		fn := int(be.Uint16(raw[8:]))
		if fn >= len(paramCount) {
			return nil, 0, fmt.Errorf("%w: parametric curve type %d", ErrInvalid, fn)
		}
		n := paramCount[fn]
		if 12+4*n > len(raw) {
			return nil, 0, fmt.Errorf("%w: parametric curve too short", ErrInvalid)
		}
		c := &curve{kind: curveParam, fn: fn}
		for i := 0; i < n; i++ {
			c.params[i] = s15f16(raw[12+4*i:])
		}
		return c, pad4(12 + 4*n), nil
	}
	return nil, 0, fmt.Errorf("%w: %s is not a curve type", ErrInvalid, sigString(be.Uint32(raw)))
}

// tableCurve wraps a LUT's input or output table as a curve.
func tableCurve(t []uint16) *curve { return &curve{kind: curveTable, table: t} }

func pad4(n int) int { return (n + 3) &^ 3 }

// eval evaluates the curve. Tables clamp their input to [0, 1]; parametric curves follow lcms'
// DefaultEvalParametricFn, which defines them for any input so that out-of-range values inside a LUT pipeline
// are not clipped early.
func (c *curve) eval(x float64) float64 {
	switch c.kind {
	case curveIdentity:
		return x
	case curveTable:
		x = clamp01(x)
		pos := x * float64(len(c.table)-1)
		i := int(pos)
		if i >= len(c.table)-1 {
			return float64(c.table[len(c.table)-1]) / 65535
		}
		f := pos - float64(i)
		return (float64(c.table[i])*(1-f) + float64(c.table[i+1])*f) / 65535
	}
	p := &c.params
	g, a, b := p[0], p[1], p[2]
	switch c.fn {
	case 0: // Y = X^g
		if x < 0 {
			if math.Abs(g-1) < 1e-9 {
				return x
			}
			return 0
		}
		return math.Pow(x, g)
	case 1: // Y = (aX+b)^g for X >= -b/a, else 0
		if math.Abs(a) < 1e-9 {
			return 0
		}
		if e := a*x + b; x >= -b/a && e > 0 {
			return math.Pow(e, g)
		}
		return 0
	case 2: // Y = (aX+b)^g + c for X >= -b/a, else c
		if math.Abs(a) < 1e-9 {
			return p[3]
		}
		if e := a*x + b; x >= -b/a && e > 0 {
			return math.Pow(e, g) + p[3]
		}
		return p[3]
	case 3: // Y = (aX+b)^g for X >= d, else cX
		if x >= p[4] {
			if e := a*x + b; e > 0 {
				return math.Pow(e, g)
			}
			return 0
		}
		return p[3] * x
	default: // 4: Y = (aX+b)^g + e for X >= d, else cX + f
		if x >= p[4] {
			if e := a*x + b; e > 0 {
				return math.Pow(e, g) + p[5]
			}
			return p[5]
		}
		return p[3]*x + p[6]
	}
}

// clamp01 also maps NaN, which a degenerate parametric curve can produce, to 0.
func clamp01(x float64) float64 {
	if !(x > 0) {
		return 0
	}
	if x > 1 {
		return 1
	}
	return x
}
