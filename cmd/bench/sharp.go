package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// The two ways sharp-anchor.sh runs the job. typical is the usual Node code, one pipeline per width, each decoding
// the photo; cascade is libvips at its best for this job: one shrink-on-load decode to the largest width, kept raw,
// and every width resized and encoded from it.
const (
	modeTypical = "typical"
	modeCascade = "cascade"
)

// sharpReport is one JSON line of sharp-anchor.sh.
type sharpReport struct {
	Photo     string   `json:"photo"`
	Source    string   `json:"source"`
	MedianMS  float64  `json:"median_ms"`
	MinMS     float64  `json:"min_ms"`
	PeakRSSMB float64  `json:"peak_rss_mb"`
	Outputs   []string `json:"outputs"` // WxH:bytes
	Sharp     string   `json:"sharp"`
	Vips      string   `json:"vips"`
	Mode      string   `json:"mode"`
}

// runAnchor times sharp on one photo in one mode with as many threads as the Go side gets Ps. Each photo gets its
// own node process because the anchor's peak RSS, like ours, is a process-wide high-water mark.
func runAnchor(c config, photo, mode string, procs int) (*sharpReport, error) {
	script := filepath.Join(c.shared, "bench", "sharp-anchor.sh")
	cmd := pinned(procs, script, photo)
	cmd.Env = append(os.Environ(), "N="+strconv.Itoa(c.n), "QUALITY="+strconv.Itoa(c.quality),
		"WIDTHS="+joinInts(c.widths), "SHARP_THREADS="+strconv.Itoa(procs), "MODE="+mode)
	var r sharpReport
	if err := runJSON(cmd, &r); err != nil {
		return nil, fmt.Errorf("%s MODE=%s: %w", script, mode, err)
	}
	if r.Mode != mode {
		return nil, fmt.Errorf("%s ran mode %q, not %q", script, r.Mode, mode)
	}
	return &r, nil
}

// sharpCache is where sharp-anchor.sh installs sharp; this repository's node scripts use that install through
// NODE_PATH rather than installing their own, so both time and score the same build of sharp and libvips.
func sharpCache() string {
	if d := os.Getenv("SHARP_CACHE"); d != "" {
		return d
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		home, _ := os.UserHomeDir()
		cache = filepath.Join(home, ".cache")
	}
	return filepath.Join(cache, "image-pipeline-sharp")
}

// nodeScript prepares a run of one of this repository's node scripts with the anchor's sharp.
func nodeScript(c config, procs int, name string, args ...string) (*exec.Cmd, error) {
	modules := filepath.Join(sharpCache(), "node_modules")
	if _, err := os.Stat(filepath.Join(modules, "sharp")); err != nil {
		return nil, fmt.Errorf("sharp is not installed in %s (sharp-anchor.sh installs it on its first run): %w", modules, err)
	}
	script := filepath.Join(c.scripts, name)
	if _, err := os.Stat(script); err != nil {
		return nil, fmt.Errorf("%w (run the bench from the repository root, or set -scripts)", err)
	}
	cmd := pinned(procs, "node", append([]string{script}, args...)...)
	cmd.Env = append(os.Environ(), "NODE_PATH="+modules, "SHARP_THREADS="+strconv.Itoa(procs))
	return cmd, nil
}

// sharpFiles is one line of sharp-outputs.js: the derivatives of one mode, written to files.
type sharpFiles struct {
	Mode  string `json:"mode"`
	Files []struct {
		File          string `json:"file"`
		Width, Height int
		Bytes         int `json:"bytes"`
	} `json:"files"`
}

// sharpOutputs writes sharp's derivatives of photo in both modes to dir, for scoring, and checks them against
// the sizes the anchor printed: the node script copies the anchor's two jobs, and sharp is deterministic, so any
// difference means the copies have drifted apart and the scores would be of something the anchor never timed.
func sharpOutputs(c config, photo, dir string, timed map[string]*sharpReport) (map[string][]output, error) {
	cmd, err := nodeScript(c, 1, "sharp-outputs.js", photo, dir)
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Env, "QUALITY="+strconv.Itoa(c.quality), "WIDTHS="+joinInts(c.widths),
		"MODES="+modeTypical+","+modeCascade)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("sharp-outputs.js: %w", err)
	}
	res := map[string][]output{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		var f sharpFiles
		if err := json.Unmarshal(sc.Bytes(), &f); err != nil {
			return nil, fmt.Errorf("sharp-outputs.js printed %q: %w", sc.Text(), err)
		}
		var sizes []string
		for _, o := range f.Files {
			res[f.Mode] = append(res[f.Mode], output{Width: o.Width, Height: o.Height, Bytes: o.Bytes, File: o.File})
			sizes = append(sizes, fmt.Sprintf("%dx%d:%d", o.Width, o.Height, o.Bytes))
		}
		if t := timed[f.Mode]; t != nil && strings.Join(sizes, " ") != strings.Join(t.Outputs, " ") {
			return nil, fmt.Errorf("sharp-outputs.js wrote %v in mode %s where the anchor made %v: the two scripts' jobs differ",
				sizes, f.Mode, t.Outputs)
		}
	}
	for _, m := range []string{modeTypical, modeCascade} {
		if len(res[m]) != len(c.widths) {
			return nil, fmt.Errorf("sharp-outputs.js wrote %d derivatives in mode %s, want %d", len(res[m]), m, len(c.widths))
		}
	}
	return res, nil
}

// sharpRender is the JSON line of sharp-serve.js: one on-demand render, timed.
type sharpRender struct {
	FirstMS   float64 `json:"first_ms"`
	MedianMS  float64 `json:"median_ms"`
	MinMS     float64 `json:"min_ms"`
	PeakRSSMB float64 `json:"peak_rss_mb"`
	Width     int     `json:"width"`
	Height    int     `json:"height"`
	Bytes     int     `json:"bytes"`
	Sharp     string  `json:"sharp"`
	Vips      string  `json:"vips"`
}

// runSharpRender times sharp's render of one case in a fresh node process and writes the render to out.
func runSharpRender(c config, photo string, rc renderCase, procs int, out string) (*sharpRender, error) {
	cmd, err := nodeScript(c, procs, "sharp-serve.js", photo)
	if err != nil {
		return nil, err
	}
	cmd.Env = append(cmd.Env, "WIDTH="+strconv.Itoa(rc.w), "HEIGHT="+strconv.Itoa(rc.h), "FORMAT="+rc.format,
		"QUALITY="+strconv.Itoa(rc.quality), "N="+strconv.Itoa(c.n), "OUT="+out)
	var r sharpRender
	if err := runJSON(cmd, &r); err != nil {
		return nil, fmt.Errorf("sharp-serve.js %s: %w", rc.name, err)
	}
	return &r, nil
}

// runJSON runs cmd, passing its stderr through, and decodes the one JSON line it prints.
func runJSON(cmd *exec.Cmd, v any) error {
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(out, v); err != nil {
		return fmt.Errorf("printed %q: %w", out, err)
	}
	return nil
}
