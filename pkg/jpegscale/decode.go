package jpegscale

import (
	"errors"
	"image"
	"io"
)

// ErrScale is returned by Decode when scale is not 1, 2, 4 or 8, the only
// reductions that map onto a whole reduced IDCT per 8x8 block.
var ErrScale = errors.New("jpegscale: scale must be 1, 2, 4 or 8")

// Decode reads a JPEG image from r and returns it decoded at 1/scale of its
// size; scale is 1, 2, 4 or 8. A W x H image comes back as
// ceil(W/scale) x ceil(H/scale), the size libjpeg's scaled decoding gives, so
// edge pixels that only partly cover a reduced block are kept rather than
// cropped. Invalid input gives a FormatError or UnsupportedError, truncated
// input io.ErrUnexpectedEOF, and any other scale ErrScale.
func Decode(r io.Reader, scale int) (image.Image, error) {
	bs := 0
	switch scale {
	case 1, 2, 4, 8:
		bs = 8 / scale
	default:
		return nil, ErrScale
	}
	d := &decoder{scale: scale, bs: bs}
	img, err := d.decode(r, false)
	if err != nil {
		return nil, publicError(err)
	}
	return img, nil
}

// publicError reports input that ends inside entropy-coded data as
// io.ErrUnexpectedEOF, like input that ends anywhere else. The standard
// library returns FormatError("short Huffman data") there, but callers (an
// S3 read cut short, a partial upload) want one error for "truncated".
func publicError(err error) error {
	if err == errShortHuffmanData {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ScaleFor returns the largest scale in {1, 2, 4, 8} such that
// ceil(srcW/scale) >= minW, so a decode at that scale never drops below the
// target width and the resampler only ever shrinks. It returns 1 when srcW
// is already at or below minW.
func ScaleFor(srcW, minW int) int {
	for s := 8; s > 1; s /= 2 {
		if (srcW+s-1)/s >= minW {
			return s
		}
	}
	return 1
}

// drawYCbCr converts src into dst, which must have the same bounds. It
// replaces image/internal/imageutil.DrawYCbCr, which the standard library's
// decoder uses for YCbCrK files but which other modules cannot import; the
// arithmetic is color.YCbCrToRGB's, so the result is bit-identical.
func drawYCbCr(dst *image.RGBA, src *image.YCbCr) {
	b := src.Rect
	for y := b.Min.Y; y < b.Max.Y; y++ {
		p := dst.Pix[(y-b.Min.Y)*dst.Stride:]
		for x, i := b.Min.X, 0; x < b.Max.X; x, i = x+1, i+4 {
			yy1 := int32(src.Y[src.YOffset(x, y)]) * 0x10101
			ci := src.COffset(x, y)
			cb1 := int32(src.Cb[ci]) - 128
			cr1 := int32(src.Cr[ci]) - 128
			p[i+0] = clampRGB(yy1 + 91881*cr1)
			p[i+1] = clampRGB(yy1 - 22554*cb1 - 46802*cr1)
			p[i+2] = clampRGB(yy1 + 116130*cb1)
			p[i+3] = 0xff
		}
	}
}

// clampRGB turns a 16.16 fixed-point channel value into a byte, saturating
// out-of-range values the way color.YCbCrToRGB does.
func clampRGB(v int32) uint8 {
	if uint32(v)&0xff000000 == 0 {
		return uint8(v >> 16)
	}
	return uint8(^(v >> 31))
}
