package jpegscale

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"testing"
	"testing/iotest"
)

// allN is every scale N/8 that DecodeWith supports; scales are the
// reductions 1/s that the older Decode takes.
var (
	allN   = []int{1, 2, 3, 4, 5, 6, 7, 8}
	scales = []int{1, 2, 4, 8}
)

// decodeN is DecodeWith at scale n/8 with default options.
func decodeN(data []byte, n int) (image.Image, error) {
	return DecodeWith(bytes.NewReader(data), Options{Scale: n})
}

// TestScale1MatchesStdlib checks that scale 1 is a drop-in replacement for
// image/jpeg: same type, bounds and every pixel, across subsamplings,
// progressive files, restart intervals, CMYK/YCCK and Adobe RGB.
func TestScale1MatchesStdlib(t *testing.T) {
	for name, data := range fixtures(t) {
		t.Run(name, func(t *testing.T) { checkScale1(t, data) })
	}
}

// TestScale1MatchesStdlibPhotos repeats TestScale1MatchesStdlib on the real
// phone photos that CI keeps beside the repository.
func TestScale1MatchesStdlibPhotos(t *testing.T) {
	for name, data := range realPhotos(t) {
		t.Run(name, func(t *testing.T) { checkScale1(t, data) })
	}
}

func checkScale1(t *testing.T, data []byte) {
	want, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg: %v", err)
	}
	for _, o := range []Options{{}, {Scale: 8}} {
		got, err := DecodeWith(bytes.NewReader(data), o)
		if err != nil {
			t.Fatalf("DecodeWith(%+v): %v", o, err)
		}
		if err := samePixels(got, want); err != nil {
			t.Errorf("DecodeWith(%+v): %v", o, err)
		}
	}
}

// TestDecodeLegacy checks that Decode(r, s) is DecodeWith at scale 8/s.
func TestDecodeLegacy(t *testing.T) {
	for _, name := range []string{"baseline-420.jpg", "progressive-422.jpg", "baseline-gray.jpg"} {
		data := fixtures(t)[name]
		for _, s := range scales {
			want, err := decodeN(data, 8/s)
			if err != nil {
				t.Fatalf("%s 8/%d: %v", name, s, err)
			}
			got, err := Decode(bytes.NewReader(data), s)
			if err != nil {
				t.Fatalf("%s Decode(%d): %v", name, s, err)
			}
			if err := samePixels(got, want); err != nil {
				t.Errorf("%s Decode(%d): %v", name, s, err)
			}
		}
	}
}

// TestProgressiveRestartSubsampled decodes a progressive 4:2:0 file with a
// restart interval, which image/jpeg rejects (see processNonInterleaved).
// cjpeg made it from the same picture and settings as progressive-420.jpg,
// and restart markers change only the entropy coding, so both files hold
// the same coefficients and must decode to the same pixels at every scale.
func TestProgressiveRestartSubsampled(t *testing.T) {
	data, err := os.ReadFile("testdata/progressive-420-restart.jpg")
	if err != nil {
		t.Fatal(err)
	}
	ref := fixtures(t)["progressive-420.jpg"]
	for _, n := range allN {
		want, err := decodeN(ref, n)
		if err != nil {
			t.Fatalf("scale %d/8: reference: %v", n, err)
		}
		got, err := decodeN(data, n)
		if err != nil {
			t.Fatalf("scale %d/8: %v", n, err)
		}
		if err := samePixels(got, want); err != nil {
			t.Errorf("scale %d/8: %v", n, err)
		}
	}
}

