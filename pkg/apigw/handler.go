package apigw

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Handler adapts h to a Lambda handler that accepts every event shape this package knows and answers each in the
// shape it came in. An event that cannot be decoded is a client mistake (400 bad_request), answered in payload
// format 1.0 when its shape is unknown.
func Handler(h http.Handler) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		w := NewResponseWriter()
		r, ev, err := NewRequest(ctx, raw)
		v := V1
		if ev != nil {
			v = ev.Version
		}
		if err != nil {
			p := publicerr.From(err)
			if p == nil {
				p = ErrBadEvent.Wrap(err)
			}
			publicerr.Write(w, p)
			return w.Event(v)
		}
		h.ServeHTTP(w, r)
		return w.Event(v)
	}
}
