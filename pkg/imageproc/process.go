package imageproc

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Errors about the image itself, which a caller quarantines (or answers with) rather than retries.
var (
	// ErrDecode means the image's header was acceptable but its pixel data could not be decoded, or the result
	// could not be encoded (a strip wider than JPEG's 65535 px, say).
	ErrDecode = publicerr.New(http.StatusUnprocessableEntity, "corrupt", "the image data is corrupt")
	// ErrOutput means a target asks for something no encoder here writes, or an invalid size or fit.
	ErrOutput = publicerr.New(http.StatusBadRequest, "bad_output", "the requested output is not supported")
)

// Target is one requested output.
type Target struct {
	// Width and Height are the box the output must fit; 0 leaves that side free, and both 0 keeps the source's
	// own size. Nothing is ever enlarged.
	Width, Height int
	// Fit says how the source fills a box whose two sides are both set (FitInside when empty).
	Fit Fit
	// Format is the encoding. The zero Format means the source's own derivative format
	// (imagefile.Info.OutputFormat: JPEG, or PNG when the source has alpha); a format no encoder here writes is
	// ErrOutput, never a silent JPEG.
	Format imagefile.Format
	// Quality is 1-100 for the lossy encoders.
	Quality int
}

// Request is what Process makes of one photo.
type Request struct {
	Targets []Target
	// Limits are checked from the header before anything is decoded: pixels, sides, progressive scans and the
	// memory the whole job is estimated to take (package budget). The zero value checks only the scans.
	Limits budget.Limits
}

// Output is one encoded result.
type Output struct {
	Target        Target // as requested
	Width, Height int    // the actual size, padding included
	Format        imagefile.Format
	Data          []byte
}

// Stages records how long each step took, for logs and metrics.
type Stages struct {
	Decode, Colour, Resize, Encode time.Duration
}

// Result is the outcome of Process.
type Result struct {
	Source        imagefile.Info
	Width, Height int      // upright source size
	Outputs       []Output // in the order of the request's targets
	Stages        Stages
	// Colour says what was done about an embedded colour profile: "" (none), "sRGB", "converted to sRGB", or why
	// one was ignored.
	Colour string
	// Cost is what the job was estimated to take before it started.
	Cost budget.Cost
}

// Widths is the resize function's fixed-width cascade as targets: one FitInside output per width, in the source's
// derivative format.
func Widths(widths []int, quality int) []Target {
	ts := make([]Target, len(widths))
	for i, w := range widths {
		ts[i] = Target{Width: w, Quality: quality}
	}
	return ts
}

// WidthsAlso is Widths with, after each width's derivative, the same picture in every format of also (WebP, say),
// each at its quality in qualities (by format name; the default quality when missing). Each size is resized once
// and encoded once per format.
func WidthsAlso(widths []int, quality int, also []imagefile.Format, qualities map[string]int) []Target {
	var ts []Target
	for _, w := range widths {
		ts = append(ts, Target{Width: w, Quality: quality})
		for _, f := range also {
			ts = append(ts, Target{Width: w, Format: f, Quality: qualities[f.Name]})
		}
	}
	return ts
}

// Process decodes data once and returns one output per target. The context is checked between stages, so a
// request that timed out stops working.
func Process(ctx context.Context, data []byte, req Request) (*Result, error) {
	info, err := imagefile.Inspect(data, req.Limits.MaxPixels)
	if err != nil {
		return nil, err
	}
	res := &Result{Source: info}
	res.Width, res.Height = info.Upright()
	steps, err := planSteps(res.Width, res.Height, info, req.Targets)
	if err != nil {
		return nil, err
	}
	minWidth := decodeWidth(res.Width, steps)
	outs := make([]budget.Output, len(steps))
	for i, s := range steps {
		outs[i] = budget.Output{Width: s.geom.canvasW, Height: s.geom.canvasH, Format: s.format}
	}
	if res.Cost, err = req.Limits.Check(info, len(data), minWidth, outs); err != nil {
		return nil, err
	}

	t0 := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	src, err := Decode(ctx, data, info, minWidth)
	if err != nil {
		return nil, err
	}
	tc := time.Now()
	src, res.Colour = toSRGB(src, info, data)
	t1 := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	frames := resizeAll(src, info, steps)
	t2 := time.Now()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	out, err := encodeAll(frames, steps)
	if err != nil {
		return nil, err
	}
	res.Outputs = make([]Output, len(steps))
	for i, s := range steps {
		res.Outputs[s.index] = out[i]
	}
	res.Stages = Stages{Decode: tc.Sub(t0), Colour: t1.Sub(tc), Resize: t2.Sub(t1), Encode: time.Since(t2)}
	return res, nil
}

// step is one target with its geometry, in the order the cascade runs: largest first.
type step struct {
	index  int // in the request
	target Target
	format imagefile.Format
	geom   geometry
}

// planSteps checks every target and orders them largest first, which is the order the resize cascade needs.
func planSteps(srcW, srcH int, info imagefile.Info, targets []Target) ([]step, error) {
	if len(targets) == 0 {
		return nil, ErrOutput.Withf("no outputs requested")
	}
	steps := make([]step, len(targets))
	for i, t := range targets {
		f := t.Format
		if f == (imagefile.Format{}) {
			f = info.OutputFormat()
		}
		switch {
		case !encodable(f):
			return nil, ErrOutput.Withf("%s output is not supported", cmp(f.Name, "this"))
		case !t.Fit.Valid():
			return nil, ErrOutput.Withf("unknown fit %q; use inside, cover or contain", t.Fit)
		case t.Width < 0 || t.Height < 0:
			return nil, ErrOutput.Withf("negative size %dx%d", t.Width, t.Height)
		}
		steps[i] = step{index: i, target: t, format: f, geom: plan(srcW, srcH, t)}
	}
	slices.SortStableFunc(steps, func(a, b step) int {
		return b.geom.width*b.geom.height - a.geom.width*a.geom.height
	})
	return steps, nil
}

// decodeWidth is the smallest upright width the decoder may produce without losing detail for any step: the
// source width times the largest scale any step resizes by.
func decodeWidth(srcW int, steps []step) int {
	s := 0.0
	for _, st := range steps {
		s = max(s, st.geom.scale())
	}
	return min(srcW, int(float64(srcW)*s+0.999))
}

func cmp(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func errDecode(err error) error { return ErrDecode.Wrap(err) }
