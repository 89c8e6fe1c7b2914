package colour

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestDebianProfiles parses the profiles Debian ships and checks what each is and whether it is taken for sRGB.
func TestDebianProfiles(t *testing.T) {
	tests := map[string]struct {
		space  Space
		srgb   bool
		lut    bool
		noConv bool // ToSRGB refuses it
	}{
		"colord/sRGB.icc":                {space: RGB, srgb: true},
		"sRGB.icc":                       {space: RGB, srgb: true},
		"ghostscript/srgb.icc":           {space: RGB, srgb: true},
		"ghostscript/default_rgb.icc":    {space: RGB, srgb: true},
		"colord/AdobeRGB1998.icc":        {space: RGB},
		"colord/ProPhotoRGB.icc":         {space: RGB},
		"colord/Rec709.icc":              {space: RGB}, // sRGB primaries, BT.709 curve
		"colord/WideGamutRGB.icc":        {space: RGB},
		"ghostscript/a98.icc":            {space: RGB},
		"ghostscript/esrgb.icc":          {space: RGB},
		"compatibleWithAdobeRGB1998.icc": {space: RGB},
		"ghostscript/default_cmyk.icc":   {space: CMYK, lut: true},
		"ghostscript/ps_cmyk.icc":        {space: CMYK, lut: true},
		"ghostscript/sgray.icc":          {space: Gray},
		"ghostscript/default_gray.icc":   {space: Gray, srgb: true}, // a gray with the sRGB curve
		"Gray-CIE_L.icc":                 {space: Gray},
		"colord/Crayons.icc":             {space: OtherSpace, noConv: true}, // named colours
		"ghostscript/lab.icc":            {space: OtherSpace, noConv: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := ParseICC(readProfile(t, filepath.Join("/usr/share/color/icc", name)))
			if err != nil {
				t.Fatal(err)
			}
			if p.Space() != tc.space || p.IsSRGB() != tc.srgb || (p.lut != nil) != tc.lut {
				t.Errorf("space %v, IsSRGB %v, LUT %v; want %v, %v, %v", p.Space(), p.IsSRGB(), p.lut != nil, tc.space, tc.srgb, tc.lut)
			}
			tr, err := p.ToSRGB()
			if tc.noConv {
				if !errors.Is(err, ErrUnsupported) {
					t.Errorf("ToSRGB: %v, want ErrUnsupported", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tr.identity != tc.srgb {
				t.Errorf("identity transform %v, want %v", tr.identity, tc.srgb)
			}
		})
	}
}

// TestSRGBProfileIsIdentity checks the float conversion of an sRGB profile, which IsSRGB lets callers skip:
// gray and every channel come back within half an 8-bit step.
func TestSRGBProfileIsIdentity(t *testing.T) {
	p, err := ParseICC(readProfile(t, colordSRGB))
	if err != nil {
		t.Fatal(err)
	}
	m := newModel(p)
	for i := 0; i < 256; i++ {
		v := float64(i) / 255
		o := m.encoded([]float64{v, v * v, 1 - v})
		for k, want := range []float64{v, v * v, 1 - v} {
			if d := math.Abs(o[k]-want) * 255; d > 0.5 && (want > 0.05 && want < 0.95) {
				t.Fatalf("(%v) channel %d: %.3f steps off", v, k, d)
			}
		}
	}
	// A fully built (non-identity) transform of it must still be near identity in the fixed-point kernel.
	s := newShaper(p, m)
	tr := &Transform{space: RGB, shaper: s}
	row := make([]uint8, 3*256)
	for i := 0; i < 256; i++ {
		row[3*i], row[3*i+1], row[3*i+2] = uint8(i), uint8(i), uint8(255-i)
	}
	tr.rgbRow(row)
	for i := 0; i < 256; i++ {
		for k, want := range []int{i, i, 255 - i} {
			if d := int(row[3*i+k]) - want; d < -1 || d > 1 {
				t.Fatalf("value %d channel %d: got %d", i, k, row[3*i+k])
			}
		}
	}
}

// TestGridMatchesModel checks the sampled tables against the float conversion they stand for, on random colours:
// the error must stay at 8-bit rounding (RMS 0.29 steps) and never reach 2 steps.
func TestGridMatchesModel(t *testing.T) {
	tests := map[string]struct {
		path string
		in   int
	}{
		"default_cmyk (Lab, v2, 9-point CLUT with input curves)": {"ghostscript/default_cmyk.icc", 4},
		"ps_cmyk (XYZ, v4, 5-point CLUT)":                        {"ghostscript/ps_cmyk.icc", 4},
		"AdobeRGB sampled on a plain grid":                       {"colord/AdobeRGB1998.icc", 3},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, err := ParseICC(readProfile(t, filepath.Join("/usr/share/color/icc", tc.path)))
			if err != nil {
				t.Fatal(err)
			}
			m := newModel(p)
			g := sampleGrid(m, tc.in, map[int]int{3: gridRGB, 4: gridCMYK}[tc.in])
			rng := rand.New(rand.NewPCG(1, 2))
			var sum, worst float64
			const n = 20000
			for i := 0; i < n; i++ {
				var v [4]uint8
				dev := make([]float64, tc.in)
				for k := range dev {
					v[k] = uint8(rng.IntN(256))
					dev[k] = float64(v[k]) / 255
				}
				want := m.encoded(dev)
				var got [3]uint8
				if tc.in == 4 {
					got[0], got[1], got[2] = g.cmyk(v[0], v[1], v[2], v[3])
				} else {
					got[0], got[1], got[2] = g.rgb(g.idx8[0][v[0]], g.idx8[1][v[1]], g.idx8[2][v[2]],
						int64(g.frac8[0][v[0]]), int64(g.frac8[1][v[1]]), int64(g.frac8[2][v[2]]))
				}
				for k := range got {
					d := math.Abs(float64(got[k]) - 255*want[k])
					sum += d * d
					worst = max(worst, d)
				}
			}
			rms := math.Sqrt(sum / (3 * n))
			t.Logf("RMS %.3f steps, worst %.2f", rms, worst)
			if rms > 0.4 || worst >= 2 {
				t.Errorf("RMS %.3f, worst %.2f steps; want <= 0.4 and < 2", rms, worst)
			}
		})
	}
}

