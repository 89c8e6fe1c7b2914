package jpegscale

import (
	"bytes"
	"errors"
	"image"
	"testing"

	"github.com/imgpipe/imgpipe/internal/testimage"
)

// withRepeatedScan returns data with its first scan (the SOS segment and
// its entropy-coded data) repeated extra more times right after itself.
// Repeating a progressive file's first DC scan rewrites the same DC
// values, so the pixels do not change; that is the shape of the
// many-scans attack, which needs no valid picture data at all.
func withRepeatedScan(t *testing.T, data []byte, extra int) []byte {
	t.Helper()
	start := bytes.Index(data, []byte{0xff, 0xda})
	if start < 0 {
		t.Fatal("no SOS marker")
	}
	end := start + 2 + int(data[start+2])<<8 + int(data[start+3])
	// The entropy-coded data ends at the first marker other than a
	// stuffed 0xff00 or a restart marker.
	for ; end+1 < len(data); end++ {
		if data[end] == 0xff && data[end+1] != 0 && (data[end+1] < 0xd0 || data[end+1] > 0xd7) {
			break
		}
	}
	scan := data[start:end]
	out := bytes.Clone(data[:end])
	for range extra {
		out = append(out, scan...)
	}
	return append(out, data[end:]...)
}

// countScans counts the SOS markers DecodeWith reads.
func countScans(t *testing.T, data []byte) int {
	t.Helper()
	d := newDecoder(8, Options{MaxScans: -1})
	if _, err := d.decode(bytes.NewReader(data), false); err != nil {
		t.Fatal(err)
	}
	return d.nScans
}

func TestTooManyScans(t *testing.T) {
	base := fixtures(t)["progressive-420.jpg"]
	data := withRepeatedScan(t, base, DefaultMaxScans)
	scans := countScans(t, data)
	if want := countScans(t, base) + DefaultMaxScans; scans != want {
		t.Fatalf("%d scans, want %d", scans, want)
	}
	want, err := decodeN(base, 4)
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]struct {
		maxScans int
		wantErr  error
	}{
		"default limit":     {0, ErrTooManyScans},
		"limit one short":   {scans - 1, ErrTooManyScans},
		"limit exactly met": {scans, nil},
		"no limit":          {-1, nil},
	}
	for name, tc := range tests {
		got, err := DecodeWith(bytes.NewReader(data), Options{Scale: 4, MaxScans: tc.maxScans})
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: err = %v, want %v", name, err, tc.wantErr)
			continue
		}
		if err == nil {
			if err := samePixels(got, want); err != nil {
				t.Errorf("%s: repeated DC scans changed the pixels: %v", name, err)
			}
		}
	}
}

// TestCheck checks that Options.Check is called throughout the decode
// (before every scan and every few rows, so for a progressive file more
// often than it has scans) and that its error stops the decode and comes
// back unchanged, at every point it is called from.
func TestCheck(t *testing.T) {
	errStop := errors.New("stop")
	data := map[string][]byte{
		"baseline":    encodeStd(t, synthetic(300, 600, false)),
		"progressive": fixtures(t)["progressive-422.jpg"],
	}
	for name, file := range data {
		want, err := decodeN(file, 5)
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		got, err := DecodeWith(bytes.NewReader(file), Options{Scale: 5, Check: func() error { calls++; return nil }})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := samePixels(got, want); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if min := countScans(t, file) + 2; calls < min {
			t.Errorf("%s: Check called %d times, want at least %d", name, calls, min)
		}
		for stopAt := 1; stopAt <= calls; stopAt++ {
			n := 0
			img, err := DecodeWith(bytes.NewReader(file), Options{Scale: 5, Check: func() error {
				if n++; n >= stopAt {
					return errStop
				}
				return nil
			}})
			if !errors.Is(err, errStop) || img != nil || n != stopAt {
				t.Errorf("%s: stop at call %d of %d: err = %v after %d calls", name, stopAt, calls, err, n)
			}
		}
	}
}

// TestWorkers checks that reconstructing a progressive image on several
// goroutines gives the pixels of one, and that a Check error before that
// pass still stops the decode.
func TestWorkers(t *testing.T) {
	for _, name := range []string{"progressive-420.jpg", "progressive-422.jpg", "progressive-444-restart.jpg", "progressive-gray.jpg", "baseline-420.jpg"} {
		data := fixtures(t)[name]
		for _, n := range allN {
			want, err := decodeN(data, n)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range []int{2, 3, 16} {
				got, err := DecodeWith(bytes.NewReader(data), Options{Scale: n, Workers: w})
				if err != nil {
					t.Fatalf("%s %d/8, %d workers: %v", name, n, w, err)
				}
				if err := samePixels(got, want); err != nil {
					t.Errorf("%s %d/8, %d workers: %v", name, n, w, err)
				}
			}
		}
	}
	errStop := errors.New("stop")
	data := fixtures(t)["progressive-420.jpg"]
	calls := 0
	if _, err := DecodeWith(bytes.NewReader(data), Options{Workers: 2, Check: func() error { calls++; return nil }}); err != nil {
		t.Fatal(err)
	}
	n := 0
	_, err := DecodeWith(bytes.NewReader(data), Options{Workers: 2, Check: func() error {
		if n++; n == calls {
			return errStop
		}
		return nil
	}})
	if !errors.Is(err, errStop) {
		t.Errorf("Check error at its last call (of %d): err = %v", calls, err)
	}
}

// emptyScans is the many-scans attack: testimage.ScanBomb.
func emptyScans(w, h, scans int) []byte { return testimage.ScanBomb(w, h, scans) }

// TestEmptyScans checks that the scan limit stops a file of empty scans
// and that below the limit such a file decodes (to flat gray).
func TestEmptyScans(t *testing.T) {
	data := emptyScans(640, 480, DefaultMaxScans+1)
	if _, err := DecodeWith(bytes.NewReader(data), Options{}); !errors.Is(err, ErrTooManyScans) {
		t.Errorf("%d empty scans: err = %v, want ErrTooManyScans", DefaultMaxScans+1, err)
	}
	img, err := DecodeWith(bytes.NewReader(emptyScans(640, 480, 10)), Options{Scale: 4})
	if err != nil {
		t.Fatal(err)
	}
	if g, ok := img.(*image.Gray); !ok || g.Pix[0] != 128 || g.Bounds().Dx() != 320 {
		t.Errorf("10 empty scans decode to %T %v, want flat gray 320 px wide", img, img.Bounds())
	}
}

// BenchmarkEmptyScans times DefaultMaxScans empty scans over a 12 MP
// frame: the most a file can make the decoder work per byte within the
// default limit.
func BenchmarkEmptyScans(b *testing.B) {
	data := emptyScans(4000, 3000, DefaultMaxScans)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := DecodeWith(bytes.NewReader(data), Options{Scale: 3}); err != nil {
			b.Fatal(err)
		}
	}
}
