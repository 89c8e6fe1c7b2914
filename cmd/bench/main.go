// Command bench times the resize job (imageproc.Process, the code path of the resize function minus S3) on a folder
// of photos, next to a naive baseline and, with -sharp, next to sharp (libvips) in the same run, and prints Markdown
// tables for the README.
//
// Peak RSS (VmHWM) is process-wide and never goes down, so every (photo, implementation) pair runs in its own child
// process: the binary re-executes itself with -child. Quality is scored in the parent, where memory does not count:
// SSIM on luma of each derivative against a high-quality reference (the full-resolution standard decode, oriented,
// then Lanczos to the derivative's size).
//
// For stable 1-core figures run it pinned to one CPU:
//
//	go build -o /tmp/bench ./cmd/bench && taskset -c 0 /tmp/bench -n 7 -gomaxprocs 1 -sharp
package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
)

// config is the command line.
type config struct {
	photos     string
	shared     string
	n          int
	gomaxprocs int
	quality    int
	widths     []int
	sharp      bool
	synthetic  bool
	skipSSIM   bool

	child bool
	impl  string
	photo string
}

func main() {
	var c config
	var widths string
	flag.StringVar(&c.photos, "photos", os.Getenv("BENCH_PHOTOS"),
		"folder of JPEG photos (default $BENCH_PHOTOS, else the folder printed by <shared>/bench/photos.sh)")
	flag.StringVar(&c.shared, "shared", "../shared", "the shared folder holding bench/photos.sh and bench/sharp-anchor.sh")
	flag.IntVar(&c.n, "n", 7, "timed runs per photo, after one warm-up")
	flag.IntVar(&c.gomaxprocs, "gomaxprocs", runtime.GOMAXPROCS(0), "GOMAXPROCS of the children (1 or 2); also sharp's thread count")
	flag.IntVar(&c.quality, "quality", 82, "JPEG quality (the resize function's default, and sharp-anchor's)")
	flag.StringVar(&widths, "widths", "1920,640,320", "derivative widths")
	flag.BoolVar(&c.sharp, "sharp", false, "also run <shared>/bench/sharp-anchor.sh (needs node and npm) and compare")
	flag.BoolVar(&c.synthetic, "synthetic50", false, "add a synthetic 50 MP (8660x5773) JPEG to the corpus, to check the memory bound")
	flag.BoolVar(&c.skipSSIM, "nossim", false, "skip the SSIM scores (they need a full-resolution reference decode per photo)")
	flag.BoolVar(&c.child, "child", false, "internal: time one implementation on one photo and print JSON")
	flag.StringVar(&c.impl, "impl", "ours", "internal: ours or naive")
	flag.StringVar(&c.photo, "photo", "", "internal: the photo a child times")
	flag.Parse()

	var err error
	if c.widths, err = parseWidths(widths); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if c.child {
		err = runChild(c)
	} else {
		err = runParent(c)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseWidths(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var w int
		if _, err := fmt.Sscan(strings.TrimSpace(f), &w); err != nil || w <= 0 {
			return nil, fmt.Errorf("bad width %q", f)
		}
		out = append(out, w)
	}
	return out, nil
}
