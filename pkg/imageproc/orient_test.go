package imageproc

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// orientationTolerance bounds the mean absolute difference per channel between two derivatives that should show
// the same upright picture. The shared photos were turned and re-compressed by another tool, so even correct
// derivatives differ by up to 4.2 (0.8 for scene); a single wrong flip or turn measured 63-128.
const orientationTolerance = 8.0

// TestOrientationSharedPhotos checks the 18 reference photos (github.com/recurser/exif-orientation-examples):
// X_n stores the picture of X_1 turned or mirrored and declares orientation n, so every derivative of X_n must show
// the picture of X_1. X_0 has no EXIF block and must be left as stored.
func TestOrientationSharedPhotos(t *testing.T) {
	dir := filepath.Join("..", "..", "..", "shared", "testdata", "exif-orientation")
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("reference photos not found: %v", err)
	}
	for _, name := range []string{"Landscape", "Portrait"} {
		want := processFile(t, filepath.Join(dir, name+"_1.jpg"))
		for n := 0; n <= 8; n++ {
			t.Run(fmt.Sprintf("%s_%d", name, n), func(t *testing.T) {
				got := processFile(t, filepath.Join(dir, fmt.Sprintf("%s_%d.jpg", name, n)))
				compareDerivatives(t, got, want)
			})
		}
	}
}

// TestOrientationSynthetic covers orientations 1-8 with generated files, so the check also runs where the shared
// photos are missing. Its widths make the largest output less than half the source, so the reduced JPEG decode is
// used, and for 5-8 the scale must be chosen from the stored height.
func TestOrientationSynthetic(t *testing.T) {
	widths := []int{600, 300, 150}
	upright := scene(1300, 900)
	want := process(t, withEXIF(encodeJPEG(t, upright, 95), 1, false), widths...)
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			data := withEXIF(encodeJPEG(t, storedFor(upright, o), 95), o, false)
			got := process(t, data, widths...)
			if got.Width != 1300 || got.Height != 900 {
				t.Errorf("upright size %dx%d, want 1300x900", got.Width, got.Height)
			}
			compareDerivatives(t, got, want)
		})
	}
}

func processFile(t *testing.T, path string) *Result {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return process(t, data)
}

// compareDerivatives requires the same sizes and near-identical pixels, derivative by derivative.
func compareDerivatives(t *testing.T, got, want *Result) {
	t.Helper()
	for i, g := range got.Outputs {
		w := want.Outputs[i]
		if g.Target.Width != w.Target.Width || g.Width != w.Width || g.Height != w.Height {
			t.Errorf("derivative %d is %dx%d, want %d: %dx%d", g.Target.Width, g.Width, g.Height,
				w.Target.Width, w.Width, w.Height)
			continue
		}
		d := meanAbsDiff(t, decodeDerivative(t, g), decodeDerivative(t, w))
		if d > orientationTolerance {
			t.Errorf("derivative %d differs by %.2f per channel on average, want <= %.1f", g.Target.Width, d,
				orientationTolerance)
		}
	}
}
