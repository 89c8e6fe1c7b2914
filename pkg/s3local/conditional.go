package s3local

import (
	"net/http"
	"strings"
	"time"
)

// etagMatches reports whether an If-Match / If-None-Match list names etag. "*" matches any existing object;
// quotes and the weak prefix are ignored, since S3 ETags are all strong.
func etagMatches(list, etag string) bool {
	for _, t := range strings.Split(list, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || strings.Trim(t, `"`) == etag {
			return true
		}
	}
	return false
}

// readConditions evaluates GET/HEAD preconditions the way S3 documents them (RFC 7232 order): If-Match, else
// If-Unmodified-Since, may fail with 412; If-None-Match, else If-Modified-Since, may answer 304. A true If-Match
// overrides a false If-Unmodified-Since, and a false If-None-Match overrides a true If-Modified-Since.
func readConditions(h http.Header, rec *objectRecord) (status int) {
	mod := rec.Modified.Truncate(time.Second)
	if im := h.Get("If-Match"); im != "" {
		if !etagMatches(im, rec.ETag) {
			return http.StatusPreconditionFailed
		}
	} else if t, err := http.ParseTime(h.Get("If-Unmodified-Since")); err == nil && mod.After(t) {
		return http.StatusPreconditionFailed
	}
	if inm := h.Get("If-None-Match"); inm != "" {
		if etagMatches(inm, rec.ETag) {
			return http.StatusNotModified
		}
	} else if t, err := http.ParseTime(h.Get("If-Modified-Since")); err == nil && !mod.After(t) {
		return http.StatusNotModified
	}
	return 0
}

// copySourceConditions are CopyObject's x-amz-copy-source-if-* headers, which S3 evaluates like readConditions
// but answers 412 in every failing case.
func copySourceConditions(h http.Header, rec *objectRecord) error {
	c := http.Header{}
	for _, n := range []string{"Match", "None-Match", "Modified-Since", "Unmodified-Since"} {
		if v := h.Get("X-Amz-Copy-Source-If-" + n); v != "" {
			c.Set("If-"+n, v)
		}
	}
	if readConditions(c, rec) != 0 {
		return errPrecondition
	}
	return nil
}

// writeCheck returns the check a write makes against the current version, inside the index transaction:
// If-None-Match: * (create only if absent) and If-Match: <etag> (replace only that version; 404 if there is
// none), as S3 general purpose buckets support them on PutObject, CopyObject, CompleteMultipartUpload.
func writeCheck(h http.Header) (func(old *objectRecord) error, error) {
	inm, im := h.Get("If-None-Match"), h.Get("If-Match")
	if inm != "" && strings.TrimSpace(inm) != "*" {
		return nil, errNotImplemented.with("Header", "If-None-Match")
	}
	if inm == "" && im == "" {
		return nil, nil
	}
	return func(old *objectRecord) error {
		if inm != "" && old != nil {
			return errPrecondition.with("Condition", "If-None-Match")
		}
		if im != "" {
			if old == nil {
				return errNoSuchKey
			}
			if !etagMatches(im, old.ETag) {
				return errPrecondition.with("Condition", "If-Match")
			}
		}
		return nil
	}, nil
}

// deleteCheck is DeleteObject's If-Match: 412 when the current ETag differs, 404 NoSuchKey when there is no
// object (S3 general purpose buckets, since September 2025).
func deleteCheck(im string) func(old *objectRecord) error {
	if im == "" {
		return nil
	}
	return func(old *objectRecord) error {
		if old == nil {
			return errNoSuchKey
		}
		if !etagMatches(im, old.ETag) {
			return errPrecondition.with("Condition", "If-Match")
		}
		return nil
	}
}
