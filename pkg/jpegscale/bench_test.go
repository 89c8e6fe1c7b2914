package jpegscale

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// benchInputs returns the benchmark photos by kind: "progressive" is a
// 13 MP 4:2:2 photo from the shared bench script (those wallpapers are all
// progressive), "baseline" a 2 MP baseline 4:2:0 photo like phones write.
// A missing source is replaced by a synthetic image of similar size encoded
// with image/jpeg, so the benchmark always runs; its name then says so. The
// script may download a Debian package once, which is why only benchmarks
// call it.
func benchInputs(b *testing.B) map[string][]byte {
	benchCache.Do(func() {
		m := map[string][]byte{}
		dir, _ := benchPhotoDir() // a missing folder leaves the synthetic inputs
		if dir != "" {
			name := filepath.Join(dir, "Dragonfly_by_Bolly.jpg")
			if data, err := os.ReadFile(name); err == nil {
				m["progressive"] = data
			}
		}
		if data, err := os.ReadFile(filepath.Join(sharedPhotos, "Landscape_1.jpg")); err == nil {
			m["baseline"] = data
		}
		if m["progressive"] == nil {
			m["synthetic-13MP"] = encodeStd(b, synthetic(4224, 3168, false))
		}
		if m["baseline"] == nil {
			m["synthetic-2MP"] = encodeStd(b, synthetic(1800, 1200, false))
		}
		benchCache.m = m
	})
	return benchCache.m
}

var benchCache struct {
	sync.Once
	m map[string][]byte
}

// benchDecode is the decode that the benchmarks time, in one place so that
// the same benchmarks can be run against an older tree with only Decode.
func benchDecode(data []byte, n int) (image.Image, error) {
	return DecodeWith(bytes.NewReader(data), Options{Scale: n})
}

// BenchmarkDecode measures DecodeWith at every scale N/8; compare n=8 with
// BenchmarkStdlib for the cost of the fork itself.
func BenchmarkDecode(b *testing.B) {
	inputs := benchInputs(b)
	for _, kind := range sortedKeys(inputs) {
		data := inputs[kind]
		for _, n := range allN {
			b.Run(fmt.Sprintf("photo=%s/n=%d", kind, n), func(b *testing.B) {
				b.SetBytes(int64(len(data)))
				b.ReportAllocs()
				for b.Loop() {
					if _, err := benchDecode(data, n); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkStdlib is image/jpeg.Decode on the same inputs as BenchmarkDecode.
func BenchmarkStdlib(b *testing.B) {
	inputs := benchInputs(b)
	for _, kind := range sortedKeys(inputs) {
		data := inputs[kind]
		b.Run("photo="+kind, func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
