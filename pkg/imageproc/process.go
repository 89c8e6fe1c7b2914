package imageproc

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// ErrDecode means the image's header was acceptable but its pixel data could not be decoded.
var ErrDecode = errors.New("imageproc: the image data is corrupt")

// Options configures Process.
type Options struct {
	Widths      []int // target widths; each produces one derivative
	JPEGQuality int   // 1-100
	MaxPixels   int64 // header pixel limit; <= 0 disables it
}

// Derivative is one encoded output.
type Derivative struct {
	TargetWidth   int // the configured width, which names the output key
	Width, Height int // the actual size: never wider than the upright source
	Format        imagefile.Format
	Data          []byte
}

// Stages records how long each step took, for logs and metrics.
type Stages struct {
	Decode, Resize, Encode time.Duration
}

// Result is the outcome of Process.
type Result struct {
	Source        imagefile.Info
	Width, Height int // upright source size
	Derivatives   []Derivative
	Stages        Stages
}

// Process decodes data once and returns one derivative per configured width, in the order configured.
func Process(data []byte, opt Options) (*Result, error) {
	info, err := imagefile.Inspect(data, opt.MaxPixels)
	if err != nil {
		return nil, err
	}
	res := &Result{Source: info}
	res.Width, res.Height = info.Upright()
	plan := Plan(res.Width, res.Height, opt.Widths)

	t0 := time.Now()
	src, err := Decode(data, info, plan.DecodeWidth())
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	frames := resizeAll(src, info.Orientation, plan)
	t2 := time.Now()
	out, err := encodeAll(frames, plan, info.HasAlpha, opt.JPEGQuality)
	if err != nil {
		// The encoders fail only on sizes they cannot represent (JPEG stops at 65535 px), which a strip-shaped
		// source can produce: a property of the image, so it is quarantined like a corrupt one.
		return nil, errDecode(err)
	}
	res.Derivatives = inConfiguredOrder(out, opt.Widths)
	res.Stages = Stages{Decode: t1.Sub(t0), Resize: t2.Sub(t1), Encode: time.Since(t2)}
	return res, nil
}

// inConfiguredOrder puts the derivatives, which the plan produced largest first, back in the order of widths.
func inConfiguredOrder(ds []Derivative, widths []int) []Derivative {
	out := make([]Derivative, 0, len(ds))
	used := make([]bool, len(ds))
	for _, w := range widths {
		for i, d := range ds {
			if !used[i] && d.TargetWidth == w {
				out = append(out, d)
				used[i] = true
				break
			}
		}
	}
	return out
}

// Step is one planned derivative.
type Step struct {
	TargetWidth   int
	Width, Height int // upright output size
}

// PlanSteps lists the derivatives largest first, which is the order the resize cascade needs.
type PlanSteps []Step

// Plan computes the output size for each width: aspect ratio kept, never wider than the source, at least 1 px.
func Plan(srcW, srcH int, widths []int) PlanSteps {
	steps := make(PlanSteps, 0, len(widths))
	for _, w := range widths {
		ow := min(w, srcW)
		oh := max(1, int((int64(srcH)*int64(ow)+int64(srcW)/2)/int64(srcW)))
		steps = append(steps, Step{TargetWidth: w, Width: ow, Height: oh})
	}
	slices.SortStableFunc(steps, func(a, b Step) int { return b.Width - a.Width })
	return steps
}

// DecodeWidth is the smallest upright width the decoder may produce without losing detail for any step.
func (p PlanSteps) DecodeWidth() int {
	if len(p) == 0 {
		return 0
	}
	return p[0].Width
}

func errDecode(err error) error { return fmt.Errorf("%w: %v", ErrDecode, err) }
