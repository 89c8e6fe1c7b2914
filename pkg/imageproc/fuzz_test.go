package imageproc

import (
	"bytes"
	"context"
	"errors"
	"image"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// fuzzLimits are a 1024 MB resize function's limits with a smaller memory budget, so that the fuzzer's workers
// (one per core) explore parsing and decoding rather than allocation: a mutated header may declare anything up
// to what the budget admits, and each worker may then allocate that much.
var fuzzLimits = budget.Limits{MaxPixels: 50_000_000, MaxSide: budget.DefaultMaxSide, Memory: 256 << 20}

// fuzzTimeout is each call's deadline: a decode that runs out of time must stop with the context's error.
const fuzzTimeout = 10 * time.Second

// fuzzTargets are the resize function's derivatives and a serve-style WebP render.
var fuzzTargets = append(Widths(testWidths, 82),
	Target{Width: 640, Height: 640, Fit: FitCover, Format: imagefile.WebP, Quality: DefaultWebPQuality})

// FuzzProcess drives the whole Process path (inspect, budget, decode, colour, resize, encode) under a memory
// budget and a deadline. Whatever the input, Process must not panic; it must return either outputs of the planned
// sizes that decode back as what they claim to be, or an error that is the image's own fault (a 4xx public
// error, which the resize function quarantines) or the deadline's. The seed corpus (testdata/fuzz/FuzzProcess,
// written by `go run ./internal/hostile/cmd/fuzzseeds`) runs as ordinary tests in `make test`.
func FuzzProcess(f *testing.F) {
	f.Add(testimage.JPEG(48, 32))
	f.Add(testimage.PNG(48, 32, true))
	f.Add(testimage.GIF(48, 32))
	f.Add(testimage.WebP())
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), fuzzTimeout)
		defer cancel()
		t0 := time.Now()
		res, err := Process(ctx, data, Request{Targets: fuzzTargets, Limits: fuzzLimits})
		elapsed := time.Since(t0)
		if err != nil {
			t.Logf("refused in %v: %v", elapsed, err)
			if errors.Is(err, context.DeadlineExceeded) {
				return
			}
			// ErrOutput is a bad request too, but of the targets, which are valid here.
			p := publicerr.From(err)
			if p == nil || p.Status < 400 || p.Status >= 500 || errors.Is(err, ErrOutput) {
				t.Fatalf("error that is not the image's fault: %v", err)
			}
			return
		}
		// libheif runs to completion once started; everything else stops at the deadline. Twice the deadline
		// leaves room for a slow machine.
		if elapsed > 2*fuzzTimeout && res.Source.Format != imagefile.HEIC && res.Source.Format != imagefile.AVIF {
			t.Errorf("Process took %v, far past its %v deadline", elapsed, fuzzTimeout)
		}
		if res.Cost.Bytes > fuzzLimits.Memory {
			t.Fatalf("succeeded with an estimate of %v, over the budget of %d", res.Cost, fuzzLimits.Memory)
		}
		t.Logf("%s %dx%d processed in %v", res.Source.Format.Name, res.Source.Width, res.Source.Height, elapsed)
		if len(res.Outputs) != len(fuzzTargets) {
			t.Fatalf("%d outputs for %d targets", len(res.Outputs), len(fuzzTargets))
		}
		for i, o := range res.Outputs {
			checkFuzzOutput(t, o, res, fuzzTargets[i])
		}
	})
}

// checkFuzzOutput holds an output to its target: the size Size plans for the upright source, the format asked
// for (or the source's derivative format), and bytes that decode as that format at that size.
func checkFuzzOutput(t *testing.T, o Output, res *Result, tg Target) {
	t.Helper()
	w, h := Size(res.Width, res.Height, tg)
	if o.Width != w || o.Height != h || w < 1 || h < 1 {
		t.Fatalf("target %+v of a %dx%d source: output %dx%d, planned %dx%d", tg, res.Width, res.Height,
			o.Width, o.Height, w, h)
	}
	want := tg.Format
	if want == (imagefile.Format{}) {
		want = res.Source.OutputFormat()
	}
	if o.Format != want {
		t.Fatalf("target %+v: output is %s, want %s", tg, o.Format.Name, want.Name)
	}
	img, name, err := image.Decode(bytes.NewReader(o.Data))
	if err != nil {
		t.Fatalf("target %+v: the %s output does not decode: %v", tg, o.Format.Name, err)
	}
	if name != o.Format.Name || img.Bounds().Dx() != w || img.Bounds().Dy() != h {
		t.Fatalf("target %+v: decodes as %s %v, declared %s %dx%d", tg, name, img.Bounds(), o.Format.Name, w, h)
	}
}
