package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// photoResult gathers everything measured for one photo.
type photoResult struct {
	name, source     string
	sizeMB           float64
	pixels           int
	ours, naive      report
	typical, cascade *sharpReport    // nil without -sharp
	at               map[int]procRun // the speed-up runs, by thread count
	q                *scores         // nil with -nossim
}

// procRun is the job timed at another thread count, for the speed-up table.
type procRun struct {
	ours             report
	typical, cascade *sharpReport
}

// runParent measures every photo and prints the tables.
func runParent(c config) error {
	photos, err := corpus(c)
	if err != nil {
		return err
	}
	work, err := os.MkdirTemp("", "bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if c.synthetic && c.job {
		p, err := writeSynthetic(work)
		if err != nil {
			return err
		}
		photos = append(photos, p)
	}
	if c.profileDir != "" {
		if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
			return err
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	var results []photoResult
	if c.job {
		for _, p := range photos {
			fmt.Fprintf(os.Stderr, "bench: %s\n", filepath.Base(p))
			dir := filepath.Join(work, strings.TrimSuffix(filepath.Base(p), filepath.Ext(p)))
			if err := os.Mkdir(dir, 0o755); err != nil {
				return err
			}
			r, err := measure(c, self, p, dir)
			if err != nil {
				return fmt.Errorf("%s: %w", filepath.Base(p), err)
			}
			results = append(results, r)
		}
	}
	var sv *serveResult
	if c.serve {
		if sv, err = serveBench(c, self, photos, work); err != nil {
			return fmt.Errorf("serve: %w", err)
		}
	}
	var fr *formatsResult
	if c.formats {
		if fr, err = formatsBench(c, self, photos, work); err != nil {
			return fmt.Errorf("formats: %w", err)
		}
	}
	printReport(os.Stdout, c, results, sv, fr)
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

// measure runs every implementation on one photo, each in its own process, then scores the outputs. dir holds
// the outputs for the scoring.
func measure(c config, self, photo, dir string) (photoResult, error) {
	data, err := os.ReadFile(photo)
	if err != nil {
		return photoResult{}, err
	}
	r := photoResult{name: filepath.Base(photo), sizeMB: float64(len(data)) / 1e6, at: map[int]procRun{}}
	if info, err := imagefile.Inspect(data, 0); err == nil {
		w, h := info.Upright()
		r.source, r.pixels = fmt.Sprintf("%dx%d", w, h), w*h
	}
	main := c.procs[0]
	profile := ""
	if c.profileDir != "" {
		profile = filepath.Join(c.profileDir, strings.TrimSuffix(r.name, filepath.Ext(r.name))+".prof")
	}
	if r.ours, err = runChildProcess(c, self, "ours", photo, main, c.n, "-out", dir, "-profile", profile); err != nil {
		return r, err
	}
	if r.naive, err = runChildProcess(c, self, "naive", photo, main, c.naiveN, "-out", dir); err != nil {
		return r, err
	}
	if c.sharp {
		if r.typical, err = runAnchor(c, photo, modeTypical, main); err != nil {
			return r, err
		}
		if r.cascade, err = runAnchor(c, photo, modeCascade, main); err != nil {
			return r, err
		}
	}
	for _, p := range c.speedupProcs() {
		var pr procRun
		if pr.ours, err = runChildProcess(c, self, "ours", photo, p, c.n); err != nil {
			return r, err
		}
		if c.sharp {
			if pr.typical, err = runAnchor(c, photo, modeTypical, p); err != nil {
				return r, err
			}
			if pr.cascade, err = runAnchor(c, photo, modeCascade, p); err != nil {
				return r, err
			}
		}
		r.at[p] = pr
	}
	if c.skipSSIM {
		return r, nil
	}
	var sharpOut map[string][]output
	if c.sharp {
		timed := map[string]*sharpReport{modeTypical: r.typical, modeCascade: r.cascade}
		if sharpOut, err = sharpOutputs(c, photo, dir, timed); err != nil {
			return r, err
		}
	}
	fmt.Fprintf(os.Stderr, "bench: %s: scoring\n", r.name)
	q, err := scoreJob(c, data, r.ours.Outputs, r.naive.Outputs, sharpOut)
	if err != nil {
		return r, err
	}
	r.q = &q
	return r, nil
}

// runChildProcess re-executes the binary with -child, pinned to procs CPUs with GOMAXPROCS=procs, so that VmHWM
// belongs to one implementation on one photo.
func runChildProcess(c config, self, impl, photo string, procs, n int, extra ...string) (report, error) {
	args := []string{"-child", "-impl", impl, "-photo", photo, "-n", strconv.Itoa(n),
		"-quality", strconv.Itoa(c.quality), "-widths", joinInts(c.widths)}
	cmd := pinned(procs, self, append(args, extra...)...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	var rep report
	if err := runJSON(cmd, &rep); err != nil {
		return rep, fmt.Errorf("%s child: %w", impl, err)
	}
	return rep, nil
}

// childJSON runs a child that prints some other JSON report (the webp child).
func childJSON(self string, procs int, v any, args ...string) error {
	cmd := pinned(procs, self, append([]string{"-child"}, args...)...)
	cmd.Env = append(os.Environ(), "GOMAXPROCS="+strconv.Itoa(procs))
	return runJSON(cmd, v)
}
