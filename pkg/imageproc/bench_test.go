package imageproc

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// Benchmarks run on a real photo, because synthetic pixels mislead the entropy decoder and encoder: the first JPEG
// in $BENCH_PHOTOS, else in the folder /work/shared/bench/photos.sh fills. Compare runs with benchstat:
//
//	go test -run '^$' -bench . -count 10 ./pkg/imageproc/ > new.txt

// benchPhoto returns the photo's bytes and header, or skips the benchmark.
func benchPhoto(b *testing.B) ([]byte, imagefile.Info) {
	b.Helper()
	dir := os.Getenv("BENCH_PHOTOS")
	if dir == "" {
		cache := os.Getenv("XDG_CACHE_HOME")
		if cache == "" {
			home, _ := os.UserHomeDir()
			cache = filepath.Join(home, ".cache")
		}
		dir = filepath.Join(cache, "image-pipeline-photos", "photos")
	}
	photos, _ := filepath.Glob(filepath.Join(dir, "*.jpg"))
	if len(photos) == 0 {
		b.Skipf("no photo in %s; set BENCH_PHOTOS or run photos.sh", dir)
	}
	slices.Sort(photos)
	data, err := os.ReadFile(photos[0])
	if err != nil {
		b.Fatal(err)
	}
	info, err := imagefile.Inspect(data, 0)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%s: %dx%d", filepath.Base(photos[0]), info.Width, info.Height)
	return data, info
}

func BenchmarkProcess(b *testing.B) {
	data, _ := benchPhoto(b)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Process(context.Background(), data, Request{Targets: Widths(testWidths, 82)}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecode compares the reduced decode Process uses with a full-size one.
func BenchmarkDecode(b *testing.B) {
	data, info := benchPhoto(b)
	uw, uh := info.Upright()
	steps, err := planSteps(uw, uh, info, Widths(testWidths, 82))
	if err != nil {
		b.Fatal(err)
	}
	for name, minWidth := range map[string]int{"reduced": decodeWidth(uw, steps), "full": uw} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Decode(context.Background(), data, info, minWidth); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkResize times each step of the cascade from the frame the previous step produced, as resizeAll runs it.
func BenchmarkResize(b *testing.B) {
	data, info := benchPhoto(b)
	uw, uh := info.Upright()
	steps, err := planSteps(uw, uh, info, Widths(testWidths, 82))
	if err != nil {
		b.Fatal(err)
	}
	from, err := Decode(context.Background(), data, info, decodeWidth(uw, steps))
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range steps {
		w, h := s.geom.width, s.geom.height
		if swapsAxes(info.Orientation) {
			w, h = h, w
		}
		src := from
		b.Run(fmt.Sprint(s.target.Width), func(b *testing.B) {
			for b.Loop() {
				resize(src, w, h)
			}
		})
		from = resize(src, w, h)
	}
}

func BenchmarkEncode(b *testing.B) {
	data, info := benchPhoto(b)
	uw, uh := info.Upright()
	steps, err := planSteps(uw, uh, info, Widths(testWidths, 82))
	if err != nil {
		b.Fatal(err)
	}
	src, err := Decode(context.Background(), data, info, decodeWidth(uw, steps))
	if err != nil {
		b.Fatal(err)
	}
	for i, fr := range resizeAll(src, info, steps) {
		b.Run(fmt.Sprint(steps[i].target.Width), func(b *testing.B) {
			for b.Loop() {
				if _, err := Encode(fr, imagefile.JPEG, 82); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
