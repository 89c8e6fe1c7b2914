package jpegscale

import (
	"bytes"
	"errors"
	"image"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"
)

// measureDecode decodes data at n/8 with the garbage collector off and
// returns the bytes allocated (MemStats.TotalAlloc) and the growth of the
// live heap (HeapAlloc). With collection off nothing is freed, so the heap
// only grows and its growth is the decode's peak. MemStats counts the
// whole process, so the least of three decodes is taken: anything else
// that allocates meanwhile only adds.
func measureDecode(t *testing.T, data []byte, n int) (img image.Image, total, heap uint64) {
	t.Helper()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	for i := 0; i < 3; i++ {
		r := bytes.NewReader(data)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		m, err := DecodeWith(r, Options{Scale: n})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Fatalf("scale %d/8: %v", n, err)
		}
		if tot, h := after.TotalAlloc-before.TotalAlloc, after.HeapAlloc-before.HeapAlloc; i == 0 || tot < total {
			img, total, heap = m, tot, h
		}
	}
	return img, total, heap
}

// TestCost checks that Cost, from the header alone, predicts what the
// decode allocates to within +10% and never below, for baseline and
// progressive files, 4:2:0, 4:2:2, 4:4:4, 4:1:1, gray, CMYK, YCCK and RGB,
// at every scale, and that it reports the decoded size.
func TestCost(t *testing.T) {
	inputs := fixtures(t)
	inputs["stdlib-ycbcr-2000x1500.jpg"] = encodeStd(t, synthetic(2000, 1500, false))
	inputs["stdlib-gray-1500x1000.jpg"] = encodeStd(t, synthetic(1500, 1000, true))
	for _, name := range sortedKeys(inputs) {
		data := inputs[name]
		for _, n := range allN {
			est, err := Cost(data, n)
			if err != nil {
				t.Fatalf("%s: Cost: %v", name, err)
			}
			img, total, heap := measureDecode(t, data, n)
			if b := img.Bounds(); b.Dx() != est.Width || b.Dy() != est.Height {
				t.Errorf("%s %d/8: estimate for %dx%d, decoded %v", name, n, est.Width, est.Height, b)
			}
			peak := max(total, heap)
			ratio := float64(est.Bytes) / float64(peak)
			if testing.Verbose() {
				t.Logf("%s %d/8: estimate %d, allocated %d, heap growth %d (%+.2f%%)", name, n, est.Bytes, total, heap, 100*(ratio-1))
			}
			if est.Bytes < int64(peak) || ratio > 1.10 {
				t.Errorf("%s %d/8: estimate %d bytes (%+v), measured %d allocated, %d heap growth (%+.2f%%)",
					name, n, est.Bytes, est, total, heap, 100*(ratio-1))
			}
		}
	}
}

// TestCostPhotos is TestCost on the shared real photos, baseline 4:2:0
// frames of 2 MP.
func TestCostPhotos(t *testing.T) {
	photos := realPhotos(t)
	for _, name := range []string{"Landscape_1.jpg", "Portrait_1.jpg"} {
		data, ok := photos[name]
		if !ok {
			continue
		}
		for _, n := range []int{1, 3, 5, 8} {
			est, err := Cost(data, n)
			if err != nil {
				t.Fatal(err)
			}
			_, total, heap := measureDecode(t, data, n)
			peak := max(total, heap)
			if ratio := float64(est.Bytes) / float64(peak); est.Bytes < int64(peak) || ratio > 1.10 {
				t.Errorf("%s %d/8: estimate %d, measured %d (%+.2f%%)", name, n, est.Bytes, peak, 100*(ratio-1))
			}
		}
	}
}

// TestCostBenchPhotos is TestCost on the 12-18 MP progressive photos of
// the bench script, when JPEGSCALE_PHOTOS names their folder (tests do not
// run the script, which may download).
func TestCostBenchPhotos(t *testing.T) {
	dir := os.Getenv("JPEGSCALE_PHOTOS")
	if dir == "" {
		t.Skip("JPEGSCALE_PHOTOS is not set")
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if len(names) == 0 {
		t.Fatalf("no photos in %s", dir)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{3, 4, 5, 8} {
			est, err := Cost(data, n)
			if err != nil {
				t.Fatal(err)
			}
			_, total, heap := measureDecode(t, data, n)
			peak := max(total, heap)
			ratio := float64(est.Bytes) / float64(peak)
			t.Logf("%s %d/8: estimate %d, measured %d (%+.4f%%)", filepath.Base(name), n, est.Bytes, peak, 100*(ratio-1))
			if est.Bytes < int64(peak) || ratio > 1.10 {
				t.Errorf("%s %d/8: estimate %d, measured %d (%+.2f%%)", filepath.Base(name), n, est.Bytes, peak, 100*(ratio-1))
			}
		}
	}
}

// TestCostHostileHeader checks that Cost sees a frame's size from a file
// of a few hundred bytes whose entropy data is missing altogether, which
// is how a caller refuses it before any frame is allocated.
func TestCostHostileHeader(t *testing.T) {
	data := fixtures(t)["progressive-420.jpg"]
	i := bytes.Index(data, []byte{0xff, 0xc2})
	big := bytes.Clone(data[:bytes.Index(data, []byte{0xff, 0xda})])
	big[i+5], big[i+6], big[i+7], big[i+8] = 0xff, 0xff, 0xff, 0xff // 65535 x 65535
	est, err := Cost(big, 8)
	if err != nil {
		t.Fatal(err)
	}
	// 4:2:0 at 1.5 samples per pixel plus 1.5 blocks of 136 bytes per 64
	// pixels of coefficients: more than 10 GB.
	if est.Width != 65535 || est.Height != 65535 || est.Bytes < 10<<30 || !est.Progressive {
		t.Errorf("estimate %+v for a 65535x65535 progressive 4:2:0 header", est)
	}
	if est1, _ := Cost(big, 1); est1.Bytes*10 > est.Bytes {
		t.Errorf("1/8 estimate %d is not far below the full-size %d", est1.Bytes, est.Bytes)
	}
}

// TestCostErrors checks that Cost rejects what DecodeWith rejects in the
// header.
func TestCostErrors(t *testing.T) {
	data := fixtures(t)["baseline-420.jpg"]
	sof := bytes.Index(data, []byte{0xff, 0xc0})
	cmyk := fixtures(t)["baseline-cmyk.jpg"]
	adobe := bytes.Index(cmyk, []byte("Adobe"))
	noAdobe := bytes.Clone(cmyk)
	copy(noAdobe[adobe:], "Adobf")
	var fe FormatError
	var ue UnsupportedError
	tests := map[string]struct {
		data []byte
		n    int
		ok   func(error) bool
	}{
		"not a JPEG":      {[]byte("GIF89a"), 8, func(err error) bool { return errors.As(err, &fe) }},
		"cut before SOF":  {data[:sof], 8, func(err error) bool { return errors.Is(err, io.ErrUnexpectedEOF) }},
		"scale 9":         {data, 9, func(err error) bool { return errors.Is(err, ErrScale) }},
		"CMYK sans Adobe": {noAdobe, 8, func(err error) bool { return errors.As(err, &ue) }},
	}
	for name, tc := range tests {
		if _, err := Cost(tc.data, tc.n); !tc.ok(err) {
			t.Errorf("%s: err = %v", name, err)
		}
		if _, err := DecodeWith(bytes.NewReader(tc.data), Options{Scale: tc.n}); !tc.ok(err) {
			t.Errorf("%s: DecodeWith err = %v, Cost and DecodeWith disagree", name, err)
		}
	}
}
