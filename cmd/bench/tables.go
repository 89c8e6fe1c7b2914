package main

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// printTables writes the results as Markdown: the comparison, the stage split, and the output sizes.
func printTables(w io.Writer, c config, rs []photoResult) {
	fmt.Fprintf(w, "GOMAXPROCS=%d, %d timed runs after a warm-up, JPEG quality %d, widths %v. Times are medians (min).\n",
		c.gomaxprocs, c.n, c.quality, c.widths)
	fmt.Fprintln(w, "Min SSIM: lowest luma SSIM over the derivatives against the reference (full-resolution decode, oriented,")
	fmt.Fprintln(w, "Lanczos) encoded like ours; abs SSIM: against the unencoded reference, so JPEG loss included.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| photo | source | ours ms | naive ms | ours/naive | sharp ms | ours/sharp | ours heap MB | ours RSS MB | naive RSS MB | sharp RSS MB | RSS ours/sharp | min SSIM | abs SSIM ours | abs SSIM naive |")
	fmt.Fprintln(w, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	var oursMS, naiveRatio, sharpRatio, rssRatio, ssim []float64
	for _, r := range rs {
		sharpMS, sharpRatioS, sharpRSS, rssRatioS := "-", "-", "-", "-"
		if r.sharp != nil {
			sharpMS = fmt.Sprintf("%.0f (%.0f)", r.sharp.MedianMS, r.sharp.MinMS)
			sharpRatioS = fmt.Sprintf("%.2f", r.ours.MedianMS/r.sharp.MedianMS)
			sharpRSS = fmt.Sprintf("%.0f", r.sharp.PeakRSSMB)
			rssRatioS = fmt.Sprintf("%.2f", r.ours.PeakRSSMB/r.sharp.PeakRSSMB)
			sharpRatio = append(sharpRatio, r.ours.MedianMS/r.sharp.MedianMS)
			rssRatio = append(rssRatio, r.ours.PeakRSSMB/r.sharp.PeakRSSMB)
		}
		ssimS, absO, absN := "-", "-", "-"
		if r.ssim != nil {
			ssimS = fmt.Sprintf("%.4f", r.ssim.ours)
			absO, absN = fmt.Sprintf("%.4f", r.ssim.oursAbs), fmt.Sprintf("%.4f", r.ssim.naiveAbs)
			ssim = append(ssim, r.ssim.ours)
		}
		oursMS = append(oursMS, r.ours.MedianMS)
		naiveRatio = append(naiveRatio, r.ours.MedianMS/r.naive.MedianMS)
		fmt.Fprintf(w, "| %s | %s, %.1f MB | %.0f (%.0f) | %.0f (%.0f) | %.2f | %s | %s | %.0f | %.0f | %.0f | %s | %s | %s | %s | %s |\n",
			r.name, r.source, r.sizeMB, r.ours.MedianMS, r.ours.MinMS, r.naive.MedianMS, r.naive.MinMS,
			r.ours.MedianMS/r.naive.MedianMS, sharpMS, sharpRatioS, r.ours.PeakHeapMB, r.ours.PeakRSSMB,
			r.naive.PeakRSSMB, sharpRSS, rssRatioS, ssimS, absO, absN)
	}
	fmt.Fprintf(w, "| **median** (SSIM: min) | | %.0f | | %.2f | | %s | | | | | %s | %s | | |\n\n",
		median(oursMS), median(naiveRatio), orDash(sharpRatio, median), orDash(rssRatio, median),
		orDash(ssim, slices.Min[[]float64]))

	fmt.Fprintln(w, "Stage split, median ms (decode / resize / encode):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| photo | ours decode | ours resize | ours encode | naive decode | naive resize | naive encode |")
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	for _, r := range rs {
		fmt.Fprintf(w, "| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f |\n", r.name, r.ours.DecodeMS, r.ours.ResizeMS,
			r.ours.EncodeMS, r.naive.DecodeMS, r.naive.ResizeMS, r.naive.EncodeMS)
	}
	fmt.Fprintln(w)

	fmt.Fprintln(w, "Output bytes per derivative (WxH:bytes):")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| photo | ours | naive | sharp |")
	fmt.Fprintln(w, "|---|---|---|---|")
	for _, r := range rs {
		s := "-"
		if r.sharp != nil {
			s = strings.Join(r.sharp.Outputs, " ")
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s |\n", r.name, outputs(r.ours.Outputs), outputs(r.naive.Outputs), s)
	}
}

func outputs(os []output) string {
	parts := make([]string, len(os))
	for i, o := range os {
		parts[i] = fmt.Sprintf("%dx%d:%d", o.Width, o.Height, o.Bytes)
	}
	return strings.Join(parts, " ")
}

func orDash(v []float64, f func([]float64) float64) string {
	if len(v) == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", f(v))
}
