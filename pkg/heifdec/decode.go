package heifdec

import (
	"bytes"
	"errors"
	"image"
	"net/http"

	"github.com/gen2brain/avif"
	"github.com/gen2brain/heic"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// ErrDecode is a file whose container reads but whose coded data the codec refuses.
var ErrDecode = publicerr.New(http.StatusUnprocessableEntity, "undecodable", "the image could not be decoded")

// Init compiles the WebAssembly decoders now rather than on the first Decode: about a second of CPU each (see
// README), which a cold start can overlap with its first download by calling it in a goroutine. It is safe to
// call more than once and from several goroutines; Decode waits for it.
func Init() {
	heic.Init()
	avif.InitDecoder()
}

// Decode decodes the primary image of a HEIC or AVIF file as imagefile.Inspect describes it: Info.Width x
// Info.Height stored pixels, to be turned by Info.Orientation afterwards. maxPixels is checked again here
// (as Inspect checks it) so that no caller can skip it; 0 disables it.
func Decode(data []byte, maxPixels int64) (image.Image, error) {
	l, err := imagefile.InspectHEIF(data, maxPixels)
	if err != nil {
		return nil, err
	}
	var img image.Image
	switch l.Info.Format {
	case imagefile.HEIC:
		img, err = decodeHEIC(data, l)
	case imagefile.AVIF:
		img, err = decodeAVIF(data, l)
	}
	if err != nil {
		return nil, err
	}
	if img.Bounds().Size() != l.Coded {
		return nil, ErrDecode.Wrap(errors.New("heifdec: decoded " + img.Bounds().String() + ", the file says " + l.Coded.String()))
	}
	return crop(img, l.Crop), nil
}

// decodeHEIC runs libheif on a copy of the file that libheif will neither turn nor crop, then decodes the alpha
// plane separately (the wrapper keeps only the colour planes when it returns YCbCr) and joins them.
func decodeHEIC(data []byte, l imagefile.HEIFLayout) (image.Image, error) {
	if l.Coded.X < minHEICWidth {
		return nil, ErrDecode.Withf("HEIC images narrower than %d pixels cannot be decoded here", minHEICWidth)
	}
	colour, err := heicDecode(forColour(data, l))
	if err != nil {
		return nil, err
	}
	if l.Alpha == 0 {
		if m, ok := colour.(*image.YCbCr); ok && !bt601Full(l) {
			return toNRGBA(m, nil, l.NCLX), nil
		}
		return colour, nil
	}
	alphaFile, err := forAlpha(data, l)
	if err != nil {
		return nil, err
	}
	a, err := heicDecode(alphaFile)
	if err != nil {
		return nil, err
	}
	plane := alphaPlane(a, l.Coded)
	if plane == nil {
		return nil, ErrDecode.Wrap(errors.New("heifdec: the alpha plane decoded as " + a.Bounds().String()))
	}
	out := withAlpha(colour, plane, l.NCLX, bt601Full(l))
	if l.Premultiplied {
		return &image.RGBA{Pix: out.Pix, Stride: out.Stride, Rect: out.Rect}, nil
	}
	return out, nil
}

// minHEICWidth: gen2brain/heic v0.4.5 lays out the planes it copies with a stride of the width rounded up to
// 16 bytes, but libheif's planes narrower than 64 bytes have a 64-byte stride: a 4:2:0 image up to 96 pixels
// wide comes back with sheared chroma, or the copy runs out of the module's memory (measured with widths 16-320,
// see TestNarrowHEIC). Such files are icons rather than photos, and are refused rather than decoded wrong.
const minHEICWidth = 97

// heicDecode decodes with libheif and copies the result out of the module's memory (repairing what the
// wrapper's allocator clobbers, see owned).
func heicDecode(file []byte) (image.Image, error) {
	img, err := heic.Decode(bytes.NewReader(file))
	if err != nil {
		return nil, ErrDecode.Wrap(err)
	}
	return owned(img), nil
}

// decodeAVIF runs libavif. It applies neither clap nor irot/imir, so only the major brand needs changing: an
// 'avis' file would make it decode the first frame of the sequence track instead of the primary still image
// that Inspect described.
func decodeAVIF(data []byte, l imagefile.HEIFLayout) (image.Image, error) {
	file := data
	if string(data[l.Edits.MajorBrand:l.Edits.MajorBrand+4]) != "avif" {
		file = bytes.Clone(data)
		copy(file[l.Edits.MajorBrand:], "avif")
	}
	img, err := avif.Decode(bytes.NewReader(file))
	if err != nil {
		return nil, ErrDecode.Wrap(err)
	}
	return owned(img), nil
}

// bt601Full reports whether Go's YCbCr (JFIF: BT.601 matrix, full range) reads the samples right. Without an
// nclx box the HEVC stream's own signalling applies, which this package does not read: BT.601 full range is
// what heif-enc writes and what is assumed then.
func bt601Full(l imagefile.HEIFLayout) bool {
	if !l.HasNCLX {
		return true
	}
	return l.NCLX.FullRange && (l.NCLX.Matrix == 5 || l.NCLX.Matrix == 6 || l.NCLX.Matrix == 2)
}
