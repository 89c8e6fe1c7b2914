// Package cors is the API's cross-origin policy, shared by the functions that answer the image API's routes (the
// upload function, and the serve function's GET /images/{id}/content).
package cors

import (
	"net/http"
	"slices"
)

// Headers are the request headers the API reads, which is all a preflight allows: the request's own list is never
// echoed back, so a browser cannot be talked into sending headers the API does not expect.
const Headers = "Authorization, Content-Type"

// Policy lists the allowed origins; "*" allows any, and none sends no CORS header at all, so browsers keep the API
// same-origin.
type Policy struct{ Origins []string }

// Wrap adds the CORS response headers to every answer, errors included, when the request's Origin is allowed; a
// browser hides an error without them, and the client would see a network failure instead of the message.
func (p Policy) Wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && len(p.Origins) > 0 {
			w.Header().Add("Vary", "Origin")
			switch {
			case slices.Contains(p.Origins, "*"):
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Expose-Headers", "Location")
			case slices.Contains(p.Origins, origin):
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Expose-Headers", "Location")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// Preflight answers an OPTIONS request; Wrap adds the origin headers, as on every response.
func Preflight(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", Headers)
		w.Header().Set("Access-Control-Max-Age", "600")
		w.Header().Add("Vary", "Access-Control-Request-Method")
		w.Header().Add("Vary", "Access-Control-Request-Headers")
	}
	w.WriteHeader(http.StatusNoContent)
}
