package colour

import "errors"

// Sentinel errors callers branch on. Every error this package returns wraps one of them, so a caller can tell a
// broken profile (ignore it, keep the pixels as they are) from one that is valid but outside what is supported.
var (
	// ErrInvalid means the bytes are not a well-formed ICC profile, or a tag the transform needs is corrupt.
	ErrInvalid = errors.New("colour: invalid ICC profile")
	// ErrUnsupported means the profile is well formed but describes something this package does not convert:
	// a Lab, XYZ or multi-ink device space, a device link, or an HDR transfer function.
	ErrUnsupported = errors.New("colour: unsupported colour profile")
	// ErrMismatch means the image's colour model does not fit the profile, such as a CMYK profile on an RGB image.
	ErrMismatch = errors.New("colour: profile does not match the image")
)

// Space is the colour model of a profile's device values, which must match the pixels it is applied to.
type Space int

// The device spaces a profile can describe. Only RGB, Gray and CMYK are converted; ToSRGB returns ErrUnsupported
// for OtherSpace.
const (
	OtherSpace Space = iota
	RGB
	Gray
	CMYK
)

func (s Space) String() string {
	switch s {
	case RGB:
		return "RGB"
	case Gray:
		return "Gray"
	case CMYK:
		return "CMYK"
	}
	return "other"
}
