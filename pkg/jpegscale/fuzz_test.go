package jpegscale

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"testing"
)

// FuzzDecode checks that no input makes the decoder panic at any scale N/8,
// N = 1..8, that every scale accepts exactly the inputs image/jpeg accepts
// (apart from the restart intervals that processNonInterleaved handles by
// the book), that each returns ceil(W*N/8) x ceil(H*N/8) pixels, that
// 8/8 returns image/jpeg's pixels, and that a reduced decode is the same
// with the compact coefficient store as with the full one.
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
		for _, n := range allN {
			// Decode by hand to see specRestart: where it is set, the two
			// decoders read restart intervals differently and may disagree.
			// No scan limit, so that the two decoders see the same files.
			d := newDecoder(n, Options{MaxScans: -1})
			got, err := d.decode(bytes.NewReader(data), false)
			if (err == nil) != (wantErr == nil) && !d.specRestart {
				t.Fatalf("scale %d/8: err = %v, image/jpeg err = %v", n, err, wantErr)
			}
			if err != nil || wantErr != nil {
				continue
			}
			w, h := want.Bounds().Dx(), want.Bounds().Dy()
			if b := got.Bounds(); b != image.Rect(0, 0, (w*n+7)/8, (h*n+7)/8) {
				t.Fatalf("scale %d/8: bounds %v for a %dx%d image", n, b, w, h)
			}
			if n == 8 && !d.specRestart {
				if err := samePixels(got, want); err != nil {
					t.Fatalf("scale 8/8 differs from image/jpeg: %v", err)
				}
			}
			if n < 8 {
				full, err := decodeFull(data, n)
				if err != nil {
					t.Fatalf("scale %d/8: full store: %v", n, err)
				}
				if err := samePixels(got, full); err != nil {
					t.Fatalf("scale %d/8: compact and full coefficient stores differ: %v", n, err)
				}
			}
		}
	})
}
