package jpegscale

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"math"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/imagequality"
)

// sharedPhotos is where CI keeps the shared real photos, beside the repository.
const sharedPhotos = "../../../shared/testdata/exif-orientation"

// stdlibFails lists the valid fixtures that image/jpeg cannot decode, which
// fixtures leaves out so that every fixture has a reference decode.
var stdlibFails = map[string]bool{"progressive-420-restart.jpg": true}

// fixtures returns every test input by name: the committed cjpeg/Pillow
// files in testdata, a YCCK variant of the CMYK file, and images written by
// image/jpeg's own encoder at awkward sizes.
func fixtures(t testing.TB) map[string][]byte {
	t.Helper()
	m := map[string][]byte{}
	names, err := filepath.Glob("testdata/*.jpg")
	if err != nil || len(names) == 0 {
		t.Fatalf("no fixtures in testdata: %v", err)
	}
	for _, n := range names {
		if stdlibFails[filepath.Base(n)] {
			continue
		}
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(n)] = b
	}
	if ycck, ok := toYCCK(m["baseline-cmyk.jpg"]); ok {
		m["baseline-ycck.jpg"] = ycck
	} else {
		t.Fatal("baseline-cmyk.jpg has no Adobe APP14 segment to patch")
	}
	for _, sz := range [][2]int{{1, 1}, {7, 9}, {16, 16}, {17, 33}, {64, 48}, {203, 157}} {
		m[fmt.Sprintf("stdlib-ycbcr-%dx%d.jpg", sz[0], sz[1])] = encodeStd(t, synthetic(sz[0], sz[1], false))
		m[fmt.Sprintf("stdlib-gray-%dx%d.jpg", sz[0], sz[1])] = encodeStd(t, synthetic(sz[0], sz[1], true))
	}
	return m
}

// sortedKeys makes subtest order deterministic.
func sortedKeys(m map[string][]byte) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// toYCCK turns a CMYK file into a YCCK one by flipping its Adobe transform
// byte to 2. The pixels are then nonsense, but the decoder's YCbCrK path,
// which no encoder at hand can produce, gets compared against image/jpeg.
func toYCCK(b []byte) ([]byte, bool) {
	// The segment is FF EE, a 2-byte length, "Adobe", 6 bytes of version
	// and flags, then the transform byte.
	i := bytes.Index(b, []byte("Adobe"))
	if i < 4 || b[i-4] != 0xff || b[i-3] != 0xee || len(b) < i+12 {
		return nil, false
	}
	out := bytes.Clone(b)
	out[i+11] = 2
	return out, true
}

// synthetic draws a gradient with a disc and a grating, smooth enough to
// resemble a photo and busy enough to give every block AC energy.
func synthetic(w, h int, gray bool) image.Image {
	var m draw.Image = image.NewRGBA(image.Rect(0, 0, w, h))
	if gray {
		m = image.NewGray(m.Bounds())
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			fx, fy := float64(x), float64(y)
			r := 255 * fx / float64(w)
			g := 255 * fy / float64(h)
			b := 128 + 100*math.Sin(fx*0.3)*math.Cos(fy*0.2)
			if math.Hypot(fx-float64(w)/2, fy-float64(h)/2) < float64(min(w, h))/4 {
				r, g = 255-r, 255-g
			}
			m.Set(x, y, color.RGBA{uint8(r), uint8(g), uint8(b), 255})
		}
	}
	return m
}

func encodeStd(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// realPhotos returns the shared photos, or skips the test when the folder
// is not beside the repository.
func realPhotos(t testing.TB) map[string][]byte {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(sharedPhotos, "*.jpg"))
	if len(names) == 0 {
		t.Skipf("no photos in %s", sharedPhotos)
	}
	m := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(n)] = b
	}
	return m
}

// realPhotosIfAny is realPhotos without the skip, for tests that also have
// other inputs.
func realPhotosIfAny(t testing.TB) map[string][]byte {
	t.Helper()
	names, _ := filepath.Glob(filepath.Join(sharedPhotos, "*.jpg"))
	m := map[string][]byte{}
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		m[filepath.Base(n)] = b
	}
	return m
}

