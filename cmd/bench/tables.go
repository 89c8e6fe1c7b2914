package main

import (
	"fmt"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
	"io"
	"math"
	"slices"
	"strings"
)

// table is one Markdown table: a header, then rows of cells. Columns after the first two are numbers, right-aligned.
type table struct {
	head []string
	rows [][]string
}

func (t *table) add(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) print(w io.Writer) {
	fmt.Fprintf(w, "| %s |\n", strings.Join(t.head, " | "))
	align := make([]string, len(t.head))
	for i := range align {
		align[i] = "--:"
		if i < 2 {
			align[i] = "---"
		}
	}
	fmt.Fprintf(w, "|%s|\n", strings.Join(align, "|"))
	for _, r := range t.rows {
		fmt.Fprintf(w, "| %s |\n", strings.Join(r, " | "))
	}
	fmt.Fprintln(w)
}

// Cell formats. A missing figure is a dash.
func msCell(median, min float64) string { return fmt.Sprintf("%.0f (%.0f)", median, min) }
func f0(v float64) string               { return fmt.Sprintf("%.0f", v) }
func f2(v float64) string               { return fmt.Sprintf("%.2f", v) }
func ssimCell(v float64) string         { return fmt.Sprintf("%.4f", v) }
func ratio(a, b float64) string         { return fmt.Sprintf("%.2f", a/b) }

// shortName drops the photographer's credit from a corpus file name, for narrow tables.
func shortName(name string) string {
	name = strings.TrimSuffix(name, ".jpg")
	if i := strings.Index(name, "_by_"); i > 0 {
		return name[:i]
	}
	return name
}

// synthetic reports whether a result is the generated 50 MP frame, which the goals leave out: they are about
// photos, and it is hash noise.
func (r photoResult) synthetic() bool { return strings.HasPrefix(r.name, "synthetic") }

// printReport writes every table: the job's, the speed-up, the serve bench, and the goals.
func printReport(w io.Writer, c config, rs []photoResult, sv *serveResult, fr *formatsResult) {
	procs := append([]int{c.procs[0]}, c.speedupProcs()...)
	fmt.Fprintln(w, host.heading(procs))
	if v := sharpVersion(rs, sv); v != "" {
		fmt.Fprintf(w, "%s.\n", v)
	}
	fmt.Fprintln(w)
	if len(rs) > 0 {
		printJob(w, c, rs)
	}
	if sv != nil {
		printServe(w, c, sv)
	}
	if fr != nil {
		printFormats(w, c, fr)
	}
	if len(rs) > 0 || sv != nil {
		printGoals(w, c, rs, sv)
	}
}

func sharpVersion(rs []photoResult, sv *serveResult) string {
	for _, r := range rs {
		if r.cascade != nil {
			return fmt.Sprintf("sharp %s (libvips %s)", r.cascade.Sharp, r.cascade.Vips)
		}
	}
	if sv != nil {
		for _, rr := range sv.renders {
			if rr.sharp != nil {
				return fmt.Sprintf("sharp %s (libvips %s)", rr.sharp.Sharp, rr.sharp.Vips)
			}
		}
	}
	return ""
}

