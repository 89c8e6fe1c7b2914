package colour

import (
	"fmt"
	"math"
	"sync"
)

// Grid sizes of the sampled tables, at most, per axis; a LUT profile's grid is aligned to its CLUT's nodes
// (see grid). lcms precalculates 33 points per axis for RGB and 17 for CMYK by default, and 49 and 23 with
// HIGHRESPRECALC. RGB uses 49: what follows an RGB profile's CLUT (M and B curves, a matrix) can bend enough
// within a cell that 33 points leave 3.5 steps of error on jpegli's XYB profile, 49 points 1.4. A CMYK
// profile's CLUT is followed by little more than the Lab-to-XYZ curve, which 17 points follow to within 1.6
// steps (ghostscript's default CMYK); 23 would cost 3.4 times the memory and build time.
const (
	gridRGB  = 49
	gridCMYK = 17
)

// Transform converts pixels described by one profile to sRGB. It holds only precomputed tables, so it is safe for
// concurrent use; build it once per image (ToSRGB caches it per profile) and apply it to the decoded frame.
type Transform struct {
	space    Space
	identity bool

	shaper *shaper // RGB matrix/TRC profiles: exact per-channel tables around a fixed-point matrix
	grid   *grid   // LUT-based RGB and all CMYK profiles: a sampled grid, tetrahedral interpolation

	// gray8 maps a gray value to sRGB gray: the gray profile's TRC, or an RGB profile's neutral axis. gray16 is
	// the same at 4096 intervals in 8.8 fixed point, interpolated for 16-bit gray.
	gray8  [256]uint8
	gray16 []uint16
}

// ToSRGB builds the transform from the profile's device values to sRGB with the perceptual intent and black point
// compensation, as ImageMagick's -profile does with lcms and a v4 sRGB profile. An sRGB-equivalent profile
// gives an identity transform, whose Apply returns the image unchanged. Transforms are cached by profile content,
// since a warm Lambda sees the same camera and phone profiles over and over.
func (p *Profile) ToSRGB() (*Transform, error) {
	switch {
	case p.space == OtherSpace:
		return nil, fmt.Errorf("%w: device space is not RGB, gray or CMYK", ErrUnsupported)
	case p.class == classLink || p.class == classAbstract || p.class == classNamed:
		return nil, fmt.Errorf("%w: device link, abstract and named-colour profiles", ErrUnsupported)
	}
	if t := cache.get(p.sum); t != nil {
		return t, nil
	}
	t := p.build()
	cache.put(p.sum, t)
	return t, nil
}

func (p *Profile) build() *Transform {
	t := &Transform{space: p.space}
	if p.IsSRGB() {
		t.identity = true
		for i := range t.gray8 {
			t.gray8[i] = uint8(i)
		}
		return t
	}
	m := newModel(p)
	switch {
	case p.space == CMYK:
		t.grid = sampleGrid(m, 4, gridCMYK)
		return t
	case p.space == Gray:
		for i := range t.gray8 {
			t.gray8[i] = uint8(math.Round(255 * grayOf(m, float64(i)/255)))
		}
		t.gray16 = make([]uint16, 4097)
		for i := range t.gray16 {
			t.gray16[i] = uint16(math.Round(65280 * grayOf(m, math.Min(1, float64(i)*16/65535))))
		}
		return t
	case p.lut != nil:
		t.grid = sampleGrid(m, 3, gridRGB)
	default:
		t.shaper = newShaper(p, m)
	}
	// The neutral axis, for gray images that carry an RGB profile: the luminance of each gray's sRGB colour.
	row := make([]uint8, 3*256)
	for i := 0; i < 256; i++ {
		row[3*i], row[3*i+1], row[3*i+2] = uint8(i), uint8(i), uint8(i)
	}
	t.rgbRow(row)
	for i := range t.gray8 {
		t.gray8[i] = luma8(row[3*i], row[3*i+1], row[3*i+2])
	}
	return t
}

// grayOf is the sRGB-encoded gray of a gray device value: the luminance of its (nearly neutral) sRGB colour.
func grayOf(m *model, v float64) float64 {
	l := m.linear([]float64{v})
	return srgbEncode(clamp01(0.2126*l[0] + 0.7152*l[1] + 0.0722*l[2]))
}

// luma8 is the sRGB-encoded luminance of an sRGB colour.
func luma8(r, g, b uint8) uint8 {
	d := func(v uint8) float64 { return srgbDecode(float64(v) / 255) }
	return uint8(math.Round(255 * srgbEncode(0.2126*d(r)+0.7152*d(g)+0.0722*d(b))))
}

