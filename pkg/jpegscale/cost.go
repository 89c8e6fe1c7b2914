package jpegscale

import (
	"bytes"
	"image"
	"unsafe"
)

// Estimate is what DecodeWith allocates for one file at one scale, worked
// out from the header alone. Every buffer the decoder allocates stays
// reachable until DecodeWith returns, so Bytes is both the total it
// allocates and its peak live heap; after it returns, only the returned
// image (Frame, or Convert where that is non-zero) stays live.
type Estimate struct {
	// Width and Height are the size of the decoded image.
	Width, Height int
	// Progressive reports a progressive (SOF2) file, whose coefficients
	// are kept until the last scan.
	Progressive bool
	// Frame is the decoded sample planes, padded to whole MCUs: Y, Cb and
	// Cr at the file's subsampling, one gray plane, or the three planes
	// plus a black plane for CMYK and YCCK.
	Frame int64
	// Coefficients is the progressive coefficient store (see coefStore),
	// zero for a sequential file.
	Coefficients int64
	// Convert is the interleaved *image.RGBA or *image.CMYK that an Adobe
	// RGB, CMYK or YCCK file is converted to at the end, zero otherwise.
	Convert int64
	// Fixed is the decoder's own state (bit and byte buffers, Huffman and
	// quantization tables) and the image headers, independent of size.
	Fixed int64
	// Bytes is the sum of the above as the Go allocator rounds each
	// allocation: the memory a caller must budget for the decode.
	Bytes int64
}

// Cost returns what DecodeWith(bytes.NewReader(data), Options{Scale: n})
// will allocate, reading only the header: the frame header (size,
// components, sampling factors, progressive or not) and the markers before
// the first scan that decide the colour conversion. It costs microseconds,
// so a caller can refuse a file that would exceed its memory budget before
// decoding it; a JPEG header can announce 65535 x 65535 pixels in a few
// hundred bytes. n is 1..8 as in Options.Scale (0 means 8). The header
// errors are DecodeWith's: a FormatError or UnsupportedError for a header
// it would reject, io.ErrUnexpectedEOF when data ends before the first scan.
func Cost(data []byte, n int) (Estimate, error) {
	if n == 0 {
		n = 8
	}
	if n < 1 || n > 8 {
		return Estimate{}, ErrScale
	}
	d := newDecoder(n, Options{})
	if _, err := d.decode(bytes.NewReader(data), true); err != nil {
		return Estimate{}, publicError(err)
	}
	if d.nComp == 0 {
		return Estimate{}, FormatError("missing SOF marker")
	}
	if d.nComp == 4 && !d.adobeTransformValid {
		// applyBlack refuses these after decoding; refuse them here too.
		return Estimate{}, UnsupportedError("unknown color model: 4-component JPEG doesn't have Adobe APP14 metadata")
	}
	return d.estimate(), nil
}

// estimate mirrors the allocations of makeImg, processSOS (the coefficient
// store), applyBlack and convertToRGB for the header in d.
func (d *decoder) estimate() Estimate {
	bs := d.bs
	h0, v0 := d.comp[0].h, d.comp[0].v
	mxx := (d.width + 8*h0 - 1) / (8 * h0)
	myy := (d.height + 8*v0 - 1) / (8 * v0)
	e := Estimate{
		Width:       scaledSize(d.width, bs),
		Height:      scaledSize(d.height, bs),
		Progressive: d.progressive,
	}
	// The decoder itself, plus the image headers: makeImg's image and the
	// SubImage it returns, and the boxed image.Image.
	e.Fixed = allocSize(int64(unsafe.Sizeof(decoder{}))) + 4*allocSize(int64(unsafe.Sizeof(image.YCbCr{})))

	if d.nComp == 1 {
		e.Frame = allocSize(int64(bs*mxx) * int64(bs*myy))
	} else {
		w, h := bs*h0*mxx, bs*v0*myy
		// The chroma plane sizes of image.NewYCbCr for the ratios that
		// processSOF accepts.
		cw, ch := w, h
		switch h0 / d.comp[1].h {
		case 2:
			cw = (w + 1) / 2
		case 4:
			cw = (w + 3) / 4
		}
		if v0/d.comp[1].v == 2 {
			ch = (h + 1) / 2
		}
		e.Frame = allocSize(int64(w)*int64(h) + 2*int64(cw)*int64(ch))
		if d.nComp == 4 {
			e.Frame += allocSize(int64(bs*d.comp[3].h*mxx) * int64(bs*d.comp[3].v*myy))
		}
		if d.nComp == 4 || d.isRGB() {
			e.Convert = allocSize(4 * int64(e.Width) * int64(e.Height))
		}
	}
	if d.progressive {
		for i := 0; i < d.nComp; i++ {
			blocks := int64(mxx) * int64(myy) * int64(d.comp[i].h*d.comp[i].v)
			e.Coefficients += allocSize(blocks*int64(bs*bs)*2) + allocSize(blocks*8)
		}
	}
	e.Bytes = e.Fixed + e.Frame + e.Coefficients + e.Convert
	return e
}

// allocSize is the number of bytes the Go allocator sets aside for an
// n-byte object: n rounded up to a size class for small objects, to whole
// 8 KiB pages for large ones. MemStats counts these rounded sizes, and so
// does the process's memory.
func allocSize(n int64) int64 {
	const maxSmall, page = 32768, 8192
	if n > maxSmall {
		return (n + page - 1) / page * page
	}
	for _, c := range sizeClasses {
		if int64(c) >= n {
			return int64(c)
		}
	}
	return maxSmall
}

// sizeClasses are the Go runtime's small-object size classes
// (internal/runtime/gc/sizeclasses.go as of Go 1.26). A change in a later
// release would move an estimate by a few bytes per small allocation.
var sizeClasses = [...]uint16{0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240,
	256, 288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792,
	2048, 2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240,
	10880, 12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}