// TestScaledBounds checks the ceil(W*N/8) x ceil(H*N/8) contract and that
// a scaled decode keeps the image type and chroma subsampling, so callers
// can keep their type-switched fast paths.
func TestScaledBounds(t *testing.T) {
	for name, data := range fixtures(t) {
		full, err := jpeg.Decode(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: image/jpeg: %v", name, err)
		}
		w, h := full.Bounds().Dx(), full.Bounds().Dy()
		for _, n := range allN {
			got, err := decodeN(data, n)
			if err != nil {
				t.Errorf("%s scale %d/8: %v", name, n, err)
				continue
			}
			if want := image.Rect(0, 0, (w*n+7)/8, (h*n+7)/8); got.Bounds() != want {
				t.Errorf("%s scale %d/8: bounds %v, want %v", name, n, got.Bounds(), want)
			}
			if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", full) {
				t.Errorf("%s scale %d/8: type %T, want %T", name, n, got, full)
			}
			if g, ok := got.(*image.YCbCr); ok && g.SubsampleRatio != full.(*image.YCbCr).SubsampleRatio {
				t.Errorf("%s scale %d/8: subsampling %v, want %v", name, n, g.SubsampleRatio, full.(*image.YCbCr).SubsampleRatio)
			}
		}
	}
}

// TestScaledQuality compares each reduced decode with a full decode by
// image/jpeg followed by an exact area-average reduction to the same size
// (areaDown). The two are different low-pass filters, so they do not match
// exactly, but a swapped constant or sign in a reduced IDCT costs far more
// than the margin between the measured figures and the floors.
func TestScaledQuality(t *testing.T) {
	data := fixtures(t)
	for _, name := range []string{
		"baseline-420.jpg", "baseline-444.jpg", "baseline-422.jpg", "baseline-440.jpg", "baseline-411.jpg",
		"baseline-gray.jpg", "baseline-cmyk.jpg", "baseline-rgb.jpg", "baseline-420-restart.jpg",
		"progressive-420.jpg", "progressive-444-restart.jpg", "progressive-gray.jpg",
	} {
		checkQuality(t, name, data[name], qualityFloor{psnr: 38, ssim: 0.97})
	}
}

// TestScaledQualityPhotos is TestScaledQuality on real photos, where the
// finer detail makes the two filters differ more.
func TestScaledQualityPhotos(t *testing.T) {
	photos := realPhotos(t)
	for _, name := range []string{"Landscape_1.jpg", "Portrait_1.jpg"} {
		if data, ok := photos[name]; ok {
			checkQuality(t, name, data, qualityFloor{psnr: 35, ssim: 0.97})
		}
	}
}

// qualityFloor is the least PSNR (dB, over all sample planes) and luma or
// first-plane SSIM a reduced decode must reach against the reference.
type qualityFloor struct{ psnr, ssim float64 }

func checkQuality(t *testing.T, name string, data []byte, floor qualityFloor) {
	t.Helper()
	full, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("%s: image/jpeg: %v", name, err)
	}
	for _, n := range allN[:7] {
		got, err := decodeN(data, n)
		if err != nil {
			t.Errorf("%s scale %d/8: %v", name, n, err)
			continue
		}
		p, ssim, err := scaledQuality(got, full, n)
		if err != nil {
			t.Errorf("%s scale %d/8: %v", name, n, err)
			continue
		}
		t.Logf("%s scale %d/8: PSNR %.1f dB, SSIM %.4f", name, n, p, ssim)
		if p < floor.psnr || ssim < floor.ssim {
			t.Errorf("%s scale %d/8: PSNR %.1f dB, SSIM %.4f against area-averaged image/jpeg, want >= %.0f dB, %.2f",
				name, n, p, ssim, floor.psnr, floor.ssim)
		}
	}
}

// TestDecodeConfig checks that the header-only path reports what
// image/jpeg reports: full-resolution size and colour model.
func TestDecodeConfig(t *testing.T) {
	for name, data := range fixtures(t) {
		want, err := jpeg.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: image/jpeg: %v", name, err)
		}
		got, err := DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if got != want {
			t.Errorf("%s: config %+v, want %+v", name, got, want)
		}
	}
}

