package colour

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// missing skips a test whose external input is absent, except under CI, where the tools and profiles are
// installed on purpose and a missing one is a broken setup.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

// readProfile reads a profile shipped by a Debian package (colord-data, icc-profiles-free, ghostscript).
func readProfile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		missing(t, "profile %s: %v", path, err)
	}
	return b
}

// magick returns the path of a real ImageMagick `convert` built with lcms. It looks in /usr/bin first because
// some machines put a stand-in called convert earlier in PATH.
func magick(t *testing.T) string {
	t.Helper()
	cands := []string{"/usr/bin/convert"}
	if p, err := exec.LookPath("convert"); err == nil {
		cands = append(cands, p)
	}
	for _, c := range cands {
		out, err := exec.Command(c, "-version").CombinedOutput()
		if err == nil && strings.Contains(string(out), "ImageMagick") && strings.Contains(string(out), "lcms") {
			return c
		}
	}
	missing(t, "no ImageMagick convert with lcms (apt-get install imagemagick)")
	return ""
}

// testPicture is a 256x256 sRGB picture that exercises a colour transform everywhere it can go wrong: a
// hue sweep from full to half saturation (the saturated edge of the gamut, where wide-gamut round trips clip),
// per-channel and gray ramps (the transfer curves, and the dark end where they are steepest), and a dark
// hue sweep.
func testPicture() *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, 256, 256))
	for y := 0; y < 256; y++ {
		for x := 0; x < 256; x++ {
			var r, g, b float64
			v := float64(x) / 255
			switch {
			case y < 128:
				r, g, b = hsv(v*360, 1-float64(y)/255, 1)
			case y < 144:
				r = v
			case y < 160:
				g = v
			case y < 176:
				b = v
			case y < 208:
				r, g, b = v, v, v
			default:
				r, g, b = hsv(v*360, 1, 0.25+0.5*float64(y-208)/47)
			}
			m.SetNRGBA(x, y, color.NRGBA{uint8(math.Round(r * 255)), uint8(math.Round(g * 255)), uint8(math.Round(b * 255)), 255})
		}
	}
	return m
}

func hsv(h, s, v float64) (float64, float64, float64) {
	c := v * s
	hp := math.Mod(h/60, 6)
	x := c * (1 - math.Abs(math.Mod(hp, 2)-1))
	var r, g, b float64
	switch int(hp) {
	case 0:
		r, g, b = c, x, 0
	case 1:
		r, g, b = x, c, 0
	case 2:
		r, g, b = 0, c, x
	case 3:
		r, g, b = 0, x, c
	case 4:
		r, g, b = x, 0, c
	default:
		r, g, b = c, 0, x
	}
	return r + v - c, g + v - c, b + v - c
}

// rmse is the root-mean-square difference of the RGB channels of two images of equal bounds, on a 0-1 scale. It
// compares at 16 bits so that a 16-bit reference (ImageMagick's, which truncates when it writes 8 bits) is
// taken at its full precision.
func rmse(t *testing.T, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("bounds %v and %v", a.Bounds(), b.Bounds())
	}
	var sum float64
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := color.NRGBA64Model.Convert(a.At(x, y)).(color.NRGBA64)
			q := color.NRGBA64Model.Convert(b.At(x, y)).(color.NRGBA64)
			for _, d := range []float64{float64(p.R) - float64(q.R), float64(p.G) - float64(q.G), float64(p.B) - float64(q.B)} {
				sum += d * d
			}
		}
	}
	return math.Sqrt(sum/float64(3*r.Dx()*r.Dy())) / 65535
}

// matrixProfile writes a v4 matrix/TRC RGB display profile: D50 white, the given D50-adapted colourant columns and
// one parametric TRC shared by the three channels. colord has no Display P3 profile, so the tests make one.
func matrixProfile(m mat3, trc curve) []byte {
	fixed := func(v float64) uint32 { return uint32(int32(math.Round(v * 65536))) }
	xyz := func(v [3]float64) []byte {
		b := make([]byte, 20)
		copy(b, "XYZ ")
		for i, c := range v {
			binary.BigEndian.PutUint32(b[8+4*i:], fixed(c))
		}
		return b
	}
	para := make([]byte, 12+4*paramCount[trc.fn])
	copy(para, "para")
	binary.BigEndian.PutUint16(para[8:], uint16(trc.fn))
	for i := 0; i < paramCount[trc.fn]; i++ {
		binary.BigEndian.PutUint32(para[12+4*i:], fixed(trc.params[i]))
	}
	desc := []byte("mluc\x00\x00\x00\x00\x00\x00\x00\x01\x00\x00\x00\x0CenUS\x00\x00\x00\x0A\x00\x00\x00\x1C\x00P\x003\x00 \x00t\x00t")
	type tag struct {
		sig  string
		data []byte
	}
	tags := []tag{
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

// displayP3 is a Display P3 profile as Apple ships it: P3 primaries, D65 white, the sRGB transfer curve.
func displayP3() []byte {
	m, _ := rgbToXYZD50(0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290)
	return matrixProfile(m, srgbCurve)
}

func readFileIfExists(path string) ([]byte, error) { return os.ReadFile(path) }
