package api

import (
	"net/http"
	"slices"

	"github.com/imgpipe/imgpipe/pkg/apigw"
)

// cors adds the CORS response headers when the request's Origin is allowed. With no allowed origins configured,
// no CORS header is ever sent, and browsers keep the API same-origin.
func (s *Service) cors(req *apigw.Request, resp *apigw.Response) {
	origin := req.Header.Get("Origin")
	if origin == "" || resp == nil {
		return
	}
	resp.Header.Add("Vary", "Origin")
	switch {
	case slices.Contains(s.Config.CORSOrigins, "*"):
		resp.Header.Set("Access-Control-Allow-Origin", "*")
	case slices.Contains(s.Config.CORSOrigins, origin):
		resp.Header.Set("Access-Control-Allow-Origin", origin)
	default:
		return
	}
	resp.Header.Set("Access-Control-Expose-Headers", "Location")
}

// preflight answers an OPTIONS request. The CORS headers themselves are added by cors, like on every response.
func (s *Service) preflight(req *apigw.Request) *apigw.Response {
	resp := &apigw.Response{Status: http.StatusNoContent, Header: http.Header{}}
	if req.Header.Get("Origin") == "" || req.Header.Get("Access-Control-Request-Method") == "" {
		return resp // a plain OPTIONS: nothing to negotiate
	}
	resp.Header.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
	headers := req.Header.Get("Access-Control-Request-Headers")
	if headers == "" {
		headers = "Content-Type"
	}
	resp.Header.Set("Access-Control-Allow-Headers", headers)
	resp.Header.Set("Access-Control-Max-Age", "600")
	resp.Header.Add("Vary", "Access-Control-Request-Method")
	resp.Header.Add("Vary", "Access-Control-Request-Headers")
	return resp
}
