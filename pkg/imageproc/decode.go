package imageproc

import (
	"bytes"
	"image"
	"image/draw"
	"image/gif"
	"image/png"

	"golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/pkg/heifdec"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/jpegscale"
)

// Decode decodes the pixels of data, whose header info has already been inspected. minWidth is the upright width
// the caller needs. A JPEG is decoded at the largest DCT reduction (1/2, 1/4 or 1/8) that keeps that width, which
// skips most of the inverse DCT and colour work and never holds the full-size frame: a 12 MP photo for a 1920 px
// output decodes to 3 MP. GIF yields its first frame, on its logical screen.
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
		if err == nil {
			img = onCanvas(img, info.Width, info.Height)
		}
	case imagefile.WebP:
		img, err = webp.Decode(r)
	case imagefile.HEIC, imagefile.AVIF:
		// The pixel limit was checked from the container's headers by Inspect; the decoder returns the stored
		// pixels, and Info.Orientation carries the container's irot/imir, applied to the outputs like EXIF's.
		img, err = heifdec.Decode(data, 0)
	default:
		return nil, imagefile.ErrUnsupported.Withf("%s images cannot be decoded here", info.Format.Name)
	}
	if err != nil {
		return nil, errDecode(err)
	}
	return img, nil
}

// onCanvas places a GIF's first frame on the logical screen the header declares. A frame may cover only part of
// it, at an offset; resized as it is, it would be stretched over the whole output. The rest of the screen is
// transparent, as browsers show it.
func onCanvas(frame image.Image, w, h int) image.Image {
	if frame.Bounds() == image.Rect(0, 0, w, h) {
		return frame
	}
	canvas := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.Draw(canvas, frame.Bounds(), frame, frame.Bounds().Min, draw.Src)
	return canvas
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
