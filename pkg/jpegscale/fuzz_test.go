package jpegscale

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"testing"
)

// FuzzDecode checks that no input makes Decode panic at any scale, that
// every scale accepts exactly the inputs image/jpeg accepts (apart from the
// restart intervals that processNonInterleaved handles by the book), and
// that scale 1 then returns image/jpeg's pixels.
func FuzzDecode(f *testing.F) {
	seeds := fixtures(f)
	for _, name := range sortedKeys(seeds) {
		f.Add(seeds[name])
	}
	for name := range stdlibFails {
		data, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil || cfg.Width*cfg.Height > 1e6 {
			// Like image/jpeg's own fuzz test, skip huge frames so that the
			// fuzzer explores parsing rather than allocation.
			return
		}
		want, wantErr := jpeg.Decode(bytes.NewReader(data))
		for _, s := range scales {
			// Decode by hand to see specRestart: where it is set, the two
			// decoders read restart intervals differently and may disagree.
			d := &decoder{scale: s, bs: 8 / s}
			got, err := d.decode(bytes.NewReader(data), false)
			if (err == nil) != (wantErr == nil) && !d.specRestart {
				t.Fatalf("scale %d: err = %v, image/jpeg err = %v", s, err, wantErr)
			}
			if err != nil || wantErr != nil {
				continue
			}
			w, h := want.Bounds().Dx(), want.Bounds().Dy()
			if b := got.Bounds(); b != image.Rect(0, 0, (w+s-1)/s, (h+s-1)/s) {
				t.Fatalf("scale %d: bounds %v for a %dx%d image", s, b, w, h)
			}
			if s == 1 && !d.specRestart {
				if err := samePixels(got, want); err != nil {
					t.Fatalf("scale 1 differs from image/jpeg: %v", err)
				}
			}
		}
	})
}