// printJob writes the resize job's tables: time, stages, memory, bytes at quality, and the speed-up.
func printJob(w io.Writer, c config, rs []photoResult) {
	fmt.Fprintf(w, "**The resize job** (widths %s, JPEG quality %d): GOMAXPROCS=%d and %d sharp thread(s); %d timed runs "+
		"after a warm-up (naive: %d). Times are medians (min in brackets), in ms. sharp typical is three pipelines, "+
		"one per width, each decoding the photo; sharp cascade is libvips at its best for this job: one "+
		"shrink-on-load decode to the largest width, kept raw, each width resized and encoded from it.\n\n",
		joinInts(c.widths), c.quality, c.procs[0], c.procs[0], c.n, c.naiveN)

	t := table{head: []string{"photo", "source", "ours", "naive", "sharp typical", "sharp cascade", "ours/naive",
		"ours/typical", "ours/cascade", "min SSIM"}}
	var col [4][]float64
	for _, r := range rs {
		typ, casc, rt, rc := "-", "-", "-", "-"
		if r.cascade != nil {
			typ, casc = msCell(r.typical.MedianMS, r.typical.MinMS), msCell(r.cascade.MedianMS, r.cascade.MinMS)
			rt, rc = ratio(r.ours.MedianMS, r.typical.MedianMS), ratio(r.ours.MedianMS, r.cascade.MedianMS)
			col[1] = append(col[1], r.ours.MedianMS/r.typical.MedianMS)
			col[2] = append(col[2], r.ours.MedianMS/r.cascade.MedianMS)
		}
		q := "-"
		if r.q != nil {
			q = ssimCell(r.q.minEncRef())
			col[3] = append(col[3], r.q.minEncRef())
		}
		col[0] = append(col[0], r.ours.MedianMS/r.naive.MedianMS)
		t.add(shortName(r.name), fmt.Sprintf("%s, %.1f MB", r.source, r.sizeMB), msCell(r.ours.MedianMS, r.ours.MinMS),
			msCell(r.naive.MedianMS, r.naive.MinMS), typ, casc, ratio(r.ours.MedianMS, r.naive.MedianMS), rt, rc, q)
	}
	t.add("**median** (SSIM: min)", "", "", "", "", "", orDash(col[0], median), orDash(col[1], median),
		orDash(col[2], median), orDash4(col[3], slices.Min[[]float64]))
	t.print(w)
	fmt.Fprintln(w, "min SSIM is the lowest over the photo's derivatives of ours against the reference after the same "+
		"JPEG encoding (the naive baseline's output), as the README has always reported it.")
	fmt.Fprintln(w)

	fmt.Fprintln(w, "**Where the time goes**, median ms per stage (imageproc.Result.Stages; each stage's own median, so "+
		"they need not add up to the total):")
	fmt.Fprintln(w)
	t = table{head: []string{"photo", "decoded", "decode", "colour", "resize", "encode", "total",
		"naive decode", "naive resize", "naive encode"}}
	for _, r := range rs {
		s, n := r.ours.Stages, r.naive.Stages
		t.add(shortName(r.name), r.source, f0(s.Decode), f0(s.Colour), f0(s.Resize), f0(s.Encode), f0(r.ours.MedianMS),
			f0(n.Decode), f0(n.Resize), f0(n.Encode))
	}
	t.print(w)

	fmt.Fprintln(w, "**Peak memory**, MB: RSS is the child's VmHWM (sharp's: the node process's peak RSS); heap is the "+
		"peak of Go's heap objects during one run.")
	fmt.Fprintln(w)
	t = table{head: []string{"photo", "source", "ours heap", "ours RSS", "naive RSS", "sharp typical RSS",
		"sharp cascade RSS", "RSS ours/typical", "RSS ours/cascade"}}
	var rt, rc []float64
	for _, r := range rs {
		typ, casc, a, b := "-", "-", "-", "-"
		if r.cascade != nil {
			typ, casc = f0(r.typical.PeakRSSMB), f0(r.cascade.PeakRSSMB)
			a, b = ratio(r.ours.PeakRSSMB, r.typical.PeakRSSMB), ratio(r.ours.PeakRSSMB, r.cascade.PeakRSSMB)
			rt, rc = append(rt, r.ours.PeakRSSMB/r.typical.PeakRSSMB), append(rc, r.ours.PeakRSSMB/r.cascade.PeakRSSMB)
		}
		t.add(shortName(r.name), r.source, f0(r.ours.PeakHeapMB), f0(r.ours.PeakRSSMB), f0(r.naive.PeakRSSMB), typ, casc, a, b)
	}
	t.add("**median**", "", "", "", "", "", "", orDash(rt, median), orDash(rc, median))
	t.print(w)

	if rs[0].q != nil {
		printBytes(w, c, rs)
	}
	if len(c.speedupProcs()) > 0 {
		printSpeedup(w, c, rs)
	}
}

