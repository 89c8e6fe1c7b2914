package heifdec

import (
	"os"
	"testing"
	"time"

	"github.com/gen2brain/avif"
	"github.com/gen2brain/heic"
)

// TestInitCost logs what compiling each WebAssembly module costs, the price of the first decode in a process.
// It asserts nothing about time (the figure belongs in a benchmark run, not a pass/fail test), so it runs only
// with HEIFDEC_BENCH=1.
func TestInitCost(t *testing.T) {
	if os.Getenv("HEIFDEC_BENCH") == "" {
		t.Skip("set HEIFDEC_BENCH=1")
	}
	start := time.Now()
	heic.Init()
	mid := time.Now()
	avif.InitDecoder()
	t.Logf("compile: heic %v, avif %v", mid.Sub(start), time.Since(mid))
}
