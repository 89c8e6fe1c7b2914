package testimage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"os/exec"
	"strings"
)

// DisplayP3ICC returns a Display P3 ICC profile as Apple ships it (P3 primaries, D65 white, the sRGB transfer curve),
// written here because Debian's profile packages have none. The D50-adapted colourants are computed independently of
// pkg/colour (Bradford adaptation, as ICC v4 requires), so tests that use it check that package rather than
// restate it.
func DisplayP3ICC() []byte {
	return MatrixICC([3][2]float64{{0.680, 0.320}, {0.265, 0.690}, {0.150, 0.060}}, [2]float64{0.3127, 0.3290})
}

// MatrixICC writes a v4 matrix/TRC RGB display profile with the given primaries and white point (CIE xy) and the
// sRGB transfer curve as a parametric curve shared by the three channels.
func MatrixICC(primaries [3][2]float64, white [2]float64) []byte {
	d50 := [3]float64{0.9642, 1.0, 0.8249}
	toXYZ := func(xy [2]float64) [3]float64 { return [3]float64{xy[0] / xy[1], 1, (1 - xy[0] - xy[1]) / xy[1]} }
	// RGB -> XYZ for the white: columns are the primaries scaled so that RGB (1,1,1) is the white.
	var p [3][3]float64
	for i, xy := range primaries {
		c := toXYZ(xy)
		for r := range 3 {
			p[r][i] = c[r]
		}
	}
	s := mulVec(invert(p), toXYZ(white))
	for r := range 3 {
		for c := range 3 {
			p[r][c] *= s[c]
		}
	}
	// Bradford adaptation from the white to D50.
	brad := [3][3]float64{{0.8951, 0.2664, -0.1614}, {-0.7502, 1.7135, 0.0367}, {0.0389, -0.0685, 1.0296}}
	src, dst := mulVec(brad, toXYZ(white)), mulVec(brad, d50)
	var scale [3][3]float64
	for i := range 3 {
		scale[i][i] = dst[i] / src[i]
	}
	m := mul(mul(invert(brad), mul(scale, brad)), p)

	fixed := func(v float64) uint32 { return uint32(int32(math.Round(v * 65536))) }
	xyz := func(v [3]float64) []byte {
		b := make([]byte, 20)
		copy(b, "XYZ ")
		for i, c := range v {
			binary.BigEndian.PutUint32(b[8+4*i:], fixed(c))
		}
		return b
	}
	para := make([]byte, 12+4*5) // function type 3: g, a, b, c, d
	copy(para, "para")
	binary.BigEndian.PutUint16(para[8:], 3)
	for i, v := range []float64{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045} {
		binary.BigEndian.PutUint32(para[12+4*i:], fixed(v))
	}
	desc := []byte("mluc\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0CenUS\x00\x00\x00\x0A\x00\x00\x00\x1C\x00P\x003\x00 \x00t\x00t")
	tags := []struct {
		sig  string
		data []byte
	}{
		{"desc", desc}, {"wtpt", xyz(d50)},
		{"rXYZ", xyz([3]float64{m[0][0], m[1][0], m[2][0]})},
		{"gXYZ", xyz([3]float64{m[0][1], m[1][1], m[2][1]})},
		{"bXYZ", xyz([3]float64{m[0][2], m[1][2], m[2][2]})},
		{"rTRC", para}, {"gTRC", para}, {"bTRC", para},
	}
	var body bytes.Buffer
	dir := make([]byte, 4+12*len(tags))
	binary.BigEndian.PutUint32(dir, uint32(len(tags)))
	off := 128 + len(dir)
	for i, tg := range tags {
		e := dir[4+12*i:]
		copy(e, tg.sig)
		binary.BigEndian.PutUint32(e[4:], uint32(off+body.Len()))
		binary.BigEndian.PutUint32(e[8:], uint32(len(tg.data)))
		body.Write(tg.data)
		for body.Len()%4 != 0 {
			body.WriteByte(0)
		}
	}
	h := make([]byte, 128)
	binary.BigEndian.PutUint32(h[0:], uint32(128+len(dir)+body.Len()))
	copy(h[4:], "lcms")
	h[8], h[9] = 4, 0x30
	copy(h[12:], "mntrRGB XYZ ")
	binary.BigEndian.PutUint16(h[24:], 2024)
	copy(h[36:], "acsp")
	for i, c := range d50 {
		binary.BigEndian.PutUint32(h[68+4*i:], fixed(c))
	}
	return append(append(h, dir...), body.Bytes()...)
}

func mul(a, b [3][3]float64) [3][3]float64 {
	var out [3][3]float64
	for r := range 3 {
		for c := range 3 {
			for k := range 3 {
				out[r][c] += a[r][k] * b[k][c]
			}
		}
	}
	return out
}

func mulVec(a [3][3]float64, v [3]float64) [3]float64 {
	var out [3]float64
	for r := range 3 {
		for k := range 3 {
			out[r] += a[r][k] * v[k]
		}
	}
	return out
}

func invert(m [3][3]float64) [3][3]float64 {
	det := m[0][0]*(m[1][1]*m[2][2]-m[1][2]*m[2][1]) - m[0][1]*(m[1][0]*m[2][2]-m[1][2]*m[2][0]) + m[0][2]*(m[1][0]*m[2][1]-m[1][1]*m[2][0])
	var out [3][3]float64
	for r := range 3 {
		for c := range 3 {
			a, b := (c+1)%3, (c+2)%3
			d, e := (r+1)%3, (r+2)%3
			out[r][c] = (m[a][d]*m[b][e] - m[a][e]*m[b][d]) / det
		}
	}
	return out
}

// ImageMagick returns the path of a real ImageMagick `convert` built with lcms, looking in /usr/bin first because
// some machines put a stand-in called convert earlier in PATH, or an error saying how to install it.
func ImageMagick() (string, error) {
	cands := []string{"/usr/bin/convert"}
	if p, err := exec.LookPath("convert"); err == nil {
		cands = append(cands, p)
	}
	for _, c := range cands {
		out, err := exec.Command(c, "-version").CombinedOutput()
		if err == nil && strings.Contains(string(out), "ImageMagick") && strings.Contains(string(out), "lcms") {
			return c, nil
		}
	}
	return "", errors.New("no ImageMagick convert with lcms (apt-get install imagemagick)")
}
