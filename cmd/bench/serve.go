package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
)

// The serve bench (issue 9): one on-demand render, as the serve function does it for a URL like
// /<id>.webp?d=640x640, timed in a fresh process against sharp doing the same single pipeline,
// sharp(buf).rotate().resize(w, h).jpeg() or .webp(), in a fresh node process. The first render in each process
// is reported apart, since a function's first request after a cold start pays for it: for WebP that includes
// compiling libwebp's WebAssembly.

// servePixels is the photo size the serve bench wants: a 12 MP phone photo.
const servePixels = 12_000_000

// renderCase is one request to the serve function.
type renderCase struct {
	name    string
	w, h    int
	fit     imageproc.Fit
	format  string // jpeg or webp, as the URL's extension names it
	quality int
}

// target is the case as the child's -target flag.
func (rc renderCase) target() string {
	return fmt.Sprintf("%dx%d:%s:%s:%d", rc.w, rc.h, rc.fit, rc.format, rc.quality)
}

// renderCases are issue 9's four renders, at the serve function's default qualities, which are sharp's settings
// too: the same quality number in the same codec library's scale (libjpeg's, libwebp's).
func renderCases(c config) []renderCase {
	return []renderCase{
		{"640x640 cover, JPEG", 640, 640, imageproc.FitCover, "jpeg", c.quality},
		{"640x640 cover, WebP", 640, 640, imageproc.FitCover, "webp", imageproc.DefaultWebPQuality},
		{"1920 wide, JPEG", 1920, 0, imageproc.FitInside, "jpeg", c.quality},
		{"1920 wide, WebP", 1920, 0, imageproc.FitInside, "webp", imageproc.DefaultWebPQuality},
	}
}

// renderResult is one case, ours and sharp's.
type renderResult struct {
	rc            renderCase
	ours          report
	sharp         *sharpRender // nil without -sharp
	oursQ, sharpQ scored
}

// serveResult is the whole serve bench.
type serveResult struct {
	photo, source string
	procs         int
	renders       []renderResult
	webp          webpReport
	methodQ       []scored // the quality of each method's file, in the order of webp.Methods
}

// serveBench runs the four renders on the serve photo, then the WebP encoder's cold start and method sweep.
func serveBench(c config, self string, photos []string, work string) (*serveResult, error) {
	photo, err := servePhoto(c, photos)
	if err != nil {
		return nil, err
	}
	data, err := os.ReadFile(photo)
	if err != nil {
		return nil, err
	}
	info, err := imagefile.Inspect(data, 0)
	if err != nil {
		return nil, err
	}
	w, h := info.Upright()
	sv := &serveResult{photo: filepath.Base(photo), source: fmt.Sprintf("%dx%d", w, h), procs: c.procs[0]}
	dir := filepath.Join(work, "serve")
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "bench: serve: %s\n", sv.photo)
	ref, err := newReference(data)
	if err != nil {
		return nil, err
	}
	for i, rc := range renderCases(c) {
		rr := renderResult{rc: rc}
		want := ref.at
		if rc.fit == imageproc.FitCover {
			want = ref.cover
		}
		out := filepath.Join(dir, strconv.Itoa(i))
		if err := os.Mkdir(out, 0o755); err != nil {
			return nil, err
		}
		if rr.ours, err = runChildProcess(c, self, "render", photo, sv.procs, c.n, "-target", rc.target(), "-out", out); err != nil {
			return nil, err
		}
		if rr.oursQ, err = score(rr.ours.Outputs[0], want); err != nil {
			return nil, fmt.Errorf("%s: %w", rc.name, err)
		}
		if c.sharp {
			file := filepath.Join(out, "sharp."+rc.format)
			if rr.sharp, err = runSharpRender(c, photo, rc, sv.procs, file); err != nil {
				return nil, err
			}
			if rr.sharpQ, err = score(output{File: file}, want); err != nil {
				return nil, fmt.Errorf("sharp %s: %w", rc.name, err)
			}
		}
		sv.renders = append(sv.renders, rr)
	}
	fmt.Fprintf(os.Stderr, "bench: serve: WebP methods\n")
	wdir := filepath.Join(dir, "webp")
	if err := os.Mkdir(wdir, 0o755); err != nil {
		return nil, err
	}
	if err := childJSON(self, 1, &sv.webp, "-impl", "webp", "-photo", photo, "-n", strconv.Itoa(c.n),
		"-out", wdir); err != nil {
		return nil, fmt.Errorf("webp child: %w", err)
	}
	for _, m := range sv.webp.Methods {
		q, err := score(output{File: m.File}, ref.at)
		if err != nil {
			return nil, fmt.Errorf("webp method %d: %w", m.Method, err)
		}
		sv.methodQ = append(sv.methodQ, q)
	}
	return sv, nil
}

// servePhoto is -servephoto, else the corpus photo whose header is nearest servePixels.
func servePhoto(c config, photos []string) (string, error) {
	if c.servePhoto != "" {
		return c.servePhoto, nil
	}
	best, dist := "", math.Inf(1)
	for _, p := range photos {
		data, err := os.ReadFile(p)
		if err != nil {
			return "", err
		}
		info, err := imagefile.Inspect(data, 0)
		if err != nil {
			continue
		}
		if d := math.Abs(float64(info.Pixels() - servePixels)); d < dist {
			best, dist = p, d
		}
	}
	if best == "" {
		return "", fmt.Errorf("no photo to render; give -servephoto")
	}
	return best, nil
}

// formatOf is the output format a render target names: jpeg, webp or png.
func formatOf(name string) (imagefile.Format, error) {
	f, ok := imagefile.ForContentType("image/" + name)
	if !ok || (f != imagefile.JPEG && f != imagefile.WebP && f != imagefile.PNG) {
		return f, fmt.Errorf("format %q: want jpeg, webp or png", name)
	}
	return f, nil
}
