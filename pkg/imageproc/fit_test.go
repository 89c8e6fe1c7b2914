package imageproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// TestTargetSizes is the size rule of every fit, including the sides left free and the never-enlarge rule.
func TestTargetSizes(t *testing.T) {
	for _, c := range []struct {
		t    Target
		w, h int
	}{
		{Target{}, 1200, 800},
		{Target{Width: 640}, 640, 427},
		{Target{Height: 200}, 300, 200},
		{Target{Width: 300, Height: 300}, 300, 200},
		{Target{Width: 300, Height: 300, Fit: FitInside}, 300, 200},
		{Target{Width: 300, Height: 100, Fit: FitInside}, 150, 100},
		{Target{Width: 300, Height: 300, Fit: FitCover}, 300, 300},
		{Target{Width: 400, Height: 100, Fit: FitCover}, 400, 100},
		{Target{Width: 300, Height: 300, Fit: FitContain}, 300, 300},
		{Target{Width: 2000, Height: 2000, Fit: FitCover}, 800, 800}, // no enlarging: the largest square crop
		{Target{Width: 3000, Height: 1000, Fit: FitCover}, 1200, 400},
		{Target{Width: 5000}, 1200, 800},
		{Target{Width: 640, Fit: FitCover}, 640, 427}, // one side: nothing to cover
	} {
		if w, h := Size(1200, 800, c.t); w != c.w || h != c.h {
			t.Errorf("%+v: %dx%d, want %dx%d", c.t, w, h, c.w, c.h)
		}
	}
}

// TestFitsShowTheRightPixels checks, for stored orientations 1 and 6 and for a reduced and a full decode, that each
// fit shows what it should: cover the centre crop, contain the whole picture with white bars, inside the whole
// picture.
func TestFitsShowTheRightPixels(t *testing.T) {
	upright := scene(1200, 800)
	square := imaging.CropCenter(upright, 800, 800)
	cases := map[string]struct {
		t    Target
		want image.Image
	}{
		"inside":    {Target{Width: 300, Height: 300}, imaging.Resize(upright, 300, 200, imaging.Lanczos)},
		"cover":     {Target{Width: 300, Height: 300, Fit: FitCover}, imaging.Resize(square, 300, 300, imaging.Lanczos)},
		"cover big": {Target{Width: 1000, Height: 1000, Fit: FitCover}, square},
		"contain": {Target{Width: 300, Height: 300, Fit: FitContain},
			imaging.PasteCenter(imaging.New(300, 300, color.White), imaging.Resize(upright, 300, 200, imaging.Lanczos))},
		"wide cover": {Target{Width: 600, Height: 100, Fit: FitCover},
			imaging.Resize(imaging.CropCenter(upright, 1200, 200), 600, 100, imaging.Lanczos)},
	}
	for _, o := range []int{1, 6} {
		data := withEXIF(encodeJPEG(t, storedFor(upright, o), 95), o, false)
		for name, c := range cases {
			t.Run(fmt.Sprintf("o%d/%s", o, name), func(t *testing.T) {
				c.t.Quality = 95
				res, err := Process(context.Background(), data, Request{Targets: []Target{c.t}})
				if err != nil {
					t.Fatal(err)
				}
				got := decodeDerivative(t, res.Outputs[0])
				if d := meanAbsDiff(t, got, c.want); d > 3 {
					t.Errorf("differs from the reference by %.2f per channel", d)
				}
			})
		}
	}
}

func TestOutputsInRequestOrderAndFormats(t *testing.T) {
	data := encodeJPEG(t, scene(900, 600), 90)
	targets := []Target{{Width: 100}, {Width: 300, Height: 300, Fit: FitCover, Format: imagefile.PNG}, {Width: 600}}
	res, err := Process(context.Background(), data, Request{Targets: targets})
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range res.Outputs {
		if o.Target != targets[i] {
			t.Errorf("output %d is for %+v, want %+v", i, o.Target, targets[i])
		}
		decodeDerivative(t, o)
	}
	if res.Outputs[1].Format != imagefile.PNG || res.Outputs[0].Format != imagefile.JPEG {
		t.Errorf("formats %v, %v", res.Outputs[0].Format, res.Outputs[1].Format)
	}
}