func TestScaleFor(t *testing.T) {
	tests := map[string]struct{ srcW, minW, want int }{
		"5312 to 1920":      {5312, 1920, 2},
		"5312 to 640":       {5312, 640, 8},
		"4000 to 640":       {4000, 640, 4},
		"5120 to 640 exact": {5120, 640, 8},
		"5113 to 640 ceil":  {5113, 640, 8},
		"5111 to 640":       {5111, 640, 4},
		"3840 to 1920":      {3840, 1920, 2},
		"3839 to 1920 ceil": {3839, 1920, 2},
		"3838 to 1920":      {3838, 1920, 1},
		"smaller than min":  {300, 320, 1},
		"zero min":          {100, 0, 8},
	}
	for name, tc := range tests {
		if got := ScaleFor(tc.srcW, tc.minW); got != tc.want {
			t.Errorf("%s: ScaleFor(%d, %d) = %d, want %d", name, tc.srcW, tc.minW, got, tc.want)
		}
	}
}

func TestScaleNFor(t *testing.T) {
	tests := map[string]struct{ srcW, minW, want int }{
		"5312 to 1920":       {5312, 1920, 3}, // 1992
		"6028 to 1920":       {6028, 1920, 3}, // 2261
		"4352 to 1920":       {4352, 1920, 4}, // 2176; 3/8 is 1632
		"3640 to 1920":       {3640, 1920, 5}, // 2275; 4/8 is 1820
		"3264 to 1920":       {3264, 1920, 5}, // 2040
		"2200 to 1920":       {2200, 1920, 7}, // 1925
		"2100 to 1920":       {2100, 1920, 8}, // 7/8 is 1838
		"5120 to 640 exact":  {5120, 640, 1},
		"5113 to 640 ceil":   {5113, 640, 1}, // ceil(639.1) = 640
		"5111 to 640":        {5111, 640, 2},
		"1705 to 640 ceil":   {1705, 640, 3}, // ceil(639.375)
		"1704 to 640":        {1704, 640, 4}, // 3/8 is exactly 639
		"smaller than min":   {300, 320, 8},
		"equal to min":       {1920, 1920, 8},
		"zero min":           {100, 0, 1},
		"one pixel wide min": {1, 1, 1},
	}
	for name, tc := range tests {
		if got := ScaleNFor(tc.srcW, tc.minW); got != tc.want {
			t.Errorf("%s: ScaleNFor(%d, %d) = %d, want %d", name, tc.srcW, tc.minW, got, tc.want)
		}
	}
}

func TestInvalidScale(t *testing.T) {
	data := fixtures(t)["baseline-420.jpg"]
	for _, s := range []int{-1, 0, 3, 16} {
		if _, err := Decode(bytes.NewReader(data), s); !errors.Is(err, ErrScale) {
			t.Errorf("Decode scale %d: err = %v, want ErrScale", s, err)
		}
	}
	for _, n := range []int{-1, 9, 16} {
		if _, err := DecodeWith(bytes.NewReader(data), Options{Scale: n}); !errors.Is(err, ErrScale) {
			t.Errorf("DecodeWith scale %d: err = %v, want ErrScale", n, err)
		}
	}
}

// TestInvalidInput checks that garbage gives the documented error types.
func TestInvalidInput(t *testing.T) {
	var fe FormatError
	if _, err := Decode(bytes.NewReader([]byte("GIF89a not a jpeg")), 1); !errors.As(err, &fe) {
		t.Errorf("non-JPEG: err = %v, want FormatError", err)
	}
	// A lossless (SOF3) frame is valid JPEG that neither decoder implements.
	data := fixtures(t)["baseline-gray.jpg"]
	i := bytes.Index(data, []byte{0xff, 0xc0})
	lossless := bytes.Clone(data)
	lossless[i+1] = 0xc3
	var ue UnsupportedError
	if _, err := decodeN(lossless, 4); !errors.As(err, &ue) {
		t.Errorf("SOF3: err = %v, want UnsupportedError", err)
	}
}

