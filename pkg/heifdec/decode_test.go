package heifdec

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"runtime"
	"testing"

	"github.com/gen2brain/heic"

	"github.com/imgpipe/imgpipe/internal/heiftest"
	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// Tolerances of the round trips: heif-enc at -q 92 and avifenc at quantizer 0-8 leave a mean error of about 1
// per channel on testimage.Pattern; a wrong matrix, range, crop or turn gives tens.
const (
	maxMeanDiff  = 4.0
	maxAlphaDiff = 3.0
)

// meanDiff is the mean absolute difference per channel (R, G, B, A) of two pictures of the same size, compared
// as non-premultiplied 8-bit colour. With opaqueOnly, pixels transparent in b are skipped for R, G, B, whose
// value there is anyone's guess.
func meanDiff(t *testing.T, a, b image.Image) [4]float64 {
	t.Helper()
	if a.Bounds().Size() != b.Bounds().Size() {
		t.Fatalf("sizes differ: %v and %v", a.Bounds(), b.Bounds())
	}
	var sum [4]float64
	var n, nc float64
	for y := 0; y < a.Bounds().Dy(); y++ {
		for x := 0; x < a.Bounds().Dx(); x++ {
			p := color.NRGBAModel.Convert(a.At(a.Bounds().Min.X+x, a.Bounds().Min.Y+y)).(color.NRGBA)
			q := color.NRGBAModel.Convert(b.At(b.Bounds().Min.X+x, b.Bounds().Min.Y+y)).(color.NRGBA)
			d := func(u, v uint8) float64 { return max(float64(u)-float64(v), float64(v)-float64(u)) }
			sum[3] += d(p.A, q.A)
			n++
			if q.A == 255 {
				sum[0] += d(p.R, q.R)
				sum[1] += d(p.G, q.G)
				sum[2] += d(p.B, q.B)
				nc++
			}
		}
	}
	return [4]float64{sum[0] / nc, sum[1] / nc, sum[2] / nc, sum[3] / n}
}

func checkClose(t *testing.T, got, want image.Image) {
	t.Helper()
	d := meanDiff(t, got, want)
	if d[0] > maxMeanDiff || d[1] > maxMeanDiff || d[2] > maxMeanDiff || d[3] > maxAlphaDiff {
		t.Errorf("mean abs diff per channel %.2f, more than %v (alpha %v)", d, maxMeanDiff, maxAlphaDiff)
	}
}

// oriented turns img by EXIF orientation o, written out from the EXIF definitions (which corner of the
// stored picture the shown row 0 and column 0 are) rather than from the matrices the package uses.
func oriented(img image.Image, o int) *image.NRGBA {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if o >= 5 {
		w, h = h, w
	}
	out := image.NewNRGBA(image.Rect(0, 0, w, h))
	sw, sh := b.Dx(), b.Dy()
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var sx, sy int
			switch o {
			case 1:
				sx, sy = x, y
			case 2:
				sx, sy = sw-1-x, y
			case 3:
				sx, sy = sw-1-x, sh-1-y
			case 4:
				sx, sy = x, sh-1-y
			case 5:
				sx, sy = y, x
			case 6:
				sx, sy = y, sh-1-x
			case 7:
				sx, sy = sw-1-y, sh-1-x
			case 8:
				sx, sy = sw-1-y, x
			}
			out.Set(x, y, img.At(b.Min.X+sx, b.Min.Y+sy))
		}
	}
	return out
}

// decode inspects and decodes, checking that the decoded size is what Info promised.
func decode(t *testing.T, file []byte) (image.Image, imagefile.Info) {
	t.Helper()
	info, err := imagefile.Inspect(file, 0)
	if err != nil {
		t.Fatal(err)
	}
	img, err := Decode(file, 0)
	if err != nil {
		t.Fatal(err)
	}
	if img.Bounds() != image.Rect(0, 0, info.Width, info.Height) {
		t.Fatalf("decoded %v, Info says %dx%d", img.Bounds(), info.Width, info.Height)
	}
	return img, info
}

