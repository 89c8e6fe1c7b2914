package jpegscale

import (
	"errors"
	"image"
	"io"
)

// ErrScale is returned by DecodeWith when Options.Scale is not 1..8, and by
// Decode when its scale is not 1, 2, 4 or 8.
var ErrScale = errors.New("jpegscale: unsupported scale")

// ErrTooManyScans is returned when a file has more scans (SOS markers) than
// Options.MaxScans allows. Real encoders write at most a few dozen; a file
// of thousands of empty progressive scans is a known way to make a decoder
// spend minutes on a few megabytes (libjpeg-turbo's djpeg -maxscans exists
// for the same reason).
var ErrTooManyScans = errors.New("jpegscale: too many scans")

// DefaultMaxScans is the scan limit when Options.MaxScans is 0. jpegtran
// and mozjpeg write 10-20 scans for a colour progressive file; 1000 leaves
// room for odd encoders while bounding the work a hostile file can ask for
// to 1000 passes over the frame's blocks.
const DefaultMaxScans = 1000

// Options configures DecodeWith.
type Options struct {
	// Scale is the N of an N/8 decode, 1..8; 8 is full size. A W x H image
	// comes back as ceil(W*N/8) x ceil(H*N/8), the size libjpeg's scaled
	// decoding gives. The zero value means 8.
	Scale int
	// MaxScans caps the number of scans the file may have; 0 means
	// DefaultMaxScans and a negative value means no limit. A file with
	// more gives ErrTooManyScans as soon as the extra scan starts.
	MaxScans int
	// Check, if not nil, is called before each scan, every few MCU rows
	// and every few block rows of the final progressive pass, so a caller
	// can abort a slow decode: pass ctx.Err to honour a deadline. A non-nil
	// result stops the decode and is returned unchanged.
	Check func() error
	// Workers, if above 1, is how many goroutines reconstruct the pixels
	// of a progressive file once its last scan is read. That pass, an
	// inverse DCT per block, is 10-30% of a progressive decode and splits
	// evenly; entropy decoding cannot be split and stays on one goroutine.
	// It pays only with that many idle cores (GOMAXPROCS); a sequential
	// file decodes on one goroutine whatever Workers says. With Workers
	// above 1, Check is not called during that last pass.
	Workers int
}

// checkRows is how many MCU or block rows pass between two calls of
// Options.Check. A row of a 12 MP photo takes well under a millisecond, so
// a deadline is noticed promptly while the call costs nothing measurable.
const checkRows = 4

// DecodeWith reads a JPEG image from r and returns it decoded at
// o.Scale/8 of its size. At scale 8/8 the pixels are image/jpeg's. Invalid
// input gives a FormatError or UnsupportedError, truncated input
// io.ErrUnexpectedEOF, a scale outside 1..8 ErrScale, too many scans
// ErrTooManyScans, and an error from o.Check that error.
func DecodeWith(r io.Reader, o Options) (image.Image, error) {
	n := o.Scale
	if n == 0 {
		n = 8
	}
	if n < 1 || n > 8 {
		return nil, ErrScale
	}
	d := newDecoder(n, o)
	img, err := d.decode(r, false)
	if err != nil {
		return nil, publicError(err)
	}
	return img, nil
}

// newDecoder returns a decoder for an n/8 decode with o's limits.
func newDecoder(n int, o Options) *decoder {
	maxScans := o.MaxScans
	if maxScans == 0 {
		maxScans = DefaultMaxScans
	}
	return &decoder{bs: n, cbs: n, maxScans: maxScans, check: o.Check, workers: o.Workers}
}

// Decode reads a JPEG image from r and returns it decoded at 1/scale of its
// size; scale is 1, 2, 4 or 8. It is DecodeWith with Scale 8/scale and the
// default scan limit, kept for callers written before N/8 scaling: a W x H
// image comes back as ceil(W/scale) x ceil(H/scale). Any other scale gives
// ErrScale.
func Decode(r io.Reader, scale int) (image.Image, error) {
	switch scale {
	case 1, 2, 4, 8:
	default:
		return nil, ErrScale
	}
	return DecodeWith(r, Options{Scale: 8 / scale})
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

// scaledSize is the size of a side of w pixels decoded at n/8:
// ceil(w*n/8), as libjpeg's jpeg_calc_output_dimensions computes it.
func scaledSize(w, n int) int {
	return (w*n + 7) / 8
}

// ScaleNFor returns the smallest N in 1..8 such that ceil(srcW*N/8) >=
// minW, the cheapest DecodeWith scale whose width never drops below the
// target's, so the resampler only ever shrinks. It returns 8 when srcW is
// at or below minW.
func ScaleNFor(srcW, minW int) int {
	for n := 1; n < 8; n++ {
		if scaledSize(srcW, n) >= minW {
			return n
		}
	}
	return 8
}

// ScaleFor returns the largest scale in {1, 2, 4, 8} such that
// ceil(srcW/scale) >= minW, for Decode. It returns 1 when srcW is already at
// or below minW. ScaleNFor picks from all eight scales and so never decodes
// more pixels than this does.
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
