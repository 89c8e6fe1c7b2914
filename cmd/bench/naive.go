package main

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"time"

	"github.com/disintegration/imaging"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
)

// naive is the baseline: what a first Go version of the function does with the standard decoder and imaging. It
// decodes at full resolution, turns the full frame upright, resizes each width from that frame with Lanczos, and
// encodes one after another.
func naive(data []byte, widths []int, quality int) ([]output, stages, error) {
	var st stages
	t := time.Now()
	img, err := naiveReference(data)
	if err != nil {
		return nil, st, err
	}
	st.Decode = time.Since(t)
	format := imagefile.JPEG
	if info, err := imagefile.Inspect(data, 0); err == nil {
		format = info.OutputFormat()
	}
	out := make([]output, 0, len(widths))
	for _, w := range widths {
		t = time.Now()
		small := naiveResize(img, w)
		st.Resize += time.Since(t)
		t = time.Now()
		var buf bytes.Buffer
		if format == imagefile.PNG {
			err = png.Encode(&buf, small)
		} else {
			err = jpeg.Encode(&buf, small, &jpeg.Options{Quality: quality})
		}
		st.Encode += time.Since(t)
		if err != nil {
			return nil, st, err
		}
		out = append(out, output{Width: small.Bounds().Dx(), Height: small.Bounds().Dy(), Bytes: buf.Len(), Data: buf.Bytes()})
	}
	return out, st, nil
}

// naiveReference is the full-resolution standard decode with the EXIF orientation applied. Resized with
// naiveResize it is also the quality reference: nothing in it trades quality for speed.
func naiveReference(data []byte) (image.Image, error) {
	return imaging.Decode(bytes.NewReader(data), imaging.AutoOrientation(true))
}

// naiveResize resizes to width w with Lanczos, never enlarging, keeping the aspect ratio as imageproc does.
func naiveResize(img image.Image, w int) image.Image {
	b := img.Bounds()
	ow, oh := imageproc.Size(b.Dx(), b.Dy(), imageproc.Target{Width: w})
	if ow == b.Dx() && oh == b.Dy() {
		return img
	}
	return imaging.Resize(img, ow, oh, imaging.Lanczos)
}
