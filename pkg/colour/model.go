package colour

import "math"

// This file is the reference conversion: device values to sRGB in float64, the way lcms links an input profile
// to a v4 sRGB output profile with the perceptual intent. Transforms sample it into fixed-point tables once per
// profile; nothing here runs per pixel.

// lcms' fixed black point of v4 perceptual reference medium (cmsPERCEPTUAL_BLACK_X/Y/Z).
var perceptualBlack = [3]float64{0.00336, 0.0034731, 0.00287}

// maxEncodeableXYZ is the value of 1.0 in the u1Fixed15 XYZ encoding of LUT-based profiles: 0xFFFF/0x8000.
const maxEncodeableXYZ = 65535.0 / 32768

// toXYZ evaluates the profile's perceptual device-to-PCS conversion and returns D50 XYZ with white at Y = 1.
func (p *Profile) toXYZ(dev []float64) [3]float64 { return p.pcsXYZ(dev, false) }

// pcsXYZ is toXYZ, with skipA as in lut.eval.
func (p *Profile) pcsXYZ(dev []float64, skipA bool) [3]float64 {
	if p.lut != nil {
		v := p.lut.eval(dev, skipA)
		if p.pcs == sigXYZ {
			return [3]float64{v[0] * maxEncodeableXYZ, v[1] * maxEncodeableXYZ, v[2] * maxEncodeableXYZ}
		}
		s := 1.0
		if p.lut.legacy { // ICC v2 Lab: 0xFF00 is L* = 100 and a* = b* = 127
			s = 65535.0 / 65280
		}
		return labToXYZ(v[0]*s*100, v[1]*s*255-128, v[2]*s*255-128)
	}
	if p.space == Gray {
		y := p.trc[0].eval(dev[0])
		if p.pcs == sigLab {
			return labToXYZ(y*100, 0, 0)
		}
		return [3]float64{d50[0] * y, d50[1] * y, d50[2] * y}
	}
	lin := [3]float64{p.trc[0].eval(dev[0]), p.trc[1].eval(dev[1]), p.trc[2].eval(dev[2])}
	return p.matrix.apply(lin)
}

// blackPoint is lcms' cmsDetectBlackPoint for the perceptual intent in the input direction: v4 LUT profiles
// have the fixed perceptual black, everything else the XYZ of the darkest colorant (all inks, or RGB 0) made
// neutral and with L* clipped to 50.
func (p *Profile) blackPoint() [3]float64 {
	if p.version >= 4 && p.lut != nil {
		return perceptualBlack
	}
	dev := []float64{0, 0, 0}
	switch p.space {
	case CMYK:
		dev = []float64{1, 1, 1, 1}
	case Gray:
		dev = []float64{0}
	}
	lab := xyzToLab(p.toXYZ(dev))
	l := lab[0]
	switch {
	case l > 95 || l < 0 || math.IsNaN(l): // 'negative' synthetic profiles
		l = 0
	case l > 50:
		l = 50
	}
	return labToXYZ(l, 0, 0)
}

// model is a profile linked to sRGB.
type model struct {
	p            *Profile
	scale, shift [3]float64 // black point compensation in XYZ, identity when off
}

// newModel links p to sRGB. lcms always applies black point compensation to a v4 output profile with the
// perceptual intent, and the sRGB profiles ImageMagick is given (colord's, lcms' built-in) are v4, so it is
// on here too. sRGB's black is 0, so it only changes profiles whose black is not: CMYK and LUT-based ones.
func newModel(p *Profile) *model {
	m := &model{p: p, scale: [3]float64{1, 1, 1}}
	bp := p.blackPoint()
	if bp == [3]float64{} {
		return m
	}
	// Map bp to 0 and D50 to itself, linearly per XYZ channel (lcms' ComputeBlackPointCompensation).
	for i := 0; i < 3; i++ {
		t := bp[i] - d50[i]
		m.scale[i] = -d50[i] / t
		m.shift[i] = d50[i] * bp[i] / t
	}
	return m
}

// linear returns the linear-light sRGB value of a device colour, unclipped.
func (m *model) linear(dev []float64) [3]float64 { return m.linearFrom(dev, false) }

// linearFrom is linear, with skipA as in lut.eval.
func (m *model) linearFrom(dev []float64, skipA bool) [3]float64 {
	v := m.p.pcsXYZ(dev, skipA)
	for i := range v {
		v[i] = v[i]*m.scale[i] + m.shift[i]
	}
	return xyzToSRGB.apply(v)
}

// encoded returns the sRGB-encoded value of a device colour, clipped to [0, 1] per channel as lcms' float
// pipeline followed by ImageMagick's quantisation does.
func (m *model) encoded(dev []float64) [3]float64 {
	v := m.linear(dev)
	for i := range v {
		v[i] = srgbEncode(clamp01(v[i]))
	}
	return v
}
