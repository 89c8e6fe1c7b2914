package imageproc

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"testing"

	xwebp "golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// TestWebPKeepsLevels: a WebP render of a JPEG (a 4:2:0 frame handed to libwebp as YUV planes) must show the
// JPEG's levels. VP8 stores studio-swing luma, which every decoder expands to full range, so the stored luma,
// expanded, must match the source's; planes passed over as full range come out with their contrast stretched.
func TestWebPKeepsLevels(t *testing.T) {
	src := image.NewRGBA(image.Rect(0, 0, 256, 64))
	for y := range 64 {
		for x := range 256 {
			src.SetRGBA(x, y, color.RGBA{uint8(x), uint8(x), uint8(x), 255}) // a grey ramp, black to white
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, src, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	res, err := Process(context.Background(), data, Request{Targets: []Target{
		{Width: 256, Height: 64, Fit: FitInside, Format: imagefile.WebP, Quality: 90}}})
	if err != nil {
		t.Fatal(err)
	}
	img, err := xwebp.Decode(bytes.NewReader(res.Outputs[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	m, ok := img.(*image.YCbCr)
	if !ok {
		t.Fatalf("decoded a %T, want the lossy WebP's YCbCr", img)
	}
	var sum, worst float64
	for x := range 256 {
		v := float64(m.Y[m.YOffset(x, 32)])
		shown := (v - 16) * 255 / 219
		d := shown - float64(x)
		sum += d * d
		worst = max(worst, d, -d)
	}
	if rms := sum / 256; rms > 4 || worst > 8 {
		t.Errorf("luma as shown differs from the source's by %.1f levels squared on average, %.0f at worst", rms, worst)
	}
}
