package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Errors of the API itself.
var (
	errNotFound         = publicerr.New(http.StatusNotFound, "not_found", "no such route; the API serves /images, /images/{id} and /uploads")
	errMethodNotAllowed = publicerr.New(http.StatusMethodNotAllowed, "method_not_allowed", "this method is not allowed here")
	errInternal         = publicerr.New(http.StatusInternalServerError, "internal", "internal error")
)

// handlerFunc is a route: it writes a success itself and returns any failure, which handle answers.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// handle answers a route's failure: a public error as itself, anything else as a generic 503 whose cause goes only
// to the log. A client that went away before the answer is not a failure of ours: logged at INFO, not answered.
func (s *Service) handle(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h(w, r)
		if err == nil {
			return
		}
		if p := publicerr.From(err); p != nil {
			publicerr.Write(w, p)
			return
		}
		if errors.Is(r.Context().Err(), context.Canceled) {
			s.Log.Info("client went away", "method", r.Method, "path", r.URL.Path, "error", err.Error())
			return
		}
		s.Log.Error("request failed", "method", r.Method, "path", r.URL.Path, "error", err.Error())
		publicerr.Write(w, publicerr.Internal)
	})
}

// authenticated is a route that needs to know its caller: the caller is read from the verified claims API Gateway
// put in the event and passed to the route, and a request without them is a 401 with a challenge.
func (s *Service) authenticated(h func(w http.ResponseWriter, r *http.Request, c auth.Caller) error) http.Handler {
	return s.handle(func(w http.ResponseWriter, r *http.Request) error {
		c, err := s.Config.Auth.CallerFrom(r.Context())
		if err != nil {
			w.Header().Set("WWW-Authenticate", auth.Challenge)
			return err
		}
		return h(w, r, c)
	})
}

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(body)
	return nil
}

// unmatchedAsJSON answers requests no route matches with the API's JSON errors. The mux still decides: its handler
// for an unmatched request is run into a recorder, which tells a 405 (with the Allow header the mux computed from
// the patterns) from a 404.
func unmatchedAsJSON(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h, pattern := mux.Handler(r)
		if pattern != "" {
			mux.ServeHTTP(w, r) // the mux, not h: it is what sets the path values
			return
		}
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		if rec.status == http.StatusMethodNotAllowed {
			allow := rec.header.Get("Allow")
			w.Header().Set("Allow", allow)
			publicerr.Write(w, errMethodNotAllowed.Withf("%s is not allowed here; use %s", r.Method, allow))
			return
		}
		publicerr.Write(w, errNotFound)
	})
}

// recorder keeps only the status and headers of what the mux's fallback writes.
type recorder struct {
	header http.Header
	status int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(p []byte) (int, error) { return len(p), nil }
func (r *recorder) WriteHeader(status int)      { r.status = status }

// recoverPanics answers a panic with a generic 500, logging the panic value.
func (s *Service) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", p)
				publicerr.Write(w, errInternal)
			}
		}()
		next.ServeHTTP(w, r)
	})
}
