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

// refRows and refColumns are the passes written the plain way, one sample and one tap at a time in int32, rounded
// by clamp8: what resizeRows and resizeColumns compute, minus every trick that makes them fast.
func refRows(src, dst plane, t []taps) {
	for y := range src.h {
		for x := range dst.w {
			var a int32
			for k, w := range t[x].weights {
				a += int32(src.pix[y*src.stride+t[x].start+k]) * w
			}
			dst.pix[y*dst.stride+x] = clamp8(a)
		}
	}
}

func refColumns(src, dst plane, t []taps) {
	for y := range dst.h {
		for x := range dst.w {
			var a int32
			for k, w := range t[y].weights {
				a += int32(src.pix[(t[y].start+k)*src.stride+x]) * w
			}
			dst.pix[y*dst.stride+x] = clamp8(a)
		}
	}
}

// harshPlane fills a w x h view, rows stride bytes apart and offset into its buffer as a cropped sub-image's are,
// with what stresses the lane arithmetic: runs of 0 and 255 whose edges make Lanczos overshoot both ways (so the
// clamp is exercised), and noise.
func harshPlane(w, h, stride, offset int, seed uint32) plane {
	buf := make([]uint8, offset+(h-1)*stride+w)
	for i := range buf {
		seed = seed*1664525 + 1013904223
		buf[i] = uint8(seed >> 24) // the margins too, which a pass must never read
	}
	p := plane{pix: buf[offset:], w: w, h: h, stride: stride}
	for y := range h {
		for x := range w {
			switch (x/4 + y/4) % 3 {
			case 0:
				p.pix[y*stride+x] = 0
			case 1:
				p.pix[y*stride+x] = 255
			}
		}
	}
	return p
}

// TestPassesMatchReference holds the lane-parallel passes to the plain ones, sample for sample: they must change
// nothing but the speed. The sizes cover planes narrower than eight (the one-at-a-time paths), heights that are
// and are not multiples of eight (the overlapping last group of rows), strides wider than the plane, every ratio
// the pipeline uses (1.06 after a 5/8 decode, 3 for 1920 to 640, the 2-4 left after a box shrink) and enlarging.
func TestPassesMatchReference(t *testing.T) {
	sizes := map[string][4]int{ // source w, h; output w, h
		"5/8 decode to 1920": {2040, 1530, 1920, 1440},
		"1920 to 640":        {1920, 1080, 640, 360},
		"640 to 320":         {640, 427, 320, 213},
		"after a box shrink": {997, 61, 250, 17},
		"narrow":             {7, 40, 3, 9},
		"short":              {300, 7, 100, 3},
		"eight rows":         {64, 8, 20, 8},
		"one column":         {1, 33, 1, 20},
		"enlarge":            {50, 30, 77, 45},
	}
	for name, sz := range sizes {
		t.Run(name, func(t *testing.T) {
			src := harshPlane(sz[0], sz[1], sz[0]+13, 5, uint32(sz[0]*sz[1]))
			tx, ty := lanczosTaps(sz[0], sz[2]), lanczosTaps(sz[1], sz[3])
			for _, pass := range []struct {
				name      string
				dst       [2]int
				fast, ref func(src, dst plane, t []taps)
				t         []taps
			}{
				{"rows", [2]int{sz[2], sz[1]}, resizeRows, refRows, tx},
				{"columns", [2]int{sz[0], sz[3]}, resizeColumns, refColumns, ty},
			} {
				got, want := newPlane(pass.dst[0], pass.dst[1]), newPlane(pass.dst[0], pass.dst[1])
				got.stride, want.stride = pass.dst[0]+3, pass.dst[0]+3
				got.pix, want.pix = make([]uint8, got.stride*got.h), make([]uint8, want.stride*want.h)
				pass.fast(src, got, pass.t)
				pass.ref(src, want, pass.t)
				clipped := 0
				for y := range want.h {
					for x := range want.w {
						g, w := got.pix[y*got.stride+x], want.pix[y*want.stride+x]
						if g != w {
							t.Fatalf("%s: sample (%d, %d) is %d, want %d", pass.name, x, y, g, w)
						}
						if w == 0 || w == 255 {
							clipped++
						}
					}
				}
				if clipped == 0 {
					t.Errorf("%s: no sample reached 0 or 255, so the clamp went untested", pass.name)
				}
			}
		})
	}
}
