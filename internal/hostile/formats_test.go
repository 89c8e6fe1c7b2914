package hostile

import (
	"fmt"
	"image"
	"os"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// format makes files of one kind at any size.
type format struct {
	name string
	make func(g gen, w, h int) ([]byte, error)
}

// noisy is the content of the lossy files, whose decoders' time depends on how much data there is; the lossless
// ones are smooth, which keeps 50 MP files to a few megabytes and costs their decoders the same memory.
func noisy(w, h int) Picture  { return Opaque{Scene{W: w, H: h, Noise: 24}} }
func smooth(w, h int) Picture { return Scene{W: w, H: h} }

func pngFormat(name string, ct byte, depth int, adam7 bool, chunks ...[]byte) format {
	return format{name, func(_ gen, w, h int) ([]byte, error) {
		return PNGBytes(PNG{Width: w, Height: h, ColorType: ct, Depth: depth, Adam7: adam7, Chunks: chunks}, smooth(w, h))
	}}
}

var (
	baselineJPEG = format{"JPEG baseline 4:2:0", func(_ gen, w, h int) ([]byte, error) {
		return JPEG(w, h, noisy(w, h), 90)
	}}
	progressiveJPEG = format{"JPEG progressive 4:4:4", func(g gen, w, h int) ([]byte, error) {
		return g.Magick(g.dir, w, h, noisy(w, h), ".jpg", "-interlace", "JPEG", "-sampling-factor", "1x1", "-quality", "90")
	}}
	progressiveCMYK = format{"JPEG progressive CMYK", func(g gen, w, h int) ([]byte, error) {
		return g.Magick(g.dir, w, h, noisy(w, h), ".jpg", "-colorspace", "CMYK", "-interlace", "JPEG", "-quality", "90")
	}}
	png8      = pngFormat("PNG 8-bit RGBA", 6, 8, false)
	png16     = pngFormat("PNG 16-bit RGBA", 6, 16, false)
	png8i     = pngFormat("PNG 8-bit RGBA interlaced", 6, 8, true)
	png16i    = pngFormat("PNG 16-bit RGBA interlaced", 6, 16, true)
	png16P3   = pngFormat("PNG 16-bit RGBA, Display P3 profile", 6, 16, false, ICCPChunk(testimage.DisplayP3ICC()))
	gifFormat = format{"GIF", func(_ gen, w, h int) ([]byte, error) {
		return GIF(w, h, image.Rect(0, 0, w, h), smooth(w, h))
	}}
	webpLossy = format{"WebP lossy", func(g gen, w, h int) ([]byte, error) {
		return g.Magick(g.dir, w, h, noisy(w, h), ".webp", "-quality", "80", "-define", "webp:method=0")
	}}
	webpLossless = format{"WebP lossless", func(g gen, w, h int) ([]byte, error) {
		return g.Magick(g.dir, w, h, smooth(w, h), ".webp", "-define", "webp:lossless=true", "-define", "webp:method=0",
			"-quality", "0")
	}}
	heic = format{"HEIC", func(g gen, w, h int) ([]byte, error) { return g.HEIC(g.dir, w, h, noisy(w, h), 60) }}
	avif = format{"AVIF", func(g gen, w, h int) ([]byte, error) { return g.AVIF(g.dir, w, h, noisy(w, h)) }}
)

// tableFormats are the rows of the peak memory table.
var tableFormats = []format{baselineJPEG, progressiveJPEG, png8, png16, png8i, png16i, gifFormat, webpLossy,
	webpLossless, heic, avif}

// sample is the header of a small file of f, which carries its layout (channels, depth, interlace, profile) for
// sizing a large one from the header alone.
func sample(g gen, f format) (imagefile.Info, error) {
	path, err := files.make(f.name+" sample", func(g gen) ([]byte, error) { return f.make(g, 96, 64) })
	if err != nil {
		return imagefile.Info{}, err
	}
	small, err := os.ReadFile(path)
	if err != nil {
		return imagefile.Info{}, err
	}
	info, err := imagefile.Inspect(small, 0)
	if err != nil {
		return imagefile.Info{}, fmt.Errorf("%s sample: %w", f.name, err)
	}
	return info, nil
}

// largestFile makes the largest 3:2 file of f that the derivative job admits: sized from the header with
// SourceAllowance for the file itself, then, since the file is only known once made, made again 1% smaller
// (in each side) while the budget refuses it.
func largestFile(g gen, f format) ([]byte, error) {
	info, err := sample(g, f)
	if err != nil {
		return nil, err
	}
	w, h := Largest(info, 3, 2, SourceAllowance)
	for range 5 {
		data, err := f.make(g, w, h)
		if err != nil {
			return nil, err
		}
		refusal, err := Admitted(data, Derivatives)
		if err != nil {
			return nil, err
		}
		if refusal == nil {
			return data, nil
		}
		if refusal.Code != "over_budget" {
			return nil, fmt.Errorf("%s %dx%d: refused with %s", f.name, w, h, refusal.Code)
		}
		w, h = w*99/100, h*99/100
	}
	return nil, fmt.Errorf("%s: no admitted size near %dx%d", f.name, w, h)
}

// overFile makes a file of f 2% larger in pixels than the largest size the budget admits for a file of no bytes
// at all, so that, whatever the file's own size, the budget refuses it.
func overFile(g gen, f format) ([]byte, error) {
	info, err := sample(g, f)
	if err != nil {
		return nil, err
	}
	w, h := Largest(info, 3, 2, 0)
	return f.make(g, w*101/100, h*101/100)
}
