package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/imgpipe/imgpipe/pkg/imageproc"
)

// output is one encoded derivative. A child reports its size; the parent also keeps the data to score it.
type output struct {
	Width, Height, Bytes int
	Data                 []byte `json:"-"`
}

// stages is the time of each step of one run.
type stages struct {
	Decode, Resize, Encode time.Duration
}

// job is one implementation of the whole resize job.
type job func(data []byte, widths []int, quality int) ([]output, stages, error)

// report is what a child prints as one JSON line.
type report struct {
	Impl, Photo           string
	MedianMS, MinMS       float64
	DecodeMS, ResizeMS    float64 // medians per stage
	EncodeMS              float64
	PeakHeapMB, PeakRSSMB float64
	Outputs               []output
}

// runChild times one implementation on one photo: a warm-up run that also samples the heap, then c.n timed runs.
func runChild(c config) error {
	data, err := os.ReadFile(c.photo)
	if err != nil {
		return err
	}
	var run job
	switch c.impl {
	case "ours":
		run = ours
	case "naive":
		run = naive
	default:
		return fmt.Errorf("unknown implementation %q", c.impl)
	}
	r := report{Impl: c.impl, Photo: c.photo}

	// The sampler needs a second P to run beside the job; with GOMAXPROCS=1 it would only get the CPU at the
	// job's preemption points and miss short peaks. Timed runs go back to the requested GOMAXPROCS.
	procs := runtime.GOMAXPROCS(max(2, c.gomaxprocs))
	stop := sampleHeap()
	out, _, err := run(data, c.widths, c.quality)
	r.PeakHeapMB = float64(stop()) / (1 << 20)
	runtime.GOMAXPROCS(procs)
	if err != nil {
		return err
	}
	r.Outputs = out

	var total, dec, res, enc []float64
	for range c.n {
		t := time.Now()
		_, st, err := run(data, c.widths, c.quality)
		if err != nil {
			return err
		}
		total = append(total, ms(time.Since(t)))
		dec, res, enc = append(dec, ms(st.Decode)), append(res, ms(st.Resize)), append(enc, ms(st.Encode))
	}
	r.MedianMS, r.MinMS = median(total), slices.Min(total)
	r.DecodeMS, r.ResizeMS, r.EncodeMS = median(dec), median(res), median(enc)
	if r.PeakRSSMB, err = peakRSS(); err != nil {
		return err
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// ours is the resize function's code path.
func ours(data []byte, widths []int, quality int) ([]output, stages, error) {
	res, err := imageproc.Process(context.Background(), data, imageproc.Request{Targets: imageproc.Widths(widths, quality)})
	if err != nil {
		return nil, stages{}, err
	}
	out := make([]output, len(res.Outputs))
	for i, d := range res.Outputs {
		out[i] = output{d.Width, d.Height, len(d.Data), d.Data}
	}
	return out, stages{Decode: res.Stages.Decode + res.Stages.Colour, Resize: res.Stages.Resize, Encode: res.Stages.Encode}, nil
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

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) == 0 {
		return 0
	}
	return s[len(s)/2]
}
