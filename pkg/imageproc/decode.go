package imageproc

import (
	"bytes"
	"image"
	"image/gif"
	"image/png"

	"golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/jpegscale"
)

// Decode decodes the pixels of data, whose header info has already been inspected. minWidth is the upright width
// the caller needs. A JPEG is decoded at the largest DCT reduction (1/2, 1/4 or 1/8) that keeps that width, which
// skips most of the inverse DCT and colour work and never holds the full-size frame: a 12 MP photo for a 1920 px
// output decodes to 3 MP. GIF yields its first frame.
func Decode(data []byte, info imagefile.Info, minWidth int) (image.Image, error) {
	r := bytes.NewReader(data)
	var (
		img image.Image
		err error
	)
	switch info.Format {
	case imagefile.JPEG:
		img, err = jpegscale.Decode(r, jpegScale(info, minWidth))
	case imagefile.PNG:
		img, err = png.Decode(r)
	case imagefile.GIF:
		img, err = gif.Decode(r)
	case imagefile.WebP:
		img, err = webp.Decode(r)
	default:
		return nil, imagefile.ErrUnsupported
	}
	if err != nil {
		return nil, errDecode(err)
	}
	return img, nil
}

// jpegScale picks the DCT reduction for a JPEG. The stored frame is what gets reduced, and for orientations 5-8
// its height becomes the upright width, so that is the side that must stay at least minWidth.
func jpegScale(info imagefile.Info, minWidth int) int {
	side := info.Width
	if swapsAxes(info.Orientation) {
		side = info.Height
	}
	return jpegscale.ScaleFor(side, minWidth)
}
