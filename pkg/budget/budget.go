// Package budget decides, from an image's header alone, whether decoding and resizing it fits the function: the
// pixel and side limits, the progressive scan limit, and an estimate of the memory the whole job allocates, held
// against a budget derived from the function's memory. The upload function refuses what does not fit (422) before
// storing it, and the resize and serve functions check again before decoding (quarantine, or 422), so an input
// can neither exhaust a function nor be retried into a timeout.
//
// The estimate is an upper bound on what imageproc.Process allocates in total (Go's TotalAlloc), which bounds its
// live heap at any moment: the tests in package imageproc hold every decoder path to it. It depends only on
// package imagefile, so the upload function links no decoder to compute it.
package budget

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Defaults of Limits.
const (
	// DefaultMaxSide caps each side. The product limit alone admits a 50,000,000 x 1 strip, whose decode holds
	// row buffers as wide as the strip and whose outputs round to nothing; 20000 px still takes any phone's
	// panorama.
	DefaultMaxSide = 20000
	// MaxScans is the progressive JPEG scan limit, jpegscale.DefaultMaxScans (libjpeg-turbo caps scans for the
	// same reason): jpegtran and mozjpeg write 10-20, and each scan is a pass over the whole frame.
	MaxScans = 1000
	// DefaultFunctionMB is the memory assumed when the function's is unknown (outside Lambda, or the upload
	// function, whose budget is the resize function's): the template's default.
	DefaultFunctionMB = 1024
	// reserveMB is what the budget leaves the rest of the process: the runtime, the WebAssembly codecs' compiled
	// modules, S3 buffers, the source bytes of a concurrent request.
	reserveMB = 160
)

// ForMemory returns the budget for a function of mb megabytes: three quarters of what remains after the reserve.
// A 1024 MB function gets 648 MB.
func ForMemory(mb int) int64 {
	return max(64, int64(mb-reserveMB)*3/4) << 20
}

// Limits are what one image may cost.
type Limits struct {
	MaxPixels int64 // MAX_PIXELS: width x height from the header; <= 0 disables
	MaxSide   int   // MAX_SIDE: either side; <= 0 disables
	Memory    int64 // MEMORY_BUDGET_MB in bytes: the estimate's cap; <= 0 disables
}

// Errors of Check, each a client's mistake (422) with the figures in its message.
var (
	ErrTooWide     = publicerr.New(http.StatusUnprocessableEntity, "too_wide", "a side of the image is over the limit")
	ErrTooManyScan = publicerr.New(http.StatusUnprocessableEntity, "too_many_scans",
		"the JPEG has more than "+strconv.Itoa(MaxScans)+" progressive scans")
	ErrOverBudget = publicerr.New(http.StatusUnprocessableEntity, "over_budget",
		"decoding the image would take more memory than the function has")
)

// Output is one output: its size in pixels and its format.
type Output struct {
	Width, Height int
	Format        imagefile.Format
}

// Check applies the limits to an image whose header is info and whose file is dataLen bytes, to be decoded for an
// upright width of minWidth (the largest any output needs) into outputs. It returns the estimate either way.
func (l Limits) Check(info imagefile.Info, dataLen int, minWidth int, outputs []Output) (Cost, error) {
	c := Estimate(info, dataLen, minWidth, outputs)
	switch {
	case l.MaxPixels > 0 && info.Pixels() > l.MaxPixels:
		return c, imagefile.ErrTooManyPixels.Withf("the image is %dx%d (%.1f MP); the limit is %.1f MP",
			info.Width, info.Height, float64(info.Pixels())/1e6, float64(l.MaxPixels)/1e6)
	case l.MaxSide > 0 && max(info.Width, info.Height) > l.MaxSide:
		return c, ErrTooWide.Withf("the image is %dx%d; no side may exceed %d px", info.Width, info.Height, l.MaxSide)
	case info.Scans > MaxScans:
		return c, ErrTooManyScan.Withf("the JPEG has %d progressive scans; the limit is %d", info.Scans, MaxScans)
	case l.Memory > 0 && c.Bytes > l.Memory:
		return c, ErrOverBudget.Withf("decoding this %dx%d %s needs about %s; the limit is %s",
			info.Width, info.Height, describe(info), mb(c.Bytes), mb(l.Memory))
	}
	return c, nil
}

func mb(n int64) string { return strconv.FormatInt((n+1<<20-1)>>20, 10) + " MB" }

// describe names the kind of file for a message: "16-bit interlaced PNG", "progressive JPEG".
func describe(info imagefile.Info) string {
	s := info.Format.Name
	if info.Interlaced {
		s = "interlaced " + s
	}
	if info.Progressive {
		s = "progressive " + s
	}
	if info.Depth == 16 {
		s = "16-bit " + s
	}
	if info.Lossless {
		s = "lossless " + s
	}
	return s
}

// Cost is an estimate of what processing one image allocates, in bytes.
type Cost struct {
	Source int64 // the file itself, held throughout
	Decode int64 // the decoder: its output frame and every buffer it allocates
	Colour int64 // the conversion to sRGB of a frame with a profile
	Resize int64 // the resampler's intermediate planes and the outputs, encoded
	Bytes  int64 // the total
	// Scale is the N of the N/8 JPEG decode the estimate assumes (8: full size; also for other formats).
	Scale int
}

func (c Cost) String() string {
	return fmt.Sprintf("%s (decode %s, colour %s, resize %s, source %s)", mb(c.Bytes), mb(c.Decode), mb(c.Colour),
		mb(c.Resize), mb(c.Source))
}

// Derivatives are the resize function's outputs for info at widths (never upscaled, the aspect ratio kept), in
// the derivative format and, with webp, also as WebP, and the upright width the decode must keep: what the upload
// function checks, so that it refuses exactly what the resize function would.
func Derivatives(info imagefile.Info, widths []int, webp bool) (minWidth int, outputs []Output) {
	uw, uh := info.Upright()
	scale := 0.0
	for _, w := range widths {
		w = min(w, uw)
		h := max(1, int((int64(uh)*int64(w)+int64(uw)/2)/int64(uw)))
		// As imageproc's decodeWidth: the larger of the two axes' scales, which for a strip is the height's.
		scale = max(scale, float64(w)/float64(uw), float64(h)/float64(uh))
		minWidth = min(uw, int(float64(uw)*scale+0.999))
		outputs = append(outputs, Output{Width: w, Height: h, Format: info.OutputFormat()})
		if webp {
			outputs = append(outputs, Output{Width: w, Height: h, Format: imagefile.WebP})
		}
	}
	return minWidth, outputs
}