func translucent(img *image.NRGBA) *image.NRGBA {
	out := image.NewNRGBA(img.Bounds())
	copy(out.Pix, img.Pix)
	for y := 0; y < out.Rect.Dy(); y++ {
		for x := out.Rect.Dx() / 2; x < out.Rect.Dx(); x++ {
			out.Pix[out.PixOffset(x, y)+3] = uint8(255 * y / out.Rect.Dy())
		}
	}
	return out
}

func TestDecodeEncodedFiles(t *testing.T) {
	src := testimage.Pattern(203, 141) // odd sizes: strides and chroma rounding
	even := testimage.Pattern(256, 160)
	cases := map[string]struct {
		file   func(t *testing.T) []byte
		want   image.Image // the stored picture Decode must return
		format imagefile.Format
		alpha  bool
		orient int
		typ    string
	}{
		"heic":         {func(t *testing.T) []byte { return heiftest.HEIC(t, src) }, src, imagefile.HEIC, false, 1, "*image.YCbCr"},
		"heic alpha":   {func(t *testing.T) []byte { return heiftest.HEIC(t, translucent(src)) }, translucent(src), imagefile.HEIC, true, 1, "*image.NRGBA"},
		"heic grid":    {func(t *testing.T) []byte { return heiftest.Grid(t, src, 64) }, src, imagefile.HEIC, false, 1, "*image.YCbCr"},
		"avif":         {func(t *testing.T) []byte { return heiftest.AVIF(t, src) }, src, imagefile.AVIF, false, 1, "*image.RGBA"},
		"avif alpha":   {func(t *testing.T) []byte { return heiftest.AVIF(t, translucent(src)) }, translucent(src), imagefile.AVIF, true, 1, "*image.RGBA"},
		"avif 10-bit":  {func(t *testing.T) []byte { return heiftest.AVIF(t, src, "--depth", "10") }, src, imagefile.AVIF, false, 1, "*image.RGBA64"},
		"avif grid":    {func(t *testing.T) []byte { return heiftest.AVIF(t, even, "--grid", "2x2") }, even, imagefile.AVIF, false, 1, "*image.RGBA"},
		"avif irot 1":  {func(t *testing.T) []byte { return heiftest.AVIF(t, src, "--irot", "1") }, src, imagefile.AVIF, false, 8, "*image.RGBA"},
		"avif imir 0":  {func(t *testing.T) []byte { return heiftest.AVIF(t, src, "--imir", "0") }, src, imagefile.AVIF, false, 4, "*image.RGBA"},
		"avif rot+mir": {func(t *testing.T) []byte { return heiftest.AVIF(t, src, "--irot", "3", "--imir", "0") }, src, imagefile.AVIF, false, 7, "*image.RGBA"},
		"avif clap": {func(t *testing.T) []byte { return heiftest.AVIF(t, even, "--crop", "16,8,200,120") },
			even.SubImage(image.Rect(16, 8, 216, 128)), imagefile.AVIF, false, 1, "*image.RGBA"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			file := c.file(t)
			img, info := decode(t, file)
			if info.Format != c.format || info.HasAlpha != c.alpha || info.Orientation != c.orient {
				t.Errorf("Info %+v, want %s alpha %v orientation %d", info, c.format.Name, c.alpha, c.orient)
			}
			if typ := fmt.Sprintf("%T", img); typ != c.typ {
				t.Errorf("decoded a %s, want %s", typ, c.typ)
			}
			checkClose(t, img, c.want)
		})
	}
}

// exifTransforms are the irot/imir properties of each EXIF orientation, as libavif maps them (src/exif.c,
// irot before imir as MIAF 7.3.6.7 orders them) and as iPhones write them beside an EXIF block that says the same.
var exifTransforms = [9][]heiftest.Prop{
	1: nil, 2: {heiftest.Imir(1)}, 3: {heiftest.Irot(2)}, 4: {heiftest.Imir(0)},
	5: {heiftest.Irot(1), heiftest.Imir(0)}, 6: {heiftest.Irot(3)}, 7: {heiftest.Irot(3), heiftest.Imir(0)}, 8: {heiftest.Irot(1)},
}

