package imageproc

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"runtime"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/budget"
)

// maxAllocMB50MP bounds everything Process allocates for a 50 MP JPEG. Total allocation is an upper bound on the
// heap Process can hold at any moment, and unlike a sampled peak it is exact, so the test cannot pass by luck.
// A single full-resolution frame is 71 MB as YCbCr 4:2:0 (200 MB as RGBA), so a regression to a full-size decode
// fails; the reduced decode (1/4 here) measured 15 MB, and the function has 1024 MB.
const maxAllocMB50MP = 64

// TestMemory50MP processes the largest photo the function accepts (MAX_PIXELS is 50 MP), generated here as an
// 8660x5773 baseline JPEG.
func TestMemory50MP(t *testing.T) {
	if testing.Short() {
		t.Skip("generates and encodes a 50 MP image")
	}
	data := synthetic50MP(t)
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	res, err := Process(context.Background(), data, Request{Targets: Widths(testWidths, 82), Limits: budget.Limits{MaxPixels: 50_000_000}})
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Outputs[0]; d.Width != 1920 || d.Height != 1280 {
		t.Errorf("largest derivative is %dx%d, want 1920x1280", d.Width, d.Height)
	}
	mb := float64(after.TotalAlloc-before.TotalAlloc) / (1 << 20)
	t.Logf("Process allocated %.0f MB in total for %.1f MB of JPEG", mb, float64(len(data))/(1<<20))
	if mb > maxAllocMB50MP {
		t.Errorf("Process allocated %.0f MB, want <= %d MB", mb, maxAllocMB50MP)
	}
}

// synthetic50MP returns an 8660x5773 JPEG with gradients and a hash texture, so that its entropy-coded data is
// photo-sized rather than trivially small.
func synthetic50MP(t *testing.T) []byte {
	const w, h = 8660, 5773
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		row := img.Y[y*img.YStride:]
		for x := range w {
			v := uint32(x)*2654435761 ^ uint32(y)*2246822519
			row[x] = uint8(40 + 140*x/w + 40*y/h + int((v^v>>15)%24))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = uint8(80+i%90), 150
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
