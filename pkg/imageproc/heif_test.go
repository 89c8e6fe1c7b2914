package imageproc

import (
	"context"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/imgpipe/imgpipe/internal/heiftest"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// TestHEICAndAVIFDerivatives: phone photos in HEIC (one image, and an iPhone-style grid of tiles, each turned by
// the container's irot as iPhones store portraits) and AVIF give upright derivatives that look like the picture.
func TestHEICAndAVIFDerivatives(t *testing.T) {
	upright := scene(480, 320)
	storedFor6, storedFor8 := storedFor(upright, 6), storedFor(upright, 8)
	turn := func(file []byte, quarters int) []byte { // irot counts anticlockwise quarter turns
		f := heiftest.Parse(t, file)
		f.Primary().Add(heiftest.Irot(quarters))
		return f.Bytes()
	}
	cases := map[string]struct {
		file   []byte
		format imagefile.Format
	}{
		"heic":             {heiftest.HEIC(t, upright), imagefile.HEIC},
		"heic irot 3 (o6)": {turn(heiftest.HEIC(t, storedFor6), 3), imagefile.HEIC},
		"heic grid irot 1": {turn(heiftest.Grid(t, storedFor8, 128), 1), imagefile.HEIC},
		"avif":             {heiftest.AVIF(t, upright), imagefile.AVIF},
	}
	want := imaging.Resize(upright, 240, 160, imaging.Lanczos)
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			res, err := Process(context.Background(), c.file, Request{Targets: Widths([]int{240}, 95)})
			if err != nil {
				t.Fatal(err)
			}
			if res.Source.Format != c.format || res.Width != 480 || res.Height != 320 {
				t.Fatalf("source %+v, upright %dx%d", res.Source, res.Width, res.Height)
			}
			o := res.Outputs[0]
			if o.Format != imagefile.JPEG {
				t.Errorf("derivative is %s, want JPEG", o.Format.Name)
			}
			if d := meanAbsDiff(t, decodeDerivative(t, o), want); d > 6 {
				t.Errorf("differs from the upright picture by %.1f per channel", d)
			}
		})
	}
}
