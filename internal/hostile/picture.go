package hostile

import (
	"bufio"
	"bytes"
	"fmt"
	"image"
	"image/color"
	"io"
)

// Picture gives the samples of any pixel, so that a generator can stream a file of any size without holding its
// frame. At writes len(s) samples at 16 bits each: 1 grey, 2 grey and alpha, 3 RGB, 4 RGBA.
type Picture interface {
	At(x, y int, s []uint16)
}

// Scene is a w x h picture with something in it: red rises left to right, green top to bottom, a disc of blue
// sits in the top-left quarter, and the right quarter fades from opaque to half transparent. Noise adds a hashed
// texture of that many 8-bit steps, which lossy encoders need to write photo-sized data (their decoders' time
// depends on it; no decoder's memory does).
type Scene struct {
	W, H  int
	Noise int
}

// At implements Picture.
func (p Scene) At(x, y int, s []uint16) {
	r := uint32(x) * 65535 / uint32(max(p.W-1, 1))
	g := uint32(y) * 65535 / uint32(max(p.H-1, 1))
	b := uint32(40 << 8)
	dx, dy, rad := int64(x-p.W/4), int64(y-p.H/3), int64(min(p.W, p.H)/6)
	if dx*dx+dy*dy < rad*rad {
		b = 220 << 8
	}
	if p.Noise > 0 {
		v := uint32(x)*2654435761 ^ uint32(y)*2246822519
		v ^= v >> 15
		n := (v % uint32(p.Noise)) << 8
		r, g, b = min(r+n, 65535), min(g+n, 65535), min(b+n, 65535)
	}
	a := uint32(65535)
	if x >= p.W*3/4 {
		a = 65535 - 32768*uint32(x-p.W*3/4)/uint32(max(p.W/4, 1))
	}
	switch len(s) {
	case 1:
		s[0] = uint16((r + g + b) / 3)
	case 2:
		s[0], s[1] = uint16((r+g+b)/3), uint16(a)
	case 3:
		s[0], s[1], s[2] = uint16(r), uint16(g), uint16(b)
	case 4:
		s[0], s[1], s[2], s[3] = uint16(r), uint16(g), uint16(b), uint16(a)
	}
}

// Opaque is a picture with its alpha forced to opaque.
type Opaque struct{ Picture }

// At implements Picture.
func (p Opaque) At(x, y int, s []uint16) {
	p.Picture.At(x, y, s)
	if len(s) == 2 || len(s) == 4 {
		s[len(s)-1] = 65535
	}
}

// Uniform is one colour everywhere: the cheapest file a decoder must still expand in full.
type Uniform [4]uint16

// At implements Picture.
func (u Uniform) At(_, _ int, s []uint16) {
	switch len(s) {
	case 1:
		s[0] = u[1]
	case 2:
		s[0], s[1] = u[1], u[3]
	default:
		copy(s, u[:len(s)])
	}
}

// PPM writes pic as a binary 8-bit PPM, the cheapest input ImageMagick reads.
func PPM(w io.Writer, width, height int, pic Picture) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "P6\n%d %d\n255\n", width, height)
	row := make([]byte, 3*width)
	s := make([]uint16, 3)
	for y := range height {
		for x := range width {
			pic.At(x, y, s)
			row[3*x], row[3*x+1], row[3*x+2] = byte(s[0]>>8), byte(s[1]>>8), byte(s[2]>>8)
		}
		bw.Write(row)
	}
	return bw.Flush()
}

// PNGBytes encodes pic with the description p.
func PNGBytes(p PNG, pic Picture) ([]byte, error) {
	var b bytes.Buffer
	err := p.Encode(&b, pic)
	return b.Bytes(), err
}

// NRGBA renders pic as an image, for the encoders that take one (image/gif, the WebP encoder).
func NRGBA(w, h int, pic Picture) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	s := make([]uint16, 4)
	for y := range h {
		row := img.Pix[y*img.Stride:]
		for x := range w {
			pic.At(x, y, s)
			row[4*x], row[4*x+1], row[4*x+2], row[4*x+3] = byte(s[0]>>8), byte(s[1]>>8), byte(s[2]>>8), byte(s[3]>>8)
		}
	}
	return img
}

// YCbCr renders pic as a 4:2:0 frame, which image/jpeg encodes without converting: a 50 MP source costs 75 MB
// instead of RGBA's 200.
func YCbCr(w, h int, pic Picture) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	s := make([]uint16, 3)
	for y := range h {
		for x := range w {
			pic.At(x, y, s)
			yy, cb, cr := color.RGBToYCbCr(byte(s[0]>>8), byte(s[1]>>8), byte(s[2]>>8))
			img.Y[y*img.YStride+x] = yy
			if x%2 == 0 && y%2 == 0 {
				o := img.COffset(x, y)
				img.Cb[o], img.Cr[o] = cb, cr
			}
		}
	}
	return img
}
