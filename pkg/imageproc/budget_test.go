package imageproc

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"testing"

	"github.com/gen2brain/webp"

	"github.com/imgpipe/imgpipe/internal/heiftest"
	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/jpegscale"
)

// magick converts a PNG with ImageMagick's convert and the given options into ext; it skips without ImageMagick
// (fails under CI=true).
func magick(t testing.TB, src []byte, ext string, args ...string) []byte {
	t.Helper()
	convert, err := testimage.ImageMagick()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in.png"), filepath.Join(dir, "out"+ext)
	if err := os.WriteFile(in, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if msg, err := exec.Command(convert, append(append([]string{in}, args...), out)...).CombinedOutput(); err != nil {
		t.Fatalf("convert: %v\n%s", err, msg)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// budgetInputs are one file per decoder path the estimate models, at about 4 MP.
func budgetInputs(t *testing.T) map[string][]byte {
	const w, h = 2400, 1600
	rgb := scene(w, h)
	alpha := scene(w, h)
	for i := 3; i < len(alpha.Pix); i += 4 {
		alpha.Pix[i] = uint8(i / 4 % 251)
	}
	deep := image.NewNRGBA64(rgb.Rect)
	for i, v := range rgb.Pix {
		deep.Pix[2*i], deep.Pix[2*i+1] = v, v^0x5a
	}
	gray := image.NewGray(rgb.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = rgb.Pix[4*i+1]
	}
	pal := image.NewPaletted(rgb.Rect, []color.Color{color.Black, color.White, color.NRGBA{200, 30, 30, 255}})
	for i := range pal.Pix {
		pal.Pix[i] = uint8(i % 3)
	}
	enc := func(img image.Image) []byte {
		var b bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&b, img); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	webpOf := func(img image.Image, lossless bool) []byte {
		var b bytes.Buffer
		if err := webp.Encode(&b, img, webp.Options{Quality: 80, Lossless: lossless, Method: 0}); err != nil {
			t.Fatal(err)
		}
		return b.Bytes()
	}
	var g bytes.Buffer
	if err := gif.Encode(&g, pal, nil); err != nil {
		t.Fatal(err)
	}
	pngRGB := enc(rgb)
	in := map[string][]byte{
		"jpeg 4:2:0":        encodeJPEG(t, rgb, 85),
		"jpeg gray":         encodeJPEG(t, gray, 85),
		"png rgba":          enc(alpha),
		"png rgb 16-bit":    enc(deep),
		"png gray":          enc(gray),
		"png palette":       enc(pal),
		"gif":               g.Bytes(),
		"webp lossy":        webpOf(rgb, false),
		"webp lossy alpha":  webpOf(alpha, false),
		"webp lossless":     webpOf(alpha, true),
		"png interlaced":    magick(t, pngRGB, ".png", "-interlace", "PNG"),
		"jpeg progressive":  magick(t, pngRGB, ".jpg", "-interlace", "JPEG", "-quality", "90"),
		"jpeg 4:4:4 prog.":  magick(t, pngRGB, ".jpg", "-interlace", "JPEG", "-sampling-factor", "1x1", "-quality", "90"),
		"jpeg 4:2:2":        magick(t, pngRGB, ".jpg", "-sampling-factor", "2x1", "-quality", "90"),
		"jpeg cmyk":         magick(t, pngRGB, ".jpg", "-colorspace", "CMYK", "-quality", "90"),
		"png 16-bit interl": magick(t, enc(deep), ".png", "-interlace", "PNG"),
	}
	return in
}

// TestEstimateBoundsProcess holds package budget's estimate to what Process really allocates (TotalAlloc, which
// bounds the live heap), for every decoder path, as derivatives and as WebP renders: never under it, and not so far
// over that the budget would refuse photos the function can process. The JPEG decode's share is also held to
// jpegscale's own exact figure.
func TestEstimateBoundsProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes about twenty 6 MP files")
	}
	inputs := budgetInputs(t)
	if _, err := exec.LookPath("heif-enc"); err == nil || os.Getenv("CI") == "true" {
		small := scene(1600, 1200)
		inputs["heic"] = heiftest.HEIC(t, small)
		inputs["avif"] = heiftest.AVIF(t, small)
	}
	requests := map[string][]Target{
		"derivatives": Widths(testWidths, 82),
		"webp render": {{Width: 640, Height: 640, Fit: FitCover, Format: imagefile.WebP, Quality: 80}},
		"full size":   {{Quality: 82}},
	}
	for name, data := range inputs {
		for rname, targets := range requests {
			t.Run(name+"/"+rname, func(t *testing.T) {
				// Warm the WebP encoder's module first: its one-time compile is not per image.
				if _, err := Process(context.Background(), testimage.JPEG(64, 64), Request{Targets: []Target{{Width: 32, Format: imagefile.WebP}}}); err != nil {
					t.Fatal(err)
				}
				runtime.GC()
				defer debug.SetGCPercent(debug.SetGCPercent(-1))
				var before, after runtime.MemStats
				runtime.ReadMemStats(&before)
				res, err := Process(context.Background(), data, Request{Targets: targets})
				runtime.ReadMemStats(&after)
				if err != nil {
					t.Fatal(err)
				}
				got := int64(after.TotalAlloc - before.TotalAlloc)
				est := res.Cost.Bytes
				t.Logf("%s %dx%d: allocated %.1f MB, estimated %.1f MB (%.2fx)", res.Source.Format.Name,
					res.Source.Width, res.Source.Height, float64(got)/(1<<20), float64(est)/(1<<20), float64(est)/float64(got))
				if got > est {
					t.Errorf("allocated %d bytes, over the estimate of %d: %v", got, est, res.Cost)
				}
				if est > 3*got+112<<20 {
					t.Errorf("the estimate %v is more than 3x the %d bytes allocated", res.Cost, got)
				}
				if res.Source.Format == imagefile.JPEG {
					exact, err := jpegscale.Cost(data, res.Cost.Scale)
					if err != nil {
						t.Fatal(err)
					}
					if res.Cost.Decode < exact.Bytes || res.Cost.Decode > exact.Bytes*11/10+1<<20 {
						t.Errorf("JPEG decode estimated %d, jpegscale says %d", res.Cost.Decode, exact.Bytes)
					}
				}
			})
		}
	}
}

// TestBudgetScaleMatchesDecode: the estimate assumes the N/8 scale the decoder will use.
func TestBudgetScaleMatchesDecode(t *testing.T) {
	for _, side := range []int{100, 1919, 1920, 1921, 2560, 3264, 3640, 4000, 6028, 8660, 16000} {
		for _, o := range []int{1, 6} {
			info := imagefile.Info{Format: imagefile.JPEG, Width: side, Height: side / 2, Orientation: o, ChromaH: 2, ChromaV: 2, Channels: 3}
			if o == 6 {
				info.Width, info.Height = side/2, side
			}
			c := budget.Estimate(info, 0, 1920, nil)
			if want := JPEGScale(info, 1920); c.Scale != want {
				t.Errorf("side %d orientation %d: estimate at %d/8, decode at %d/8", side, o, c.Scale, want)
			}
		}
	}
}

// TestDerivativesMatchTheSteps: what the upload function checks (budget.Derivatives) is what Process plans for the
// resize function's targets.
func TestDerivativesMatchTheSteps(t *testing.T) {
	for _, c := range []struct{ w, h, o int }{{4000, 3000, 1}, {4000, 3000, 6}, {1000, 800, 1}, {333, 5000, 8}, {20000, 3, 1}} {
		for _, webp := range []bool{false, true} {
			info := imagefile.Info{Format: imagefile.JPEG, Width: c.w, Height: c.h, Orientation: c.o}
			minWidth, outs := budget.Derivatives(info, testWidths, webp)
			targets := Widths(testWidths, 82)
			if webp {
				targets = WidthsAlso(testWidths, 82, []imagefile.Format{imagefile.WebP}, nil)
			}
			uw, uh := info.Upright()
			steps, err := planSteps(uw, uh, info, targets)
			if err != nil {
				t.Fatal(err)
			}
			if want := decodeWidth(uw, steps); minWidth != want {
				t.Errorf("%+v: minWidth %d, Process decodes for %d", c, minWidth, want)
			}
			got := map[budget.Output]int{}
			for _, o := range outs {
				got[o]++
			}
			for _, s := range steps {
				got[budget.Output{Width: s.geom.canvasW, Height: s.geom.canvasH, Format: s.format}]--
			}
			for o, n := range got {
				if n != 0 {
					t.Errorf("%+v webp=%v: output %+v differs by %d", c, webp, o, n)
				}
			}
		}
	}
}
