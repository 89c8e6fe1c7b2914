package imageproc

import (
	"image"

	"github.com/imgpipe/imgpipe/pkg/colour"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// toSRGB converts a decoded frame to sRGB when the file embeds a profile that is not sRGB (Display P3, Adobe RGB,
// ProPhoto, a CMYK press profile, or HEIF's nclx code points for Rec. 2020 or P3), because the derivatives carry no profile and a viewer shows their pixels as
// sRGB: left alone, a wide-gamut photo would come out desaturated and a CMYK one wrong. It runs on the frame the
// decoder produced, which for a JPEG is already reduced to about the largest output's size, so it costs a fraction
// of what converting the full photo would. A profile that is missing, sRGB, unreadable or meant for another kind
// of pixels leaves the frame as it is; what was done is returned for the logs.
func toSRGB(img image.Image, info imagefile.Info, data []byte) (image.Image, string) {
	var p *colour.Profile
	var err error
	if icc := imagefile.ICC(info.Format, data); icc != nil {
		if p, err = colour.ParseICC(icc); err != nil {
			return img, "unreadable profile ignored"
		}
	} else if n, ok := imagefile.NCLX(info.Format, data); ok {
		// HEIF and AVIF may describe their colour with code points instead of a profile (Rec. 2020, P3...).
		if p, err = colour.NCLX(n.Primaries, n.Transfer); err != nil {
			return img, "unsupported colour code points ignored"
		}
	} else {
		return img, ""
	}
	if p.IsSRGB() {
		return img, "sRGB"
	}
	t, err := p.ToSRGB()
	if err != nil {
		return img, "unsupported profile ignored"
	}
	out, err := t.Apply(img)
	if err != nil {
		return img, "mismatched profile ignored"
	}
	return out, "converted to sRGB"
}
