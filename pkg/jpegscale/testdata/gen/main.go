// Command gen writes the synthetic picture that the JPEG fixtures in the
// parent folder are encoded from, as a binary PPM on standard output. The
// picture has smooth gradients, soft-edged discs, a sine grating and a little
// deterministic noise, so it exercises both the flat blocks that dominate
// photos and blocks with plenty of AC energy, and its odd size (203x157)
// leaves partial MCUs on both edges.
package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
)

func main() {
	const w, h = 203, 157
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	fmt.Fprintf(out, "P6\n%d %d\n255\n", w, h)
	seed := uint32(1)
	noise := func() float64 {
		seed = seed*1664525 + 1013904223
		return float64(seed>>24)/255*12 - 6
	}
	discs := []struct{ x, y, r, cr, cg, cb float64 }{
		{60, 50, 30, 230, 40, 40},
		{140, 100, 40, 30, 200, 60},
		{100, 130, 20, 250, 240, 30},
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			r := 40 + 160*fx/w
			g := 60 + 120*fy/h
			b := 200 - 150*(fx+fy)/(w+h)
			for _, d := range discs {
				dist := math.Hypot(fx-d.x, fy-d.y)
				a := math.Min(1, math.Max(0, (d.r-dist)/3))
				r, g, b = r*(1-a)+d.cr*a, g*(1-a)+d.cg*a, b*(1-a)+d.cb*a
			}
			if x > 150 && y < 60 {
				s := 60 * math.Sin(fx*0.5+fy*0.3)
				r, g, b = r+s, g+s, b+s
			}
			n := noise()
			for _, v := range []float64{r + n, g + n, b + n} {
				out.WriteByte(byte(math.Min(255, math.Max(0, math.Round(v)))))
			}
		}
	}
}
