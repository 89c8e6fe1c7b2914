package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/imagequality"
)

// photoResult gathers everything measured for one photo.
type photoResult struct {
	name, source string
	sizeMB       float64
	ours, naive  report
	sharp        *sharpReport
	ssim         *quality // nil with -nossim
}

// runParent measures every photo and prints the tables.
func runParent(c config) error {
	photos, err := corpus(c)
	if err != nil {
		return err
	}
	if c.synthetic {
		dir, err := os.MkdirTemp("", "bench-synthetic")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		p, err := writeSynthetic(dir)
		if err != nil {
			return err
		}
		photos = append(photos, p)
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var results []photoResult
	for _, p := range photos {
		fmt.Fprintf(os.Stderr, "bench: %s\n", filepath.Base(p))
		r, err := measure(c, self, p)
		if err != nil {
			return fmt.Errorf("%s: %w", filepath.Base(p), err)
		}
		results = append(results, r)
	}
	printTables(os.Stdout, c, results)
	return nil
}

// corpus lists the photos: -photos (or $BENCH_PHOTOS), else the folder photos.sh prints.
func corpus(c config) ([]string, error) {
	dir := c.photos
	if dir == "" {
		script := filepath.Join(c.shared, "bench", "photos.sh")
		out, err := exec.Command(script).Output()
		if err != nil {
			return nil, fmt.Errorf("no -photos given and %s failed: %w", script, err)
		}
		dir = strings.TrimSpace(string(out))
	}
	var photos []string
	for _, pat := range []string{"*.jpg", "*.jpeg", "*.JPG", "*.png", "*.webp", "*.gif"} {
		m, _ := filepath.Glob(filepath.Join(dir, pat))
		photos = append(photos, m...)
	}
	if len(photos) == 0 && !c.synthetic {
		return nil, fmt.Errorf("no photos in %s", dir)
	}
	slices.Sort(photos)
	return photos, nil
}

// measure runs both implementations in their own child processes, sharp if asked, and the quality scores.
func measure(c config, self, photo string) (photoResult, error) {
	data, err := os.ReadFile(photo)
	if err != nil {
		return photoResult{}, err
	}
	r := photoResult{name: filepath.Base(photo), sizeMB: float64(len(data)) / 1e6}
	if info, err := imagefile.Inspect(data, 0); err == nil {
		w, h := info.Upright()
		r.source = fmt.Sprintf("%dx%d", w, h)
	}
	for _, impl := range []string{"ours", "naive"} {
		rep, err := runChildProcess(c, self, impl, photo)
		if err != nil {
			return r, err
		}
		if impl == "ours" {
			r.ours = rep
		} else {
			r.naive = rep
		}
	}
	if c.sharp {
		if r.sharp, err = runSharp(c, photo); err != nil {
			return r, err
		}
	}
	if !c.skipSSIM {
		q, err := scoreQuality(c, data)
		if err != nil {
			return r, err
		}
		r.ssim = &q
	}
	return r, nil
}

// runChildProcess re-executes the binary with -child, so VmHWM belongs to one implementation on one photo.
func runChildProcess(c config, self, impl, photo string) (report, error) {
	widths := make([]string, len(c.widths))
	for i, w := range c.widths {
		widths[i] = strconv.Itoa(w)
	}
	cmd := exec.Command(self, "-child", "-impl", impl, "-photo", photo, "-n", strconv.Itoa(c.n),
		"-gomaxprocs", strconv.Itoa(c.gomaxprocs), "-quality", strconv.Itoa(c.quality),
		"-widths", strings.Join(widths, ","))
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(c.gomaxprocs))
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return report{}, fmt.Errorf("%s child: %w", impl, err)
	}
	var rep report
	return rep, json.Unmarshal(out, &rep)
}

// quality holds the lowest SSIM over a photo's derivatives.
type quality struct {
	ours     float64 // ours against the reference encoded like ours: what the pipeline's shortcuts cost
	oursAbs  float64 // ours against the unencoded reference, JPEG loss included
	naiveAbs float64 // the same for the baseline, to show how much of that is the encoder's
}

// scoreQuality scores each derivative against the reference: the full-resolution standard decode, oriented,
// resized with Lanczos to the derivative's size. That is exactly what the naive baseline encodes, so the naive
// derivative, decoded, is the reference after the same encoder at the same quality, and comparing ours with it
// isolates what the faster decode and resize cost. The scores against the unencoded reference add the JPEG loss,
// which is the same for every pipeline using this encoder and quality.
func scoreQuality(c config, data []byte) (quality, error) {
	q := quality{ours: math.Inf(1), oursAbs: math.Inf(1), naiveAbs: math.Inf(1)}
	ref, err := naiveReference(data)
	if err != nil {
		return q, err
	}
	o, _, err := ours(data, c.widths, c.quality)
	if err != nil {
		return q, err
	}
	n, _, err := naive(data, c.widths, c.quality)
	if err != nil {
		return q, err
	}
	for i, w := range c.widths {
		want := naiveResize(ref, w)
		oi, err := decodeOutput(o[i])
		if err != nil {
			return q, err
		}
		ni, err := decodeOutput(n[i])
		if err != nil {
			return q, err
		}
		for _, s := range []struct {
			a, b image.Image
			into *float64
		}{{oi, ni, &q.ours}, {oi, want, &q.oursAbs}, {ni, want, &q.naiveAbs}} {
			v, err := imagequality.SSIM(s.a, s.b)
			if err != nil {
				return q, fmt.Errorf("derivative %d: %w", w, err)
			}
			*s.into = min(*s.into, v)
		}
	}
	return q, nil
}

func decodeOutput(o output) (image.Image, error) {
	img, _, err := image.Decode(bytes.NewReader(o.Data))
	return img, err
}
