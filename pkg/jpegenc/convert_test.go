package jpegenc

import (
	"image/color"
	"testing"
)

// rgbaRow equals color.RGBToYCbCr on every colour, and with NRGBA equals it on what color.NRGBA.RGBA gives, for
// every alpha (on a sample of colours).
func TestRGBToYCbCr(t *testing.T) {
	const n = 1 << 12 // pixels per row
	pix := make([]byte, 4*n)
	y, u, v := make([]byte, n), make([]byte, n), make([]byte, n)
	for c0 := 0; c0 < 1<<24; c0 += n {
		for i := range n {
			c := c0 + i
			pix[4*i], pix[4*i+1], pix[4*i+2], pix[4*i+3] = byte(c>>16), byte(c>>8), byte(c), byte(c*7)
		}
		rgbaRow(y, u, v, pix, false)
		for i := range n {
			y1, u1, v1 := color.RGBToYCbCr(pix[4*i], pix[4*i+1], pix[4*i+2])
			if y[i] != y1 || u[i] != u1 || v[i] != v1 {
				t.Fatalf("rgb %v: %d,%d,%d, color.RGBToYCbCr %d,%d,%d", pix[4*i:4*i+3], y[i], u[i], v[i], y1, u1, v1)
			}
		}
		if c0%(1<<16) != 0 {
			continue
		}
		rgbaRow(y, u, v, pix, true)
		for i := range n {
			r, g, b, _ := color.NRGBA{pix[4*i], pix[4*i+1], pix[4*i+2], pix[4*i+3]}.RGBA()
			y1, u1, v1 := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(b>>8))
			if y[i] != y1 || u[i] != u1 || v[i] != v1 {
				t.Fatalf("nrgba %v: %d,%d,%d, want %d,%d,%d", pix[4*i:4*i+4], y[i], u[i], v[i], y1, u1, v1)
			}
		}
	}
}
