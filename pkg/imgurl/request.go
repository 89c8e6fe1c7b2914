package imgurl

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Errors of Parse and Verify, answered to the client as they are.
var (
	ErrBadRequest = publicerr.New(http.StatusBadRequest, "bad_request", "the image URL is malformed")
	ErrSignature  = publicerr.New(http.StatusForbidden, "bad_signature", "the URL's signature is missing, wrong or expired")
)

// Request is a parsed render request.
type Request struct {
	Width, Height int    // 0 leaves a side free; both 0 is the original size
	Fit           string // cover, inside or contain ("" when it does not matter: fewer than two sides)
	Quality       int    // 0 means the server's default
	Format        string // jpeg, png, webp or auto (the source's own derivative format); "" when the path decides
	Expires       int64  // unix seconds; 0 for an unsigned or non-expiring URL
	Signature     string
}

// Sized reports whether the request names a size.
func (r Request) Sized() bool { return r.Width > 0 || r.Height > 0 }

// Parse reads a canonical query (Normalize's output, or any query: it is normalised first) into a Request, refusing
// what Normalize keeps verbatim for the origin to refuse.
func Parse(query url.Values) (Request, error) {
	var r Request
	if d, ok := first(query, ParamSize); ok {
		w, h, ok := parseSize(d)
		if !ok {
			return r, ErrBadRequest.Withf("d=%q: want WIDTHxHEIGHT in pixels, such as 640x480 or 640x0", d)
		}
		r.Width, _ = strconv.Atoi(w)
		r.Height, _ = strconv.Atoi(h)
	}
	if fit, ok := first(query, ParamFit); ok {
		switch fit = asciiLower(fit); fit {
		case "cover", "inside", "contain":
			if r.Width > 0 && r.Height > 0 {
				r.Fit = fit
			}
		default:
			return r, ErrBadRequest.Withf("fit=%q: want cover, inside or contain", fit)
		}
	}
	if r.Width > 0 && r.Height > 0 && r.Fit == "" {
		r.Fit = DefaultFit
	}
	if q, ok := first(query, ParamQuality); ok {
		n, err := strconv.Atoi(q)
		if err != nil || n < 1 || n > 100 {
			return r, ErrBadRequest.Withf("q=%q: want a quality from 1 to 100", q)
		}
		r.Quality = n
	}
	if f, ok := first(query, ParamFormat); ok {
		switch f = asciiLower(f); f {
		case "jpeg", "jpg":
			r.Format = "jpeg"
		case "png", "webp", "auto":
			r.Format = f
		default:
			return r, ErrBadRequest.Withf("f=%q: want jpeg, png, webp or auto", f)
		}
	}
	if e, ok := first(query, ParamExpires); ok {
		n, err := strconv.ParseInt(e, 10, 64)
		if err != nil || n <= 0 {
			return r, ErrBadRequest.Withf("exp=%q: want unix seconds", e)
		}
		r.Expires = n
	}
	r.Signature, _ = first(query, ParamSignature)
	return r, nil
}

// Key is the request's name in the render cache: everything that changes the bytes (size, fit, quality, format),
// in one spelling, so that requests differing only in parameter order, defaults or Accept share one entry.
func (r Request) Key(format string, defaultQuality int) string {
	q := r.Quality
	if q == 0 {
		q = defaultQuality
	}
	fit := r.Fit
	if fit == "" {
		fit = "inside"
	}
	return strconv.Itoa(r.Width) + "x" + strconv.Itoa(r.Height) + "-" + fit + "-q" + strconv.Itoa(q) + "." + format
}

// signedString is what a signature covers: the path and the canonical d, fit, q and exp. The format is left out on
// purpose: the edge may add f from Accept after the URL was signed, and it does not change what the URL may cost.
func signedString(path string, query url.Values) string {
	kept := url.Values{}
	for _, k := range []string{ParamSize, ParamFit, ParamQuality, ParamExpires} {
		if v, ok := first(query, k); ok {
			kept.Set(k, v)
		}
	}
	canonical := Normalize(path, kept, "")
	// Normalize adds f for a path without a format; it is not part of what is signed.
	var parts []string
	for _, p := range strings.Split(canonical, "&") {
		if p != "" && !strings.HasPrefix(p, ParamFormat+"=") {
			parts = append(parts, p)
		}
	}
	return path + "?" + strings.Join(parts, "&")
}

// Sign returns the signature of path with query (its d, fit, q and exp) under key: HMAC-SHA256, base64url without
// padding. Add it to the URL as sig; with exp, the URL stops working at that unix time.
func Sign(key []byte, path string, query url.Values) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(signedString(path, query)))
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// SignedURL returns base + path with the size, fit and an expiry (zero: none), signed.
func SignedURL(key []byte, base, path string, w, h int, fit string, expires time.Time) string {
	q := url.Values{ParamSize: {strconv.Itoa(w) + "x" + strconv.Itoa(h)}}
	if fit != "" {
		q.Set(ParamFit, fit)
	}
	if !expires.IsZero() {
		q.Set(ParamExpires, strconv.FormatInt(expires.Unix(), 10))
	}
	q.Set(ParamSignature, Sign(key, path, q))
	return strings.TrimRight(base, "/") + path + "?" + q.Encode()
}

// Verify checks r's signature over path and query, and its expiry against now. It answers ErrSignature for a
// missing, wrong or expired signature, and compares in constant time.
func Verify(key []byte, path string, query url.Values, r Request, now time.Time) error {
	if r.Signature == "" || len(key) == 0 {
		return ErrSignature
	}
	want := Sign(key, path, query)
	if !hmac.Equal([]byte(want), []byte(r.Signature)) {
		return ErrSignature
	}
	if r.Expires != 0 && now.Unix() >= r.Expires {
		return ErrSignature.Withf("the URL expired at %s", time.Unix(r.Expires, 0).UTC().Format(time.RFC3339))
	}
	return nil
}
