package colour

import (
	"errors"
	"image"
	"image/color"
	"image/draw"
	"testing"
)

func adobeRGB(t *testing.T) *Transform {
	t.Helper()
	p, err := ParseICC(readProfile(t, "/usr/share/color/icc/colord/AdobeRGB1998.icc"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.ToSRGB()
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// TestApplyLayouts converts the same picture held in each pixel layout a decoder produces and checks every
// result against the NRGBA one: the layouts must differ only by their own quantisation (YCbCr's round trip, 16
// bits, premultiplied alpha), and must keep alpha.
func TestApplyLayouts(t *testing.T) {
	tr := adobeRGB(t)
	ref := testPicture()
	want, err := tr.Apply(clone(ref))
	if err != nil {
		t.Fatal(err)
	}
	// Each layout gets the picture as it would arrive, and a tolerance in 8-bit steps for its own rounding: the
	// YCbCr round trip costs up to 3 steps in saturated darks, and reading translucent NYCbCrA through
	// premultiplied colour as the reference does costs as much again. An unconverted image is 20+ steps off.
	tests := map[string]struct {
		img   func() image.Image
		tol   int
		type_ string
	}{
		"RGBA":              {func() image.Image { return convertTo(ref, image.NewRGBA(ref.Rect)) }, 0, "*image.RGBA"},
		"RGBA64":            {func() image.Image { return convertTo(ref, image.NewRGBA64(ref.Rect)) }, 1, "*image.NRGBA"},
		"NRGBA64":           {func() image.Image { return convertTo(ref, image.NewNRGBA64(ref.Rect)) }, 1, "*image.NRGBA"},
		"YCbCr 4:4:4":       {func() image.Image { return toYCbCr(ref, image.YCbCrSubsampleRatio444) }, 3, "*image.YCbCr"},
		"Paletted":          {func() image.Image { return paletted() }, 0, "*image.Paletted"},
		"Gray, RGB profile": {func() image.Image { return grayPicture() }, 0, "*image.Gray"},
		"NYCbCrA":           {func() image.Image { return withAlpha(toYCbCr(ref, image.YCbCrSubsampleRatio422)) }, 6, "*image.NYCbCrA"},
		"other (Alpha16)":   {func() image.Image { return image.NewAlpha16(image.Rect(0, 0, 8, 8)) }, 0, "*image.NRGBA"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			in := tc.img()
			got, err := tr.Apply(in)
			if err != nil {
				t.Fatal(err)
			}
			if typ := typeName(got); typ != tc.type_ {
				t.Fatalf("result is %s, want %s", typ, tc.type_)
			}
			var exp image.Image = want
			switch name {
			case "RGBA", "RGBA64", "NRGBA64":
			default:
				exp = viaNRGBA(t, tr, tc.img())
			}
			if d := maxDiff(got, exp); d > tc.tol {
				t.Errorf("differs from the reference by %d steps, want <= %d", d, tc.tol)
			}
		})
	}
}

// TestApplySubsampled checks that 4:2:0 input stays 4:2:0: each pixel's luma is the conversion of the source
// pixel it covers (chroma replicated, as YCbCr.At reads it), and each block's chroma is the mean of its pixels'
// converted chroma. Odd sizes leave blocks of one and two pixels at the edges.
func TestApplySubsampled(t *testing.T) {
	tr := adobeRGB(t)
	for _, size := range []image.Point{{64, 48}, {63, 47}, {1, 1}} {
		src := toYCbCr(cropTo(testPicture(), size), image.YCbCrSubsampleRatio420)
		exp444, err := tr.Apply(toYCbCr444(src))
		if err != nil {
			t.Fatal(err)
		}
		want := exp444.(*image.YCbCr)
		got, err := tr.Apply(src)
		if err != nil {
			t.Fatal(err)
		}
		y, ok := got.(*image.YCbCr)
		if !ok || y.SubsampleRatio != image.YCbCrSubsampleRatio420 || y.Rect != src.Rect {
			t.Fatalf("%v: got %T %v, want 4:2:0 YCbCr %v", size, got, typeName(got), src.Rect)
		}
		for py := 0; py < size.Y; py++ {
			for px := 0; px < size.X; px++ {
				if a, b := y.Y[y.YOffset(px, py)], want.Y[want.YOffset(px, py)]; a != b {
					t.Fatalf("%v: luma at (%d,%d) is %d, the pixel's conversion %d", size, px, py, a, b)
				}
			}
		}
		for cy := 0; cy < (size.Y+1)/2; cy++ {
			for cx := 0; cx < (size.X+1)/2; cx++ {
				var sb, sr, n int
				for py := 2 * cy; py < min(2*cy+2, size.Y); py++ {
					for px := 2 * cx; px < min(2*cx+2, size.X); px++ {
						i := want.COffset(px, py)
						sb, sr, n = sb+int(want.Cb[i]), sr+int(want.Cr[i]), n+1
					}
				}
				i := y.COffset(2*cx, 2*cy)
				if d := max(abs(int(y.Cb[i])-(sb+n/2)/n), abs(int(y.Cr[i])-(sr+n/2)/n)); d > 0 {
					t.Fatalf("%v: chroma of block (%d,%d) is %d off its pixels' mean", size, cx, cy, d)
				}
			}
		}
	}
}

// toYCbCr444 is m with its chroma replicated to every pixel, as YCbCr.At reads it.
func toYCbCr444(m *image.YCbCr) *image.YCbCr {
	out := image.NewYCbCr(m.Rect, image.YCbCrSubsampleRatio444)
	for y := m.Rect.Min.Y; y < m.Rect.Max.Y; y++ {
		for x := m.Rect.Min.X; x < m.Rect.Max.X; x++ {
			c := m.YCbCrAt(x, y)
			out.Y[out.YOffset(x, y)], out.Cb[out.COffset(x, y)], out.Cr[out.COffset(x, y)] = c.Y, c.Cb, c.Cr
		}
	}
	return out
}

func cropTo(m *image.NRGBA, size image.Point) *image.NRGBA {
	out := image.NewNRGBA(image.Rectangle{Max: size})
	for y := range size.Y {
		copy(out.Pix[y*out.Stride:][:4*size.X], m.Pix[y*m.Stride:])
	}
	return out
}

func abs(v int) int { return max(v, -v) }

// TestApplyAlpha checks that translucent pixels keep their alpha and are converted by their unpremultiplied
// colour.
func TestApplyAlpha(t *testing.T) {
	tr := adobeRGB(t)
	n := image.NewNRGBA(image.Rect(0, 0, 2, 1))
	n.SetNRGBA(0, 0, color.NRGBA{200, 100, 50, 128})
	n.SetNRGBA(1, 0, color.NRGBA{200, 100, 50, 255})
	got, err := tr.Apply(n)
	if err != nil {
		t.Fatal(err)
	}
	g := got.(*image.NRGBA)
	if g.Pix[3] != 128 || g.Pix[7] != 255 || [3]uint8(g.Pix[0:3]) != [3]uint8(g.Pix[4:7]) {
		t.Errorf("NRGBA %v: alpha or colour changed", g.Pix)
	}
	r := image.NewRGBA(image.Rect(0, 0, 1, 1))
	r.Set(0, 0, color.NRGBA{200, 100, 50, 128})
	if _, err := tr.Apply(r); err != nil {
		t.Fatal(err)
	}
	c := color.NRGBAModel.Convert(r.At(0, 0)).(color.NRGBA)
	if c.A != 128 || absDiff(c.R, g.Pix[4]) > 2 || absDiff(c.G, g.Pix[5]) > 2 || absDiff(c.B, g.Pix[6]) > 2 {
		t.Errorf("RGBA at alpha 128 gave %v, opaque NRGBA %v", c, g.Pix[4:8])
	}
}

// TestApplyMismatch checks the pairings of profile and pixels that make no sense.
func TestApplyMismatch(t *testing.T) {
	rgb := adobeRGB(t)
	cmykP, err := ParseICC(readProfile(t, "/usr/share/color/icc/ghostscript/default_cmyk.icc"))
	if err != nil {
		t.Fatal(err)
	}
	cmyk, err := cmykP.ToSRGB()
	if err != nil {
		t.Fatal(err)
	}
	grayP, err := ParseICC(readProfile(t, "/usr/share/color/icc/ghostscript/sgray.icc"))
	if err != nil {
		t.Fatal(err)
	}
	gray, err := grayP.ToSRGB()
	if err != nil {
		t.Fatal(err)
	}
	r := image.Rect(0, 0, 4, 4)
	for name, c := range map[string]struct {
		t   *Transform
		img image.Image
	}{
		"RGB on CMYK":  {rgb, image.NewCMYK(r)},
		"CMYK on RGB":  {cmyk, image.NewNRGBA(r)},
		"CMYK on gray": {cmyk, image.NewGray(r)},
		"gray on RGB":  {gray, image.NewYCbCr(r, image.YCbCrSubsampleRatio420)},
	} {
		if _, err := c.t.Apply(c.img); !errors.Is(err, ErrMismatch) {
			t.Errorf("%s: %v, want ErrMismatch", name, err)
		}
	}
}

// TestApplyIdentity checks that an sRGB profile leaves the image alone.
func TestApplyIdentity(t *testing.T) {
	p, err := ParseICC(readProfile(t, colordSRGB))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.ToSRGB()
	if err != nil {
		t.Fatal(err)
	}
	in := testPicture()
	before := append([]uint8(nil), in.Pix...)
	out, err := tr.Apply(in)
	if err != nil {
		t.Fatal(err)
	}
	if out != image.Image(in) || string(before) != string(in.Pix) {
		t.Error("identity transform changed the image")
	}
}

// TestApplyGrayProfile checks a gray profile on 8- and 16-bit gray: gamma 1.8 mid-gray must brighten to
// sRGB's, and 16-bit must agree with 8-bit.
func TestApplyGrayProfile(t *testing.T) {
	p, err := ParseICC(readProfile(t, "/usr/share/color/icc/ghostscript/sgray.icc"))
	if err != nil {
		t.Fatal(err)
	}
	tr, err := p.ToSRGB()
	if err != nil {
		t.Fatal(err)
	}
	g8 := grayPicture()
	g16 := image.NewGray16(g8.Rect)
	draw.Draw(g16, g16.Rect, g8, image.Point{}, draw.Src)
	o8, err := tr.Apply(g8)
	if err != nil {
		t.Fatal(err)
	}
	o16, err := tr.Apply(g16)
	if err != nil {
		t.Fatal(err)
	}
	if d := maxDiff(o8, o16); d > 1 {
		t.Errorf("8 and 16-bit gray differ by %d", d)
	}
	// (128/255)^1.8 = 0.289 linear is sRGB 146.
	if v := o8.(*image.Gray).GrayAt(128, 0).Y; v < 145 || v > 147 {
		t.Errorf("gamma 1.8 gray 128 became %d, want 146", v)
	}
}

func clone(m *image.NRGBA) *image.NRGBA {
	c := *m
	c.Pix = append([]uint8(nil), m.Pix...)
	return &c
}

func convertTo(src image.Image, dst draw.Image) image.Image {
	draw.Draw(dst, dst.Bounds(), src, src.Bounds().Min, draw.Src)
	return dst
}

func toYCbCr(src *image.NRGBA, ratio image.YCbCrSubsampleRatio) *image.YCbCr {
	y := image.NewYCbCr(src.Rect, ratio)
	for py := 0; py < src.Rect.Dy(); py++ {
		for px := 0; px < src.Rect.Dx(); px++ {
			c := src.NRGBAAt(px, py)
			yy, cb, cr := color.RGBToYCbCr(c.R, c.G, c.B)
			y.Y[y.YOffset(px, py)] = yy
			ci := y.COffset(px, py)
			y.Cb[ci], y.Cr[ci] = cb, cr // the last pixel of each block wins: fine for a test input
		}
	}
	return y
}

func withAlpha(y *image.YCbCr) *image.NYCbCrA {
	a := make([]uint8, len(y.Y))
	for i := range a {
		a[i] = uint8(255 - i%3)
	}
	return &image.NYCbCrA{YCbCr: *y, A: a, AStride: y.YStride}
}

func paletted() *image.Paletted {
	pal := color.Palette{}
	for i := 0; i < 256; i++ {
		pal = append(pal, color.NRGBA{uint8(i), uint8(255 - i), uint8(i * 7), uint8(255 - i/4)})
	}
	p := image.NewPaletted(image.Rect(0, 0, 16, 16), pal)
	for i := range p.Pix {
		p.Pix[i] = uint8(i)
	}
	return p
}

func grayPicture() *image.Gray {
	g := image.NewGray(image.Rect(0, 0, 256, 4))
	for i := range g.Pix {
		g.Pix[i] = uint8(i % 256)
	}
	return g
}

// viaNRGBA is the expected result for any layout: its colours read through the color models into NRGBA and
// converted there; a gray image is expected to stay gray, so the reference is its neutral-axis luminance.
func viaNRGBA(t *testing.T, tr *Transform, img image.Image) image.Image {
	t.Helper()
	n := image.NewNRGBA(img.Bounds())
	draw.Draw(n, n.Rect, img, img.Bounds().Min, draw.Src)
	out, err := tr.Apply(n)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := img.(*image.Gray); ok {
		g := image.NewGray(n.Rect)
		o := out.(*image.NRGBA)
		for i := range g.Pix {
			g.Pix[i] = luma8(o.Pix[4*i], o.Pix[4*i+1], o.Pix[4*i+2])
		}
		return g
	}
	return out
}

// maxDiff is the largest difference of any channel, alpha included, in 8-bit steps.
func maxDiff(a, b image.Image) int {
	worst := 0
	r := a.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			p := color.NRGBAModel.Convert(a.At(x, y)).(color.NRGBA)
			q := color.NRGBAModel.Convert(b.At(x, y)).(color.NRGBA)
			for _, d := range []int{int(p.R) - int(q.R), int(p.G) - int(q.G), int(p.B) - int(q.B), int(p.A) - int(q.A)} {
				worst = max(worst, d, -d)
			}
		}
	}
	return worst
}

