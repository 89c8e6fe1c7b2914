package api

import (
	"net/http"
	"slices"
)

// corsHeaders are the request headers the API reads, which is all a preflight allows: the request's own list is
// never echoed back, so a browser cannot be talked into sending headers the API does not expect.
const corsHeaders = "Authorization, Content-Type"

// cors adds the CORS response headers to every answer, errors included, when the request's Origin is allowed; a
// browser hides an error without them, and the client would see a network failure instead of the message. With no
// allowed origins configured, no CORS header is ever sent, and browsers keep the API same-origin.
func (s *Service) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if origin := r.Header.Get("Origin"); origin != "" && len(s.Config.CORSOrigins) > 0 {
			w.Header().Add("Vary", "Origin")
			switch {
			case slices.Contains(s.Config.CORSOrigins, "*"):
				w.Header().Set("Access-Control-Allow-Origin", "*")
				w.Header().Set("Access-Control-Expose-Headers", "Location")
			case slices.Contains(s.Config.CORSOrigins, origin):
				w.Header().Set("Access-Control-Allow-Origin", origin)
				w.Header().Set("Access-Control-Expose-Headers", "Location")
			}
		}
		next.ServeHTTP(w, r)
	})
}

// preflight answers an OPTIONS request. The origin headers themselves are added by cors, like on every response.
func (s *Service) preflight(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Origin") != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		w.Header().Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
		w.Header().Set("Access-Control-Allow-Headers", corsHeaders)
		w.Header().Set("Access-Control-Max-Age", "600")
		w.Header().Add("Vary", "Access-Control-Request-Method")
		w.Header().Add("Vary", "Access-Control-Request-Headers")
	}
	w.WriteHeader(http.StatusNoContent)
}