// samePixels reports how got differs from want, comparing type, bounds and
// every sample inside the bounds (not the MCU padding beyond them).
func samePixels(got, want image.Image) error {
	if fmt.Sprintf("%T", got) != fmt.Sprintf("%T", want) {
		return fmt.Errorf("type %T, want %T", got, want)
	}
	if got.Bounds() != want.Bounds() {
		return fmt.Errorf("bounds %v, want %v", got.Bounds(), want.Bounds())
	}
	r := want.Bounds()
	switch w := want.(type) {
	case *image.YCbCr:
		g := got.(*image.YCbCr)
		if g.SubsampleRatio != w.SubsampleRatio {
			return fmt.Errorf("subsampling %v, want %v", g.SubsampleRatio, w.SubsampleRatio)
		}
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				gi, wi := g.YOffset(x, y), w.YOffset(x, y)
				gc, wc := g.COffset(x, y), w.COffset(x, y)
				if g.Y[gi] != w.Y[wi] || g.Cb[gc] != w.Cb[wc] || g.Cr[gc] != w.Cr[wc] {
					return fmt.Errorf("pixel (%d,%d) = %d,%d,%d, want %d,%d,%d", x, y,
						g.Y[gi], g.Cb[gc], g.Cr[gc], w.Y[wi], w.Cb[wc], w.Cr[wc])
				}
			}
		}
		return nil
	case *image.Gray:
		return samePlane(got.(*image.Gray).Pix, w.Pix, got.(*image.Gray).Stride, w.Stride, r.Dx(), r.Dy())
	case *image.CMYK:
		return samePlane(got.(*image.CMYK).Pix, w.Pix, got.(*image.CMYK).Stride, w.Stride, 4*r.Dx(), r.Dy())
	case *image.RGBA:
		return samePlane(got.(*image.RGBA).Pix, w.Pix, got.(*image.RGBA).Stride, w.Stride, 4*r.Dx(), r.Dy())
	}
	return fmt.Errorf("unexpected type %T", want)
}

func samePlane(g, w []byte, gs, ws, rowBytes, rows int) error {
	for y := 0; y < rows; y++ {
		gr, wr := g[y*gs:y*gs+rowBytes], w[y*ws:y*ws+rowBytes]
		if i := firstDiff(gr, wr); i >= 0 {
			return fmt.Errorf("row %d byte %d = %d, want %d", y, i, gr[i], wr[i])
		}
	}
	return nil
}

func firstDiff(a, b []byte) int {
	for i := range a {
		if a[i] != b[i] {
			return i
		}
	}
	return -1
}

// planes splits a decoded image into its sample planes: Y, Cb and Cr at
// their own (possibly subsampled) sizes, one gray plane, or one plane per
// CMYK or RGB channel. Comparing planes rather than RGB measures the IDCT
// itself; an RGB comparison would also count the chroma that a subsampled
// image keeps at half the luma resolution at every scale.
func planes(m image.Image) []*image.Gray {
	switch m := m.(type) {
	case *image.Gray:
		return []*image.Gray{m}
	case *image.YCbCr:
		w, h := m.Rect.Dx(), m.Rect.Dy()
		cw, ch := w, h
		switch m.SubsampleRatio {
		case image.YCbCrSubsampleRatio420:
			cw, ch = (w+1)/2, (h+1)/2
		case image.YCbCrSubsampleRatio422:
			cw = (w + 1) / 2
		case image.YCbCrSubsampleRatio440:
			ch = (h + 1) / 2
		case image.YCbCrSubsampleRatio411:
			cw = (w + 3) / 4
		case image.YCbCrSubsampleRatio410:
			cw, ch = (w+3)/4, (h+1)/2
		}
		plane := func(pix []byte, stride, w, h int) *image.Gray {
			return &image.Gray{Pix: pix, Stride: stride, Rect: image.Rect(0, 0, w, h)}
		}
		return []*image.Gray{
			plane(m.Y, m.YStride, w, h),
			plane(m.Cb, m.CStride, cw, ch),
			plane(m.Cr, m.CStride, cw, ch),
		}
	case *image.CMYK:
		return channels(m.Pix, m.Stride, m.Rect, 4)
	case *image.RGBA:
		return channels(m.Pix, m.Stride, m.Rect, 3)
	}
	panic(fmt.Sprintf("unexpected image type %T", m))
}