// printBytes writes the bytes-at-quality table: every derivative's size and SSIM, ours and sharp's, and our bytes
// at exactly sharp's SSIM.
func printBytes(w io.Writer, c config, rs []photoResult) {
	fmt.Fprintln(w, "**Bytes at quality.** SSIM is luma SSIM of each derivative, decoded, against the unencoded reference: the "+
		"full-resolution standard decode, oriented, Lanczos to the derivative's size. The same score for every "+
		"implementation, so sharp's files are judged as ours are.")
	if c.rd {
		qs := make([]int, len(rdQualities))
		for i, d := range rdQualities {
			qs[i] = c.quality + d
		}
		fmt.Fprintf(w, "*at equal SSIM* is our bytes at exactly sharp's SSIM, interpolated between our encodes at quality "+
			"%s and %d, over sharp's bytes: below 1.00 means our file is smaller at the same quality (< or > when "+
			"sharp's SSIM lies outside that range).\n", joinInts(qs), c.quality)
	}
	fmt.Fprintln(w)
	t := table{head: []string{"photo", "size", "ours bytes", "ours SSIM", "typical bytes", "typical SSIM",
		"cascade bytes", "cascade SSIM", "ours/typical bytes", "ours/cascade bytes", "at equal SSIM: /typical",
		"/cascade", "naive SSIM"}}
	for _, r := range rs {
		for _, d := range r.q.d {
			cells := []string{shortName(r.name), fmt.Sprintf("%dx%d", d.ours.w, d.ours.h), fmt.Sprint(d.ours.bytes),
				ssimCell(d.ours.ssim)}
			if d.cascade != nil {
				cells = append(cells, fmt.Sprint(d.typical.bytes), ssimCell(d.typical.ssim), fmt.Sprint(d.cascade.bytes),
					ssimCell(d.cascade.ssim), ratio(float64(d.ours.bytes), float64(d.typical.bytes)),
					ratio(float64(d.ours.bytes), float64(d.cascade.bytes)),
					rdCell(d.atTypical, d.typical.bytes, c.rd), rdCell(d.atCasc, d.cascade.bytes, c.rd))
			} else {
				cells = append(cells, "-", "-", "-", "-", "-", "-", "-", "-")
			}
			t.add(append(cells, ssimCell(d.naive.ssim))...)
		}
	}
	t.print(w)
}

// rdCell is our bytes at sharp's SSIM over sharp's bytes.
func rdCell(p rdPoint, sharpBytes int, rd bool) string {
	if !rd || p.bytes == 0 {
		return "-"
	}
	s := ratio(p.bytes, float64(sharpBytes))
	switch {
	case p.below:
		return "< " + s
	case p.above:
		return "> " + s
	}
	return s
}

// printSpeedup writes the job at every thread count.
func printSpeedup(w io.Writer, c config, rs []photoResult) {
	procs := append([]int{c.procs[0]}, c.speedupProcs()...)
	slices.Sort(procs)
	at := func(r photoResult, p int) procRun {
		if p == c.procs[0] {
			return procRun{ours: r.ours, typical: r.typical, cascade: r.cascade}
		}
		return r.at[p]
	}
	lo, hi := procs[0], procs[len(procs)-1]
	fmt.Fprintf(w, "**Speed-up from %d to %d cores** (GOMAXPROCS and sharp's threads; each child pinned to that many CPUs), "+
		"median ms:\n\n", lo, hi)
	t := table{head: []string{"photo", "source"}}
	for _, who := range []string{"ours", "sharp cascade", "sharp typical"} {
		for _, p := range procs {
			t.head = append(t.head, fmt.Sprintf("%s %d", who, p))
		}
		t.head = append(t.head, who+" speed-up")
	}
	t.head = append(t.head, fmt.Sprintf("ours/cascade at %d", hi))
	var sp [3][]float64
	for _, r := range rs {
		cells := []string{shortName(r.name), r.source}
		for i, get := range []func(procRun) (float64, bool){
			func(p procRun) (float64, bool) { return p.ours.MedianMS, true },
			func(p procRun) (float64, bool) { return sharpMS(p.cascade) },
			func(p procRun) (float64, bool) { return sharpMS(p.typical) },
		} {
			for _, p := range procs {
				v, ok := get(at(r, p))
				cells = append(cells, dashIf(!ok, f0(v)))
			}
			a, okA := get(at(r, lo))
			b, okB := get(at(r, hi))
			cells = append(cells, dashIf(!okA || !okB, ratio(a, b)))
			if okA && okB {
				sp[i] = append(sp[i], a/b)
			}
		}
		o, _ := sharpMS(at(r, hi).cascade)
		cells = append(cells, dashIf(o == 0, ratio(at(r, hi).ours.MedianMS, o)))
		t.add(cells...)
	}
	median := []string{"**median**", ""}
	for i := range sp {
		median = append(median, slices.Repeat([]string{""}, len(procs))...)
		median = append(median, orDash(sp[i], medianOf))
	}
	t.add(append(median, "")...)
	t.print(w)
}

func sharpMS(r *sharpReport) (float64, bool) {
	if r == nil {
		return 0, false
	}
	return r.MedianMS, true
}

func dashIf(dash bool, s string) string {
	if dash {
		return "-"
	}
	return s
}

