// Command fuzzseeds writes the seed corpus of imageproc's FuzzProcess: small files (a few KB each) of every
// format and variant Process decodes, and the hostile shapes of the suite in internal/hostile made small, so that
// the fuzzer starts from every decoder path and `make test` runs each as a test case. Run it from the repository
// root when a seed is added; it needs ImageMagick, heif-enc and avifenc (scripts/test-tools.sh):
//
//	go run ./internal/hostile/cmd/fuzzseeds -o pkg/imageproc/testdata/fuzz/FuzzProcess
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/gif"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/gen2brain/webp"

	"github.com/imgpipe/imgpipe/internal/hostile"
	"github.com/imgpipe/imgpipe/internal/testimage"
)

// maxSeed keeps the corpus small: the fuzzer mutates every byte of a seed, so a large one is mostly wasted.
const maxSeed = 8 << 10

func main() {
	out := flag.String("o", "pkg/imageproc/testdata/fuzz/FuzzProcess", "the corpus directory")
	flag.Parse()
	if err := write(*out); err != nil {
		fmt.Fprintln(os.Stderr, "fuzzseeds:", err)
		os.Exit(1)
	}
}

func write(dir string) error {
	tools := hostile.FindTools()
	if tools.Convert == "" || tools.HeifEnc == "" || tools.AvifEnc == "" {
		return errors.New("needs ImageMagick, heif-enc and avifenc (scripts/test-tools.sh)")
	}
	tmp, err := os.MkdirTemp("", "fuzzseeds-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	seeds, err := makeSeeds(tools, tmp)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, s := range seeds {
		if len(s.data) > maxSeed {
			return fmt.Errorf("seed %s is %d bytes, over %d", s.name, len(s.data), maxSeed)
		}
		// The format `go test` reads corpus files in.
		body := "go test fuzz v1\n[]byte(" + strconv.Quote(string(s.data)) + ")\n"
		if err := os.WriteFile(filepath.Join(dir, s.name), []byte(body), 0o644); err != nil {
			return err
		}
	}
	fmt.Printf("wrote %d seeds to %s\n", len(seeds), dir)
	return nil
}

type seed struct {
	name string
	data []byte
}

