package colour

import (
	"image"
	"image/draw"
	"testing"
)

// The benchmarks convert a 1920x1080 (2.07 MP) frame, the size of a 12 MP photo decoded at 1/2 for the largest
// derivative. Run with the anchor in the same invocation:
//
//	taskset -c 0 go test ./pkg/colour/ -run XXX -bench . -benchtime 20x
//
// BenchmarkAnchorYCbCrToRGBA is the plain YCbCr-to-RGBA conversion (image/draw's fast path) of the same frame:
// the cost of touching every pixel once, against which the colour transforms are judged.

const benchW, benchH = 1920, 1080

// benchFrame tiles the test picture over a frame: smooth fields and ramps like a photo's, so that the
// tetrahedral branch pattern is realistic.
func benchFrame() *image.NRGBA {
	src := testPicture()
	m := image.NewNRGBA(image.Rect(0, 0, benchW, benchH))
	for y := 0; y < benchH; y += 256 {
		for x := 0; x < benchW; x += 256 {
			draw.Draw(m, image.Rect(x, y, x+256, y+256), src, image.Point{}, draw.Src)
		}
	}
	return m
}

func reportMP(b *testing.B) {
	mp := float64(benchW*benchH) / 1e6
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/mp, "ms/MP")
}

func BenchmarkAnchorYCbCrToRGBA(b *testing.B) {
	y := toYCbCr(benchFrame(), image.YCbCrSubsampleRatio420)
	dst := image.NewRGBA(y.Rect)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		draw.Draw(dst, dst.Rect, y, image.Point{}, draw.Src)
	}
	reportMP(b)
}

func benchTransform(b *testing.B, p *Profile) *Transform {
	b.Helper()
	tr, err := p.ToSRGB()
	if err != nil {
		b.Fatal(err)
	}
	return tr
}

func benchProfile(b *testing.B, path string) *Profile {
	b.Helper()
	data, err := readFileIfExists(path)
	if err != nil {
		b.Skipf("profile %s: %v", path, err)
	}
	p, err := ParseICC(data)
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// BenchmarkApplyYCbCr420 converts a 4:2:0 frame (the common JPEG) to 4:4:4 sRGB: through the matrix/TRC path
// (Display P3, the phone case) and through the 3D grid that LUT-based RGB profiles use (Adobe RGB forced onto
// it).
func BenchmarkApplyYCbCr420(b *testing.B) {
	p3, err := ParseICC(displayP3())
	if err != nil {
		b.Fatal(err)
	}
	adobe := benchProfile(b, "/usr/share/color/icc/colord/AdobeRGB1998.icc")
	for name, tr := range map[string]*Transform{
		"DisplayP3": benchTransform(b, p3),
		"grid":      {space: RGB, grid: sampleGrid(newModel(adobe), 3, gridRGB)},
	} {
		b.Run(name, func(b *testing.B) {
			src := toYCbCr(benchFrame(), image.YCbCrSubsampleRatio420)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := tr.Apply(src); err != nil {
					b.Fatal(err)
				}
			}
			reportMP(b)
		})
	}
}

// BenchmarkApplyCMYK converts a CMYK frame (ghostscript's default CMYK profile, a 9-point CLUT behind
// input curves) to NRGBA.
func BenchmarkApplyCMYK(b *testing.B) {
	tr := benchTransform(b, benchProfile(b, "/usr/share/color/icc/ghostscript/default_cmyk.icc"))
	f := benchFrame()
	c := image.NewCMYK(f.Rect)
	draw.Draw(c, c.Rect, f, image.Point{}, draw.Src)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Apply(c); err != nil {
			b.Fatal(err)
		}
	}
	reportMP(b)
}

// BenchmarkApplyNRGBA converts an opaque NRGBA frame (PNG) in place.
func BenchmarkApplyNRGBA(b *testing.B) {
	p3, err := ParseICC(displayP3())
	if err != nil {
		b.Fatal(err)
	}
	tr := benchTransform(b, p3)
	f := benchFrame()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := tr.Apply(f); err != nil {
			b.Fatal(err)
		}
	}
	reportMP(b)
}

// BenchmarkBuild measures building a transform without the cache: what the first photo with a new profile
// pays in a fresh container.
func BenchmarkBuild(b *testing.B) {
	p3, err := ParseICC(displayP3())
	if err != nil {
		b.Fatal(err)
	}
	for name, p := range map[string]*Profile{
		"DisplayP3":    p3,
		"default_cmyk": benchProfile(b, "/usr/share/color/icc/ghostscript/default_cmyk.icc"),
	} {
		b.Run(name, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				p.build()
			}
		})
	}
}
