package imageproc

import (
	"fmt"
	"testing"
)

// TestResizeFlat checks that every output's weights sum to one, including at the borders where taps outside the
// image are dropped: a flat area must stay exactly flat at any ratio, in either pass order, or skies would band and
// edges darken.
func TestResizeFlat(t *testing.T) {
	for _, size := range [][4]int{{4352, 3, 1920, 1}, {3, 2448, 1, 1080}, {997, 661, 640, 427}, {640, 427, 7, 5}, {5, 5, 3, 2}} {
		src := newPlane(size[0], size[1])
		for i := range src.pix {
			src.pix[i] = 137
		}
		got := resizePlane(src, size[2], size[3])
		if got.w != size[2] || got.h != size[3] {
			t.Fatalf("%v: got %dx%d", size, got.w, got.h)
		}
		for i, v := range got.pix {
			if v != 137 {
				t.Fatalf("%v: sample %d is %d, want 137", size, i, v)
			}
		}
	}
}

// TestResizePassOrder checks that the two pass orders resizePlane chooses between give the same picture, so the
// choice is purely one of speed. They differ only through the 8-bit intermediate: by rounding, and where Lanczos
// overshoot at a 0-255 edge is clipped before rather than after the second pass (up to 15 levels, on a handful of
// samples of this deliberately harsh pattern).
func TestResizePassOrder(t *testing.T) {
	img := scene(900, 600)
	src := newPlane(900, 600)
	for i := range src.pix {
		src.pix[i] = img.Pix[4*i] ^ img.Pix[4*i+2] // hard edges from the disc, ramps from the red channel
	}
	for _, size := range [][2]int{{640, 427}, {300, 100}, {100, 300}} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			tx, ty := lanczosTaps(900, size[0]), lanczosTaps(600, size[1])
			a := resizeCols(resizeRowsTo(src, size[0], tx), size[1], ty)
			b := resizeRowsTo(resizeCols(src, size[1], ty), size[0], tx)
			worst, sum := 0, 0
			for i := range a.pix {
				d := max(int(a.pix[i])-int(b.pix[i]), int(b.pix[i])-int(a.pix[i]))
				worst, sum = max(worst, d), sum+d
			}
			if mean := float64(sum) / float64(len(a.pix)); mean > 0.05 || worst > 16 {
				t.Errorf("orders differ by %.3f on average and %d at worst; want <= 0.05 and <= 16", mean, worst)
			}
		})
	}
}
