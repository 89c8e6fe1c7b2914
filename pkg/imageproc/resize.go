package imageproc

import (
	"image"

	"github.com/disintegration/imaging"
)

// resizeAll produces one upright frame per step. Steps are largest first, and each one is resized from the previous
// output rather than from the source (a cascade): every step after the first then reads a frame of about 2 MP
// instead of the full photo.
func resizeAll(src image.Image, orientation int, plan PlanSteps) []*image.NRGBA {
	frames := make([]*image.NRGBA, len(plan))
	from := src
	for i, s := range plan {
		w, h := s.Width, s.Height
		if swapsAxes(orientation) {
			w, h = h, w // resize in stored orientation, then turn the small result
		}
		var stored image.Image
		if b := from.Bounds(); b.Dx() == w && b.Dy() == h {
			stored = from
		} else {
			stored = imaging.Resize(from, w, h, imaging.Lanczos)
		}
		from = stored
		frames[i] = orient(stored, orientation)
	}
	return frames
}
