package imagefile

import (
	"bytes"
	"errors"
	"image"
	"image/color/palette"
	_ "image/gif"
	_ "image/jpeg"
	"image/png"
	"testing"

	_ "golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/internal/testimage"
)

func TestInspectFormats(t *testing.T) {
	cases := map[string]struct {
		data          []byte
		format        Format
		width, height int
		alpha         bool
		orientation   int
	}{
		"jpeg":               {testimage.JPEG(40, 30), JPEG, 40, 30, false, 1},
		"jpeg orientation 6": {testimage.WithOrientation(testimage.JPEG(40, 30), 6), JPEG, 40, 30, false, 6},
		"png opaque":         {testimage.PNG(40, 30, false), PNG, 40, 30, false, 1},
		"png alpha":          {testimage.PNG(40, 30, true), PNG, 40, 30, true, 1},
		"gif":                {testimage.GIF(40, 30), GIF, 40, 30, false, 1},
		"webp":               {testimage.WebP(), WebP, 1, 1, false, 1},
		"png orientation 8":  {testimage.PNGWithOrientation(testimage.PNG(40, 30, false), 8), PNG, 40, 30, false, 8},
		"webp orientation 3": {testimage.WebPWithOrientation(3), WebP, 1, 1, false, 3},
		"jpeg padded":        {padSegments(testimage.JPEG(40, 30)), JPEG, 40, 30, false, 1},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			info, err := Inspect(c.data, 0)
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != c.format || info.Width != c.width || info.Height != c.height || info.HasAlpha != c.alpha ||
				info.Orientation != c.orientation {
				t.Fatalf("%+v", info)
			}
		})
	}
}

func TestUprightSwapsForRotations(t *testing.T) {
	for o := 1; o <= 8; o++ {
		w, h := Info{Width: 40, Height: 30, Orientation: o}.Upright()
		if swapped := o >= 5; swapped != (w == 30 && h == 40) {
			t.Errorf("orientation %d: %dx%d", o, w, h)
		}
	}
}

func TestInspectRejects(t *testing.T) {
	jpg, png, gif := testimage.JPEG(40, 30), testimage.PNG(40, 30, false), testimage.GIF(40, 30)
	cases := map[string]struct {
		data []byte
		want error
	}{
		"empty":           {nil, ErrEmpty},
		"text":            {[]byte("hello world"), ErrNotImage},
		"html":            {[]byte("<!doctype html><svg>"), ErrNotImage},
		"heic cut":        {[]byte("\x00\x00\x00\x18ftypheic\x00\x00"), ErrTruncated},
		"avif cut":        {[]byte("\x00\x00\x00\x1cftypavif\x00\x00"), ErrTruncated},
		"mp4":             {[]byte("\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"), ErrNotImage},
		"tiff":            {[]byte("II*\x00\x08\x00\x00\x00"), ErrUnsupported},
		"jpeg cut":        {jpg[:len(jpg)/2], ErrTruncated},
		"jpeg header":     {jpg[:20], ErrTruncated},
		"jpeg no scan":    {[]byte("\xFF\xD8\xFF\xD9"), ErrTruncated},
		"png cut":         {png[:len(png)-12], ErrTruncated},
		"png header only": {png[:30], ErrTruncated},
		"gif cut":         {gif[:len(gif)-1], ErrTruncated},
		"webp short riff": {testimage.WebP()[:30], ErrTruncated},
		"too many pixels": {testimage.BlankPNG(1000, 1001), ErrTooManyPixels},
		"animated webp":   {animatedWebP(), ErrUnsupported},
		"12-bit jpeg":     {patch(jpg, sof0(jpg)+4, 12), ErrUnsupported},
		"lossless jpeg":   {patch(jpg, sof0(jpg)+1, 0xC3), ErrUnsupported},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Inspect(c.data, 1_000_000); !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

// padSegments puts two zero bytes between the first two marker segments after SOI, as some cameras do.
func padSegments(jpg []byte) []byte {
	first := 2 + 2 + (int(jpg[4])<<8 | int(jpg[5])) // SOI, then the first segment's marker and length
	out := append([]byte{}, jpg[:first]...)
	out = append(out, 0, 0)
	return append(out, jpg[first:]...)
}

// TestHeadersAgreeWithTheDecoders: the hand-read headers give the dimensions the standard decoders read, for the
// layouts those encoders write.
func TestHeadersAgreeWithTheDecoders(t *testing.T) {
	var gray16, paletted bytes.Buffer
	g := image.NewGray16(image.Rect(0, 0, 37, 23))
	png.Encode(&gray16, g)
	pal := image.NewPaletted(image.Rect(0, 0, 19, 41), palette.Plan9)
	png.Encode(&paletted, pal)
	for name, data := range map[string][]byte{
		"jpeg": testimage.JPEG(123, 45), "png rgba": testimage.PNG(64, 17, true), "png gray16": gray16.Bytes(),
		"png paletted": paletted.Bytes(), "gif": testimage.GIF(33, 66), "webp": testimage.WebP(),
		"jpeg padded": padSegments(testimage.JPEG(50, 20)),
	} {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		info, err := Inspect(data, 0)
		if err != nil || info.Width != cfg.Width || info.Height != cfg.Height {
			t.Errorf("%s: Inspect %dx%d (%v), decoder %dx%d", name, info.Width, info.Height, err, cfg.Width, cfg.Height)
		}
	}
}

// animatedWebP is a VP8X header with the animation flag, which Inspect must refuse before any decoder sees it.
func animatedWebP() []byte {
	b := []byte("RIFF\x00\x00\x00\x00WEBPVP8X\x0a\x00\x00\x00\x02\x00\x00\x00\x00\x00\x00\x00\x00\x00ANIM\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00")
	b[4] = byte(len(b) - 8)
	return b
}

// sof0 finds the SOF0 marker in a stdlib-encoded JPEG.
func sof0(jpg []byte) int {
	for i := 2; i+1 < len(jpg); i++ {
		if jpg[i] == 0xFF && jpg[i+1] == 0xC0 {
			return i
		}
	}
	panic("no SOF0")
}

func patch(b []byte, at int, v byte) []byte {
	out := append([]byte{}, b...)
	out[at] = v
	return out
}

// TestBrokenEXIFIsIgnored: a malformed EXIF block must not reject an otherwise good photo.
func TestBrokenEXIFIsIgnored(t *testing.T) {
	jpg := testimage.WithOrientation(testimage.JPEG(40, 30), 6)
	jpg[12] = 'X' // byte order marker "MM" becomes "XM"
	info, err := Inspect(jpg, 0)
	if err != nil || info.Orientation != 1 {
		t.Fatalf("%+v %v", info, err)
	}
}

// FuzzInspect: no input makes Inspect panic, and an accepted image respects the pixel limit.
func FuzzInspect(f *testing.F) {
	for _, seed := range [][]byte{testimage.JPEG(8, 8), testimage.WithOrientation(testimage.JPEG(8, 8), 3),
		testimage.PNG(8, 8, true), testimage.GIF(8, 8), testimage.WebP()} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		info, err := Inspect(data, 4096)
		if err == nil && (info.Pixels() > 4096 || info.Width <= 0 || info.Height <= 0 || info.Orientation < 1 || info.Orientation > 8) {
			t.Fatalf("accepted %+v", info)
		}
	})
}
