package pipeline

import (
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// failure is why a photo was quarantined: a low-cardinality code for the Failures metric's Reason dimension and a
// sentence recorded in the catalog and in the quarantined object's metadata.
type failure struct {
	code, why string
}

// classify turns an imageproc.Process error into a failure. Every such error is about the image, not the
// infrastructure, so it is never retried; the public error it carries already says what went wrong in words a
// client can read, since the owner sees the reason in GET /images/{id}.
func classify(err error) failure {
	if p := publicerr.From(err); p != nil {
		return failure{code: p.Code, why: p.Message}
	}
	return failure{code: "other", why: "the image could not be processed"}
}