func absDiff(a, b uint8) int {
	if a > b {
		return int(a - b)
	}
	return int(b - a)
}

func typeName(v any) string {
	switch v.(type) {
	case *image.RGBA:
		return "*image.RGBA"
	case *image.NRGBA:
		return "*image.NRGBA"
	case *image.YCbCr:
		return "*image.YCbCr"
	case *image.Paletted:
		return "*image.Paletted"
	case *image.Gray:
		return "*image.Gray"
	case *image.NYCbCrA:
		return "*image.NYCbCrA"
	}
	return "other"
}

// TestYCbCrArithmetic checks the inlined conversions against image/color's for every input.
func TestYCbCrArithmetic(t *testing.T) {
	for i := 0; i < 1<<24; i++ {
		a, b, c := uint8(i>>16), uint8(i>>8), uint8(i)
		r, g, bl := ycbcrToRGB(a, b, c)
		if r2, g2, b2 := color.YCbCrToRGB(a, b, c); r != r2 || g != g2 || bl != b2 {
			t.Fatalf("ycbcrToRGB(%d, %d, %d) = %d %d %d, want %d %d %d", a, b, c, r, g, bl, r2, g2, b2)
		}
		y, cb, cr := rgbToYCbCr(a, b, c)
		if y2, cb2, cr2 := color.RGBToYCbCr(a, b, c); y != y2 || cb != cb2 || cr != cr2 {
			t.Fatalf("rgbToYCbCr(%d, %d, %d) = %d %d %d, want %d %d %d", a, b, c, y, cb, cr, y2, cb2, cr2)
		}
	}
}
