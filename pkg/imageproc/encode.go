package imageproc

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// OutputFormat is JPEG for opaque sources and PNG where the source declares alpha, so transparency survives.
func OutputFormat(hasAlpha bool) imagefile.Format {
	if hasAlpha {
		return imagefile.PNG
	}
	return imagefile.JPEG
}

// encodeAll encodes each frame. The encoders write pixels only, so no EXIF, GPS or ICC metadata can leak.
func encodeAll(frames []*image.NRGBA, plan PlanSteps, hasAlpha bool, quality int) ([]Derivative, error) {
	f := OutputFormat(hasAlpha)
	out := make([]Derivative, len(frames))
	for i, fr := range frames {
		data, err := Encode(fr, f, quality)
		if err != nil {
			return nil, err
		}
		out[i] = Derivative{TargetWidth: plan[i].TargetWidth, Width: plan[i].Width, Height: plan[i].Height, Format: f, Data: data}
	}
	return out, nil
}

// Encode writes img in format f. An opaque *image.NRGBA is handed to the JPEG encoder as *image.RGBA (the bytes
// are identical when alpha is 255), which takes the encoder's fast path instead of a per-pixel At() call.
func Encode(img *image.NRGBA, f imagefile.Format, quality int) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if f == imagefile.PNG {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	} else {
		rgba := &image.RGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
		err = jpeg.Encode(&buf, rgba, &jpeg.Options{Quality: quality})
	}
	return buf.Bytes(), err
}