// channels de-interleaves the first n of 4 bytes per pixel into planes.
func channels(pix []byte, stride int, r image.Rectangle, n int) []*image.Gray {
	out := make([]*image.Gray, n)
	for c := range out {
		g := image.NewGray(image.Rect(0, 0, r.Dx(), r.Dy()))
		for y := 0; y < r.Dy(); y++ {
			for x := 0; x < r.Dx(); x++ {
				g.Pix[y*g.Stride+x] = pix[y*stride+4*x+c]
			}
		}
		out[c] = g
	}
	return out
}

// areaDown reduces m to n/8 of its size, ceil(W*n/8) x ceil(H*n/8), by
// exact area averaging: output pixel k covers source pixels [8k/n,
// 8(k+1)/n), partial pixels weighted by their overlap and the area cut at
// the right and bottom edges left out. That is the reference a reduced IDCT
// approximates: both put output pixel k's centre at source (k+0.5)*8/n.
func areaDown(m *image.Gray, n int) *image.Gray {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	ow, oh := (w*n+7)/8, (h*n+7)/8
	// Horizontal pass into float rows, then vertical.
	tmp := make([]float64, ow*h)
	for y := 0; y < h; y++ {
		for ox := 0; ox < ow; ox++ {
			tmp[y*ow+ox] = areaSample(func(x int) float64 { return float64(m.Pix[y*m.Stride+x]) }, ox, n, w)
		}
	}
	out := image.NewGray(image.Rect(0, 0, ow, oh))
	for oy := 0; oy < oh; oy++ {
		for ox := 0; ox < ow; ox++ {
			v := areaSample(func(y int) float64 { return tmp[y*ow+ox] }, oy, n, h)
			out.Pix[oy*out.Stride+ox] = uint8(math.Round(v))
		}
	}
	return out
}

// areaSample averages src over output pixel k's span [8k/n, 8(k+1)/n) of a
// side of size pixels.
func areaSample(src func(int) float64, k, n, size int) float64 {
	lo, hi := float64(8*k)/float64(n), min(float64(8*(k+1))/float64(n), float64(size))
	var sum, wsum float64
	for i := int(lo); float64(i) < hi; i++ {
		wt := min(float64(i+1), hi) - max(float64(i), lo)
		sum += wt * src(i)
		wsum += wt
	}
	return sum / wsum
}

// scaledQuality returns the peak signal-to-noise ratio, in dB over all
// sample planes, of got against the n/8 area average of the full decode
// want, and the SSIM of the first plane (luma, gray, cyan or red).
func scaledQuality(got, want image.Image, n int) (psnr, ssim float64, err error) {
	gp, wp := planes(got), planes(want)
	if len(gp) != len(wp) {
		return 0, 0, fmt.Errorf("%d planes, want %d", len(gp), len(wp))
	}
	var se float64
	count := 0
	for i := range gp {
		ref := areaDown(wp[i], n)
		// A subsampled chroma plane is as large as the reduced luma plane
		// needs, ceil(ceil(W*n/8)/2) for 4:2:0, which can be one sample
		// short of the reduced full chroma plane; the sample left out
		// lies beyond the image's last pixel.
		gs, rs := gp[i].Rect.Size(), ref.Rect.Size()
		if d := rs.Sub(gs); d.X < 0 || d.Y < 0 || d.X > 1 || d.Y > 1 || (i == 0 && d != image.Point{}) {
			return 0, 0, fmt.Errorf("plane %d is %v, want %v", i, gs, rs)
		}
		ref = ref.SubImage(image.Rect(0, 0, gs.X, gs.Y)).(*image.Gray)
		if i == 0 {
			if ssim, err = imagequality.SSIM(gp[i], ref); err != nil {
				return 0, 0, err
			}
		}
		for y := 0; y < ref.Rect.Dy(); y++ {
			for x := 0; x < ref.Rect.Dx(); x++ {
				d := float64(gp[i].Pix[y*gp[i].Stride+x]) - float64(ref.Pix[y*ref.Stride+x])
				se += d * d
				count++
			}
		}
	}
	if se == 0 {
		return math.Inf(1), ssim, nil
	}
	return 10 * math.Log10(255*255/(se/float64(count))), ssim, nil
}
