package jpegscale

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// benchPhotos returns the real photos of the shared bench script by short
// name (the part before "_by_"), or skips the benchmark when the script or
// its photos are not available. JPEGSCALE_PHOTOS, if set, names the folder
// instead, so that the benchmark can run under valgrind, whose callgrind
// trips over the signal a child process sends.
func benchPhotos(b *testing.B) map[string][]byte {
	photosOnce.Do(func() {
		dir, err := benchPhotoDir()
		if err != nil {
			photosErr = err
			return
		}
		names, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
		photos = map[string][]byte{}
		for _, n := range names {
			data, err := os.ReadFile(n)
			if err != nil {
				photosErr = err
				return
			}
			short, _, _ := strings.Cut(filepath.Base(n), "_by_")
			photos[strings.TrimSuffix(short, ".jpg")] = data
		}
		// A 2 MP baseline 4:2:0 phone photo beside the wallpapers, which
		// are all progressive.
		if data, err := os.ReadFile(filepath.Join(sharedPhotos, "Landscape_1.jpg")); err == nil {
			photos["Landscape_1-baseline"] = data
		}
		if len(photos) == 0 {
			photosErr = fmt.Errorf("no photos in %s", dir)
		}
	})
	if photosErr != nil {
		b.Skip(photosErr)
	}
	return photos
}

// benchPhotoDir is JPEGSCALE_PHOTOS, else the folder the shared bench script prints.
func benchPhotoDir() (string, error) {
	if dir := os.Getenv("JPEGSCALE_PHOTOS"); dir != "" {
		return dir, nil
	}
	out, err := exec.Command("bash", "../../../shared/bench/photos.sh").Output()
	if err != nil {
		return "", fmt.Errorf("photos.sh: %v", err)
	}
	return strings.TrimSpace(string(out)), nil
}

var (
	photosOnce sync.Once
	photos     map[string][]byte
	photosErr  error
)

// reportCPU reports the CPU time per operation since start as cpu-ns/op
// (see cpuTime).
func reportCPU(b *testing.B, start time.Duration) {
	if start > 0 && b.N > 0 {
		b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/op")
	}
}

// photoScales returns, for a photo, the scales worth timing for a 1920 px
// derivative: the N/8 that ScaleNFor picks, the 8/s of ScaleFor's 1/s
// (what callers used before N/8 scaling), and full size.
func photoScales(b *testing.B, data []byte) []int {
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		b.Fatal(err)
	}
	ns := []int{}
	for _, n := range []int{ScaleNFor(cfg.Width, 1920), 8 / ScaleFor(cfg.Width, 1920), 8} {
		if len(ns) == 0 || ns[len(ns)-1] != n {
			ns = append(ns, n)
		}
	}
	return ns
}

// BenchmarkPhotos times the decode of each real photo at the scales of
// photoScales; BenchmarkPhotosStdlib is the image/jpeg anchor on the same
// files.
func BenchmarkPhotos(b *testing.B) {
	ph := benchPhotos(b)
	for _, name := range sortedKeys(ph) {
		data := ph[name]
		for _, n := range photoScales(b, data) {
			b.Run(fmt.Sprintf("photo=%s/n=%d", name, n), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				defer reportCPU(b, cpuTime())
				for b.Loop() {
					if _, err := benchDecode(data, n); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

func BenchmarkPhotosStdlib(b *testing.B) {
	ph := benchPhotos(b)
	for _, name := range sortedKeys(ph) {
		data := ph[name]
		b.Run("photo="+name, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			defer reportCPU(b, cpuTime())
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkPhotosWorkers times the decode at ScaleNFor's scale with one
// and two reconstruction goroutines (Options.Workers); run it with
// GOMAXPROCS=2 on two cores.
func BenchmarkPhotosWorkers(b *testing.B) {
	ph := benchPhotos(b)
	for _, name := range sortedKeys(ph) {
		data := ph[name]
		n := photoScales(b, data)[0]
		for _, w := range []int{1, 2} {
			b.Run(fmt.Sprintf("photo=%s/n=%d/workers=%d", name, n, w), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					if _, err := DecodeWith(bytes.NewReader(data), Options{Scale: n, Workers: w}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
