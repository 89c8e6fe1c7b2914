package hostile

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// peakTableEnv turns TestPeakMemoryTable on: it makes and processes about 25 files of up to 50 MP, twice each,
// which is more than every `make test` should pay for.
const peakTableEnv = "HOSTILE_PEAK_TABLE"

// cell is one measurement of the table: a file of one format at one size, processed into the derivatives.
type cell struct {
	w, h     int
	refused  string // the refusal's code, or "" when processed
	estimate int64  // the budget's estimate in bytes (a lower bound, "≥", when no file was made)
	made     bool   // the file exists (a refused size is judged from the header alone)
	limited  Result // with GOMEMLIMIT=900MiB
	free     Result // without GOMEMLIMIT, as the functions run today
}

// TestPeakMemoryTable measures the peak RSS of the resize function's job (a 1024 MB function's limits, its
// widths) for each format at 12 MP and at 50 MP, or at the largest 3:2 size the budget admits where it refuses
// 50 MP, and prints the table README shows. Each file runs in two children, with GOMEMLIMIT=900MiB and with none;
// both must end ready under 1 GiB. Run it with
//
//	HOSTILE_PEAK_TABLE=1 go test -tags nodynamic -count=1 -timeout 30m -run TestPeakMemoryTable -v ./internal/hostile/
func TestPeakMemoryTable(t *testing.T) {
	if os.Getenv(peakTableEnv) == "" {
		t.Skipf("set %s=1 to measure the peak memory table (a few minutes)", peakTableEnv)
	}
	var b strings.Builder
	b.WriteString("| format | 12 MP | 50 MP | largest admitted at 3:2 |\n|---|---|---|---|\n")
	for _, f := range tableFormats {
		t.Run(f.name, func(t *testing.T) {
			info, err := sample(files.gen, f)
			if err != nil {
				skipOrFail(t, f.name+" sample", err)
			}
			c12 := measure(t, f, info, W12, H12, fmt.Sprintf("%s %dx%d", f.name, W12, H12), nil)
			c50 := measure(t, f, info, W50, H50, fmt.Sprintf("%s %dx%d", f.name, W50, H50), nil)
			big := "= 50 MP"
			if c50.refused != "" {
				cl := measure(t, f, info, 0, 0, f.name+" at the largest admitted size",
					func(g gen) ([]byte, error) { return largestFile(g, f) })
				big = fmt.Sprintf("%dx%d (%.1f MP): %s", cl.w, cl.h, float64(cl.w*cl.h)/1e6, cl)
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", f.name, c12, c50, big)
		})
	}
	l := Limits()
	t.Logf("peak RSS of the derivative job (widths %v, MAX_PIXELS %d, MAX_SIDE %d, budget %d MiB of a %d MB "+
		"function) with GOMEMLIMIT=%s, (in brackets) with none; est. is the budget's estimate; s is Process's time:\n%s",
		Widths, l.MaxPixels, l.MaxSide, l.Memory>>20, FunctionMB, GoMemLimit, b.String())
}

// measure makes the file called name (with mk, or f at w x h) unless the header alone shows the budget refuses
// that size, and processes an admitted one in two children.
func measure(t *testing.T, f format, info imagefile.Info, w, h int, name string, mk generator) cell {
	t.Helper()
	c := cell{w: w, h: h}
	if mk == nil {
		info.Width, info.Height = w, h
		minWidth, outs := budget.Derivatives(info, Widths, false)
		cost, err := Limits().Check(info, 0, minWidth, outs)
		if p := publicerr.From(err); p != nil {
			c.refused, c.estimate = p.Code, cost.Bytes
			return c
		} else if err != nil {
			t.Fatal(err)
		}
		mk = func(g gen) ([]byte, error) { return f.make(g, w, h) }
	}
	path, data := files.get(t, name, mk)
	got, err := imagefile.Inspect(data, 0)
	if err != nil {
		t.Fatal(err)
	}
	c.w, c.h, c.made = got.Width, got.Height, true
	refusal, err := Admitted(data, Derivatives)
	if err != nil {
		t.Fatal(err)
	}
	if refusal != nil {
		c.refused = refusal.Code
		return c
	}
	for _, run := range []struct {
		limit string
		res   *Result
	}{{GoMemLimit, &c.limited}, {"off", &c.free}} {
		res, err := Run(context.Background(), Spec{Input: path, Request: Derivatives, GoMemLimit: run.limit},
			3*FunctionTimeout)
		if err != nil {
			t.Fatal(err)
		}
		if res.Outcome != Ready || res.PeakRSS >= HardLimit {
			t.Errorf("%s, GOMEMLIMIT=%s: %s (%s), peak RSS %d MiB", name, run.limit, res.Outcome, res.Error, res.PeakRSS>>20)
		}
		*run.res = res
		c.estimate = res.Estimate
	}
	return c
}

// String is the cell as the table shows it.
func (c cell) String() string {
	if c.refused != "" {
		ge := "≥ "
		if c.made {
			ge = ""
		}
		if c.estimate == 0 {
			return "refused: " + c.refused
		}
		return fmt.Sprintf("refused: %s (est. %s%d MB)", c.refused, ge, (c.estimate+1<<20-1)>>20)
	}
	return fmt.Sprintf("%d MiB (%d) · est. %d MB · %.1f s", c.limited.PeakRSS>>20, c.free.PeakRSS>>20,
		(c.estimate+1<<20-1)>>20, c.limited.Elapsed.Seconds())
}
