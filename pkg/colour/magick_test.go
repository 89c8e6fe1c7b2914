package colour

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

const colordSRGB = "/usr/share/color/icc/colord/sRGB.icc"

// TestAgainstImageMagick converts a test picture from sRGB into each profile with ImageMagick (lcms), embedding
// the profile, then converts the result back to sRGB twice: with this package, reading the profile out of the
// file as the pipeline does, and with ImageMagick. Ours must come back close to the original (which only the
// profile's gamut and 8-bit quantisation in its space keep from being exact) and closer still to lcms.
func TestAgainstImageMagick(t *testing.T) {
	convert := magick(t)
	dir := t.TempDir()
	p3 := filepath.Join(dir, "DisplayP3.icc")
	if err := os.WriteFile(p3, displayP3(), 0o644); err != nil {
		t.Fatal(err)
	}
	// A CMYK press profile cannot hold the saturated half of the test picture, and ImageMagick's perceptual
	// conversion into it compresses everything (lcms' own round trip is 0.14 off), so the round trip to the
	// original is measured on a muted version that fits (lcms' round trip: 0.02).
	tests := map[string]struct {
		profile  string
		muted    bool
		vsOrig   float64 // RMSE bound against the sRGB original (0 skips: gray drops colour)
		vsMagick float64 // RMSE bound against ImageMagick's own conversion back
	}{
		"DisplayP3":          {profile: p3, vsOrig: 0.006, vsMagick: 0.002},
		"AdobeRGB1998":       {profile: "/usr/share/color/icc/colord/AdobeRGB1998.icc", vsOrig: 0.006, vsMagick: 0.002},
		"ProPhotoRGB":        {profile: "/usr/share/color/icc/colord/ProPhotoRGB.icc", vsOrig: 0.008, vsMagick: 0.002},
		"Rec709":             {profile: "/usr/share/color/icc/colord/Rec709.icc", vsOrig: 0.006, vsMagick: 0.002},
		"a98 v2":             {profile: "/usr/share/color/icc/ghostscript/a98.icc", vsOrig: 0.006, vsMagick: 0.002},
		"default_cmyk":       {profile: "/usr/share/color/icc/ghostscript/default_cmyk.icc", vsMagick: 0.002},
		"default_cmyk muted": {profile: "/usr/share/color/icc/ghostscript/default_cmyk.icc", muted: true, vsOrig: 0.03, vsMagick: 0.002},
		"ps_cmyk v4":         {profile: "/usr/share/color/icc/ghostscript/ps_cmyk.icc", vsMagick: 0.002},
		// ps_cmyk is PostScript's naive CMYK (1 - RGB, black from gray), no real press: lcms' round trip is 0.035.
		"ps_cmyk v4 muted": {profile: "/usr/share/color/icc/ghostscript/ps_cmyk.icc", muted: true, vsOrig: 0.04, vsMagick: 0.002},
		"sgray":            {profile: "/usr/share/color/icc/ghostscript/sgray.icc", vsMagick: 0.002},
	}
	readProfile(t, colordSRGB)
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			readProfile(t, tc.profile)
			orig := testPicture()
			if tc.muted {
				mute(orig)
			}
			src := filepath.Join(dir, name+"-orig.png")
			writePNG(t, src, orig)
			cmyk := strings.Contains(name, "cmyk")
			conv := filepath.Join(dir, name+".png")
			if cmyk {
				conv = filepath.Join(dir, name+".jpg")
			}
			run(t, convert, src, "-profile", colordSRGB, "-profile", tc.profile, "-quality", "100", conv)

			data, err := os.ReadFile(conv)
			if err != nil {
				t.Fatal(err)
			}
			format := imagefile.PNG
			if cmyk {
				format = imagefile.JPEG
			}
			icc := imagefile.ICC(format, data)
			if icc == nil {
				t.Fatalf("no profile found in ImageMagick's %s", filepath.Ext(conv))
			}
			p, err := ParseICC(icc)
			if err != nil {
				t.Fatal(err)
			}
			tr, err := p.ToSRGB()
			if err != nil {
				t.Fatal(err)
			}
			img, _, err := image.Decode(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			kind := fmt.Sprintf("%T", img)

			// lcms converts the very pixels we convert: for a JPEG, Go's decode handed over as raw CMYK, so that
			// the two IDCTs' rounding does not count against the transform. Its result is kept at 16 bits:
			// ImageMagick truncates when it writes 8, which would count half a step against us.
			back := filepath.Join(dir, name+"-back.png")
			if c, ok := img.(*image.CMYK); ok {
				in := filepath.Join(dir, name+".cmyk")
				if err := os.WriteFile(in, c.Pix, 0o644); err != nil {
					t.Fatal(err)
				}
				size := fmt.Sprintf("%dx%d", c.Rect.Dx(), c.Rect.Dy())
				run(t, convert, "-size", size, "-depth", "8", "cmyk:"+in, "-profile", tc.profile, "-profile", colordSRGB, "-depth", "16", "-type", "TrueColor", back)
			} else {
				run(t, convert, conv, "-profile", colordSRGB, "-depth", "16", "-type", "TrueColor", back)
			}
			got, err := tr.Apply(img)
			if err != nil {
				t.Fatal(err)
			}
			lcms := readPNG(t, back)
			e1, e2 := rmse(t, got, orig), rmse(t, got, lcms)
			t.Logf("%-18s %-12s RMSE vs original %.4f, vs lcms %.4f (lcms vs original %.4f)", name, kind, e1, e2, rmse(t, lcms, orig))
			if tc.vsOrig > 0 && e1 > tc.vsOrig {
				t.Errorf("RMSE against the original %.4f, want <= %.4f", e1, tc.vsOrig)
			}
			if e2 > tc.vsMagick {
				t.Errorf("RMSE against ImageMagick %.4f, want <= %.4f", e2, tc.vsMagick)
			}
		})
	}
}

// mute halves the picture's contrast around mid-gray, which brings its colours inside a press CMYK gamut.
func mute(m *image.NRGBA) {
	for i := range m.Pix {
		if i%4 != 3 {
			m.Pix[i] = 64 + m.Pix[i]/2
		}
	}
}

func run(t *testing.T, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
}

func writePNG(t *testing.T, path string, m image.Image) {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, m); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readPNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var _ = jpeg.Decode // registers JPEG with image.Decode
