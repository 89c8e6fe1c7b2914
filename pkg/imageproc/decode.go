package imageproc

import (
	"bytes"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"

	"golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// Decode decodes the pixels of data, whose header info has already been inspected. minWidth is the upright width
// the caller needs; a decoder that can produce a smaller frame cheaply may use it. GIF yields its first frame.
func Decode(data []byte, info imagefile.Info, minWidth int) (image.Image, error) {
	r := bytes.NewReader(data)
	var (
		img image.Image
		err error
	)
	switch info.Format {
	case imagefile.JPEG:
		img, err = jpeg.Decode(r)
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