func makeSeeds(t hostile.Tools, tmp string) ([]seed, error) {
	var seeds []seed
	var errs []error
	add := func(name string, data []byte, err error) {
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			return
		}
		seeds = append(seeds, seed{name, data})
	}
	addE := func(name string) func([]byte, error) {
		return func(data []byte, err error) { add(name, data, err) }
	}
	scene := func(w, h int) hostile.Picture { return hostile.Scene{W: w, H: h} }
	opaque := func(w, h int) hostile.Picture { return hostile.Opaque{Picture: hostile.Scene{W: w, H: h, Noise: 16}} }
	pngOf := func(p hostile.PNG) ([]byte, error) { return hostile.PNGBytes(p, scene(p.Width, p.Height)) }
	magick := func(w, h int, ext string, args ...string) ([]byte, error) {
		return t.Magick(tmp, w, h, opaque(w, h), ext, args...)
	}

	// JPEG: each layout the decoder has a path for.
	jpg := must(hostile.JPEG(48, 32, opaque(48, 32), 85))
	add("jpeg-baseline-420", jpg, nil)
	addE("jpeg-progressive-420")(magick(48, 32, ".jpg", "-interlace", "JPEG", "-quality", "80"))
	addE("jpeg-progressive-444")(magick(40, 24, ".jpg", "-interlace", "JPEG", "-sampling-factor", "1x1", "-quality", "80"))
	addE("jpeg-422")(magick(48, 32, ".jpg", "-sampling-factor", "2x1", "-quality", "80"))
	addE("jpeg-gray")(magick(48, 32, ".jpg", "-colorspace", "Gray", "-quality", "80"))
	addE("jpeg-cmyk")(magick(32, 24, ".jpg", "-colorspace", "CMYK", "-quality", "70"))
	addE("jpeg-restart")(magick(48, 32, ".jpg", "-define", "jpeg:restart-interval=1", "-quality", "80"))
	add("jpeg-orientation-6", testimage.WithOrientation(jpg, 6), nil)
	for _, e := range hostile.HostileEXIFs() {
		if e.Name == "IFD links loop to IFD0" || e.Name == "65535 entries declared, 1 present" || e.Name == "orientation 9" {
			add("jpeg-exif-"+slug(e.Name), hostile.WithAPP1(jpg, append([]byte("Exif\x00\x00"), e.TIFF...)), nil)
		}
	}
	add("jpeg-truncated", jpg[:len(jpg)*2/3], nil)
	addE("jpeg-header-65535x65535")(hostile.SetJPEGSize(jpg, 65535, 65535))
	// A scan bomb in its cheapest form; past the 1000-scan limit it would be 12 KB, and that limit is held by
	// the hostile suite and jpegscale's tests.
	add("jpeg-scan-bomb-40", testimage.ScanBomb(64, 64, 40), nil)

	// PNG: depths, colour types, interlacing, metadata, and strips.
	addE("png-rgba-8")(pngOf(hostile.PNG{Width: 40, Height: 24, ColorType: 6, Depth: 8}))
	addE("png-rgba-16")(pngOf(hostile.PNG{Width: 24, Height: 16, ColorType: 6, Depth: 16}))
	addE("png-rgb-8-adam7")(pngOf(hostile.PNG{Width: 37, Height: 23, ColorType: 2, Depth: 8, Adam7: true}))
	addE("png-rgba-16-adam7")(pngOf(hostile.PNG{Width: 21, Height: 13, ColorType: 6, Depth: 16, Adam7: true}))
	addE("png-gray-alpha-8")(pngOf(hostile.PNG{Width: 40, Height: 24, ColorType: 4, Depth: 8}))
	addE("png-gray-16")(pngOf(hostile.PNG{Width: 40, Height: 24, ColorType: 0, Depth: 16}))
	addE("png-palette-trns")(palettePNG(32, 24))
	addE("png-exif-orientation-8")(pngOf(hostile.PNG{Width: 40, Height: 24, ColorType: 2, Depth: 8,
		Chunks: [][]byte{hostile.Chunk("eXIf", testimage.ExifTIFF(8))}}))
	addE("png-icc-p3")(pngOf(hostile.PNG{Width: 24, Height: 16, ColorType: 2, Depth: 8,
		Chunks: [][]byte{hostile.ICCPChunk(testimage.DisplayP3ICC())}}))
	addE("png-strip-20000x1")(hostile.PNGBytes(hostile.PNG{Width: 20000, Height: 1, ColorType: 6, Depth: 8},
		hostile.Uniform{0, 40000, 65535, 65535}))
	addE("png-strip-1x20000")(hostile.PNGBytes(hostile.PNG{Width: 1, Height: 20000, ColorType: 2, Depth: 8},
		hostile.Uniform{0, 40000, 65535, 65535}))
	p := must(pngOf(hostile.PNG{Width: 40, Height: 24, ColorType: 6, Depth: 8}))
	add("png-no-iend", p[:len(p)-12], nil)
	addE("png-idat-cut")(hostile.CutIDAT(p, 20))

	// GIF: a frame offset on its screen, and a transparent one.
	addE("gif-offset-frame")(hostile.GIF(64, 48, image.Rect(20, 10, 50, 40), scene(64, 48)))
	addE("gif-transparent")(transparentGIF(40, 24))

	// WebP: lossy, lossy with alpha, lossless, extended with EXIF.
	addE("webp-lossy")(encodeWebP(opaque(48, 32), 48, 32, false))
	addE("webp-lossy-alpha")(encodeWebP(scene(48, 32), 48, 32, false))
	addE("webp-lossless")(encodeWebP(scene(48, 32), 48, 32, true))
	add("webp-exif-orientation-6", testimage.WebPWithOrientation(6), nil)

	// HEIC and AVIF; heifdec decodes no HEIC narrower than 97 px.
	addE("heic")(t.HEIC(tmp, 128, 96, opaque(128, 96), 40))
	addE("avif")(t.AVIF(tmp, 48, 32, opaque(48, 32)))
	return seeds, errors.Join(errs...)
}

func first(b []byte, err error) ([]byte, error) { return b, err }

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

func slug(s string) string {
	b := []byte(strings.ToLower(s))
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			b[i] = '-'
		}
	}
	return string(b)
}

// palettePNG is a paletted PNG with one transparent entry (a tRNS chunk), which image/png returns as
// *image.Paletted.
func palettePNG(w, h int) ([]byte, error) {
	pal := color.Palette{color.NRGBA{0, 0, 0, 0}, color.NRGBA{200, 30, 30, 255}, color.NRGBA{30, 200, 30, 255}}
	m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i := range m.Pix {
		m.Pix[i] = uint8(i % 3)
	}
	var b bytes.Buffer
	err := png.Encode(&b, m)
	return b.Bytes(), err
}

// transparentGIF is a GIF whose palette has a transparent entry, which image/gif writes as the transparent index
// of a Graphic Control Extension.
func transparentGIF(w, h int) ([]byte, error) {
	pal := color.Palette{color.RGBA{}, color.RGBA{200, 30, 30, 255}, color.RGBA{30, 200, 30, 255}}
	m := image.NewPaletted(image.Rect(0, 0, w, h), pal)
	for i := range m.Pix {
		m.Pix[i] = uint8(i / 7 % 3)
	}
	var b bytes.Buffer
	err := gif.Encode(&b, m, nil)
	return b.Bytes(), err
}

func encodeWebP(pic hostile.Picture, w, h int, lossless bool) ([]byte, error) {
	var b bytes.Buffer
	err := webp.Encode(&b, hostile.NRGBA(w, h, pic), webp.Options{Quality: 70, Lossless: lossless, Method: 0})
	return b.Bytes(), err
}