func TestBadTargets(t *testing.T) {
	data := encodeJPEG(t, scene(90, 60), 90)
	for name, targets := range map[string][]Target{
		"gif output":     {{Width: 10, Format: imagefile.GIF}},
		"avif output":    {{Width: 10, Format: imagefile.AVIF}},
		"unknown format": {{Width: 10, Format: imagefile.Format{Name: "bmp", Ext: ".bmp"}}},
		"unknown fit":    {{Width: 10, Height: 10, Fit: "fill"}},
		"negative":       {{Width: -1}},
		"none":           nil,
	} {
		if _, err := Process(context.Background(), data, Request{Targets: targets}); !errors.Is(err, ErrOutput) {
			t.Errorf("%s: got %v, want ErrOutput", name, err)
		}
	}
	if _, err := Encode(scene(4, 4), imagefile.AVIF, 80); !errors.Is(err, ErrOutput) {
		t.Errorf("Encode AVIF: got %v, want ErrOutput rather than a JPEG", err)
	}
}

func TestCancelledContextStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := Process(ctx, encodeJPEG(t, scene(90, 60), 90), Request{Targets: Widths(testWidths, 80)})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// TestGIFFrameOnItsCanvas: a first frame that covers only part of the logical screen stays where it is.
func TestGIFFrameOnItsCanvas(t *testing.T) {
	pal := color.Palette{color.RGBA{200, 0, 0, 255}, color.RGBA{0, 0, 0, 255}}
	frame := image.NewPaletted(image.Rect(20, 10, 40, 30), pal) // red, in the right half of a 40x40 screen
	var buf bytes.Buffer
	err := gif.EncodeAll(&buf, &gif.GIF{Image: []*image.Paletted{frame}, Delay: []int{0},
		Config: image.Config{Width: 40, Height: 40, ColorModel: pal}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Process(context.Background(), buf.Bytes(), Request{Targets: []Target{{Format: imagefile.PNG}}})
	if err != nil {
		t.Fatal(err)
	}
	got := decodeDerivative(t, res.Outputs[0])
	if got.Bounds().Dx() != 40 || got.NRGBAAt(30, 20).R < 190 || got.NRGBAAt(5, 5).A != 0 || got.NRGBAAt(30, 35).A != 0 {
		t.Errorf("%v: inside the frame %v, outside %v %v", got.Bounds(), got.NRGBAAt(30, 20), got.NRGBAAt(5, 5), got.NRGBAAt(30, 35))
	}
}

// TestToStored: the stored rectangle of an upright one holds exactly the stored pixels those upright pixels show,
// by the EXIF definition in uprightAt, for all eight orientations.
func TestToStored(t *testing.T) {
	const uw, uh = 13, 7
	r := image.Rect(2, 1, 9, 5)
	for o := 1; o <= 8; o++ {
		sw, sh := uw, uh
		if swapsAxes(o) {
			sw, sh = uh, uw
		}
		got := toStored(r, o, sw, sh)
		n := 0
		for y := 0; y < uh; y++ {
			for x := 0; x < uw; x++ {
				sx, sy := uprightAt(o, x, y, sw, sh)
				if (image.Pt(x, y).In(r)) != (image.Pt(sx, sy).In(got)) {
					t.Fatalf("orientation %d: upright (%d,%d) in %v, stored (%d,%d) in %v disagree", o, x, y, r, sx, sy, got)
				}
				n++
			}
		}
		if got.Dx()*got.Dy() != r.Dx()*r.Dy() {
			t.Errorf("orientation %d: %v has a different area from %v", o, got, r)
		}
	}
}

// TestWebPOutput: WebP renders decode to the picture, from a 4:2:0 frame (the YUV fast path) and from one with
// alpha, which WebP keeps.
func TestWebPOutput(t *testing.T) {
	for name, data := range map[string][]byte{
		"jpeg source":  encodeJPEG(t, scene(640, 480), 95),
		"alpha source": encodePNG(t, halfTransparent(320, 240)),
	} {
		t.Run(name, func(t *testing.T) {
			res, err := Process(context.Background(), data, Request{Targets: []Target{{Width: 320, Format: imagefile.WebP}}})
			if err != nil {
				t.Fatal(err)
			}
			o := res.Outputs[0]
			got := decodeDerivative(t, o)
			src, _, _ := image.Decode(bytes.NewReader(data))
			want := imaging.Resize(src, o.Width, o.Height, imaging.Lanczos)
			// Lossy WebP subsamples chroma like JPEG; at the alpha source's hard transparent edge that costs more.
			tolerance := 4.0
			if name == "alpha source" {
				tolerance = 10
			}
			if d := meanAbsDiff(t, got, want); d > tolerance {
				t.Errorf("differs from the picture by %.1f per channel", d)
			}
			if name == "alpha source" && got.NRGBAAt(o.Width*3/4, o.Height/2).A > 200 {
				t.Error("transparency lost")
			}
		})
	}
}
