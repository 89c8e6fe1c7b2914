package colour

import "math"

// mat3 is a row-major 3x3 matrix.
type mat3 [3][3]float64

var identity3 = mat3{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}

func (m *mat3) apply(v [3]float64) [3]float64 {
	return [3]float64{
		m[0][0]*v[0] + m[0][1]*v[1] + m[0][2]*v[2],
		m[1][0]*v[0] + m[1][1]*v[1] + m[1][2]*v[2],
		m[2][0]*v[0] + m[2][1]*v[1] + m[2][2]*v[2],
	}
}

func (m *mat3) mul(n *mat3) mat3 {
	var r mat3
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			r[i][j] = m[i][0]*n[0][j] + m[i][1]*n[1][j] + m[i][2]*n[2][j]
		}
	}
	return r
}

// inverse returns the inverse and false when m is singular.
func (m *mat3) inverse() (mat3, bool) {
	a := m
	c00 := a[1][1]*a[2][2] - a[1][2]*a[2][1]
	c01 := a[1][2]*a[2][0] - a[1][0]*a[2][2]
	c02 := a[1][0]*a[2][1] - a[1][1]*a[2][0]
	det := a[0][0]*c00 + a[0][1]*c01 + a[0][2]*c02
	if math.Abs(det) < 1e-12 || math.IsNaN(det) {
		return mat3{}, false
	}
	r := mat3{
		{c00, a[0][2]*a[2][1] - a[0][1]*a[2][2], a[0][1]*a[1][2] - a[0][2]*a[1][1]},
		{c01, a[0][0]*a[2][2] - a[0][2]*a[2][0], a[0][2]*a[1][0] - a[0][0]*a[1][2]},
		{c02, a[0][1]*a[2][0] - a[0][0]*a[2][1], a[0][0]*a[1][1] - a[0][1]*a[1][0]},
	}
	for i := range r {
		for j := range r[i] {
			r[i][j] /= det
		}
	}
	return r, true
}

// d50 is the ICC PCS illuminant as lcms defines it (cmsD50X/Y/Z).
var d50 = [3]float64{0.9642, 1.0, 0.8249}

// xyToXYZ returns the XYZ of chromaticity (x, y) at Y = 1.
func xyToXYZ(x, y float64) [3]float64 { return [3]float64{x / y, 1, (1 - x - y) / y} }

// bradford is the cone response matrix lcms uses for chromatic adaptation.
var bradford = mat3{
	{0.8951, 0.2664, -0.1614},
	{-0.7502, 1.7135, 0.0367},
	{0.0389, -0.0685, 1.0296},
}

// adaptTo returns the Bradford matrix that maps white src to white dst, as lcms' _cmsAdaptationMatrix does.
func adaptTo(src, dst [3]float64) mat3 {
	inv, _ := bradford.inverse()
	s, d := bradford.apply(src), bradford.apply(dst)
	scale := mat3{{d[0] / s[0], 0, 0}, {0, d[1] / s[1], 0}, {0, 0, d[2] / s[2]}}
	t := scale.mul(&bradford)
	return inv.mul(&t)
}

// rgbToXYZD50 returns the D50-adapted colourant matrix (columns are the red, green and blue XYZ) of an RGB space
// with the given primaries and white chromaticities, as lcms' cmsCreateRGBProfile builds it.
func rgbToXYZD50(rx, ry, gx, gy, bx, by, wx, wy float64) (mat3, bool) {
	r, g, b, w := xyToXYZ(rx, ry), xyToXYZ(gx, gy), xyToXYZ(bx, by), xyToXYZ(wx, wy)
	p := mat3{{r[0], g[0], b[0]}, {r[1], g[1], b[1]}, {r[2], g[2], b[2]}}
	inv, ok := p.inverse()
	if !ok {
		return mat3{}, false
	}
	s := inv.apply(w) // scale each primary so that they sum to the white
	for i := 0; i < 3; i++ {
		for j := 0; j < 3; j++ {
			p[i][j] *= s[j]
		}
	}
	a := adaptTo(w, d50)
	return a.mul(&p), true
}

// srgbToXYZ is sRGB's D50 colourant matrix and xyzToSRGB its inverse: the output side of every transform.
var srgbToXYZ, xyzToSRGB = func() (mat3, mat3) {
	m, _ := rgbToXYZD50(0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290)
	inv, _ := m.inverse()
	return m, inv
}()

// labToXYZ converts CIE L*a*b* relative to D50 to XYZ.
func labToXYZ(l, a, b float64) [3]float64 {
	fy := (l + 16) / 116
	fx := fy + a/500
	fz := fy - b/200
	f := func(t float64) float64 {
		if t > 6.0/29 {
			return t * t * t
		}
		return 108.0 / 841 * (t - 4.0/29)
	}
	return [3]float64{d50[0] * f(fx), d50[1] * f(fy), d50[2] * f(fz)}
}

// xyzToLab converts D50 XYZ to CIE L*a*b*.
func xyzToLab(v [3]float64) [3]float64 {
	f := func(t float64) float64 {
		if t > 216.0/24389 {
			return math.Cbrt(t)
		}
		return 841.0/108*t + 4.0/29
	}
	fx, fy, fz := f(v[0]/d50[0]), f(v[1]/d50[1]), f(v[2]/d50[2])
	return [3]float64{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// srgbEncode is the sRGB transfer function (IEC 61966-2-1) from linear light to the encoded value.
func srgbEncode(v float64) float64 {
	if v <= 0.0031308 {
		return 12.92 * v
	}
	return 1.055*math.Pow(v, 1/2.4) - 0.055
}

// srgbDecode is the inverse of srgbEncode.
func srgbDecode(v float64) float64 {
	if v <= 0.04045 {
		return v / 12.92
	}
	return math.Pow((v+0.055)/1.055, 2.4)
}
