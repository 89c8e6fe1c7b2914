package imageproc

import (
	"image"

	"github.com/disintegration/imaging"
)

// orient applies an EXIF orientation to img. The resize step calls it on the small outputs rather than on the
// decoded frame, so a rotated 50 MP photo is never copied at full size.
func orient(img image.Image, o int) *image.NRGBA {
	switch o {
	case 2:
		return imaging.FlipH(img)
	case 3:
		return imaging.Rotate180(img)
	case 4:
		return imaging.FlipV(img)
	case 5:
		return imaging.Transpose(img)
	case 6:
		return imaging.Rotate270(img)
	case 7:
		return imaging.Transverse(img)
	case 8:
		return imaging.Rotate90(img)
	}
	return imaging.Clone(img)
}

// swapsAxes reports whether orientation o turns the stored frame by 90 degrees.
func swapsAxes(o int) bool { return o >= 5 && o <= 8 }
