package main

import (
	"bytes"
	"fmt"
	"image"
	_ "image/jpeg" // the derivatives, decoded to be scored
	"math"
	"os"
	"slices"

	"github.com/disintegration/imaging"
	_ "golang.org/x/image/webp" // the renders of -serve

	"github.com/imgpipe/imgpipe/pkg/imageproc"
	"github.com/imgpipe/imgpipe/pkg/imagequality"
)

// Every derivative, ours or sharp's, is scored the same way: luma SSIM of the decoded file against the unencoded
// reference at that file's size. The reference is the full-resolution standard decode, oriented, resized with
// Lanczos to the size (imaging, in float, from the full frame): nothing in it trades quality for speed. The JPEG
// loss is in every score, so the scores compare what each pipeline delivers.
//
// The score the README has always reported, min SSIM, is kept beside it: ours against the reference after the
// same JPEG encoding at the same quality (which is what the naive baseline writes). Encoding both sides cancels
// most of the JPEG loss, so it isolates what the reduced decode and the resampler cost; it is also harsher than
// the unencoded score, because two encodings of slightly different pixels do not share their errors.

// scored is one file with its quality.
type scored struct {
	w, h, bytes int
	ssim        float64
}

// derivScores are one derivative's figures for every implementation.
type derivScores struct {
	width             int // the requested width
	ours, naive       scored
	typical, cascade  *scored // nil without -sharp
	encRef            float64 // ours against the reference encoded like ours: the README's min SSIM
	atTypical, atCasc rdPoint // our bytes at exactly sharp's SSIM, from the -rd encodes
}

// scores are a photo's derivatives, in the order of -widths.
type scores struct {
	d []derivScores
}

// minEncRef is the README's min SSIM of the photo: its worst derivative.
func (s scores) minEncRef() float64 {
	m := math.Inf(1)
	for _, d := range s.d {
		m = min(m, d.encRef)
	}
	return m
}

// reference holds the full-resolution decode and its resizes, by size.
type reference struct {
	full  image.Image
	sized map[image.Point]image.Image
}

func newReference(data []byte) (*reference, error) {
	full, err := naiveReference(data)
	if err != nil {
		return nil, err
	}
	return &reference{full: full, sized: map[image.Point]image.Image{}}, nil
}

// at returns the reference at w x h: the whole picture resized, as the job's derivatives show it.
func (r *reference) at(w, h int) image.Image {
	return r.cached(image.Pt(w, h), func() image.Image {
		if b := r.full.Bounds(); b.Dx() == w && b.Dy() == h {
			return r.full
		}
		return imaging.Resize(r.full, w, h, imaging.Lanczos)
	})
}

// cover returns the reference cropped to the aspect ratio of w x h around the centre and resized to it, as sharp's
// default fit and imageproc.FitCover render it. Cover sizes never clash with whole-picture ones in the cache:
// the bench asks for cover only where the aspect ratio differs.
func (r *reference) cover(w, h int) image.Image {
	return r.cached(image.Pt(w, -h), func() image.Image { return imaging.Fill(r.full, w, h, imaging.Center, imaging.Lanczos) })
}

func (r *reference) cached(k image.Point, make func() image.Image) image.Image {
	if img, ok := r.sized[k]; ok {
		return img
	}
	img := make()
	r.sized[k] = img
	return img
}

// score decodes a file and scores it against want.
func score(o output, want func(w, h int) image.Image) (scored, error) {
	data := o.Data
	if data == nil {
		var err error
		if data, err = os.ReadFile(o.File); err != nil {
			return scored{}, err
		}
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return scored{}, err
	}
	if m, ok := img.(*image.YCbCr); ok && sniffExt(data) == "webp" {
		img = vp8Luma(m)
	}
	b := img.Bounds()
	s := scored{w: b.Dx(), h: b.Dy(), bytes: len(data)}
	if s.ssim, err = imagequality.SSIM(img, want(s.w, s.h)); err != nil {
		return s, err
	}
	return s, nil
}

