package imageproc

import (
	"bytes"
	"context"
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"math"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// testWidths are the production widths, so the tests exercise the same cascade as the function.
var testWidths = []int{1920, 640, 320}

// scene draws an upright test picture whose every half differs from its mirror image: red rises left to right,
// green top to bottom, and a blue disc sits in the top-left quadrant. Any wrong flip or turn therefore changes
// the mean colour of a region by far more than resampling or JPEG noise can.
func scene(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	cx, cy, r := float64(w)/4, float64(h)/3, float64(min(w, h))/6
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			b := uint8(40)
			if math.Hypot(float64(x)-cx, float64(y)-cy) < r {
				b = 220
			}
			img.SetNRGBA(x, y, color.NRGBA{uint8(255 * x / w), uint8(255 * y / h), b, 255})
		}
	}
	return img
}

// storedFor returns the frame a camera would store so that applying EXIF orientation o displays upright. uprightAt
// below is the EXIF definition of each orientation, written out independently of orient.go.
func storedFor(upright *image.NRGBA, o int) *image.NRGBA {
	uw, uh := upright.Rect.Dx(), upright.Rect.Dy()
	sw, sh := uw, uh
	if o >= 5 {
		sw, sh = uh, uw
	}
	stored := image.NewNRGBA(image.Rect(0, 0, sw, sh))
	for y := 0; y < uh; y++ {
		for x := 0; x < uw; x++ {
			sx, sy := uprightAt(o, x, y, sw, sh)
			stored.SetNRGBA(sx, sy, upright.NRGBAAt(x, y))
		}
	}
	return stored
}

// uprightAt maps upright pixel (x, y) to the stored pixel shown there, for a stored frame of sw x sh.
func uprightAt(o, x, y, sw, sh int) (int, int) {
	switch o {
	case 2: // mirrored horizontally
		return sw - 1 - x, y
	case 3: // turned 180 degrees
		return sw - 1 - x, sh - 1 - y
	case 4: // mirrored vertically
		return x, sh - 1 - y
	case 5: // transposed
		return y, x
	case 6: // needs a 90 degree clockwise turn
		return y, sh - 1 - x
	case 7: // transversed
		return sw - 1 - y, sh - 1 - x
	case 8: // needs a 90 degree anticlockwise turn
		return sw - 1 - y, x
	}
	return x, y
}

func encodeJPEG(t testing.TB, img image.Image, quality int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, img image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withEXIF inserts an EXIF APP1 segment right after the SOI marker of a JPEG. It carries the orientation and, when
// gps is set, a GPS IFD with a latitude: the kind of metadata a derivative must never repeat.
func withEXIF(jpg []byte, orientation int, gps bool) []byte {
	le := binary.LittleEndian
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	entries := 1
	if gps {
		entries = 2
	}
	tiff = le.AppendUint16(tiff, uint16(entries))
	tiff = appendIFDEntry(tiff, 0x0112, 3, 1, uint32(orientation)) // Orientation, SHORT
	gpsIFD := uint32(len(tiff) + 12*(entries-1) + 4)
	if gps {
		tiff = appendIFDEntry(tiff, 0x8825, 4, 1, gpsIFD) // GPSInfo IFD pointer, LONG
	}
	tiff = le.AppendUint32(tiff, 0) // no next IFD
	if gps {
		tiff = le.AppendUint16(tiff, 2)
		tiff = appendIFDEntry(tiff, 0x0001, 2, 2, uint32('N'))     // GPSLatitudeRef "N"
		tiff = appendIFDEntry(tiff, 0x0002, 5, 3, gpsIFD+2+2*12+4) // GPSLatitude, 3 RATIONALs
		tiff = le.AppendUint32(tiff, 0)                            // no next IFD
		for _, v := range []uint32{48, 1, 51, 1, 2964, 100} {      // 48 deg 51' 29.64"
			tiff = le.AppendUint32(tiff, v)
		}
	}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1}
	app1 = binary.BigEndian.AppendUint16(app1, uint16(len(seg)+2))
	app1 = append(app1, seg...)
	out := append([]byte{}, jpg[:2]...)
	out = append(out, app1...)
	return append(out, jpg[2:]...)
}

func appendIFDEntry(b []byte, tag, typ uint16, count, value uint32) []byte {
	le := binary.LittleEndian
	b = le.AppendUint16(b, tag)
	b = le.AppendUint16(b, typ)
	b = le.AppendUint32(b, count)
	return le.AppendUint32(b, value)
}

