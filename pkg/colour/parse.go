package colour

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sync"
)

// MaxProfileSize is the largest profile ParseICC accepts. Press CMYK profiles with big 4D tables reach a few MB;
// anything larger in an upload is far more likely to be an attack than a real profile.
const MaxProfileSize = 16 << 20

// maxTags bounds the tag directory. Real profiles have 10-30 tags; lcms refuses more than 100.
const maxTags = 256

// Four-character signatures used in the header and the tag directory.
const (
	sigAcsp = 0x61637370 // 'acsp', the profile file signature
	sigRGB  = 0x52474220 // 'RGB '
	sigGray = 0x47524159 // 'GRAY'
	sigCMYK = 0x434D594B // 'CMYK'
	sigXYZ  = 0x58595A20 // 'XYZ ' (as a colour space and as a tag type)
	sigLab  = 0x4C616220 // 'Lab '

	classLink     = 0x6C696E6B // 'link'
	classAbstract = 0x61627374 // 'abst'
	classNamed    = 0x6E6D636C // 'nmcl'

	tagA2B0 = 0x41324230
	tagA2B1 = 0x41324231
	tagA2B2 = 0x41324232
	tagRXYZ = 0x7258595A
	tagGXYZ = 0x6758595A
	tagBXYZ = 0x6258595A
	tagRTRC = 0x72545243
	tagGTRC = 0x67545243
	tagBTRC = 0x62545243
	tagKTRC = 0x6B545243
)

// Profile is a parsed colour profile: what its device values mean, reduced to the one conversion this package
// makes, device to PCS with the perceptual intent. It is immutable and safe for concurrent use.
type Profile struct {
	space   Space
	class   uint32
	pcs     uint32 // sigXYZ or sigLab
	version byte   // major version: 2 or 4 (lcms turns black point compensation on for v4 perceptual)

	// The device-to-PCS model: a LUT when the profile has one for the perceptual intent, else matrix/TRC for RGB
	// (matrix columns are the D50-adapted colourants) or the gray TRC (trc[0]).
	lut    *lut
	matrix mat3
	trc    [3]*curve

	sum  [32]byte // identifies the profile for the transform cache
	srgb struct {
		once sync.Once
		is   bool
	}
}

// Space returns the colour model of the profile's device values.
func (p *Profile) Space() Space { return p.space }

// ParseICC parses an ICC v2 or v4 profile. It reads the header and tag directory and decodes only the tags the
// perceptual device-to-PCS conversion needs, so a profile whose other tags are broken still parses. Every error
// wraps ErrInvalid or ErrUnsupported.
func ParseICC(b []byte) (*Profile, error) {
	if len(b) < 132 {
		return nil, fmt.Errorf("%w: %d bytes is shorter than the header", ErrInvalid, len(b))
	}
	if len(b) > MaxProfileSize {
		return nil, fmt.Errorf("%w: %d bytes is larger than %d", ErrUnsupported, len(b), MaxProfileSize)
	}
	be := binary.BigEndian
	if be.Uint32(b[36:]) != sigAcsp {
		return nil, fmt.Errorf("%w: no 'acsp' signature", ErrInvalid)
	}
	// The declared size may be smaller than the buffer (a padded APP2 chunk), never larger.
	if n := be.Uint32(b[0:]); n < 132 || int64(n) > int64(len(b)) {
		return nil, fmt.Errorf("%w: header declares %d bytes, have %d", ErrInvalid, n, len(b))
	} else {
		b = b[:n]
	}
	p := &Profile{
		class:   be.Uint32(b[12:]),
		pcs:     be.Uint32(b[20:]),
		version: b[8],
		sum:     sha256.Sum256(b),
	}
	switch be.Uint32(b[16:]) {
	case sigRGB:
		p.space = RGB
	case sigGray:
		p.space = Gray
	case sigCMYK:
		p.space = CMYK
	}
	if p.pcs != sigXYZ && p.pcs != sigLab {
		return nil, fmt.Errorf("%w: profile connection space %s", ErrInvalid, sigString(p.pcs))
	}
	dir, err := readDirectory(b)
	if err != nil {
		return nil, err
	}
	if p.space == OtherSpace || p.class == classLink || p.class == classAbstract || p.class == classNamed {
		return p, nil // parsed enough to report Space; ToSRGB refuses it
	}
	if err := p.readModel(dir); err != nil {
		return nil, err
	}
	return p, nil
}

// directory maps a tag signature to its bytes.
type directory map[uint32][]byte