// TestTruncated cuts fixtures short and expects io.ErrUnexpectedEOF, never a
// panic or an image. The small grayscale progressive file is cut at every
// length, each cut decoded at one scale in turn; the others are cut at a
// spread of lengths plus the last 40, at every scale.
func TestTruncated(t *testing.T) {
	for name, data := range fixtures(t) {
		if name == "progressive-gray.jpg" {
			for n := range len(data) {
				checkTruncated(t, name, data[:n], allN[n%len(allN)])
			}
			continue
		}
		step := 61
		if testing.Short() {
			step = 499
		}
		for n := 0; n < len(data); n += step {
			checkTruncated(t, name, data[:n], allN...)
		}
		for n := max(0, len(data)-40); n < len(data); n++ {
			checkTruncated(t, name, data[:n], allN...)
		}
	}
}

func checkTruncated(t *testing.T, name string, data []byte, ns ...int) {
	t.Helper()
	for _, n := range ns {
		if _, err := decodeN(data, n); !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("%s cut at %d, scale %d/8: err = %v, want io.ErrUnexpectedEOF", name, len(data), n, err)
		}
	}
}

// TestShortReads feeds the decoder one byte or half a buffer per Read, so
// that the byte buffer is nearly empty at every point of the scan. The bit
// reader then has to fall back from fillFast's 8-byte loads to reading
// byte by byte, and the pixels must not change.
func TestShortReads(t *testing.T) {
	data := fixtures(t)
	readers := map[string]func([]byte) io.Reader{
		"one byte": func(b []byte) io.Reader { return iotest.OneByteReader(bytes.NewReader(b)) },
		"half":     func(b []byte) io.Reader { return iotest.HalfReader(bytes.NewReader(b)) },
	}
	for _, name := range []string{"baseline-420-restart.jpg", "baseline-444.jpg", "progressive-420.jpg", "progressive-444-restart.jpg"} {
		for _, n := range allN {
			want, err := decodeN(data[name], n)
			if err != nil {
				t.Fatalf("%s scale %d/8: %v", name, n, err)
			}
			for rname, r := range readers {
				got, err := DecodeWith(r(data[name]), Options{Scale: n})
				if err != nil {
					t.Errorf("%s scale %d/8, %s reads: %v", name, n, rname, err)
					continue
				}
				if err := samePixels(got, want); err != nil {
					t.Errorf("%s scale %d/8, %s reads: %v", name, n, rname, err)
				}
			}
		}
	}
}

// TestReadError checks that an I/O error other than EOF reaches the caller
// unchanged rather than being reported as a format problem.
func TestReadError(t *testing.T) {
	data := fixtures(t)["baseline-420.jpg"]
	r := io.MultiReader(bytes.NewReader(data[:len(data)/2]), iotest.ErrReader(iotest.ErrTimeout))
	if _, err := DecodeWith(r, Options{Scale: 3}); !errors.Is(err, iotest.ErrTimeout) {
		t.Errorf("err = %v, want iotest.ErrTimeout", err)
	}
}

// TestCompactStore checks that keeping only the NxN corner of each
// progressive block, and applying refinement bits only there, changes no
// pixel: at every scale it compares against a decode that keeps all 64
// coefficients per block and cuts the corner out at the end.
func TestCompactStore(t *testing.T) {
	inputs := fixtures(t)
	for name, data := range realPhotosIfAny(t) {
		inputs[name] = data
	}
	for _, name := range sortedKeys(inputs) {
		data := inputs[name]
		for _, n := range allN[:7] {
			want, wantErr := decodeFull(data, n)
			got, err := decodeN(data, n)
			if (err == nil) != (wantErr == nil) {
				t.Fatalf("%s %d/8: err = %v, with the full store %v", name, n, err, wantErr)
			}
			if err != nil {
				continue
			}
			if err := samePixels(got, want); err != nil {
				t.Errorf("%s %d/8: %v", name, n, err)
			}
		}
	}
}

// decodeFull decodes at n/8 keeping every coefficient of a progressive
// file, the reference for the compact coefficient store.
func decodeFull(data []byte, n int) (image.Image, error) {
	d := newDecoder(n, Options{MaxScans: -1})
	d.cbs = 8
	img, err := d.decode(bytes.NewReader(data), false)
	return img, publicError(err)
}
