package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imgpipe/imgpipe/pkg/imageproc"
)

// output is one encoded derivative. A child writes its data to a file, for the parent to score; Data is filled
// where the bytes are at hand.
type output struct {
	Width, Height, Bytes int
	File                 string `json:",omitempty"`
	Data                 []byte `json:"-"`
}

// stages is the time of each step of one run; naive has no colour step.
type stages struct {
	Decode, Colour, Resize, Encode time.Duration
}

// stageMS is stages in milliseconds, for the JSON report.
type stageMS struct {
	Decode, Colour, Resize, Encode float64
}

// job is one implementation of the whole job: the resize function's cascade, or one on-demand render.
type job func(data []byte) ([]output, stages, error)

// report is what a child prints as one JSON line.
type report struct {
	Impl, Photo string
	// FirstMS is the first run in the process, cold: only the render child times it apart from the heap sample.
	FirstMS               float64
	FirstStages           stageMS
	MedianMS, MinMS       float64
	Stages                stageMS // medians per stage
	PeakHeapMB, PeakRSSMB float64
	Outputs               []output
}

// runChild times one implementation on one photo and prints a report: a heap-sampled warm-up run, then c.n timed
// runs. The render child times its first run apart, before the warm-up, because the serve function's first request
// after a cold start is one of its costs. The webp child is a different experiment (webp.go).
func runChild(c config) error {
	data, err := os.ReadFile(c.photo)
	if err != nil {
		return err
	}
	var run job
	switch c.impl {
	case "ours":
		run = func(data []byte) ([]output, stages, error) { return ours(data, imageproc.Widths(c.widths, c.quality)) }
	case "naive":
		run = func(data []byte) ([]output, stages, error) { return naive(data, c.widths, c.quality) }
	case "render":
		t, err := parseTarget(c.target)
		if err != nil {
			return err
		}
		run = func(data []byte) ([]output, stages, error) { return ours(data, []imageproc.Target{t}) }
	case "webp":
		return runWebPChild(c, data)
	default:
		return fmt.Errorf("unknown implementation %q", c.impl)
	}
	r := report{Impl: c.impl, Photo: c.photo}

	if c.impl == "render" {
		t := time.Now()
		_, st, err := run(data)
		if err != nil {
			return err
		}
		r.FirstMS, r.FirstStages = ms(time.Since(t)), st.ms()
	}
	// The sampler needs a second P to run beside the job; with GOMAXPROCS=1 it would only get the CPU at the
	// job's preemption points and miss short peaks. Timed runs go back to the requested GOMAXPROCS.
	procs := runtime.GOMAXPROCS(max(2, runtime.GOMAXPROCS(0)))
	stop := sampleHeap()
	t := time.Now()
	out, st, err := run(data)
	if c.impl != "render" {
		r.FirstMS, r.FirstStages = ms(time.Since(t)), st.ms()
	}
	r.PeakHeapMB = float64(stop()) / (1 << 20)
	runtime.GOMAXPROCS(procs)
	if err != nil {
		return err
	}
	if r.Outputs, err = writeOutputs(c.outDir, c.impl, out); err != nil {
		return err
	}

	if c.profile != "" {
		f, err := os.Create(c.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	var total []float64
	var sts []stages
	for range c.n {
		t := time.Now()
		_, st, err := run(data)
		if err != nil {
			return err
		}
		total = append(total, ms(time.Since(t)))
		sts = append(sts, st)
	}
	if c.profile != "" {
		pprof.StopCPUProfile()
	}
	r.MedianMS, r.MinMS = median(total), slices.Min(total)
	r.Stages = medianStages(sts)
	if r.PeakRSSMB, err = peakRSS(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// ours is the resize function's code path: imageproc.Process with these targets.
func ours(data []byte, targets []imageproc.Target) ([]output, stages, error) {
	res, err := imageproc.Process(context.Background(), data, imageproc.Request{Targets: targets})
	if err != nil {
		return nil, stages{}, err
	}
	out := make([]output, len(res.Outputs))
	for i, d := range res.Outputs {
		out[i] = output{Width: d.Width, Height: d.Height, Bytes: len(d.Data), Data: d.Data}
	}
	s := res.Stages
	return out, stages{Decode: s.Decode, Colour: s.Colour, Resize: s.Resize, Encode: s.Encode}, nil
}

// parseTarget reads a render target as WxH:fit:format:quality, 640x640:cover:webp:80 say; H may be 0.
func parseTarget(s string) (imageproc.Target, error) {
	var t imageproc.Target
	f := strings.Split(s, ":")
	if len(f) != 4 {
		return t, fmt.Errorf("target %q: want WxH:fit:format:quality", s)
	}
	var err error
	if _, err = fmt.Sscanf(f[0], "%dx%d", &t.Width, &t.Height); err != nil {
		return t, fmt.Errorf("target %q: %w", s, err)
	}
	t.Fit = imageproc.Fit(f[1])
	if t.Format, err = formatOf(f[2]); err != nil {
		return t, err
	}
	if t.Quality, err = strconv.Atoi(f[3]); err != nil {
		return t, fmt.Errorf("target %q: %w", s, err)
	}
	return t, nil
}

// writeOutputs writes each output to dir (nothing without one) and drops the data from the report.
func writeOutputs(dir, prefix string, outs []output) ([]output, error) {
	if dir == "" {
		return outs, nil
	}
	for i := range outs {
		outs[i].File = filepath.Join(dir, fmt.Sprintf("%s-%d.%s", prefix, i, sniffExt(outs[i].Data)))
		if err := os.WriteFile(outs[i].File, outs[i].Data, 0o644); err != nil {
			return nil, err
		}
	}
	return outs, nil
}

// sniffExt names a file by its content: WebP files start with RIFF, PNG with its signature, the rest are JPEG.
func sniffExt(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("RIFF")):
		return "webp"
	case bytes.HasPrefix(b, []byte("\x89PNG")):
		return "png"
	}
	return "jpg"
}

// sampleHeap polls the bytes held by heap objects (live or not yet swept, which is what the process must map)
// every 200 microseconds until the returned function is called, which returns the peak.
func sampleHeap() func() uint64 {
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		for {
			metrics.Read(s)
			if v := s[0].Value.Uint64(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-time.After(200 * time.Microsecond):
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		return peak.Load()
	}
}

// peakRSS reads the process's high-water resident set size from /proc/self/status (VmHWM, in kB).
func peakRSS() (float64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, err
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if f := strings.Fields(sc.Text()); len(f) >= 2 && f[0] == "VmHWM:" {
			kb, err := strconv.ParseFloat(f[1], 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmHWM in /proc/self/status")
}

func (s stages) ms() stageMS {
	return stageMS{ms(s.Decode), ms(s.Colour), ms(s.Resize), ms(s.Encode)}
}

// medianStages is the median of each stage on its own, so the stages need not add up to the median total.
func medianStages(sts []stages) stageMS {
	pick := func(f func(stages) time.Duration) float64 {
		v := make([]float64, len(sts))
		for i, s := range sts {
			v[i] = ms(f(s))
		}
		return median(v)
	}
	return stageMS{
		Decode: pick(func(s stages) time.Duration { return s.Decode }),
		Colour: pick(func(s stages) time.Duration { return s.Colour }),
		Resize: pick(func(s stages) time.Duration { return s.Resize }),
		Encode: pick(func(s stages) time.Duration { return s.Encode }),
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