// TestHEICOrientation: an iPhone-like file carries irot/imir and an EXIF block with the same orientation.
// Info.Orientation must be that orientation, once; the decoded pixels must be the stored ones; and turning them
// by it must give what libheif's own heif-convert shows. (Debian's heif-enc 1.15 does not write irot from a
// JPEG's EXIF, so the transforms are added here.)
func TestHEICOrientation(t *testing.T) {
	src := testimage.Pattern(160, 96)
	plain := heiftest.HEIC(t, src)
	for o := 1; o <= 8; o++ {
		t.Run(fmt.Sprint(o), func(t *testing.T) {
			f := heiftest.Parse(t, plain)
			f.Primary().Add(exifTransforms[o]...)
			f.Items = append(f.Items, &heiftest.Item{ID: 99, Type: "Exif", Data: heiftest.Exif(o), Cdsc: f.PITM})
			file := f.Bytes()
			img, info := decode(t, file)
			if info.Orientation != o {
				t.Errorf("Orientation %d, want %d", info.Orientation, o)
			}
			checkClose(t, img, src)
			shown := heiftest.Reference(t, file)
			if w, h := info.Upright(); shown.Bounds().Dx() != w || shown.Bounds().Dy() != h {
				t.Fatalf("Upright %dx%d, heif-convert shows %v", w, h, shown.Bounds())
			}
			checkClose(t, oriented(img, info.Orientation), shown)
			checkClose(t, shown, oriented(src, o))
		})
	}
}

// TestHEICExifOrientationIgnored: heif-enc keeps a JPEG's EXIF block, orientation 6 included, and writes no
// irot. That orientation is not applied, as libheif (and so heif-convert), libvips, Chrome and Safari ignore it.
func TestHEICExifOrientationIgnored(t *testing.T) {
	src := testimage.Pattern(160, 96)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	file := heiftest.HEICFromJPEG(t, testimage.WithOrientation(jpg.Bytes(), 6))
	f := heiftest.Parse(t, file)
	var exif *heiftest.Item
	for _, it := range f.Items {
		if it.Type == "Exif" {
			exif = it
		}
	}
	if exif == nil || !bytes.Contains(exif.Data, []byte{0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06}) || hasTransform(f.Primary()) {
		t.Fatal("heif-enc did not write EXIF orientation 6 without irot: the test file is not what it claims")
	}
	img, info := decode(t, file)
	if info.Orientation != 1 {
		t.Errorf("Orientation %d, want 1", info.Orientation)
	}
	checkClose(t, img, src)
	checkClose(t, img, heiftest.Reference(t, file))
}

func hasTransform(it *heiftest.Item) bool {
	for _, p := range it.Props {
		if p.Type == "irot" || p.Type == "imir" {
			return true
		}
	}
	return false
}

// TestHEICTransformsAdded: irot, imir and clap written into an encoded file (which heif-enc cannot do) are read
// as libheif applies them, including a clap listed after irot, which crops the turned picture.
func TestHEICTransformsAdded(t *testing.T) {
	src := testimage.Pattern(128, 96)
	plain := heiftest.HEIC(t, src)
	cases := map[string]struct {
		props  []heiftest.Prop
		orient int
		crop   image.Rectangle // of src
	}{
		"irot 1":        {[]heiftest.Prop{heiftest.Irot(1)}, 8, src.Rect},
		"irot 3":        {[]heiftest.Prop{heiftest.Irot(3)}, 6, src.Rect},
		"imir 1":        {[]heiftest.Prop{heiftest.Imir(1)}, 2, src.Rect},
		"irot 1 imir 0": {[]heiftest.Prop{heiftest.Irot(1), heiftest.Imir(0)}, 5, src.Rect},
		"clap":          {[]heiftest.Prop{heiftest.Clap(100, 60, 0, 0)}, 1, image.Rect(14, 18, 114, 78)},
		// After a quarter turn anticlockwise the picture is 96x128; a 60x100 aperture 10 px right of its centre.
		// Stored x = 127 - shown y and stored y = shown x: columns 14-113 and rows 28-87 of the stored picture.
		"irot 1 clap": {[]heiftest.Prop{heiftest.Irot(1), heiftest.Clap(60, 100, 10, 0)}, 8, image.Rect(14, 28, 114, 88)},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			f := heiftest.Parse(t, plain)
			f.Primary().Add(c.props...)
			file := f.Bytes()
			img, info := decode(t, file)
			if info.Orientation != c.orient {
				t.Errorf("Orientation %d, want %d", info.Orientation, c.orient)
			}
			checkClose(t, img, src.SubImage(c.crop))
			checkClose(t, oriented(img, info.Orientation), heiftest.Reference(t, file))
		})
	}
}

