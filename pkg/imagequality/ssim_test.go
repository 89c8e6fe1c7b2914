package imagequality

import (
	"errors"
	"image"
	"image/color"
	"math"
	"testing"
)

func ramp(w, h int, noise int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	seed := uint32(1)
	for y := range h {
		for x := range w {
			v := 40 + (160*x)/w + (40*y)/h
			if noise > 0 {
				seed = seed*1664525 + 1013904223
				v += int(seed>>24)%(2*noise+1) - noise
			}
			img.SetGray(x, y, color.Gray{uint8(max(0, min(255, v)))})
		}
	}
	return img
}

// TestSSIM checks the fixed points and the ordering the benchmark relies on: identical images score 1, mild noise
// scores below 1, and stronger noise scores lower still.
func TestSSIM(t *testing.T) {
	ref := ramp(64, 48, 0)
	same, err := SSIM(ref, ref)
	if err != nil || math.Abs(same-1) > 1e-12 {
		t.Fatalf("identical images: %v, %v; want 1", same, err)
	}
	mild, _ := SSIM(ref, ramp(64, 48, 3))
	strong, _ := SSIM(ref, ramp(64, 48, 30))
	if !(mild < 1 && strong < mild && strong > 0) {
		t.Errorf("SSIM(mild noise) = %.4f, SSIM(strong noise) = %.4f; want 1 > mild > strong > 0", mild, strong)
	}
	if _, err := SSIM(ref, ramp(63, 48, 0)); !errors.Is(err, ErrSize) {
		t.Errorf("different sizes: got %v, want ErrSize", err)
	}
}

// TestPSNR checks PSNR against a case computed by hand: every pixel off by 5 gives 10 log10(255^2/25) dB.
func TestPSNR(t *testing.T) {
	a := ramp(16, 16, 0)
	b := image.NewGray(a.Rect)
	for i, v := range a.Pix {
		b.Pix[i] = v + 5
	}
	got, err := PSNR(a, b)
	want := 10 * math.Log10(255*255/25.0)
	if err != nil || math.Abs(got-want) > 1e-9 {
		t.Errorf("PSNR = %v, %v; want %v", got, err, want)
	}
	if inf, _ := PSNR(a, a); !math.IsInf(inf, 1) {
		t.Errorf("identical images: PSNR = %v, want +Inf", inf)
	}
}