// IsSRGB reports whether the profile converts to sRGB as the identity within 8-bit rounding, so that a caller
// can skip the transform. The gray axis and each primary ramp must come back within half an 8-bit step, which is
// where a transfer curve that is not sRGB's shows. Colours elsewhere (a 17-point grid and the secondary ramps)
// are compared in CIELAB and must be within ΔE 0.5: comparing them per channel would reject the sRGB profiles
// that ship with Linux, whose colourants differ from the standard's in the fourth decimal, which moves the near-zero
// channels of saturated colours by an 8-bit step or so (sRGB's curve is steepest there) and nothing else.
func (p *Profile) IsSRGB() bool {
	p.srgb.once.Do(func() {
		// The check costs a few milliseconds of float math, and the profile it is most often asked about is the
		// same sRGB profile in photo after photo, each parsed afresh: remember the answer by content.
		if is, ok := cache.isSRGB(p.sum); ok {
			p.srgb.is = is
			return
		}
		p.srgb.is = p.isSRGB()
		cache.putSRGB(p.sum, p.srgb.is)
	})
	return p.srgb.is
}

func (p *Profile) isSRGB() bool {
	if p.space != RGB && p.space != Gray {
		return false
	}
	m := newModel(p)
	const tol = 0.5 / 255
	for i := 0; i < 256; i++ {
		v := float64(i) / 255
		if p.space == Gray {
			if math.Abs(grayOf(m, v)-v) > tol {
				return false
			}
			continue
		}
		for c := 0; c < 3; c++ {
			dev := []float64{0, 0, 0}
			dev[c] = v
			if math.Abs(m.encoded(dev)[c]-v) > tol {
				return false
			}
		}
		dev := []float64{v, v, v}
		o := m.encoded(dev)
		if math.Abs(o[0]-v) > tol || math.Abs(o[1]-v) > tol || math.Abs(o[2]-v) > tol {
			return false
		}
		for _, d := range [][]float64{{v, v, 0}, {0, v, v}, {v, 0, v}} {
			if deltaE(m.encoded(d), d) > 0.5 {
				return false
			}
		}
	}
	if p.space == Gray {
		return true
	}
	const n = 17
	for r := 0; r < n; r++ {
		for g := 0; g < n; g++ {
			for b := 0; b < n; b++ {
				d := []float64{float64(r) / (n - 1), float64(g) / (n - 1), float64(b) / (n - 1)}
				if deltaE(m.encoded(d), d) > 0.5 {
					return false
				}
			}
		}
	}
	return true
}

// deltaE is the CIE 1976 colour difference of two sRGB-encoded colours.
func deltaE(a [3]float64, b []float64) float64 {
	lab := func(v [3]float64) [3]float64 {
		for i := range v {
			v[i] = srgbDecode(v[i])
		}
		return xyzToLab(srgbToXYZ.apply(v))
	}
	x, y := lab(a), lab([3]float64{b[0], b[1], b[2]})
	return math.Sqrt((x[0]-y[0])*(x[0]-y[0]) + (x[1]-y[1])*(x[1]-y[1]) + (x[2]-y[2])*(x[2]-y[2]))
}

// transformCache keeps recently built transforms by profile hash. It is bounded and evicts an arbitrary entry:
// a container sees a handful of distinct profiles, so anything smarter would not pay for itself.
type transformCache struct {
	mu   sync.Mutex
	m    map[[32]byte]*Transform
	srgb map[[32]byte]bool
}

const cacheSize = 16 // a CMYK or LUT-RGB transform holds about 1.4 MB of grid

var cache = &transformCache{m: make(map[[32]byte]*Transform), srgb: make(map[[32]byte]bool)}

func (c *transformCache) isSRGB(k [32]byte) (is, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	is, ok = c.srgb[k]
	return is, ok
}

func (c *transformCache) putSRGB(k [32]byte, is bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.srgb) >= 4*cacheSize {
		for old := range c.srgb {
			delete(c.srgb, old)
			break
		}
	}
	c.srgb[k] = is
}

func (c *transformCache) get(k [32]byte) *Transform {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.m[k]
}

func (c *transformCache) put(k [32]byte, t *Transform) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= cacheSize {
		for old := range c.m {
			delete(c.m, old)
			break
		}
	}
	c.m[k] = t
}
