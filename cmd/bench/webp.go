package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/gen2brain/webp"

	"github.com/imgpipe/imgpipe/pkg/imageproc"
)

// The WebP experiment of -serve, in a fresh child process: what the first encode costs (github.com/gen2brain/webp
// compiles libwebp's WebAssembly under wazero once per process), and libwebp's methods 0-4 on one frame at the same
// quality setting, to check the choice of imageproc.WebPMethod.

// webpMethods are the methods compared; 5 and 6 only add more of what 4 does, far slower.
var webpMethods = []int{0, 1, 2, 3, 4}

// webpReport is the webp child's JSON line.
type webpReport struct {
	// Native is true when the encoder is a system libwebp (the module's dynamic build found libwebp.so), not
	// WebAssembly: Lambda never has one, so the figures are then not the function's. Build with -tags nodynamic.
	Native bool
	// ColdMS is the first encode in the process, of a 64x64 frame; WarmMS the same encode right after it.
	ColdMS, WarmMS float64
	Width, Height  int
	Quality        int
	Methods        []methodResult
	PeakRSSMB      float64
}

// methodResult is one method on the frame.
type methodResult struct {
	Method          int
	MedianMS, MinMS float64
	Bytes           int
	File            string
}

// runWebPChild measures the cold start, then each method on the 1920 px frame of the photo as Process resizes
// it. Process does not hand out its frames, so the frame is our 1920 px derivative at JPEG quality 100, decoded:
// the same 4:2:0 layout encodeWebP passes to libwebp, and within JPEG's rounding of the same pixels.
func runWebPChild(c config, data []byte) error {
	r := webpReport{Native: webp.Dynamic() == nil, Quality: imageproc.DefaultWebPQuality}
	small := imageproc.WebPFrame(image.NewYCbCr(image.Rect(0, 0, 64, 64), image.YCbCrSubsampleRatio420))
	for i, into := range []*float64{&r.ColdMS, &r.WarmMS} {
		t := time.Now()
		if err := webp.Encode(&bytes.Buffer{}, small, webp.Options{Quality: r.Quality}); err != nil {
			return fmt.Errorf("encode %d: %w", i, err)
		}
		*into = ms(time.Since(t))
	}

	res, err := imageproc.Process(context.Background(), data, imageproc.Request{Targets: []imageproc.Target{{Width: 1920, Quality: 100}}})
	if err != nil {
		return err
	}
	img, err := jpeg.Decode(bytes.NewReader(res.Outputs[0].Data))
	if err != nil {
		return err
	}
	ycc, ok := img.(*image.YCbCr)
	if !ok || ycc.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("the 1920 px derivative decodes to %T, not 4:2:0 YCbCr", img)
	}
	frame := imageproc.WebPFrame(ycc)
	r.Width, r.Height = ycc.Rect.Dx(), ycc.Rect.Dy()
	runs := min(c.n, 5) // method 4 takes about a second here
	for _, m := range webpMethods {
		mr := methodResult{Method: m}
		var times []float64
		var buf bytes.Buffer
		for i := 0; i <= runs; i++ {
			buf.Reset()
			t := time.Now()
			if err := webp.Encode(&buf, frame, webp.Options{Quality: r.Quality, Method: m}); err != nil {
				return fmt.Errorf("method %d: %w", m, err)
			}
			if i > 0 { // the first is a warm-up
				times = append(times, ms(time.Since(t)))
			}
		}
		mr.MedianMS, mr.MinMS, mr.Bytes = median(times), slices.Min(times), buf.Len()
		mr.File = filepath.Join(c.outDir, fmt.Sprintf("method-%d.webp", m))
		if err := os.WriteFile(mr.File, buf.Bytes(), 0o644); err != nil {
			return err
		}
		r.Methods = append(r.Methods, mr)
	}
	if r.PeakRSSMB, err = peakRSS(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}
