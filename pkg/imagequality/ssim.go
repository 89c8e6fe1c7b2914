package imagequality

import (
	"errors"
	"image"
	"math"
)

// ErrSize is returned when the two images do not have the same size: a score would compare misaligned pixels.
var ErrSize = errors.New("imagequality: images differ in size")

// The paper's constants: the window, and the stabilisers C1 = (K1 L)^2 and C2 = (K2 L)^2 for L = 255.
const (
	windowRadius = 5
	windowSigma  = 1.5
	c1           = (0.01 * 255) * (0.01 * 255)
	c2           = (0.03 * 255) * (0.03 * 255)
)

// SSIM returns the mean structural similarity of the luma of a and b: 1 for identical images, lower as structure
// is lost. Windows are clipped at the borders rather than dropped, so small derivatives keep every pixel in the
// score.
func SSIM(a, b image.Image) (float64, error) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 0, ErrSize
	}
	x, w, h := luma(a)
	y, _, _ := luma(b)
	xx, yy, xy := make([]float64, len(x)), make([]float64, len(x)), make([]float64, len(x))
	for i := range x {
		xx[i], yy[i], xy[i] = x[i]*x[i], y[i]*y[i], x[i]*y[i]
	}
	k := gaussian()
	mx, my := blur(x, w, h, k), blur(y, w, h, k)
	sxx, syy, sxy := blur(xx, w, h, k), blur(yy, w, h, k), blur(xy, w, h, k)
	var sum float64
	for i := range mx {
		vx, vy, cov := sxx[i]-mx[i]*mx[i], syy[i]-my[i]*my[i], sxy[i]-mx[i]*my[i]
		sum += (2*mx[i]*my[i] + c1) * (2*cov + c2) / ((mx[i]*mx[i] + my[i]*my[i] + c1) * (vx + vy + c2))
	}
	return sum / float64(len(mx)), nil
}

// PSNR returns the peak signal-to-noise ratio of the luma of a and b in dB, +Inf for identical images.
func PSNR(a, b image.Image) (float64, error) {
	if a.Bounds().Size() != b.Bounds().Size() {
		return 0, ErrSize
	}
	x, _, _ := luma(a)
	y, _, _ := luma(b)
	var se float64
	for i := range x {
		d := x[i] - y[i]
		se += d * d
	}
	if se == 0 {
		return math.Inf(1), nil
	}
	return 10 * math.Log10(255*255*float64(len(x))/se), nil
}

// gaussian returns the normalised 1-D window; the 2-D window is its outer product.
func gaussian() []float64 {
	k := make([]float64, 2*windowRadius+1)
	var sum float64
	for i := range k {
		d := float64(i - windowRadius)
		k[i] = math.Exp(-d * d / (2 * windowSigma * windowSigma))
		sum += k[i]
	}
	for i := range k {
		k[i] /= sum
	}
	return k
}

// blur convolves p with the separable window k. At the borders the window is clipped and renormalised, so the
// local statistics stay unbiased there.
func blur(p []float64, w, h int, k []float64) []float64 {
	r := len(k) / 2
	tmp := make([]float64, len(p))
	for y := range h {
		row := p[y*w : y*w+w]
		for x := range w {
			var s, n float64
			for i := max(0, x-r); i <= min(w-1, x+r); i++ {
				s += k[i-x+r] * row[i]
				n += k[i-x+r]
			}
			tmp[y*w+x] = s / n
		}
	}
	out := make([]float64, len(p))
	for y := range h {
		lo, hi := max(0, y-r), min(h-1, y+r)
		for x := range w {
			var s, n float64
			for i := lo; i <= hi; i++ {
				s += k[i-y+r] * tmp[i*w+x]
				n += k[i-y+r]
			}
			out[y*w+x] = s / n
		}
	}
	return out
}
