package imageproc

import (
	"bytes"
	"image"
	"image/jpeg"
	"image/png"
	"sync"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// OutputFormat is JPEG for opaque sources and PNG where the source declares alpha, so transparency survives.
func OutputFormat(hasAlpha bool) imagefile.Format {
	if hasAlpha {
		return imagefile.PNG
	}
	return imagefile.JPEG
}

// encodeAll encodes the frames concurrently: the encoders are independent and single-threaded, so on a 2-vCPU
// function the three outputs take about the time of the largest. With GOMAXPROCS=1 it costs nothing but three
// goroutines. The encoders write pixels only, so no EXIF, GPS or ICC metadata can leak.
func encodeAll(frames []image.Image, plan PlanSteps, hasAlpha bool, quality int) ([]Derivative, error) {
	f := OutputFormat(hasAlpha)
	out := make([]Derivative, len(frames))
	errs := make([]error, len(frames))
	var wg sync.WaitGroup
	for i, fr := range frames {
		wg.Go(func() {
			data, err := Encode(fr, f, quality)
			out[i] = Derivative{TargetWidth: plan[i].TargetWidth, Width: plan[i].Width, Height: plan[i].Height, Format: f, Data: data}
			errs[i] = err
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Encode writes img in format f. The JPEG encoder has fast paths for *image.YCbCr, *image.Gray and *image.RGBA;
// an opaque *image.NRGBA is handed over as *image.RGBA (the bytes are identical when alpha is 255) rather than
// through a per-pixel At() call.
func Encode(img image.Image, f imagefile.Format, quality int) ([]byte, error) {
	var buf bytes.Buffer
	var err error
	if f == imagefile.PNG {
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	} else {
		if m, ok := img.(*image.NRGBA); ok {
			img = &image.RGBA{Pix: m.Pix, Stride: m.Stride, Rect: m.Rect}
		}
		err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality})
	}
	return buf.Bytes(), err
}