// readDirectory reads the tag table and checks that every tag lies inside the profile. Tags may share data.
func readDirectory(b []byte) (directory, error) {
	be := binary.BigEndian
	n := be.Uint32(b[128:])
	if n > maxTags || 132+12*int(n) > len(b) {
		return nil, fmt.Errorf("%w: %d tags do not fit", ErrInvalid, n)
	}
	dir := make(directory, n)
	for i := 0; i < int(n); i++ {
		e := b[132+12*i:]
		sig, off, size := be.Uint32(e), uint64(be.Uint32(e[4:])), uint64(be.Uint32(e[8:]))
		if off+size > uint64(len(b)) || size < 8 {
			return nil, fmt.Errorf("%w: tag %s out of bounds", ErrInvalid, sigString(sig))
		}
		if _, dup := dir[sig]; !dup { // the first entry wins, as in lcms
			dir[sig] = b[off : off+size]
		}
	}
	return dir, nil
}

// readModel decodes the device-to-PCS conversion lcms would use for the perceptual intent: the A2B0 LUT when
// present, else matrix/TRC (RGB) or the gray TRC. A2B1 and A2B2 are fallbacks lcms does not take, for the rare
// profile that has only those: a converted photo beats an error.
func (p *Profile) readModel(dir directory) error {
	for _, sig := range []uint32{tagA2B0, tagA2B1, tagA2B2} {
		raw, ok := dir[sig]
		if !ok {
			continue
		}
		if sig != tagA2B0 && p.hasShaper(dir) {
			break
		}
		l, err := decodeLUT(raw, p.space.channels(), 3)
		if err != nil {
			return fmt.Errorf("%s: %w", sigString(sig), err)
		}
		p.lut = l
		return nil
	}
	switch p.space {
	case RGB:
		for i, sig := range []uint32{tagRXYZ, tagGXYZ, tagBXYZ} {
			raw, ok := dir[sig]
			if !ok {
				return fmt.Errorf("%w: no A2B0 and no %s tag", ErrInvalid, sigString(sig))
			}
			xyz, err := decodeXYZ(raw)
			if err != nil {
				return fmt.Errorf("%s: %w", sigString(sig), err)
			}
			p.matrix[0][i], p.matrix[1][i], p.matrix[2][i] = xyz[0], xyz[1], xyz[2]
		}
		for i, sig := range []uint32{tagRTRC, tagGTRC, tagBTRC} {
			c, err := trcTag(dir, sig)
			if err != nil {
				return err
			}
			p.trc[i] = c
		}
	case Gray:
		c, err := trcTag(dir, tagKTRC)
		if err != nil {
			return err
		}
		p.trc[0] = c
	default:
		return fmt.Errorf("%w: CMYK profile without an A2B0 table", ErrInvalid)
	}
	return nil
}

func (p *Profile) hasShaper(dir directory) bool {
	if p.space == Gray {
		_, ok := dir[tagKTRC]
		return ok
	}
	_, ok := dir[tagRTRC]
	return ok && p.space == RGB
}

func trcTag(dir directory, sig uint32) (*curve, error) {
	raw, ok := dir[sig]
	if !ok {
		return nil, fmt.Errorf("%w: no %s tag", ErrInvalid, sigString(sig))
	}
	c, _, err := decodeCurve(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", sigString(sig), err)
	}
	return c, nil
}

// channels is the number of device channels of a space.
func (s Space) channels() int {
	switch s {
	case Gray:
		return 1
	case CMYK:
		return 4
	}
	return 3
}

// decodeXYZ reads an XYZType tag (the first triple).
func decodeXYZ(raw []byte) ([3]float64, error) {
	if len(raw) < 20 || binary.BigEndian.Uint32(raw) != sigXYZ {
		return [3]float64{}, fmt.Errorf("%w: not an XYZ tag", ErrInvalid)
	}
	return [3]float64{s15f16(raw[8:]), s15f16(raw[12:]), s15f16(raw[16:])}, nil
}

// s15f16 reads a signed 15.16 fixed-point number.
func s15f16(b []byte) float64 {
	return float64(int32(binary.BigEndian.Uint32(b))) / 65536
}

func sigString(s uint32) string {
	b := []byte{byte(s >> 24), byte(s >> 16), byte(s >> 8), byte(s)}
	for _, c := range b {
		if c < 0x20 || c > 0x7E {
			return fmt.Sprintf("0x%08x", s)
		}
	}
	return "'" + string(b) + "'"
}
