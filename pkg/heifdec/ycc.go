package heifdec

import (
	"image"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// yccTable converts 8-bit YCbCr to RGB for one H.273 matrix and range, in 16.16 fixed point: Go's own
// conversion is BT.601 full range only.
type yccTable struct {
	y, crR, cbG, crG, cbB [256]int32
	identity              bool // MatrixCoefficients 0: the planes are G, B, R
}

// kr and kb of the H.273 matrices photos use; anything else is read as BT.601.
func coefficients(matrix uint16) (kr, kb float64) {
	switch matrix {
	case 1:
		return 0.2126, 0.0722 // BT.709
	case 4:
		return 0.30, 0.11 // FCC
	case 7:
		return 0.212, 0.087 // SMPTE 240M
	case 9, 10:
		return 0.2627, 0.0593 // BT.2020
	}
	return 0.299, 0.114 // 5, 6: BT.601
}

func newYCCTable(n imagefile.NCLXInfo, hasNCLX bool) *yccTable {
	t := &yccTable{identity: hasNCLX && n.Matrix == 0}
	full := !hasNCLX || n.FullRange
	kr, kb := coefficients(n.Matrix)
	kg := 1 - kr - kb
	const one = 1 << 16
	for i := range 256 {
		y, c := float64(i)/255, (float64(i)-128)/255
		if !full {
			y, c = (float64(i)-16)/219, (float64(i)-128)/224
		}
		if t.identity {
			t.y[i] = int32(y * 255 * one)
			continue
		}
		t.y[i] = int32(y * 255 * one)
		t.crR[i] = int32(2 * (1 - kr) * c * 255 * one)
		t.cbB[i] = int32(2 * (1 - kb) * c * 255 * one)
		t.cbG[i] = int32(-2 * (1 - kb) * kb / kg * c * 255 * one)
		t.crG[i] = int32(-2 * (1 - kr) * kr / kg * c * 255 * one)
	}
	return t
}

func clamp8(v int32) uint8 {
	v = (v + 1<<15) >> 16
	if v < 0 {
		return 0
	}
	if v > 255 {
		return 255
	}
	return uint8(v)
}

func (t *yccTable) rgb(y, cb, cr uint8) (r, g, b uint8) {
	if t.identity {
		return clamp8(t.y[cr]), clamp8(t.y[y]), clamp8(t.y[cb])
	}
	yy := t.y[y]
	return clamp8(yy + t.crR[cr]), clamp8(yy + t.cbG[cb] + t.crG[cr]), clamp8(yy + t.cbB[cb])
}

// toNRGBA converts a YCbCr frame by the nclx box's matrix and range, with alpha from a plane of the same size
// (nil: opaque).
func toNRGBA(m *image.YCbCr, alpha []byte, n imagefile.NCLXInfo) *image.NRGBA {
	t := newYCCTable(n, true)
	b := m.Rect
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := out.Pix[(y-b.Min.Y)*out.Stride:]
		for x := b.Min.X; x < b.Max.X; x++ {
			ci := m.COffset(x, y)
			p := row[4*(x-b.Min.X):]
			p[0], p[1], p[2] = t.rgb(m.Y[m.YOffset(x, y)], m.Cb[ci], m.Cr[ci])
			p[3] = 255
			if alpha != nil {
				p[3] = alpha[(y-b.Min.Y)*b.Dx()+x-b.Min.X]
			}
		}
	}
	return out
}

// withAlpha joins a decoded colour frame and its alpha plane.
func withAlpha(colour image.Image, alpha []byte, n imagefile.NCLXInfo, bt601 bool) *image.NRGBA {
	switch m := colour.(type) {
	case *image.YCbCr:
		if bt601 {
			n = imagefile.NCLXInfo{Matrix: 6, FullRange: true}
		}
		return toNRGBA(m, alpha, n)
	case *image.Gray:
		out := image.NewNRGBA(image.Rect(0, 0, m.Rect.Dx(), m.Rect.Dy()))
		for y := range out.Rect.Dy() {
			for x := range out.Rect.Dx() {
				v := m.Pix[y*m.Stride+x]
				copy(out.Pix[y*out.Stride+4*x:], []byte{v, v, v, alpha[y*out.Rect.Dx()+x]})
			}
		}
		return out
	}
	out := image.NewNRGBA(image.Rect(0, 0, colour.Bounds().Dx(), colour.Bounds().Dy()))
	for y := range out.Rect.Dy() {
		for x := range out.Rect.Dx() {
			r, g, b, _ := colour.At(colour.Bounds().Min.X+x, colour.Bounds().Min.Y+y).RGBA()
			copy(out.Pix[y*out.Stride+4*x:], []byte{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), alpha[y*out.Rect.Dx()+x]})
		}
	}
	return out
}

// alphaPlane returns the decoded alpha item as one byte per pixel at the colour image's size, scaling it by
// nearest neighbour when it was coded at another size (HEIF 6.9.1 asks readers to resize it). It takes the
// luma of a plane that was coded as YCbCr. nil means it is not something that can be read as alpha.
func alphaPlane(img image.Image, size image.Point) []byte {
	var pix []byte
	var stride int
	switch m := img.(type) {
	case *image.Gray:
		pix, stride = m.Pix, m.Stride
	case *image.YCbCr:
		pix, stride = m.Y, m.YStride
	default:
		return nil
	}
	src := img.Bounds().Size()
	if src.X <= 0 || src.Y <= 0 {
		return nil
	}
	out := make([]byte, size.X*size.Y)
	for y := range size.Y {
		sy := y * src.Y / size.Y
		for x := range size.X {
			out[y*size.X+x] = pix[sy*stride+x*src.X/size.X]
		}
	}
	return out
}
