package heifdec

import (
	"bytes"
	"errors"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// libheif (1.18 in gen2brain/heic v0.4.5) always applies clap, irot and imir when it decodes, and the wrapper
// offers no way to pass heif_decoding_options.ignore_transformations. So the bytes it gets are a copy of the
// file in which those property boxes carry a type libheif does not know, which it skips; every other byte, and
// so every offset in the file, stays as it was. The copy also says 'heic' as its major brand: the wrapper
// refuses files that libheif's heif_check_filetype only calls "maybe", which includes every file whose major
// brand is mif1, as many Android phones write.

// inertType replaces the type of a property box that the decoder must skip.
const inertType = "xfrm"

// forColour returns the copy of data that libheif decodes to the coded pixels of the primary image.
func forColour(data []byte, l imagefile.HEIFLayout) []byte {
	b := bytes.Clone(data)
	copy(b[l.Edits.MajorBrand:], "heic")
	for _, at := range l.Edits.Transforms {
		copy(b[at:], inertType)
	}
	return b
}

// forAlpha returns a copy in which the alpha plane is the primary image and no longer an auxiliary one: the
// wrapper returns YCbCr for a colour image and drops the alpha plane that libheif attached, so the plane is
// decoded on its own. pitm names the alpha item, its infe loses the hidden flag (libheif will not make a hidden
// item primary) and the 'auxl' references get a type libheif ignores, so the item counts as an ordinary image.
func forAlpha(data []byte, l imagefile.HEIFLayout) ([]byte, error) {
	b := forColour(data, l)
	e := l.Edits
	switch {
	case e.PITMSize == 2 && l.Alpha <= 0xFFFF:
		b[e.PITM], b[e.PITM+1] = byte(l.Alpha>>8), byte(l.Alpha)
	case e.PITMSize == 4:
		b[e.PITM], b[e.PITM+1], b[e.PITM+2], b[e.PITM+3] = byte(l.Alpha>>24), byte(l.Alpha>>16), byte(l.Alpha>>8), byte(l.Alpha)
	default:
		return nil, ErrDecode.Wrap(errors.New("heifdec: the alpha item's ID does not fit the pitm box"))
	}
	b[e.AlphaFlags] &^= 1
	// The alpha plane is coded monochrome, and for a monochrome hvcC libheif 1.18 asks for YCbCr with
	// monochrome chroma, which the wrapper does not handle. Declaring 4:2:0 in the hvcC (only libheif reads
	// it; libde265 decodes what the stream's SPS says) makes libheif add neutral chroma planes, and the luma
	// plane is the alpha.
	if e.AlphaChroma > 0 {
		b[e.AlphaChroma] = b[e.AlphaChroma]&^3 | 1
	}
	for _, at := range e.AuxlRefs {
		copy(b[at:], "xaux")
	}
	return b, nil
}