// scoreJob scores a photo's derivatives: ours, the naive baseline's and, when given, sharp's in both modes, and
// with -rd ours at the other qualities that place our bytes at sharp's SSIM.
func scoreJob(c config, data []byte, ours, naive []output, sharpOut map[string][]output) (scores, error) {
	var s scores
	ref, err := newReference(data)
	if err != nil {
		return s, err
	}
	curves := make([][]rdPoint, len(c.widths))
	if c.rd && sharpOut != nil {
		if curves, err = rdCurves(c, data, ref); err != nil {
			return s, err
		}
	}
	for i, w := range c.widths {
		d := derivScores{width: w}
		if d.ours, err = score(ours[i], ref.at); err != nil {
			return s, fmt.Errorf("ours %d: %w", w, err)
		}
		if d.naive, err = score(naive[i], ref.at); err != nil {
			return s, fmt.Errorf("naive %d: %w", w, err)
		}
		// The naive derivative is the reference encoded like ours, decoded.
		naiveImg, err := decodeFile(naive[i])
		if err != nil {
			return s, err
		}
		enc, err := score(ours[i], func(int, int) image.Image { return naiveImg })
		if err != nil {
			return s, fmt.Errorf("ours %d against the encoded reference: %w", w, err)
		}
		d.encRef = enc.ssim
		for _, m := range []struct {
			mode string
			into **scored
			at   *rdPoint
		}{{modeTypical, &d.typical, &d.atTypical}, {modeCascade, &d.cascade, &d.atCasc}} {
			outs := sharpOut[m.mode]
			if outs == nil {
				continue
			}
			sc, err := score(outs[i], ref.at)
			if err != nil {
				return s, fmt.Errorf("sharp %s %d: %w", m.mode, w, err)
			}
			*m.into = &sc
			*m.at = bytesAt(append(slices.Clone(curves[i]), rdPoint{quality: c.quality, ssim: d.ours.ssim,
				bytes: float64(d.ours.bytes)}), sc.ssim)
		}
		s.d = append(s.d, d)
	}
	return s, nil
}

func decodeFile(o output) (image.Image, error) {
	data, err := os.ReadFile(o.File)
	if err != nil {
		return nil, err
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	return img, err
}

// rdQualities are the JPEG qualities, relative to -quality, at which -rd encodes ours again: enough to bracket
// sharp's SSIM on photos, where the two encoders are a few points of quality apart.
var rdQualities = []int{-8, -4, 4, 8}

// rdPoint is one encoding of a derivative: its quality setting, SSIM and bytes. From bytesAt, quality is 0 and
// below or above says that the SSIM asked for lies outside the measured range (bytes is then the nearest end).
type rdPoint struct {
	quality      int
	ssim, bytes  float64
	below, above bool
}

// rdCurves runs Process again at the rdQualities and scores every derivative of each run.
func rdCurves(c config, data []byte, ref *reference) ([][]rdPoint, error) {
	curves := make([][]rdPoint, len(c.widths))
	for _, dq := range rdQualities {
		q := min(100, max(1, c.quality+dq))
		outs, _, err := ours(data, imageproc.Widths(c.widths, q))
		if err != nil {
			return nil, err
		}
		for i, o := range outs {
			sc, err := score(o, ref.at)
			if err != nil {
				return nil, err
			}
			curves[i] = append(curves[i], rdPoint{quality: q, ssim: sc.ssim, bytes: float64(sc.bytes)})
		}
	}
	return curves, nil
}

// bytesAt interpolates the bytes of a rate-distortion curve at SSIM target, linearly between the two encodings
// that bracket it, taken in order of quality: an encoder's SSIM rises with its quality setting, not always
// strictly, so the first bracketing pair by quality is the answer.
func bytesAt(curve []rdPoint, target float64) rdPoint {
	if len(curve) == 0 {
		return rdPoint{}
	}
	slices.SortFunc(curve, func(a, b rdPoint) int { return a.quality - b.quality })
	for i := 1; i < len(curve); i++ {
		a, b := curve[i-1], curve[i]
		if lo, hi := min(a.ssim, b.ssim), max(a.ssim, b.ssim); target >= lo && target <= hi {
			t := 0.0
			if hi > lo {
				t = (target - a.ssim) / (b.ssim - a.ssim)
			}
			return rdPoint{ssim: target, bytes: a.bytes + t*(b.bytes-a.bytes)}
		}
	}
	first, last := curve[0], curve[len(curve)-1]
	if target < first.ssim {
		return rdPoint{ssim: target, bytes: first.bytes, below: true}
	}
	return rdPoint{ssim: target, bytes: last.bytes, above: true}
}

// vp8Luma is the luma a viewer sees of a lossy WebP. VP8 stores BT.601 studio-swing YUV (luma 16-235), which
// libwebp's decoder, and so every browser, expands to full range; golang.org/x/image/webp returns the stored planes
// as an image.YCbCr, which Go reads as full-range JFIF. Scored as decoded, a WebP made from RGB would lose
// contrast it does not lose on screen, and one whose planes were full range would gain it.
func vp8Luma(m *image.YCbCr) *image.Gray {
	b := m.Bounds()
	g := image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	for y := range b.Dy() {
		row := m.Y[m.YOffset(b.Min.X, b.Min.Y+y):][:b.Dx()]
		out := g.Pix[y*g.Stride:][:b.Dx()]
		for x, v := range row {
			out[x] = uint8(min(255, max(0, ((int(v)-16)*255+109)/219))) // rounded; the clamp takes the foot room
		}
	}
	return g
}