// TestNCLX checks the nclx code points against an equivalent ICC profile and the error cases.
func TestNCLX(t *testing.T) {
	p, err := NCLX(12, 13)
	if err != nil {
		t.Fatal(err)
	}
	icc, err := ParseICC(displayP3())
	if err != nil {
		t.Fatal(err)
	}
	a, b := newModel(p), newModel(icc)
	for _, c := range [][]float64{{1, 0, 0}, {0, 1, 0}, {0, 0, 1}, {0.5, 0.5, 0.5}, {0.2, 0.7, 0.4}} {
		x, y := a.encoded(c), b.encoded(c)
		for k := range x {
			if math.Abs(x[k]-y[k])*255 > 0.2 {
				t.Errorf("P3 %v: nclx %v, ICC %v", c, x, y)
			}
		}
	}
	if s, _ := NCLX(1, 13); !s.IsSRGB() {
		t.Error("nclx BT.709 primaries with the sRGB curve are not taken for sRGB")
	}
	if s, _ := NCLX(1, 1); s.IsSRGB() {
		t.Error("nclx BT.709 primaries with the BT.709 curve are taken for sRGB")
	}
	for _, c := range [][2]uint16{{9, 16}, {9, 18}, {3, 13}, {1, 3}} {
		if _, err := NCLX(c[0], c[1]); !errors.Is(err, ErrUnsupported) {
			t.Errorf("NCLX(%d, %d): %v, want ErrUnsupported", c[0], c[1], err)
		}
	}
	// BT.2020 red is outside sRGB: it must clip to pure red, not wrap or go dark.
	tr, err := mustNCLX(t, 9, 1).ToSRGB()
	if err != nil {
		t.Fatal(err)
	}
	row := []uint8{255, 0, 0}
	tr.rgbRow(row)
	if row[0] != 255 || row[1] != 0 || row[2] != 0 {
		t.Errorf("BT.2020 red: %v", row)
	}
}

func mustNCLX(t *testing.T, p, tc uint16) *Profile {
	t.Helper()
	pr, err := NCLX(p, tc)
	if err != nil {
		t.Fatal(err)
	}
	return pr
}

// TestParseErrors feeds broken profiles; each must fail with ErrInvalid rather than panic or allocate.
func TestParseErrors(t *testing.T) {
	good := displayP3()
	tests := map[string]func([]byte) []byte{
		"empty":            func([]byte) []byte { return nil },
		"short":            func(b []byte) []byte { return b[:100] },
		"no acsp":          func(b []byte) []byte { b[36] = 'x'; return b },
		"size beyond data": func(b []byte) []byte { b[0] = 0x7F; return b },
		"huge tag count":   func(b []byte) []byte { b[128], b[129] = 0xFF, 0xFF; return b },
		"tag out of range": func(b []byte) []byte { b[132+4] = 0x7F; return b },
		"bad PCS":          func(b []byte) []byte { copy(b[20:], "CMYK"); return b },
		"huge curve":       func(b []byte) []byte { return withCurveCount(b, 0xFFFFFFFF) },
		"no rXYZ":          func(b []byte) []byte { return renameTag(b, "rXYZ", "zzzz") },
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			b := mutate(append([]byte(nil), good...))
			if _, err := ParseICC(b); !errors.Is(err, ErrInvalid) {
				t.Errorf("got %v, want ErrInvalid", err)
			}
		})
	}
}

// renameTag changes a tag signature in the directory.
func renameTag(b []byte, from, to string) []byte {
	n := int(b[131])
	for i := 0; i < n; i++ {
		e := b[132+12*i:]
		if string(e[:4]) == from {
			copy(e, to)
		}
	}
	return b
}

// withCurveCount replaces the shared TRC of displayP3 by a 'curv' that declares count entries.
func withCurveCount(b []byte, count uint32) []byte {
	n := int(b[131])
	for i := 0; i < n; i++ {
		e := b[132+12*i:]
		if string(e[:4]) == "rTRC" {
			off := int(e[4])<<24 | int(e[5])<<16 | int(e[6])<<8 | int(e[7])
			copy(b[off:], "curv\x00\x00\x00\x00")
			b[off+8], b[off+9], b[off+10], b[off+11] = byte(count>>24), byte(count>>16), byte(count>>8), byte(count)
		}
	}
	return b
}

// FuzzParseICC checks that no input makes parsing, building or applying a transform panic.
func FuzzParseICC(f *testing.F) {
	f.Add(displayP3())
	for _, name := range []string{"ghostscript/ps_cmyk.icc", "ghostscript/sgray.icc", "colord/sRGB.icc"} {
		if b, err := readFileIfExists(filepath.Join("/usr/share/color/icc", name)); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseICC(b)
		if err != nil {
			return
		}
		tr, err := p.ToSRGB()
		if err != nil {
			return
		}
		row := []uint8{0, 0, 0, 255, 255, 255, 10, 200, 30}
		tr.rgbRow(row)
		if tr.grid != nil && tr.grid.in == 4 {
			tr.grid.cmyk(0, 128, 255, 7)
		}
	})
}
