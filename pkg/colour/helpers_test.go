package colour

import (
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/internal/testimage"
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

// displayP3 is a Display P3 profile as Apple ships it (colord has none), computed independently of this package.
func displayP3() []byte { return testimage.DisplayP3ICC() }

func readFileIfExists(path string) ([]byte, error) { return os.ReadFile(path) }