// TestMif1MajorBrand: many phones write mif1 as the major brand, which the wrapper alone refuses.
func TestMif1MajorBrand(t *testing.T) {
	src := testimage.Pattern(160, 96)
	f := heiftest.Parse(t, heiftest.HEIC(t, src))
	f.Major = "mif1"
	file := f.Bytes()
	if _, err := heic.Decode(bytes.NewReader(file)); err == nil {
		t.Log("the wrapper now accepts mif1 files; forColour's brand rewrite is no longer needed")
	}
	img, _ := decode(t, file)
	checkClose(t, img, src)
}

// TestNarrowHEIC: widths where the wrapper lays the planes out wrong are refused, not decoded wrong; from 97
// pixels up they decode.
func TestNarrowHEIC(t *testing.T) {
	for _, w := range []int{16, 64, 96, 97, 112, 120} {
		src := testimage.Pattern(w, 40)
		img, err := Decode(heiftest.HEIC(t, src), 0)
		switch {
		case w < minHEICWidth && !errors.Is(err, ErrDecode):
			t.Errorf("%d px: got %v, want ErrDecode", w, err)
		case w >= minHEICWidth && err != nil:
			t.Errorf("%d px: %v", w, err)
		case w >= minHEICWidth:
			checkClose(t, img, src)
		}
	}
}

// TestFirstPixelsRepaired: the wrapper's free() overwrites the first 24 bytes of the planes it returns (see
// memory.go); the first row must still look like the picture.
func TestFirstPixelsRepaired(t *testing.T) {
	src := testimage.Pattern(256, 192)
	for name, file := range map[string][]byte{"heic": heiftest.HEIC(t, src), "avif": heiftest.AVIF(t, src)} {
		img, _ := decode(t, file)
		first := image.Rect(0, 0, 8, 1)
		d := meanDiff(t, img.(interface {
			SubImage(image.Rectangle) image.Image
		}).SubImage(first), src.SubImage(first))
		if d[0] > 12 || d[1] > 12 || d[2] > 12 {
			t.Errorf("%s: the first 8 pixels differ by %.1f from the picture", name, d)
		}
	}
}

// TestPixelLimitBeforeDecode: a file whose ispe declares 20000x20000 over a tiny coded image is refused from the
// header. No decoder runs: one would have failed with ErrDecode (the data does not match) and allocated the
// WebAssembly module's memory, megabytes, where the refusal allocates almost nothing.
func TestPixelLimitBeforeDecode(t *testing.T) {
	f := heiftest.Parse(t, heiftest.HEIC(t, testimage.Pattern(32, 32)))
	p := f.Primary()
	for i, prop := range p.Props {
		if prop.Type == "ispe" {
			p.Props[i] = heiftest.ISPE(20000, 20000)
		}
	}
	file := f.Bytes()
	if len(file) > 4096 {
		t.Fatalf("the test file is %d bytes", len(file))
	}
	Init() // the one-time compilation must not count
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Decode(file, 50_000_000)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, imagefile.ErrTooManyPixels) {
		t.Fatalf("got %v, want ErrTooManyPixels", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 256<<10 {
		t.Errorf("refusing allocated %d bytes: something decoded", n)
	}
	if _, err := imagefile.Inspect(file, 50_000_000); !errors.Is(err, imagefile.ErrTooManyPixels) {
		t.Errorf("Inspect: %v", err)
	}
}
