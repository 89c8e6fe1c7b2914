package hostile

import (
	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
)

// Sizes of the suite and the table, 3:2 as cameras shoot.
const (
	W12, H12 = 4240, 2832 // 12.0 MP
	W50, H50 = 8660, 5773 // 49.99 MP, the largest 3:2 frame under MAX_PIXELS
)

// SourceAllowance is a file size for Largest to assume: the budget counts the file it holds, and the search runs
// before the file exists.
const SourceAllowance = 16 << 20

// Largest returns the largest w x h of aspect aw:ah (h = w*ah/aw) that the derivative job's budget admits for a
// file of fileBytes whose header is like sample (format, channels, depth, interlace, profile...), up to
// MAX_PIXELS and MAX_SIDE: the worst input of its kind that a 1024 MB function accepts. It reads the header
// only, as the function does before it decodes.
func Largest(sample imagefile.Info, aw, ah, fileBytes int) (w, h int) {
	admits := func(w int) bool {
		info := sample
		info.Width, info.Height = w, max(1, w*ah/aw)
		minWidth, outs := budget.Derivatives(info, Widths, false)
		_, err := Limits().Check(info, fileBytes, minWidth, outs)
		return err == nil
	}
	lo, hi := 0, budget.DefaultMaxSide+1 // admits(lo) or lo == 0; !admits(hi)
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if admits(mid) {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, max(1, lo*ah/aw)
}
