package colour

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// nclxPrimaries are the chromaticities of the ColourPrimaries code points of ITU-T H.273 (red, green, blue, white
// x and y) that photos use. 2 (unspecified) is taken as BT.709, as libavif does.
var nclxPrimaries = map[uint16][8]float64{
	1:  {0.640, 0.330, 0.300, 0.600, 0.150, 0.060, 0.3127, 0.3290}, // BT.709, sRGB
	2:  {0.640, 0.330, 0.300, 0.600, 0.150, 0.060, 0.3127, 0.3290}, // unspecified
	4:  {0.67, 0.33, 0.21, 0.71, 0.14, 0.08, 0.310, 0.316},         // BT.470 System M
	5:  {0.64, 0.33, 0.29, 0.60, 0.15, 0.06, 0.3127, 0.3290},       // BT.601 625, BT.470 B/G
	6:  {0.630, 0.340, 0.310, 0.595, 0.155, 0.070, 0.3127, 0.3290}, // BT.601 525, SMPTE 170M
	7:  {0.630, 0.340, 0.310, 0.595, 0.155, 0.070, 0.3127, 0.3290}, // SMPTE 240M
	8:  {0.681, 0.319, 0.243, 0.692, 0.145, 0.049, 0.310, 0.316},   // generic film
	9:  {0.708, 0.292, 0.170, 0.797, 0.131, 0.046, 0.3127, 0.3290}, // BT.2020, BT.2100
	11: {0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.314, 0.351},   // DCI-P3 (SMPTE RP 431-2), DCI white
	12: {0.680, 0.320, 0.265, 0.690, 0.150, 0.060, 0.3127, 0.3290}, // Display P3 (SMPTE EG 432-1)
	22: {0.630, 0.340, 0.295, 0.605, 0.155, 0.077, 0.3127, 0.3290}, // EBU Tech 3213-E
}

// nclxTransfer maps TransferCharacteristics code points to decoding curves, as ICC parametric functions from the
// encoded value to linear light. The BT.709 family is decoded with the inverse of its camera OETF, as Chrome's
// skcms and libavif do for still images. 2 (unspecified) is taken as sRGB.
var nclxTransfer = map[uint16]curve{
	1:  bt709Curve,
	2:  srgbCurve,
	4:  {kind: curveParam, fn: 0, params: [7]float64{2.2}},
	5:  {kind: curveParam, fn: 0, params: [7]float64{2.8}},
	6:  bt709Curve,
	7:  {kind: curveParam, fn: 3, params: [7]float64{1 / 0.45, 1 / 1.1115, 0.1115 / 1.1115, 1 / 4.0, 4 * 0.0228}}, // SMPTE 240M
	8:  {kind: curveIdentity},
	13: srgbCurve,
	14: bt709Curve,
	15: bt709Curve,
}

var (
	srgbCurve  = curve{kind: curveParam, fn: 3, params: [7]float64{2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045}}
	bt709Curve = curve{kind: curveParam, fn: 3, params: [7]float64{1 / 0.45, 1 / 1.099, 0.099 / 1.099, 1 / 4.5, 4.5 * 0.018}}
)

// NCLX builds an RGB profile from the code points of a HEIF/AVIF 'nclx' colour box (ITU-T H.273
// ColourPrimaries and TransferCharacteristics). The matrix coefficients and range flag of the box describe
// the YCbCr encoding, which the decoder undoes, so they are not needed here. PQ (16) and HLG (18) are HDR
// encodings that need tone mapping to fit sRGB, and return ErrUnsupported, as do code points not listed in
// nclxPrimaries and nclxTransfer.
func NCLX(primaries, transfer uint16) (*Profile, error) {
	pr, ok := nclxPrimaries[primaries]
	if !ok {
		return nil, fmt.Errorf("%w: nclx colour primaries %d", ErrUnsupported, primaries)
	}
	tc, ok := nclxTransfer[transfer]
	if !ok {
		return nil, fmt.Errorf("%w: nclx transfer characteristics %d", ErrUnsupported, transfer)
	}
	m, ok := rgbToXYZD50(pr[0], pr[1], pr[2], pr[3], pr[4], pr[5], pr[6], pr[7])
	if !ok {
		return nil, fmt.Errorf("%w: degenerate primaries", ErrInvalid)
	}
	p := &Profile{space: RGB, class: 0x6D6E7472 /* 'mntr' */, pcs: sigXYZ, version: 4, matrix: m}
	for i := range p.trc {
		c := tc
		p.trc[i] = &c
	}
	var key [5]byte
	key[0] = 'n'
	binary.BigEndian.PutUint16(key[1:], primaries)
	binary.BigEndian.PutUint16(key[3:], transfer)
	p.sum = sha256.Sum256(key[:])
	return p, nil
}
