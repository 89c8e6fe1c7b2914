package jpegenc

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"math/rand/v2"
	"testing"
)

// segments is what the tests look at in a JPEG file: the quantisation tables by destination, the sampling bytes of
// SOF0, and the entropy-coded data of the (single) scan.
type segments struct {
	dqt      map[byte][]byte
	sampling []byte
	scan     []byte
	app0     bool
	dht      int // DHT segments' total payload, to compare table overheads
}

// parse splits a baseline JPEG into its segments, failing the test on anything malformed.
func parse(t testing.TB, data []byte) segments {
	t.Helper()
	s := segments{dqt: map[byte][]byte{}}
	if len(data) < 4 || data[0] != 0xff || data[1] != 0xd8 {
		t.Fatalf("no SOI")
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			t.Fatalf("no marker at %d", i)
		}
		m := data[i+1]
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		seg := data[i+4 : i+2+n]
		switch m {
		case 0xe0:
			s.app0 = true
		case 0xdb:
			for p := 0; p < len(seg); p += 65 {
				s.dqt[seg[p]] = seg[p+1 : p+65]
			}
		case 0xc0:
			for c := 0; c < int(seg[5]); c++ {
				s.sampling = append(s.sampling, seg[6+3*c+1])
			}
		case 0xc4:
			s.dht += len(seg)
		case 0xda:
			rest := data[i+2+n:]
			if len(rest) < 2 || rest[len(rest)-2] != 0xff || rest[len(rest)-1] != 0xd9 {
				t.Fatalf("scan not followed by EOI at the end")
			}
			s.scan = rest[:len(rest)-2]
			return s
		}
		i += 2 + n
	}
	t.Fatalf("no SOS")
	return s
}

// photo returns a w x h 4:2:0 frame with rect r (size w x h) whose planes look like a photo to the encoder: smooth
// gradients, a few hard edges and sensor-like noise, so that every kind of symbol occurs.
func photo(r image.Rectangle, ratio image.YCbCrSubsampleRatio, seed uint64) *image.YCbCr {
	m := image.NewYCbCr(r, ratio)
	rng := rand.New(rand.NewPCG(seed, 7))
	fill := func(pix []byte, stride, w, h int, base float64) {
		fx, fy := 0.5+rng.Float64()*3, 0.5+rng.Float64()*3
		for y := range h {
			for x := range w {
				v := base + 60*math.Sin(fx*float64(x)/17+fy*float64(y)/23)
				if (x/29+y/31)%3 == 0 {
					v += 50 // hard-edged patches
				}
				v += rng.NormFloat64() * 6
				pix[y*stride+x] = byte(min(max(v, 0), 255))
			}
		}
	}
	fill(m.Y, m.YStride, r.Dx(), r.Dy(), 120)
	cw, ch := m.CStride, len(m.Cb)/m.CStride
	fill(m.Cb, m.CStride, cw, ch, 128)
	fill(m.Cr, m.CStride, cw, ch, 110)
	return m
}

// noise returns a frame of uniform random samples, the worst case for the entropy coder.
func noise(r image.Rectangle, ratio image.YCbCrSubsampleRatio, rng *rand.Rand) *image.YCbCr {
	m := image.NewYCbCr(r, ratio)
	for _, p := range [][]byte{m.Y, m.Cb, m.Cr} {
		for i := range p {
			p[i] = byte(rng.Uint32())
		}
	}
	return m
}

func encodeT(t testing.TB, m image.Image, o Options) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Encode(&buf, m, o); err != nil {
		t.Fatalf("Encode %v %+v: %v", m.Bounds(), o, err)
	}
	return buf.Bytes()
}

func stdlibT(t testing.TB, m image.Image, q int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: q}); err != nil {
		t.Fatalf("image/jpeg Encode: %v", err)
	}
	return buf.Bytes()
}

func decodeT(t testing.TB, data []byte) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("image/jpeg Decode: %v", err)
	}
	return m
}

// samePixels reports where two decoded images first differ in any component, or "" if they are equal.
func samePixels(a, b image.Image) string {
	if a.Bounds() != b.Bounds() {
		return fmt.Sprintf("bounds %v vs %v", a.Bounds(), b.Bounds())
	}
	switch a := a.(type) {
	case *image.YCbCr:
		b, ok := b.(*image.YCbCr)
		if !ok || a.SubsampleRatio != b.SubsampleRatio {
			return "layout differs"
		}
		r := a.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				if a.YCbCrAt(x, y) != b.YCbCrAt(x, y) {
					return fmt.Sprintf("pixel (%d,%d) differs", x, y)
				}
			}
		}
	case *image.Gray:
		b, ok := b.(*image.Gray)
		if !ok {
			return "layout differs"
		}
		r := a.Bounds()
		for y := r.Min.Y; y < r.Max.Y; y++ {
			if !bytes.Equal(a.Pix[a.PixOffset(r.Min.X, y):a.PixOffset(r.Max.X, y)], b.Pix[b.PixOffset(r.Min.X, y):b.PixOffset(r.Max.X, y)]) {
				return fmt.Sprintf("row %d differs", y)
			}
		}
	default:
		return fmt.Sprintf("unexpected decoded type %T", a)
	}
	return ""
}

// planePSNR is the PSNR in dB over the Y, Cb and Cr of every pixel of two YCbCr images of the same size, each
// pixel read through its own image's subsampling.
func planePSNR(a, b *image.YCbCr) float64 {
	var se float64
	var n int
	r, o := a.Bounds(), b.Bounds().Min.Sub(a.Bounds().Min)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p, q := a.YCbCrAt(x, y), b.YCbCrAt(x+o.X, y+o.Y)
			for _, d := range []int{int(p.Y) - int(q.Y), int(p.Cb) - int(q.Cb), int(p.Cr) - int(q.Cr)} {
				se += float64(d * d)
			}
			n += 3
		}
	}
	if se == 0 {
		return math.Inf(1)
	}
	return 10 * math.Log10(255*255*float64(n)/se)
}
