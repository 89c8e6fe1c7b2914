package imageproc

import (
	"context"
	"image"
	"image/color"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// TestColourManagedDerivatives is the user's view of colour management: the same picture saved in Display P3, Adobe
// RGB, ProPhoto and a CMYK press profile (by ImageMagick with lcms, profile embedded) must give 640 px derivatives
// that look like the sRGB original's, because derivatives carry no profile and are shown as sRGB.
func TestColourManagedDerivatives(t *testing.T) {
	convert, err := testimage.ImageMagick()
	if err != nil {
		missing(t, "%v", err)
	}
	dir := t.TempDir()
	p3 := filepath.Join(dir, "DisplayP3.icc")
	if err := os.WriteFile(p3, testimage.DisplayP3ICC(), 0o644); err != nil {
		t.Fatal(err)
	}
	const srgb = "/usr/share/color/icc/colord/sRGB.icc"
	cases := map[string]struct {
		profile string
		bound   float64
	}{
		"Display P3": {p3, 0.015},
		"Adobe RGB":  {"/usr/share/color/icc/colord/AdobeRGB1998.icc", 0.015},
		"ProPhoto":   {"/usr/share/color/icc/colord/ProPhotoRGB.icc", 0.015},
		"CMYK":       {"/usr/share/color/icc/ghostscript/default_cmyk.icc", 0.03},
	}
	for _, c := range []string{srgb, cases["Adobe RGB"].profile, cases["ProPhoto"].profile, cases["CMYK"].profile} {
		if _, err := os.Stat(c); err != nil {
			missing(t, "profile %s: %v (apt-get install colord-data libgs-common)", c, err)
		}
	}
	orig := filepath.Join(dir, "orig.png")
	writePNGFile(t, orig, photoLike(1280, 960))
	srgbJPEG := filepath.Join(dir, "srgb.jpg")
	magickRun(t, convert, orig, "-quality", "95", srgbJPEG)
	want := derivative640(t, srgbJPEG)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name+".jpg")
			magickRun(t, convert, orig, "-profile", srgb, "-profile", c.profile, "-quality", "95", out)
			got := derivative640(t, out)
			e := rmse01(t, got, want)
			untouched := rmse01(t, decodeRaw640(t, out), want)
			t.Logf("%s: RMSE %.4f against the sRGB original's derivative (%.4f without colour management)", name, e, untouched)
			if e > c.bound {
				t.Errorf("RMSE %.4f, want <= %.3f", e, c.bound)
			}
		})
	}
}

func magickRun(t *testing.T, convert string, args ...string) {
	t.Helper()
	if out, err := exec.Command(convert, args...).CombinedOutput(); err != nil {
		t.Fatalf("convert %v: %v\n%s", args, err, out)
	}
}

// derivative640 is the pipeline's 640 px derivative of the file at path.
func derivative640(t *testing.T, path string) *image.NRGBA {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Process(context.Background(), data, Request{Targets: Widths([]int{640}, 95)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Colour == "" {
		t.Logf("%s: no profile", filepath.Base(path))
	}
	return decodeDerivative(t, res.Outputs[0])
}

// decodeRaw640 is what the derivative would be if the profile were ignored: the pixels resized as they are.
func decodeRaw640(t *testing.T, path string) *image.NRGBA {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	info, err := imagefile.Inspect(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	src, err := Decode(context.Background(), data, info, 640)
	if err != nil {
		t.Fatal(err)
	}
	steps, _ := planSteps(info.Width, info.Height, info, Widths([]int{640}, 95))
	fr := resizeAll(src, info, steps)[0]
	return toNRGBA(fr)
}

// photoLike is a photograph's kind of colour: smooth, mostly moderately saturated, with some strong colour and
// shadows, within what a press CMYK profile can print.
func photoLike(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			fx, fy := float64(x)/float64(w), float64(y)/float64(h)
			r := 0.25 + 0.55*fx + 0.1*math.Sin(9*fy)
			g := 0.3 + 0.45*fy + 0.1*math.Cos(7*fx)
			b := 0.35 + 0.35*(1-fx)*(1-fy)
			if math.Hypot(fx-0.3, fy-0.35) < 0.12 { // a warm object
				r, g, b = 0.8, 0.45, 0.25
			}
			if math.Hypot(fx-0.72, fy-0.6) < 0.1 { // a cool one
				r, g, b = 0.2, 0.45, 0.7
			}
			c := func(v float64) uint8 { return uint8(math.Round(255 * math.Max(0, math.Min(1, v)))) }
			img.SetNRGBA(x, y, color.NRGBA{c(r), c(g), c(b), 255})
		}
	}
	return img
}

func writePNGFile(t *testing.T, path string, img image.Image) {
	t.Helper()
	if err := os.WriteFile(path, encodePNG(t, img), 0o644); err != nil {
		t.Fatal(err)
	}
}

// rmse01 is the RMSE of the RGB channels on a 0-1 scale.
func rmse01(t *testing.T, a, b *image.NRGBA) float64 {
	t.Helper()
	if a.Bounds() != b.Bounds() {
		t.Fatalf("sizes %v and %v", a.Bounds(), b.Bounds())
	}
	var sum float64
	for i := 0; i < len(a.Pix); i += 4 {
		for c := range 3 {
			d := float64(a.Pix[i+c]) - float64(b.Pix[i+c])
			sum += d * d
		}
	}
	return math.Sqrt(sum/float64(3*len(a.Pix)/4)) / 255
}

// missing skips a test whose external tool is absent, except under CI, where it is installed on purpose.
func missing(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}
