package imageproc

import (
	"bytes"
	"image"
	"image/color"
	"runtime"
	"testing"

	"github.com/disintegration/imaging"
)

// allocated returns how many bytes f allocates.
func allocated(f func()) uint64 {
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestResamplerMemoryIsLinearInTheOutput: a 20,000,000 x 1 strip reduced to 1920 x 1 allocates a few MB beyond
// the box-shrunk intermediate, not tables in proportion to the source (Lanczos alone: 480 MB of taps for a plane,
// 1.9 GB in imaging).
func TestResamplerMemoryIsLinearInTheOutput(t *testing.T) {
	const n = 20_000_000
	src := newPlane(n, 1)
	for i := range src.pix {
		src.pix[i] = uint8(i * 7)
	}
	var out plane
	if b := allocated(func() { out = resizePlane(src, 1920, 1) }); b > 1<<20 {
		t.Errorf("plane: %d bytes allocated", b)
	}
	if out.w != 1920 || out.h != 1 {
		t.Fatalf("plane: %dx%d", out.w, out.h)
	}
	rgba := image.NewNRGBA(image.Rect(0, 0, n/4, 1))
	for i := range rgba.Pix {
		rgba.Pix[i] = 200
	}
	var img image.Image
	if b := allocated(func() { img = resize(rgba, 1920, 1) }); b > 4<<20 {
		t.Errorf("NRGBA: %d bytes allocated", b)
	}
	if img.Bounds().Dx() != 1920 || toNRGBA(img).NRGBAAt(960, 0) != (color.NRGBA{200, 200, 200, 200}) {
		t.Fatalf("NRGBA: %v %v", img.Bounds(), toNRGBA(img).NRGBAAt(960, 0))
	}
}

// TestBoxThenLanczosMatchesLanczos: for a photo-like scene reduced 12x, the two-step result is within a JPEG
// quantisation step of Lanczos alone.
func TestBoxThenLanczosMatchesLanczos(t *testing.T) {
	src := scene(3840, 2560)
	got := resize(src, 320, 213)
	want := imaging.Resize(src, 320, 213, imaging.Lanczos)
	if d := meanAbsDiff(t, got, want); d > 1.5 {
		t.Errorf("mean absolute difference %.2f levels", d)
	}
	gray := image.NewGray(src.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = src.Pix[4*i+1]
	}
	gotG := resize(gray, 320, 213)
	wantG := imaging.Resize(gray, 320, 213, imaging.Lanczos)
	if d := meanAbsDiff(t, gotG, wantG); d > 1.5 {
		t.Errorf("plane: mean absolute difference %.2f levels", d)
	}
}

// TestBoxShrinkWeighsColourByAlpha: a block of transparent red and opaque blue is blue, half transparent; edge
// blocks average what they hold.
func TestBoxShrinkWeighsColourByAlpha(t *testing.T) {
	img := image.NewNRGBA(image.Rect(0, 0, 5, 2))
	for x := range 5 {
		img.SetNRGBA(x, 0, color.NRGBA{255, 0, 0, 0})
		img.SetNRGBA(x, 1, color.NRGBA{0, 0, 255, 255})
	}
	out := boxShrinkImage(img, 2, 2)
	if out.Rect.Dx() != 3 || out.Rect.Dy() != 1 {
		t.Fatalf("size %v", out.Rect)
	}
	for x := range 3 {
		if c := out.NRGBAAt(x, 0); c != (color.NRGBA{0, 0, 255, 128}) {
			t.Errorf("block %d: %v", x, c)
		}
	}
	p := plane{pix: []uint8{10, 20, 30, 40, 50}, w: 5, h: 1, stride: 5}
	if got := boxShrink(p, 2, 1); string(got.pix) != string([]uint8{15, 35, 50}) {
		t.Errorf("plane edges: %v", got.pix)
	}
}

// TestBoxShrinkOf16BitImages holds the reused-row path for the 16-bit images image/png returns to imaging's
// conversion, pixel for pixel, and to its purpose: shrinking allocates the output and one row, not a row per row.
func TestBoxShrinkOf16BitImages(t *testing.T) {
	const w, h = 301, 97
	r := image.Rect(0, 0, w, h)
	n64, r64, g16 := image.NewNRGBA64(r), image.NewRGBA64(r), image.NewGray16(r)
	for y := range h {
		for x := range w {
			v := uint16(x*977 + y*131)
			a := uint16(0xffff)
			switch (x / 7) % 3 { // opaque, transparent and translucent runs
			case 1:
				a = 0
			case 2:
				a = uint16(0x4000 + y*97)
			}
			n64.SetNRGBA64(x, y, color.NRGBA64{R: v, G: ^v, B: v / 3, A: a})
			p := uint32(a)
			r64.SetRGBA64(x, y, color.RGBA64{R: uint16(uint32(v) * p / 0xffff), G: uint16(uint32(^v) * p / 0xffff),
				B: uint16(uint32(v/3) * p / 0xffff), A: a})
			g16.SetGray16(x, y, color.Gray16{Y: v})
		}
	}
	for name, img := range map[string]image.Image{"NRGBA64": n64, "RGBA64": r64, "Gray16": g16} {
		t.Run(name, func(t *testing.T) {
			got := boxShrinkImage(img, 3, 2)
			want := boxShrinkImage(imaging.Clone(img), 3, 2)
			if !bytes.Equal(got.Pix, want.Pix) {
				t.Fatal("the shrink of the 16-bit image differs from the shrink of imaging's 8-bit conversion")
			}
			alloc := allocated(func() { boxShrinkImage(img, 3, 2) })
			out := uint64(len(got.Pix)) + 8*4*uint64(got.Rect.Dx()) + 4*w // output, accumulator, one row
			if alloc > out+out/2 {
				t.Errorf("shrinking allocated %d bytes; the output, accumulator and one row are %d", alloc, out)
			}
		})
	}
}
