package hostile

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // outputs are decoded back
	_ "image/png"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// childEnv carries a Spec, as JSON, into a child process; its presence is what makes a process a child.
const childEnv = "HOSTILE_CHILD_SPEC"

// The resize function's configuration, which every child runs with unless its Spec says otherwise: a 1024 MB
// function (the template's default) with the default limits, its derivative widths and quality, and its timeout.
const (
	FunctionMB      = 1024
	FunctionTimeout = 60 * time.Second
	MaxPixels       = 50_000_000
	Quality         = 82
)

// Widths are the resize function's derivative widths.
var Widths = []int{1920, 640, 320}

// Limits are the limits of a 1024 MB resize function.
func Limits() budget.Limits {
	return budget.Limits{MaxPixels: MaxPixels, MaxSide: budget.DefaultMaxSide, Memory: budget.ForMemory(FunctionMB)}
}

// Request names a set of targets.
type Request string

// The requests a child can run.
const (
	// Derivatives is the resize function's job: one JPEG (or PNG) per width.
	Derivatives Request = "derivatives"
	// Serve is a render on the serve function's path: one 640x640 WebP cropped to cover.
	Serve Request = "serve"
)

// Targets returns the request's targets.
func (r Request) Targets() ([]imageproc.Target, error) {
	switch r {
	case Derivatives:
		return imageproc.Widths(Widths, Quality), nil
	case Serve:
		return []imageproc.Target{{Width: 640, Height: 640, Fit: imageproc.FitCover, Format: imagefile.WebP,
			Quality: imageproc.DefaultWebPQuality}}, nil
	}
	return nil, fmt.Errorf("hostile: unknown request %q", r)
}

// Spec is what one child process does: process one file once, as the function would, and report.
type Spec struct {
	Input   string  // the file's path
	Request Request // which targets
	// Memory is the budget in bytes; 0 means a 1024 MB function's, and a negative value none at all (to measure
	// what the budget would have refused).
	Memory int64
	// Timeout is Process's deadline, the function's timeout.
	Timeout time.Duration
	// KillRSS is the resident size at which the child stops itself as the Lambda runtime would stop the function:
	// a watchdog polls it, so short spikes above it are caught by the final VmHWM instead.
	KillRSS int64
	// KeepData puts the outputs' bytes in the report, for a parent that looks at the pixels.
	KeepData bool
	// GoMemLimit is the child's GOMEMLIMIT: GoMemLimit when empty, "off" for none, as the functions run today.
	GoMemLimit string
}

// Outcome is how one run ended.
type Outcome string

// Outcomes, as the pipeline sees them.
const (
	Ready   Outcome = "ready"   // Process succeeded and every output decodes at its planned size
	Refused Outcome = "refused" // a 4xx public error: quarantined by the resize function, 422/415 at upload
	Failed  Outcome = "failed"  // any other error, or outputs that do not decode as planned: a bug
	Timeout Outcome = "timeout" // the function's deadline passed
	Killed  Outcome = "killed"  // the watchdog saw the resident size pass KillRSS
)

// Report is what a child found, written to its stdout as one JSON object.
type Report struct {
	Outcome Outcome
	Status  int    `json:",omitempty"` // of a public error
	Code    string `json:",omitempty"` // of a public error
	Error   string `json:",omitempty"` // the error's full text
	Source  string `json:",omitempty"` // what the header says, e.g. "PNG 8660x5773 16-bit interlaced"
	// Estimate is the budget's estimate for the job in bytes (0 when Process stopped before the budget).
	Estimate int64            `json:",omitempty"`
	Outputs  []ReportedOutput `json:",omitempty"`
	// StartRSS is VmHWM with the file read, before Process; PeakRSS is VmHWM after it, in bytes.
	StartRSS, PeakRSS int64
	// Allocated is what Process allocated in total (the growth of Go's TotalAlloc), which package budget's
	// estimate is meant to bound.
	Allocated int64
	Elapsed   time.Duration // Process alone
}

// ReportedOutput is one output of a successful run.
type ReportedOutput struct {
	Width, Height int
	Format        string
	Bytes         int
	Data          []byte `json:",omitempty"` // with Spec.KeepData
}

// IsChild reports whether this process was started by Run as a child.
func IsChild() bool { return os.Getenv(childEnv) != "" }

// RunChild runs the Spec in this process's environment, writes the Report to stdout and returns the exit code:
// 0 whatever the outcome (the parent judges it), 2 if the spec cannot be run at all.
func RunChild() int {
	var spec Spec
	if err := json.Unmarshal([]byte(os.Getenv(childEnv)), &spec); err != nil {
		fmt.Fprintln(os.Stderr, "hostile child:", err)
		return 2
	}
	rep, err := runSpec(spec)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hostile child:", err)
		return 2
	}
	writeReport(rep)
	return 0
}

func writeReport(rep Report) {
	b, _ := json.Marshal(rep) // plain data cannot fail to marshal
	os.Stdout.Write(append(b, '\n'))
}

