package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// sharpReport is one JSON line of sharp-anchor.sh.
type sharpReport struct {
	Photo     string   `json:"photo"`
	Source    string   `json:"source"`
	MedianMS  float64  `json:"median_ms"`
	MinMS     float64  `json:"min_ms"`
	PeakRSSMB float64  `json:"peak_rss_mb"`
	Outputs   []string `json:"outputs"`
	Vips      string   `json:"vips"`
}

// runSharp times sharp on one photo. Each photo gets its own node process because the anchor's peak RSS, like
// ours, is a process-wide high-water mark. sharp gets as many threads as the Go side gets Ps.
func runSharp(c config, photo string) (*sharpReport, error) {
	script := filepath.Join(c.shared, "bench", "sharp-anchor.sh")
	widths := make([]string, len(c.widths))
	for i, w := range c.widths {
		widths[i] = strconv.Itoa(w)
	}
	cmd := exec.Command(script, photo)
	cmd.Env = append(os.Environ(), "N="+strconv.Itoa(c.n), "QUALITY="+strconv.Itoa(c.quality),
		"WIDTHS="+strings.Join(widths, ","), "SHARP_THREADS="+strconv.Itoa(c.gomaxprocs))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", script, err)
	}
	var r sharpReport
	if err := json.Unmarshal(out, &r); err != nil {
		return nil, fmt.Errorf("%s printed %q: %w", script, out, err)
	}
	return &r, nil
}
