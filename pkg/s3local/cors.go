package s3local

import (
	"net/http"
	"slices"
	"strings"
)

// CORS: a web page that uploads straight to S3 (a presigned PUT, or a POST policy form sent with fetch) needs
// the bucket's CORS configuration to allow its origin. Options.AllowedOrigins is that configuration, for every
// bucket: any method of the S3 API, any request header, and the response headers a client reads.

const corsExposed = "ETag, Location, x-amz-request-id, x-amz-id-2, x-amz-checksum-crc32, x-amz-checksum-crc32c, x-amz-checksum-crc64nvme, x-amz-checksum-sha1, x-amz-checksum-sha256"

// originAllowed returns the Access-Control-Allow-Origin value for origin: the origin itself when listed, "*"
// when any origin is allowed.
func (s *Server) originAllowed(origin string) (string, bool) {
	if origin == "" {
		return "", false
	}
	if slices.Contains(s.opt.AllowedOrigins, origin) {
		return origin, true
	}
	if slices.Contains(s.opt.AllowedOrigins, "*") {
		return "*", true
	}
	return "", false
}

// preflight answers an OPTIONS request as S3 does; it needs no signature.
func (q *request) preflight() {
	origin, method := q.r.Header.Get("Origin"), q.r.Header.Get("Access-Control-Request-Method")
	if origin == "" || method == "" {
		q.fail(errorf(http.StatusBadRequest, "BadRequest", "Insufficient information. Origin request header needed."))
		return
	}
	if len(q.s.opt.AllowedOrigins) == 0 {
		q.fail(errorf(http.StatusForbidden, "AccessDenied", "CORSResponse: CORS is not enabled for this bucket."))
		return
	}
	allow, ok := q.s.originAllowed(origin)
	if !ok || !slices.Contains([]string{"GET", "PUT", "POST", "DELETE", "HEAD"}, method) {
		q.fail(errorf(http.StatusForbidden, "AccessDenied", "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec."))
		return
	}
	h := q.w.Header()
	h.Set("Access-Control-Allow-Origin", allow)
	h.Set("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD")
	if rh := q.r.Header.Get("Access-Control-Request-Headers"); rh != "" {
		h.Set("Access-Control-Allow-Headers", strings.ToLower(rh))
	}
	h.Set("Access-Control-Expose-Headers", corsExposed)
	h.Set("Access-Control-Max-Age", "3000")
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
	q.w.WriteHeader(http.StatusOK)
}

// corsHeaders adds the headers that let an allowed page read the answer of an actual request.
func (q *request) corsHeaders() {
	allow, ok := q.s.originAllowed(q.r.Header.Get("Origin"))
	if !ok {
		return
	}
	h := q.w.Header()
	h.Set("Access-Control-Allow-Origin", allow)
	h.Set("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD")
	h.Set("Access-Control-Expose-Headers", corsExposed)
	h.Set("Vary", "Origin, Access-Control-Request-Headers, Access-Control-Request-Method")
}