// medianOf is median, named apart from the local variables called median.
func medianOf(v []float64) float64 { return median(v) }

func orDash(v []float64, f func([]float64) float64) string {
	if len(v) == 0 {
		return "-"
	}
	return f2(f(v))
}

func orDash4(v []float64, f func([]float64) float64) string {
	if len(v) == 0 {
		return "-"
	}
	return ssimCell(f(v))
}

// printServe writes the serve bench: the four renders, the WebP cold start and the methods.
func printServe(w io.Writer, c config, sv *serveResult) {
	fmt.Fprintf(w, "**On-demand render** (the serve function's core, issue 9): %s (%s), one render per request, GOMAXPROCS=%d "+
		"and %d sharp thread(s). ours is imageproc.Process with one target; sharp is sharp(buf).rotate().resize(w, h)"+
		".jpeg({quality}) or .webp({quality}) with its defaults (fit cover, WebP effort 4). first is the first render "+
		"in a fresh process; ms is the median (min) of %d after it. SSIM as above, against the reference cropped "+
		"and resized the same way.\n\n", shortName(sv.photo), sv.source, sv.procs, sv.procs, c.n)
	t := table{head: []string{"render", "quality", "ours ms", "ours first", "ours decode / resize / encode", "sharp ms",
		"sharp first", "ours/sharp", "ours bytes", "sharp bytes", "ours SSIM", "sharp SSIM", "ours RSS MB", "sharp RSS MB"}}
	for _, rr := range sv.renders {
		s := rr.ours.Stages
		cells := []string{rr.rc.name, fmt.Sprint(rr.rc.quality), msCell(rr.ours.MedianMS, rr.ours.MinMS), f0(rr.ours.FirstMS),
			fmt.Sprintf("%.0f / %.0f / %.0f", s.Decode+s.Colour, s.Resize, s.Encode)}
		if sh := rr.sharp; sh != nil {
			cells = append(cells, msCell(sh.MedianMS, sh.MinMS), f0(sh.FirstMS), "**"+ratio(rr.ours.MedianMS, sh.MedianMS)+"**")
		} else {
			cells = append(cells, "-", "-", "-")
		}
		cells = append(cells, fmt.Sprint(rr.oursQ.bytes), dashIf(rr.sharp == nil, fmt.Sprint(rr.sharpQ.bytes)),
			ssimCell(rr.oursQ.ssim), dashIf(rr.sharp == nil, ssimCell(rr.sharpQ.ssim)), f0(rr.ours.PeakRSSMB))
		if rr.sharp != nil {
			cells = append(cells, f0(rr.sharp.PeakRSSMB))
		} else {
			cells = append(cells, "-")
		}
		t.add(cells...)
	}
	t.print(w)

	wp := sv.webp
	engine := "WebAssembly under wazero"
	if wp.Native {
		engine = "a system libwebp (build with -tags nodynamic for Lambda's WebAssembly figures)"
	}
	fmt.Fprintf(w, "**WebP encoder cold start** (github.com/gen2brain/webp, %s): the first encode in a fresh process, of a "+
		"64x64 frame, took %.0f ms, the next %.1f ms, so the one-time cost is about **%.0f ms**.",
		engine, wp.ColdMS, wp.WarmMS, wp.ColdMS-wp.WarmMS)
	for _, rr := range sv.renders {
		if rr.rc.format == "webp" {
			fmt.Fprintf(w, " %s: first render %.0f ms (encode %.0f ms), then %.0f ms (encode %.0f ms).", rr.rc.name,
				rr.ours.FirstMS, rr.ours.FirstStages.Encode, rr.ours.MedianMS, rr.ours.Stages.Encode)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w)

	fmt.Fprintf(w, "**WebP methods** at quality %d on the %dx%d frame of %s (1 core, median (min) of up to 5 encodes "+
		"after a warm-up; imageproc.WebPMethod, which the serve function and FORMATS=webp use, is %d):\n\n",
		wp.Quality, wp.Width, wp.Height, shortName(sv.photo), imageproc.WebPMethod)
	t = table{head: []string{"method", "", "ms", "bytes", "SSIM", "time / method 0", "bytes / method 0"}}
	for i, m := range wp.Methods {
		m0 := wp.Methods[0]
		mark := ""
		if m.Method == imageproc.WebPMethod {
			mark = "**used**"
		}
		t.add(fmt.Sprint(m.Method), mark, msCell(m.MedianMS, m.MinMS), fmt.Sprint(m.Bytes), ssimCell(sv.methodQ[i].ssim),
			ratio(m.MedianMS, m0.MedianMS), ratio(float64(m.Bytes), float64(m0.Bytes)))
	}
	t.print(w)
}

// printGoals checks the figures against issue 12's goals (and issue 9's for the serve bench), over the photos.
func printGoals(w io.Writer, c config, rs []photoResult, sv *serveResult) {
	fmt.Fprintln(w, "**Goals** (issue 12 over the corpus' photos, the synthetic frame left out; issue 9 for the serve bench):")
	fmt.Fprintln(w)
	t := table{head: []string{"goal", "result", "met"}}
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "**no**"
	}
	var photos []photoResult
	for _, r := range rs {
		if !r.synthetic() {
			photos = append(photos, r)
		}
	}
	list := func(items []string) string {
		if len(items) == 0 {
			return "none"
		}
		return strings.Join(items, ", ")
	}
	if len(photos) > 0 && photos[0].cascade != nil {
		var ratios []float64
		var over []string
		worst := 0.0
		for _, r := range photos {
			x := r.ours.MedianMS / r.cascade.MedianMS
			ratios = append(ratios, x)
			worst = max(worst, x)
			if x > 1.2 {
				over = append(over, fmt.Sprintf("%s %.2f", shortName(r.name), x))
			}
		}
		m := median(ratios)
		t.add(fmt.Sprintf("median ours/sharp-cascade ≤ 1.0 (GOMAXPROCS=%d)", c.procs[0]), f2(m), yes(m <= 1))
		t.add("no photo above 1.2× sharp-cascade", fmt.Sprintf("worst %.2f; above: %s", worst, list(over)), yes(len(over) == 0))
		var rss []string
		ok := true
		for _, r := range photos {
			a, b := r.ours.PeakRSSMB/r.typical.PeakRSSMB, r.ours.PeakRSSMB/r.cascade.PeakRSSMB
			if a >= 0.5 || b >= 0.5 {
				ok = false
				rss = append(rss, fmt.Sprintf("%s %.2f/%.2f", shortName(r.name), a, b))
			}
		}
		t.add("peak RSS < 0.5× sharp's (typical and cascade)", "above: "+list(rss), yes(ok))
	}
	if len(photos) > 0 && photos[0].q != nil {
		var low []string
		lowest := math.Inf(1)
		for _, r := range photos {
			v := r.q.minEncRef()
			lowest = min(lowest, v)
			if v < 0.98 {
				low = append(low, fmt.Sprintf("%s %.4f", shortName(r.name), v))
			}
		}
		t.add("min SSIM ≥ 0.98 (against the reference encoded like ours)", fmt.Sprintf("lowest %.4f; below: %s", lowest, list(low)),
			yes(len(low) == 0))
		if photos[0].q.d[0].cascade != nil {
			for _, mode := range []string{modeCascade, modeTypical} {
				var miss []string
				n := 0
				for _, r := range photos {
					for _, d := range r.q.d {
						s, at := d.cascade, d.atCasc
						if mode == modeTypical {
							s, at = d.typical, d.atTypical
						}
						n++
						// Met outright when ours is no larger and no worse; otherwise by our bytes at sharp's SSIM.
						if d.ours.bytes <= s.bytes && d.ours.ssim >= s.ssim {
							continue
						}
						if c.rd && !at.above && at.bytes > 0 && at.bytes <= float64(s.bytes) {
							continue
						}
						miss = append(miss, fmt.Sprintf("%s %d (%s, SSIM %.4f vs %.4f)", shortName(r.name), d.width,
							rdCell(at, s.bytes, c.rd), d.ours.ssim, s.ssim))
					}
				}
				t.add(fmt.Sprintf("bytes ≤ sharp-%s's at equal or better SSIM", mode),
					fmt.Sprintf("%d of %d derivatives; missed: %s", n-len(miss), n, list(miss)), yes(len(miss) == 0))
			}
		}
	}
	if sv != nil {
		for _, rr := range sv.renders {
			if rr.sharp == nil {
				continue
			}
			x := rr.ours.MedianMS / rr.sharp.MedianMS
			if rr.rc.format == "jpeg" {
				t.add("serve "+rr.rc.name+": at or under sharp's time", f2(x), yes(x <= 1))
			} else {
				t.add("serve "+rr.rc.name+": within 2× sharp's time", f2(x), yes(x <= 2))
			}
		}
	}
	t.print(w)
}
