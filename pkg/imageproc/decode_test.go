package imageproc

import (
	"context"
	"fmt"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// TestDecodeReduced checks the choice of DCT reduction for every orientation: the decoded frame, once turned
// upright, must be at least as wide as asked (else the resizer would have to enlarge it), and at most twice as wide
// unless it is already full size (else a cheaper reduction was left unused).
func TestDecodeReduced(t *testing.T) {
	for _, size := range [][2]int{{1300, 900}, {900, 1300}} {
		upright := scene(size[0], size[1])
		for o := 1; o <= 8; o++ {
			data := withEXIF(encodeJPEG(t, storedFor(upright, o), 80), o, false)
			info, err := imagefile.Inspect(data, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, minWidth := range []int{1300, 600, 300, 100} {
				t.Run(fmt.Sprintf("%dx%d/o%d/%d", size[0], size[1], o, minWidth), func(t *testing.T) {
					img, err := Decode(context.Background(), data, info, minWidth)
					if err != nil {
						t.Fatal(err)
					}
					w := img.Bounds().Dx()
					if swapsAxes(o) {
						w = img.Bounds().Dy()
					}
					if w < min(minWidth, size[0]) || w >= 2*minWidth && w != size[0] {
						t.Errorf("decoded upright width %d for a minimum of %d from %d", w, minWidth, size[0])
					}
				})
			}
		}
	}
}
