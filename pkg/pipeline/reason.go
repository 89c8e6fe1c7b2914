package pipeline

import (
	"errors"
	"strings"

	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
)

// failure is why a photo was quarantined: a low-cardinality code for the Failures metric's Reason dimension and a
// sentence recorded in the catalog and in the quarantined object's metadata.
type failure struct {
	code, why string
}

// permanentCodes maps the processing errors that no retry can fix to their metric codes.
var permanentCodes = []struct {
	err  error
	code string
}{
	{imagefile.ErrEmpty, "empty"},
	{imagefile.ErrNotImage, "not_image"},
	{imagefile.ErrUnsupported, "unsupported"},
	{imagefile.ErrTruncated, "truncated"},
	{imagefile.ErrTooManyPixels, "too_many_pixels"},
	{imageproc.ErrDecode, "corrupt"},
}

// classify turns an imageproc.Process error into a failure. Every such error is about the image, not the
// infrastructure, so it is never retried.
func classify(err error) failure {
	why := strings.TrimPrefix(strings.TrimPrefix(err.Error(), "imagefile: "), "imageproc: ")
	for _, c := range permanentCodes {
		if errors.Is(err, c.err) {
			return failure{code: c.code, why: why}
		}
	}
	return failure{code: "other", why: why}
}
