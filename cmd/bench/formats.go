package main

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/imgpipe/imgpipe/internal/testimage"
)

// The formats bench (issue 8): what a phone's photo costs beyond a plain sRGB JPEG. The serve photo (the corpus
// photo nearest 12 MP) is converted by ImageMagick (with lcms) to the wide-gamut and CMYK JPEGs a phone or a print
// workflow sends, each with its profile embedded, and by heif-enc and avifenc to HEIC and AVIF, and the resize job
// runs on each, in its own child as the corpus photos do. The colour stage is the cost of the transform to sRGB,
// applied to the reduced-size decode; the HEIC and AVIF decode stages are libheif and libavif in WebAssembly.

// formatCase is one converted photo.
type formatCase struct {
	name string
	// make writes the file at out from the photo at in; nil for the photo itself.
	make func(in, out string) *exec.Cmd
	ext  string
}

// formatResult is one case measured.
type formatResult struct {
	name   string
	sizeMB float64
	ours   report
}

const srgbProfile = "/usr/share/color/icc/colord/sRGB.icc"

func formatCases(convert, p3 string) []formatCase {
	// RGB JPEGs are 4:2:0 as cameras and phones write them (ImageMagick would keep 4:4:4 at quality 92); CMYK
	// ones keep every channel whole, as print workflows write them and as image/jpeg requires.
	toProfile := func(profile string) func(in, out string) *exec.Cmd {
		return func(in, out string) *exec.Cmd {
			args := []string{in, "-profile", srgbProfile, "-profile", profile, "-quality", "92"}
			if !strings.Contains(profile, "cmyk") {
				args = append(args, "-sampling-factor", "2x2")
			}
			return exec.Command(convert, append(args, out)...)
		}
	}
	return []formatCase{
		{name: "JPEG, sRGB (the photo)"},
		{name: "JPEG, Display P3", make: toProfile(p3), ext: ".jpg"},
		{name: "JPEG, Adobe RGB", make: toProfile("/usr/share/color/icc/colord/AdobeRGB1998.icc"), ext: ".jpg"},
		{name: "JPEG, CMYK (press profile)", make: toProfile("/usr/share/color/icc/ghostscript/default_cmyk.icc"), ext: ".jpg"},
		{name: "HEIC (heif-enc -q 82)", ext: ".heic", make: func(in, out string) *exec.Cmd {
			return exec.Command("heif-enc", "-q", "82", "-o", out, in)
		}},
		{name: "AVIF (avifenc --min 20 --max 30)", ext: ".avif", make: func(in, out string) *exec.Cmd {
			return exec.Command("avifenc", "-s", "6", "--min", "20", "--max", "30", in, out)
		}},
	}
}

// formatsResult is the whole formats bench.
type formatsResult struct {
	photo string
	rows  []formatResult
}

// formatsBench converts the serve photo into each case and times the resize job on it.
func formatsBench(c config, self string, photos []string, work string) (*formatsResult, error) {
	photo, err := servePhoto(c, photos)
	if err != nil {
		return nil, err
	}
	convert, err := testimage.ImageMagick()
	if err != nil {
		return nil, fmt.Errorf("%w (apt-get install imagemagick; scripts/test-tools.sh installs every tool)", err)
	}
	dir := filepath.Join(work, "formats")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	p3 := filepath.Join(dir, "DisplayP3.icc")
	if err := os.WriteFile(p3, testimage.DisplayP3ICC(), 0o644); err != nil {
		return nil, err
	}
	out := &formatsResult{photo: filepath.Base(photo)}
	for i, fc := range formatCases(convert, p3) {
		file := photo
		if fc.make != nil {
			file = filepath.Join(dir, fmt.Sprintf("%d%s", i, fc.ext))
			fmt.Fprintf(os.Stderr, "bench: formats: making %s\n", fc.name)
			if b, err := fc.make(photo, file).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("%s: %v\n%s", fc.name, err, b)
			}
		}
		st, err := os.Stat(file)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(os.Stderr, "bench: formats: %s\n", fc.name)
		odir := filepath.Join(dir, fmt.Sprintf("out%d", i))
		if err := os.Mkdir(odir, 0o755); err != nil {
			return nil, err
		}
		r, err := runChildProcess(c, self, "ours", file, c.procs[0], c.n, "-out", odir)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fc.name, err)
		}
		out.rows = append(out.rows, formatResult{name: fc.name, sizeMB: float64(st.Size()) / 1e6, ours: r})
	}
	return out, nil
}

// printFormats prints the formats table.
func printFormats(w io.Writer, c config, fr *formatsResult) {
	photo, rs := fr.photo, fr.rows
	fmt.Fprintf(w, "**Formats and colour** (issue 8): %s converted by ImageMagick with lcms (profile embedded), "+
		"heif-enc and avifenc, then the resize job (widths %s) on each; GOMAXPROCS=%d, median ms of %d runs. "+
		"colour is the transform to sRGB, run on the reduced decode; HEIC and AVIF decode in WebAssembly "+
		"(libheif with libde265, libavif with libaom), at full size.\n\n",
		photo, joinInts(c.widths), c.procs[0], c.n)
	var t table
	t.head = []string{"input", "file MB", "decode", "colour", "resize", "encode", "total", "colour / total", "× sRGB JPEG", "peak RSS MB"}
	base := rs[0].ours.MedianMS
	for _, r := range rs {
		s := r.ours.Stages
		t.add(r.name, fmt.Sprintf("%.1f", r.sizeMB), f0(s.Decode), f0(s.Colour), f0(s.Resize), f0(s.Encode),
			msCell(r.ours.MedianMS, r.ours.MinMS), fmt.Sprintf("%.0f%%", 100*s.Colour/r.ours.MedianMS),
			f2(r.ours.MedianMS/base), f0(r.ours.PeakRSSMB))
	}
	t.print(w)
	fmt.Fprintln(w)
}
