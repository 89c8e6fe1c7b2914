package imagequality

import (
	"image"
	"image/color"
)

// luma returns the BT.601 luma of img as float64s, row-major. For a *image.YCbCr (a decoded JPEG) it reads the Y
// plane as stored; for anything else it converts, compositing transparent pixels over black, which is what the
// premultiplied values already are.
func luma(img image.Image) (pix []float64, w, h int) {
	b := img.Bounds()
	w, h = b.Dx(), b.Dy()
	pix = make([]float64, w*h)
	switch m := img.(type) {
	case *image.YCbCr:
		for y := range h {
			row := m.Y[(y)*m.YStride:]
			for x := range w {
				pix[y*w+x] = float64(row[x])
			}
		}
	case *image.Gray:
		for y := range h {
			row := m.Pix[y*m.Stride:]
			for x := range w {
				pix[y*w+x] = float64(row[x])
			}
		}
	default:
		for y := range h {
			for x := range w {
				r, g, bl, _ := img.At(b.Min.X+x, b.Min.Y+y).RGBA()
				yy, _, _ := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
				pix[y*w+x] = float64(yy)
			}
		}
	}
	return pix, w, h
}
