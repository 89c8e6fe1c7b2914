package imageproc

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/gif"
	"testing"

	"github.com/disintegration/imaging"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// formatTolerance bounds the mean absolute difference per channel between a derivative and a plain reference (the
// standard decoder, then imaging's Lanczos to the same size). It allows for the JPEG round trip and a different
// resampler; a swapped channel, a wrong colour conversion or a shifted frame each measured above 20.
const formatTolerance = 4.0

// TestFormats runs every kind of source the pipeline accepts and checks the output format and the pixels.
func TestFormats(t *testing.T) {
	photo := scene(900, 600)
	gray := image.NewGray(photo.Rect)
	for i := range gray.Pix {
		gray.Pix[i] = photo.Pix[4*i+1]
	}
	deep := image.NewRGBA64(photo.Rect) // 16-bit, opaque
	deepAlpha := image.NewNRGBA64(photo.Rect)
	for y := range 600 {
		for x := range 900 {
			c := photo.NRGBAAt(x, y)
			deep.SetRGBA64(x, y, color.RGBA64{uint16(c.R) * 257, uint16(c.G) * 257, uint16(c.B) * 257, 0xFFFF})
			a := uint16(0xFFFF * x / 900) // alpha ramps left to right
			deepAlpha.SetNRGBA64(x, y, color.NRGBA64{uint16(c.R) * 257, uint16(c.G) * 257, uint16(c.B) * 257, a})
		}
	}
	halves := halfTransparent(900, 600)
	cmyk := encodeCMYKJPEG(120, 80, func(bx, by int) [4]uint8 {
		if bx < 60 {
			return [4]uint8{200, 60, 30, 240}
		}
		return [4]uint8{40, 220, 120, 250}
	})

	tests := map[string]struct {
		data []byte
		want imagefile.Format
	}{
		"jpeg":                {encodeJPEG(t, photo, 95), imagefile.JPEG},
		"jpeg grayscale":      {encodeJPEG(t, gray, 95), imagefile.JPEG},
		"jpeg cmyk":           {cmyk, imagefile.JPEG},
		"png rgb":             {encodePNG(t, imaging.Clone(photo)), imagefile.JPEG},
		"png gray":            {encodePNG(t, gray), imagefile.JPEG},
		"png 16-bit":          {encodePNG(t, deep), imagefile.JPEG},
		"png 16-bit alpha":    {encodePNG(t, deepAlpha), imagefile.PNG},
		"png alpha":           {encodePNG(t, halves), imagefile.PNG},
		"gif":                 {encodeGIF(t, photo, false), imagefile.JPEG},
		"gif transparent":     {encodeGIF(t, halves, true), imagefile.PNG},
		"webp lossless alpha": {encodeWebPLossless(t, halves), imagefile.PNG},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			src, _, err := image.Decode(bytes.NewReader(tc.data))
			if err != nil {
				t.Fatalf("the test's own source does not decode: %v", err)
			}
			res := process(t, tc.data)
			wantFormat(t, res, tc.want)
			for _, d := range res.Outputs {
				got := decodeDerivative(t, d)
				ref := imaging.Resize(src, d.Width, d.Height, imaging.Lanczos)
				if diff := meanAbsDiff(t, got, ref); diff > formatTolerance {
					t.Errorf("derivative %d differs from the reference by %.2f per channel, want <= %.1f",
						d.Target.Width, diff, formatTolerance)
				}
			}
		})
	}
}

// TestTransparencyKept checks transparent sources in detail: the transparent half stays transparent, the opaque half
// stays opaque, and the edge between them keeps its colour. Resampling colour without weighting it by alpha would
// blend the invisible black of the transparent half into a dark fringe.
func TestTransparencyKept(t *testing.T) {
	halves := halfTransparent(900, 600)
	sources := map[string][]byte{
		"png":  encodePNG(t, halves),
		"gif":  encodeGIF(t, halves, true),
		"webp": encodeWebPLossless(t, halves),
	}
	for name, data := range sources {
		t.Run(name, func(t *testing.T) {
			res := process(t, data)
			wantFormat(t, res, imagefile.PNG)
			for _, d := range res.Outputs {
				img := decodeDerivative(t, d)
				if c := img.NRGBAAt(d.Width/4, d.Height/2); c != (color.NRGBA{255, 0, 0, 255}) {
					t.Errorf("derivative %d: the opaque half is %v", d.Target.Width, c)
				}
				if c := img.NRGBAAt(3*d.Width/4, d.Height/2); c.A != 0 {
					t.Errorf("derivative %d: the transparent half is %v", d.Target.Width, c)
				}
				for i := 0; i < len(img.Pix); i += 4 {
					if p := img.Pix[i : i+4]; p[3] >= 64 && p[0] < 230 {
						t.Errorf("derivative %d: edge pixel %v is darkened", d.Target.Width, p)
						break
					}
				}
			}
		})
	}
}

// halfTransparent is opaque red on the left and fully transparent black on the right.
func halfTransparent(w, h int) *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w / 2 {
			img.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 255})
		}
	}
	return img
}

// encodeGIF writes img with a palette of 216 web-safe colours and, when transparent is set, a transparent entry for
// pixels with alpha 0. It maps each pixel to the nearest colour without dithering: dither noise is what JPEG
// compresses worst, and the comparison with the reference would measure the encoder rather than the pipeline.
func encodeGIF(t *testing.T, img *image.NRGBA, transparent bool) []byte {
	t.Helper()
	pal := color.Palette{}
	if transparent {
		pal = append(pal, color.NRGBA{})
	}
	for r := range 6 {
		for g := range 6 {
			for b := range 6 {
				pal = append(pal, color.NRGBA{uint8(51 * r), uint8(51 * g), uint8(51 * b), 255})
			}
		}
	}
	var buf bytes.Buffer
	if err := gif.Encode(&buf, img, &gif.Options{NumColors: len(pal), Quantizer: fixedPalette(pal), Drawer: draw.Src}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fixedPalette is a draw.Quantizer that always returns the same palette.
type fixedPalette color.Palette

func (p fixedPalette) Quantize(_ color.Palette, _ image.Image) color.Palette { return color.Palette(p) }
