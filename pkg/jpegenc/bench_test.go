package jpegenc

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/disintegration/imaging"
)

// The benchmarks encode 4:2:0 frames made from a real photo, because synthetic pixels mislead an entropy coder: the
// first JPEG (or $BENCH_PHOTO, a file name) in $BENCH_PHOTOS, else in the folder /work/shared/bench/photos.sh fills
// (its first is 4352x2448, giving 1920x1080 frames; sunset_by_Aitzol_Berasategi.jpg gives 1920x1280), decoded by image/jpeg and
// resized plane by plane (Lanczos, as the pipeline resizes) to the pipeline's widths. image/jpeg encodes the same
// frame in the same run as the anchor. Pinned to one core and compared with benchstat:
//
//	GOMAXPROCS=1 taskset -c 0 go test -run '^$' -bench Encode -count 10 ./pkg/jpegenc/ > new.txt
//
// Each result also reports the file's size in bytes.

var benchWidths = []int{1920, 640, 320}

var frames struct {
	once sync.Once
	name string
	m    []*image.YCbCr
	err  string
}

// benchFrames returns the frames at benchWidths, or skips (fails under CI=true) when no photo is to be had.
func benchFrames(b *testing.B) []*image.YCbCr {
	b.Helper()
	frames.once.Do(loadFrames)
	if frames.err != "" {
		if os.Getenv("CI") == "true" {
			b.Fatal(frames.err)
		}
		b.Skip(frames.err)
	}
	return frames.m
}

func loadFrames() {
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
		frames.err = "no photo in " + dir + "; set BENCH_PHOTOS or run photos.sh"
		return
	}
	slices.Sort(photos)
	if name := os.Getenv("BENCH_PHOTO"); name != "" {
		photos = []string{filepath.Join(dir, name)}
	}
	f, err := os.Open(photos[0])
	if err != nil {
		frames.err = err.Error()
		return
	}
	defer f.Close()
	src, err := jpeg.Decode(f)
	if err != nil {
		frames.err = err.Error()
		return
	}
	frames.name = filepath.Base(photos[0])
	for _, w := range benchWidths {
		frames.m = append(frames.m, resize420(src, w))
	}
}

// resize420 resizes each plane of a decoded photo to a 4:2:0 frame w pixels wide.
func resize420(src image.Image, w int) *image.YCbCr {
	sb := src.Bounds()
	h := (sb.Dy()*w + sb.Dx()/2) / sb.Dx()
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	if g, ok := src.(*image.Gray); ok {
		src = &image.YCbCr{Y: g.Pix, YStride: g.Stride, Cb: make([]byte, len(g.Pix)), Cr: make([]byte, len(g.Pix)),
			CStride: g.Stride, SubsampleRatio: image.YCbCrSubsampleRatio444, Rect: g.Rect}
	}
	m := src.(*image.YCbCr)
	cw, ch := (w+1)/2, (h+1)/2
	luma := &image.Gray{Pix: m.Y, Stride: m.YStride, Rect: image.Rect(0, 0, sb.Dx(), sb.Dy())}
	csz := m.COffset(sb.Max.X-1, sb.Max.Y-1)/m.CStride + 1
	cb := &image.Gray{Pix: m.Cb, Stride: m.CStride, Rect: image.Rect(0, 0, m.CStride, csz)}
	cr := &image.Gray{Pix: m.Cr, Stride: m.CStride, Rect: image.Rect(0, 0, m.CStride, csz)}
	for _, p := range []struct {
		src  *image.Gray
		dst  []byte
		w, h int
		st   int
	}{{luma, out.Y, w, h, out.YStride}, {cb, out.Cb, cw, ch, out.CStride}, {cr, out.Cr, cw, ch, out.CStride}} {
		r := imaging.Resize(p.src, p.w, p.h, imaging.Lanczos)
		for y := range p.h {
			for x := range p.w {
				p.dst[y*p.st+x] = r.Pix[y*r.Stride+4*x]
			}
		}
	}
	return out
}

func BenchmarkEncode(b *testing.B) {
	fs := benchFrames(b)
	b.Logf("%s", frames.name)
	encoders := []struct {
		name string
		enc  func(*bytes.Buffer, *image.YCbCr) error
	}{
		{"stdlib", func(w *bytes.Buffer, m *image.YCbCr) error { return jpeg.Encode(w, m, &jpeg.Options{Quality: 82}) }},
		{"plain", func(w *bytes.Buffer, m *image.YCbCr) error {
			return EncodeYCbCr(w, m, Options{Quality: 82})
		}},
		{"optimize", func(w *bytes.Buffer, m *image.YCbCr) error {
			return EncodeYCbCr(w, m, Options{Quality: 82, Optimize: true})
		}},
	}
	for i, m := range fs {
		for _, e := range encoders {
			b.Run("w="+strconv.Itoa(benchWidths[i])+"/"+e.name, func(b *testing.B) {
				var buf bytes.Buffer
				for b.Loop() {
					buf.Reset()
					if err := e.enc(&buf, m); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(buf.Len()), "bytes")
			})
		}
	}
}

// BenchmarkEncodeAll is the pipeline's encode stage: the three frames encoded side by side, as imageproc's
// encodeAll does, with image/jpeg, with this package tokenising each frame in one part, and with this package
// splitting the largest frame across the Ps (workers). Run it on two cores to see the split pay:
//
//	GOMAXPROCS=2 taskset -c 0,1 go test -run '^$' -bench EncodeAll -count 10 ./pkg/jpegenc/
func BenchmarkEncodeAll(b *testing.B) {
	fs := benchFrames(b)
	serial := func(int, int) int { return 1 }
	defer func(w func(int, int) int) { workers = w }(workers)
	auto := workers
	for _, c := range []struct {
		name string
		w    func(int, int) int
		enc  func(*bytes.Buffer, *image.YCbCr) error
	}{
		{"stdlib", serial, func(w *bytes.Buffer, m *image.YCbCr) error { return jpeg.Encode(w, m, &jpeg.Options{Quality: 82}) }},
		{"optimize/one-part", serial, func(w *bytes.Buffer, m *image.YCbCr) error {
			return EncodeYCbCr(w, m, Options{Quality: 82, Optimize: true})
		}},
		{"optimize/parts", auto, func(w *bytes.Buffer, m *image.YCbCr) error {
			return EncodeYCbCr(w, m, Options{Quality: 82, Optimize: true})
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			workers = c.w
			bufs := make([]bytes.Buffer, len(fs))
			for b.Loop() {
				var wg sync.WaitGroup
				for i, m := range fs {
					wg.Go(func() {
						bufs[i].Reset()
						if err := c.enc(&bufs[i], m); err != nil {
							b.Error(err)
						}
					})
				}
				wg.Wait()
			}
		})
	}
}