func runSpec(spec Spec) (Report, error) {
	targets, err := spec.Request.Targets()
	if err != nil {
		return Report{}, err
	}
	limits := Limits()
	switch {
	case spec.Memory < 0:
		limits.Memory = 0
	case spec.Memory > 0:
		limits.Memory = spec.Memory
	}
	data, err := os.ReadFile(spec.Input)
	if err != nil {
		return Report{}, err
	}
	start, err := vmHWM()
	if err != nil {
		return Report{}, err
	}
	if spec.KillRSS > 0 {
		go watchdog(spec.KillRSS, start)
	}
	ctx, cancel := context.WithTimeout(context.Background(), spec.Timeout)
	defer cancel()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	t0 := time.Now()
	res, perr := imageproc.Process(ctx, data, imageproc.Request{Targets: targets, Limits: limits})
	elapsed := time.Since(t0)
	runtime.ReadMemStats(&after)
	peak, err := vmHWM()
	if err != nil {
		return Report{}, err
	}
	rep := Report{StartRSS: start, PeakRSS: peak, Elapsed: elapsed, Allocated: int64(after.TotalAlloc - before.TotalAlloc)}
	if info, err := imagefile.Inspect(data, 0); err == nil {
		rep.Source = Describe(info)
	}
	if perr != nil {
		rep.Error = perr.Error()
		p := publicerr.From(perr)
		switch {
		case errors.Is(perr, context.DeadlineExceeded):
			rep.Outcome = Timeout
		case p != nil && p.Status >= 400 && p.Status < 500:
			rep.Outcome, rep.Status, rep.Code = Refused, p.Status, p.Code
		default:
			rep.Outcome = Failed
			if p != nil {
				rep.Status, rep.Code = p.Status, p.Code
			}
		}
		return rep, nil
	}
	rep.Outcome, rep.Estimate = Ready, res.Cost.Bytes
	if elapsed > spec.Timeout {
		// A decoder that does not look at the context (libheif runs to completion) can finish late: the function
		// would have been stopped.
		rep.Outcome, rep.Error = Timeout, fmt.Sprintf("finished after %v, past the deadline", elapsed)
		return rep, nil
	}
	for i, o := range res.Outputs {
		ro := ReportedOutput{Width: o.Width, Height: o.Height, Format: o.Format.Name, Bytes: len(o.Data)}
		if spec.KeepData {
			ro.Data = o.Data
		}
		rep.Outputs = append(rep.Outputs, ro)
		if err := CheckOutput(o, res.Width, res.Height, targets[i]); err != nil {
			rep.Outcome, rep.Error = Failed, err.Error()
		}
	}
	return rep, nil
}

// CheckOutput decodes an output of Process back and checks it against what its target plans for an upright
// source of srcW x srcH: the format asked for, the size imageproc.Size gives, the bytes of that format.
func CheckOutput(o imageproc.Output, srcW, srcH int, t imageproc.Target) error {
	w, h := imageproc.Size(srcW, srcH, t)
	if o.Width != w || o.Height != h {
		return fmt.Errorf("output %d: declared %dx%d, planned %dx%d", t.Width, o.Width, o.Height, w, h)
	}
	if t.Format != (imagefile.Format{}) && o.Format != t.Format {
		return fmt.Errorf("output %d: %s, asked for %s", t.Width, o.Format.Name, t.Format.Name)
	}
	img, name, err := image.Decode(bytes.NewReader(o.Data))
	if err != nil {
		return fmt.Errorf("output %d (%s): %w", t.Width, o.Format.Name, err)
	}
	if name != o.Format.Name {
		return fmt.Errorf("output %d: the data is %s, declared %s", t.Width, name, o.Format.Name)
	}
	if b := img.Bounds(); b.Dx() != w || b.Dy() != h {
		return fmt.Errorf("output %d: decodes as %dx%d, planned %dx%d", t.Width, b.Dx(), b.Dy(), w, h)
	}
	return nil
}

// Describe names what a header says: "PNG 8660x5773 16-bit interlaced".
func Describe(i imagefile.Info) string {
	s := fmt.Sprintf("%s %dx%d", i.Format.Name, i.Width, i.Height)
	if i.Depth == 16 {
		s += " 16-bit"
	}
	if i.Interlaced {
		s += " interlaced"
	}
	if i.Progressive {
		s += fmt.Sprintf(" progressive (%d scans)", i.Scans)
	}
	switch {
	case i.Format == imagefile.JPEG && i.Channels == 3:
		s += " " + chroma(i)
	case i.Format == imagefile.JPEG && i.Channels == 4:
		s += " CMYK"
	}
	if i.Lossless {
		s += " lossless"
	}
	if i.HasAlpha {
		s += " alpha"
	}
	if i.Orientation != 1 {
		s += " orientation " + strconv.Itoa(i.Orientation)
	}
	return s
}

func chroma(i imagefile.Info) string {
	switch {
	case i.ChromaH == 2 && i.ChromaV == 2:
		return "4:2:0"
	case i.ChromaH == 2 && i.ChromaV == 1:
		return "4:2:2"
	case i.ChromaH == 1 && i.ChromaV == 1:
		return "4:4:4"
	}
	return fmt.Sprintf("%dx%d", i.ChromaH, i.ChromaV)
}

// watchdog ends the process, as Lambda ends a function over its memory, once the resident size passes limit.
// Polling misses a spike shorter than its period; the parent's check of the final VmHWM does not.
func watchdog(limit, start int64) {
	for range time.Tick(10 * time.Millisecond) {
		if rss, err := vmRSS(); err == nil && rss > limit {
			writeReport(Report{Outcome: Killed, Error: fmt.Sprintf("resident size %d MiB passed %d MiB", rss>>20, limit>>20),
				StartRSS: start, PeakRSS: rss})
			os.Exit(0)
		}
	}
}

// vmHWM is the process's peak resident size, in bytes, from /proc/self/status.
func vmHWM() (int64, error) { return procStatus("VmHWM:") }

// vmRSS is its current resident size.
func vmRSS() (int64, error) { return procStatus("VmRSS:") }

func procStatus(field string) (int64, error) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("hostile: no %s in /proc/self/status", field)
}