// process runs Process with widths (the production widths when none are given) and fails the test on error.
func process(t testing.TB, data []byte, widths ...int) *Result {
	t.Helper()
	if len(widths) == 0 {
		widths = testWidths
	}
	res, err := Process(context.Background(), data, Request{Targets: Widths(widths, 90)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Outputs) != len(widths) {
		t.Fatalf("got %d derivatives, want %d", len(res.Outputs), len(widths))
	}
	return res
}

// decodeDerivative decodes d's bytes, checks they agree with its declared format and size, and returns NRGBA.
func decodeDerivative(t testing.TB, d Output) *image.NRGBA {
	t.Helper()
	img, name, err := image.Decode(bytes.NewReader(d.Data))
	if err != nil {
		t.Fatalf("derivative %d: %v", d.Target.Width, err)
	}
	if name != d.Format.Name {
		t.Fatalf("derivative %d: data is %s, declared %s", d.Target.Width, name, d.Format.Name)
	}
	if b := img.Bounds(); b.Dx() != d.Width || b.Dy() != d.Height {
		t.Fatalf("derivative %d: data is %dx%d, declared %dx%d", d.Target.Width, b.Dx(), b.Dy(), d.Width, d.Height)
	}
	if name == "webp" {
		return vp8ToNRGBA(img)
	}
	return toNRGBA(img)
}

// vp8ToNRGBA is a lossy WebP as a browser shows it. golang.org/x/image/webp returns the stored YUV planes, which
// Go's colour model reads as JPEG's full range; VP8 stores BT.601 studio swing (luma 16-235), which libwebp's
// decoder expands. A lossless WebP decodes to NRGBA already.
func vp8ToNRGBA(img image.Image) *image.NRGBA {
	var m *image.YCbCr
	var alpha []uint8
	var astride int
	switch v := img.(type) {
	case *image.YCbCr:
		m = v
	case *image.NYCbCrA:
		m, alpha, astride = &v.YCbCr, v.A, v.AStride
	default:
		return toNRGBA(img)
	}
	b := m.Bounds()
	out := image.NewNRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
	c8 := func(v float64) uint8 { return uint8(min(255, max(0, v+0.5))) }
	for y := range b.Dy() {
		for x := range b.Dx() {
			yy := 1.164 * (float64(m.Y[m.YOffset(b.Min.X+x, b.Min.Y+y)]) - 16)
			ci := m.COffset(b.Min.X+x, b.Min.Y+y)
			cb, cr := float64(m.Cb[ci])-128, float64(m.Cr[ci])-128
			a := uint8(255)
			if alpha != nil {
				a = alpha[y*astride+x]
			}
			out.SetNRGBA(x, y, color.NRGBA{c8(yy + 1.596*cr), c8(yy - 0.813*cr - 0.391*cb), c8(yy + 2.018*cb), a})
		}
	}
	return out
}

func toNRGBA(img image.Image) *image.NRGBA {
	out := image.NewNRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

// meanAbsDiff returns the largest, over the four channels, of the mean absolute difference between two equally
// sized images, in 0-255 units. It compares premultiplied values, so the colour of a transparent pixel, which
// nobody can see, does not count.
func meanAbsDiff(t testing.TB, a, b image.Image) float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes differ: %v and %v", a.Bounds().Size(), b.Bounds().Size())
	}
	pa, pb := toRGBA(a).Pix, toRGBA(b).Pix
	var sum [4]float64
	for i := range pa {
		sum[i%4] += math.Abs(float64(pa[i]) - float64(pb[i]))
	}
	n := float64(len(pa) / 4)
	return max(sum[0], sum[1], sum[2], sum[3]) / n
}

func toRGBA(img image.Image) *image.RGBA {
	out := image.NewRGBA(image.Rect(0, 0, img.Bounds().Dx(), img.Bounds().Dy()))
	draw.Draw(out, out.Rect, img, img.Bounds().Min, draw.Src)
	return out
}

// wantFormat fails unless every derivative of res has format f.
func wantFormat(t *testing.T, res *Result, f imagefile.Format) {
	t.Helper()
	for _, d := range res.Outputs {
		if d.Format != f {
			t.Errorf("derivative %d is %s, want %s", d.Target.Width, d.Format.Name, f.Name)
		}
	}
}
