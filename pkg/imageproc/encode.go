package imageproc

import (
	"bytes"
	"image"
	"image/draw"
	"image/png"
	"sync"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/jpegenc"
)

// Default qualities of a target that names none: JPEG's is what the resize function writes, WebP's the value at
// which libwebp's lossy output matches JPEG 82 in SSIM on photos at a smaller size.
const (
	DefaultQuality     = 82
	DefaultWebPQuality = 80
)

// encodable reports whether Encode writes format f.
func encodable(f imagefile.Format) bool {
	return f == imagefile.JPEG || f == imagefile.PNG || f == imagefile.WebP
}

// keepsAlpha reports whether format f stores transparency.
func keepsAlpha(f imagefile.Format) bool { return f == imagefile.PNG || f == imagefile.WebP }

// encodeAll encodes the frames concurrently: the encoders are independent and single-threaded, so on a 2-vCPU
// function the outputs take about the time of the largest. With GOMAXPROCS=1 it costs nothing but a few
// goroutines. The encoders write pixels only, so no EXIF, GPS or ICC metadata can leak.
func encodeAll(frames []image.Image, steps []step) ([]Output, error) {
	out := make([]Output, len(frames))
	errs := make([]error, len(frames))
	var wg sync.WaitGroup
	for i, fr := range frames {
		wg.Go(func() {
			s := steps[i]
			data, err := Encode(fr, s.format, s.target.Quality)
			out[i] = Output{Target: s.target, Width: s.geom.canvasW, Height: s.geom.canvasH, Format: s.format, Data: data}
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

// Encode writes img in format f at quality (0 means the format's default), or returns ErrOutput for a format it
// does not write. JPEG is package jpegenc, which encodes YCbCr and grey planes as they are and converts other
// images row by row; a transparent *image.NRGBA is flattened onto white first, as JPEG has no alpha. The encoders fail only on
// sizes they cannot represent (JPEG stops at 65535 px), which a strip-shaped source can produce: a property of the
// image, so that is ErrDecode.
func Encode(img image.Image, f imagefile.Format, quality int) ([]byte, error) {
	if quality <= 0 {
		quality = DefaultQuality
		if f == imagefile.WebP {
			quality = DefaultWebPQuality
		}
	}
	var buf bytes.Buffer
	var err error
	switch f {
	case imagefile.WebP:
		err = encodeWebP(&buf, img, quality)
	case imagefile.PNG:
		err = (&png.Encoder{CompressionLevel: png.BestSpeed}).Encode(&buf, img)
	case imagefile.JPEG:
		if m, ok := img.(*image.NRGBA); ok && !m.Opaque() {
			img = flatten(m)
		}
		// Optimised Huffman tables, as libjpeg's optimize_coding (and sharp) write them: 2-8% smaller files with
		// the same pixels as image/jpeg's.
		err = jpegenc.Encode(&buf, img, jpegenc.Options{Quality: quality, Optimize: true})
	default:
		return nil, ErrOutput.Withf("%s output is not supported", cmp(f.Name, "this"))
	}
	if err != nil {
		return nil, errDecode(err)
	}
	return buf.Bytes(), nil
}

// flatten composes m over white.
func flatten(m *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(m.Rect)
	draw.Draw(out, out.Rect, image.White, image.Point{}, draw.Src)
	draw.Draw(out, out.Rect, m, m.Rect.Min, draw.Over)
	return out
}
