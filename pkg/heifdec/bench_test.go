package heifdec

import (
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/heiftest"
	"github.com/imgpipe/imgpipe/internal/testimage"
)

// BenchmarkDecode12MP decodes a 4032x3024 photo-sized picture: an iPhone-like HEIC grid of 512x512 tiles, and an
// AVIF. Making the files takes a minute (48 x265 runs), so it runs only with HEIFDEC_BENCH=1. The first decode,
// which compiles the WebAssembly module, is measured by TestInitCost; b.N decodes here are warm.
func BenchmarkDecode12MP(b *testing.B) {
	if os.Getenv("HEIFDEC_BENCH") == "" {
		b.Skip("set HEIFDEC_BENCH=1: building the 12 MP files takes a minute")
	}
	src := testimage.Pattern(4032, 3024)
	files := map[string][]byte{
		"heic-grid": heiftest.Grid(b, src, 512),
		"avif":      heiftest.AVIF(b, src),
	}
	Init()
	for name, file := range files {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(file)))
			runtime.GC()
			var peak atomic.Uint64
			done := make(chan struct{})
			go func() { // the Go heap holds the module's linear memory too, so this is the decode's footprint
				var m runtime.MemStats
				for {
					select {
					case <-done:
						return
					case <-time.After(2 * time.Millisecond):
						runtime.ReadMemStats(&m)
						if m.HeapInuse > peak.Load() {
							peak.Store(m.HeapInuse)
						}
					}
				}
			}()
			for b.Loop() {
				if _, err := Decode(file, 0); err != nil {
					b.Fatal(err)
				}
			}
			close(done)
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MB")
		})
	}
}
