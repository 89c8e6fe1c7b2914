package imageproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"image/gif"
	"image/png"
	"net/http"

	"golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/heifdec"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/jpegscale"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// ErrTooManyScans refuses a progressive JPEG with more scans than any encoder writes (jpegtran and mozjpeg write
// 10-20): each scan is a pass over the whole frame, so a few kilobytes of empty scans can take minutes to decode.
// libjpeg-turbo has the same limit for the same reason.
var ErrTooManyScans = publicerr.New(http.StatusUnprocessableEntity, "too_many_scans",
	fmt.Sprintf("the JPEG has more than %d progressive scans", jpegscale.DefaultMaxScans))

// Decode decodes the pixels of data, whose header info has already been inspected. minWidth is the upright width
// the caller needs. A JPEG is decoded at the smallest N/8 scale (libjpeg's scaled IDCT, 1/8 to 8/8) that keeps
// that width, which skips most of the inverse DCT and colour work and never holds the full-size frame: a 12 MP
// photo for a 1920 px output decodes to 3 MP. GIF yields its first frame, on its logical screen. ctx stops a
// decode that runs out of time: the JPEG decoder checks it every few rows, the others on each read of their input.
func Decode(ctx context.Context, data []byte, info imagefile.Info, minWidth int) (image.Image, error) {
	r := &ctxReader{ctx: ctx, r: bytes.NewReader(data)}
	var (
		img image.Image
		err error
	)
	switch info.Format {
	case imagefile.JPEG:
		img, err = jpegscale.DecodeWith(r, jpegscale.Options{Scale: JPEGScale(info, minWidth), Check: ctx.Err})
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
		// libheif runs to completion once started, so only the start is checked against ctx.
		if err = ctx.Err(); err == nil {
			img, err = heifdec.Decode(data, 0)
		}
	default:
		return nil, imagefile.ErrUnsupported.Withf("%s images cannot be decoded here", info.Format.Name)
	}
	switch {
	case err == nil:
		return img, nil
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		return nil, err
	case errors.Is(err, jpegscale.ErrTooManyScans):
		return nil, ErrTooManyScans
	case publicerr.From(err) != nil:
		return nil, err
	}
	return nil, errDecode(err)
}

// ctxReader fails every read once ctx is done, which stops a decoder that reads as it goes.
type ctxReader struct {
	ctx context.Context
	r   *bytes.Reader
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

func (c *ctxReader) ReadByte() (byte, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.ReadByte()
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

// JPEGScale is the N of the N/8 decode of a JPEG for an upright width of minWidth. The stored frame is what gets
// reduced, and for orientations 5-8 its height becomes the upright width, so that is the side that must stay at
// least minWidth.
//
// The decode keeps a tenth more than minWidth (budget.JPEGHeadroom, which the budget's estimate uses too), so that Lanczos always does the last 10% of the
// reduction: when the IDCT's scaling does nearly all of it (5312 px to 1992 at 3/8 for a 1920 output), the
// derivative measured 0.003 SSIM below sharp's, whose 1/2 shrink-on-load leaves 1.38x to Lanczos, and needed up
// to 24% more bytes for sharp's SSIM; with the headroom it matches sharp's within 0.0005 for 10% more decode time
// on those photos (cmd/bench, 2026-12-02).
func JPEGScale(info imagefile.Info, minWidth int) int {
	side := info.Width
	if swapsAxes(info.Orientation) {
		side = info.Height
	}
	return jpegscale.ScaleNFor(side, minWidth+minWidth/budget.JPEGHeadroom)
}
