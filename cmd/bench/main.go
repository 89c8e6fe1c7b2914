// Command bench times the resize job (imageproc.Process, the code path of the resize function minus S3) on a folder
// of photos, next to a naive baseline and, with -sharp, next to sharp (libvips) in the same run: the usual
// three-pipeline Node code (sharp-anchor.sh MODE=typical) and libvips at its best for this job (MODE=cascade). With
// -serve it also times one on-demand render of the serve function against the same render in sharp. It prints
// Markdown tables for the README, headed by the date and the machine.
//
// Peak RSS (VmHWM) is process-wide and never goes down, so every (photo, implementation) pair runs in its own child
// process: the binary re-executes itself with -child, and sharp gets one node process per photo. Children are
// pinned with taskset to as many CPUs as they get threads. Quality is scored in the parent, where memory does not
// count, and the same way for every implementation: luma SSIM of each derivative, decoded, against the unencoded
// reference (the full-resolution standard decode, oriented, then Lanczos to the derivative's size).
//
// The default run, as `make bench` does it:
//
//	go build -o build/bench ./cmd/bench && taskset -c 0 build/bench -n 7 -gomaxprocs 1,2 -sharp -synthetic50 -serve -formats
package main

import (
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// config is the command line.
type config struct {
	photos     string
	shared     string
	scripts    string
	n          int
	naiveN     int
	procs      []int // the first is the main run's; the others (and 1, when the first is not) give the speed-up
	quality    int
	widths     []int
	job        bool
	sharp      bool
	synthetic  bool
	skipSSIM   bool
	rd         bool
	serve      bool
	servePhoto string
	formats    bool
	profileDir string

	// Internal: what a child process does.
	child   bool
	impl    string
	photo   string
	target  string
	outDir  string
	profile string
}

func main() {
	var c config
	var widths, procs string
	flag.StringVar(&c.photos, "photos", os.Getenv("BENCH_PHOTOS"),
		"folder of JPEG photos (default $BENCH_PHOTOS, else the folder printed by <shared>/bench/photos.sh)")
	flag.StringVar(&c.shared, "shared", "../shared", "the shared folder holding bench/photos.sh and bench/sharp-anchor.sh")
	flag.StringVar(&c.scripts, "scripts", "scripts/bench", "the folder of this repository's node scripts (sharp-outputs.js, sharp-serve.js)")
	flag.IntVar(&c.n, "n", 7, "timed runs per photo, after one warm-up")
	flag.IntVar(&c.naiveN, "naiven", 3, "timed runs of the naive baseline, which takes 10x longer and is only a reference")
	flag.StringVar(&procs, "gomaxprocs", "1", "GOMAXPROCS of the children and sharp's thread count; a list (1,2) "+
		"adds a speed-up table for the others, and a single value above 1 adds 1 for it")
	flag.IntVar(&c.quality, "quality", 82, "JPEG quality (the resize function's default, and sharp-anchor's)")
	flag.StringVar(&widths, "widths", "1920,640,320", "derivative widths")
	flag.BoolVar(&c.job, "job", true, "time the resize job on the corpus (-job=false with -serve runs the serve bench only)")
	flag.BoolVar(&c.sharp, "sharp", false, "also run <shared>/bench/sharp-anchor.sh in both modes (needs node and npm) and compare")
	flag.BoolVar(&c.synthetic, "synthetic50", false, "add a synthetic 50 MP (8660x5773) JPEG to the corpus, to check the memory bound")
	flag.BoolVar(&c.skipSSIM, "nossim", false, "skip the quality scores (they need a full-resolution reference decode per photo)")
	flag.BoolVar(&c.rd, "rd", true, "also encode ours at other qualities, to report our bytes at exactly sharp's SSIM")
	flag.BoolVar(&c.serve, "serve", false, "time one on-demand render (640x640 cover and 1920 wide, JPEG and WebP) against sharp, "+
		"the WebP encoder's cold start and its methods 0-4")
	flag.BoolVar(&c.formats, "formats", false, "also time the job on the serve photo converted to Display P3, Adobe RGB "+
		"and CMYK JPEGs (ImageMagick), HEIC (heif-enc) and AVIF (avifenc): decode time and colour-transform cost")
	flag.StringVar(&c.servePhoto, "servephoto", "", "the photo of -serve (default: the corpus photo nearest 12 MP)")
	flag.StringVar(&c.profileDir, "cpuprofile", "", "write a CPU profile of each photo's timed runs of ours to this folder")
	flag.BoolVar(&c.child, "child", false, "internal: time one implementation on one photo and print JSON")
	flag.StringVar(&c.impl, "impl", "ours", "internal: ours, naive, render or webp")
	flag.StringVar(&c.photo, "photo", "", "internal: the photo a child times")
	flag.StringVar(&c.target, "target", "", "internal: the render a child times (WxH:fit:format:quality)")
	flag.StringVar(&c.outDir, "out", "", "internal: the folder a child writes its outputs to")
	flag.StringVar(&c.profile, "profile", "", "internal: the CPU profile a child writes")
	flag.Parse()

	var err error
	if c.widths, err = parseInts(widths); err == nil {
		c.procs, err = parseInts(procs)
	}
	if err != nil {
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

// parseInts reads a comma-separated list of positive integers.
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("bad value %q in %q", f, s)
		}
		out = append(out, v)
	}
	return out, nil
}

// joinInts is the inverse of parseInts.
func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, ",")
}

// speedupProcs returns the thread counts of the speed-up table besides the main run's: the other values of
// -gomaxprocs, and 1 when the main run is not on one core.
func (c config) speedupProcs() []int {
	var out []int
	if c.procs[0] != 1 {
		out = append(out, 1)
	}
	for _, p := range c.procs[1:] {
		if p != c.procs[0] {
			out = append(out, p)
		}
	}
	return out
}
