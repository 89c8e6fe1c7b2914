package s3local

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// SigV4 constants as S3 spells them.
const (
	sigAlgorithm     = "AWS4-HMAC-SHA256"
	amzDateLayout    = "20060102T150405Z"
	scopeDateLayout  = "20060102"
	unsignedPayload  = "UNSIGNED-PAYLOAD"
	streamingSigned  = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD"
	streamingSignedT = "STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER"
	streamingUnsignT = "STREAMING-UNSIGNED-PAYLOAD-TRAILER"
	emptySHA256      = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
	// maxSkew is how far a request's date may be from the server's clock, as in S3.
	maxSkew = 15 * time.Minute
	// maxPresignExpiry is S3's limit on X-Amz-Expires: seven days.
	maxPresignExpiry = 7 * 24 * 3600
)

// auth is what a verified request was signed with; the streaming forms need it to check each chunk.
type auth struct {
	payload   string // the x-amz-content-sha256 value: a hex digest, UNSIGNED-PAYLOAD or a STREAMING-* form
	signature string // the request's signature, the seed of a chunk signature chain
	date      string // the amz date, e.g. 20130524T000000Z
	scope     string // 20130524/us-east-1/s3/aws4_request
	key       []byte // the derived signing key
}

// credentialScope is the parsed Credential of an Authorization header or X-Amz-Credential parameter.
type credentialScope struct {
	accessKey, date, region, service, terminal string
}

// parseCredential splits AKID/YYYYMMDD/REGION/SERVICE/aws4_request.
func parseCredential(s string) (credentialScope, bool) {
	// The access key cannot contain '/', but be lenient: split from the right.
	parts := strings.Split(s, "/")
	if len(parts) < 5 {
		return credentialScope{}, false
	}
	n := len(parts)
	return credentialScope{accessKey: strings.Join(parts[:n-4], "/"), date: parts[n-4], region: parts[n-3],
		service: parts[n-2], terminal: parts[n-1]}, true
}

func (c credentialScope) scope() string {
	return c.date + "/" + c.region + "/" + c.service + "/" + c.terminal
}

// authenticate verifies the SigV4 signature of r in either form and returns what it was signed with.
func (s *Server) authenticate(r *http.Request) (*auth, *s3Error) {
	q := r.URL.Query()
	hdr := r.Header.Get("Authorization")
	presigned := q.Has("X-Amz-Algorithm") || q.Has("X-Amz-Credential") || q.Has("X-Amz-Signature")
	switch {
	case presigned && hdr != "":
		return nil, errorf(http.StatusBadRequest, "InvalidArgument",
			"Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified")
	case presigned:
		a, e := s.verifyPresigned(r, q)
		if e == nil && q.Get("X-Amz-Security-Token") != "" {
			return nil, errInvalidToken
		}
		return a, e
	case q.Has("AWSAccessKeyId") || q.Has("Signature") || strings.HasPrefix(hdr, "AWS "):
		return nil, errorf(http.StatusBadRequest, "InvalidRequest",
			"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	case hdr == "":
		return nil, errAccessDenied // an anonymous request; no bucket here is public
	case hdr != sigAlgorithm && !strings.HasPrefix(hdr, sigAlgorithm+" "):
		if strings.HasPrefix(hdr, "AWS4-ECDSA-P256-SHA256") {
			return nil, errorf(http.StatusBadRequest, "InvalidRequest",
				"The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
		}
		return nil, errorf(http.StatusBadRequest, "InvalidArgument", "Unsupported Authorization Type")
	}
	a, e := s.verifyHeader(r, hdr)
	if e == nil && r.Header.Get("X-Amz-Security-Token") != "" {
		return nil, errInvalidToken
	}
	return a, e
}

// errInvalidToken: the one credential here is a long-term key, so any session token is one S3 would not know.
var errInvalidToken = errorf(http.StatusBadRequest, "InvalidToken", "The provided token is malformed or otherwise invalid.")

func malformedHeader(msg string) *s3Error {
	return errorf(http.StatusBadRequest, "AuthorizationHeaderMalformed", "The authorization header is malformed; "+msg)
}

func malformedQuery(msg string) *s3Error {
	return errorf(http.StatusBadRequest, "AuthorizationQueryParametersError", msg)
}

// verifyHeader checks the Authorization header form:
// AWS4-HMAC-SHA256 Credential=AK/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-date, Signature=hex
func (s *Server) verifyHeader(r *http.Request, hdr string) (*auth, *s3Error) {
	fields := map[string]string{}
	for _, f := range strings.Split(strings.TrimPrefix(hdr, sigAlgorithm+" "), ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(f), "=")
		if !ok {
			return nil, malformedHeader("the authorization component \"" + strings.TrimSpace(f) + "\" is malformed.")
		}
		fields[k] = v
	}
	credStr, signedStr, sig := fields["Credential"], fields["SignedHeaders"], fields["Signature"]
	if credStr == "" || signedStr == "" || sig == "" {
		return nil, malformedHeader("the authorization header requires Credential, SignedHeaders and Signature.")
	}
	cred, ok := parseCredential(credStr)
	if !ok {
		return nil, malformedHeader(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
	}
	if e := s.checkScope(cred, malformedHeader); e != nil {
		return nil, e
	}
	amzDate := r.Header.Get("X-Amz-Date")
	var t time.Time
	var err error
	if amzDate != "" {
		t, err = time.Parse(amzDateLayout, amzDate)
	} else if d := r.Header.Get("Date"); d != "" {
		t, err = http.ParseTime(d)
		amzDate = t.UTC().Format(amzDateLayout)
	} else {
		err = strconv.ErrSyntax
	}
	if err != nil {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "AWS authentication requires a valid Date or x-amz-date header")
	}
	if cred.date != t.UTC().Format(scopeDateLayout) {
		return nil, malformedHeader("Invalid credential date \"" + cred.date + "\". This date is not the same as X-Amz-Date: \"" + t.UTC().Format(scopeDateLayout) + "\".")
	}
	now := s.now()
	if d := now.Sub(t); d > maxSkew || d < -maxSkew {
		return nil, errorf(http.StatusForbidden, "RequestTimeTooSkewed",
			"The difference between the request time and the current time is too large.",
			"RequestTime", amzDate, "ServerTime", now.UTC().Format(time.RFC3339), "MaxAllowedSkewMilliseconds", "900000")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		return nil, errorf(http.StatusBadRequest, "InvalidRequest", "Missing required header for this request: x-amz-content-sha256")
	}
	if !validPayloadHash(payload) {
		return nil, errorf(http.StatusBadRequest, "InvalidArgument",
			"x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER or a valid sha256 value.",
			"ArgumentName", "x-amz-content-sha256", "ArgumentValue", payload)
	}
	signed := strings.Split(signedStr, ";")
	if e := checkSignedHeaders(r, signed); e != nil {
		return nil, e
	}
	creq := canonicalRequest(r, r.URL.Query(), signed, payload, "")
	return s.checkSignature(cred, amzDate, creq, sig, payload)
}

// verifyPresigned checks the query form: X-Amz-Algorithm, X-Amz-Credential, X-Amz-Date, X-Amz-Expires,
// X-Amz-SignedHeaders and X-Amz-Signature. The payload of a presigned request is not signed.
func (s *Server) verifyPresigned(r *http.Request, q url.Values) (*auth, *s3Error) {
	if q.Get("X-Amz-Algorithm") != sigAlgorithm {
		return nil, malformedQuery(`X-Amz-Algorithm only supports "AWS4-HMAC-SHA256"`)
	}
	for _, p := range []string{"X-Amz-Credential", "X-Amz-Signature", "X-Amz-Date", "X-Amz-SignedHeaders", "X-Amz-Expires"} {
		if q.Get(p) == "" {
			return nil, malformedQuery("Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.")
		}
	}
	cred, ok := parseCredential(q.Get("X-Amz-Credential"))
	if !ok {
		return nil, malformedQuery(`Error parsing the X-Amz-Credential parameter; the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
	}
	if e := s.checkScope(cred, func(m string) *s3Error { return malformedQuery("Error parsing the X-Amz-Credential parameter; " + m) }); e != nil {
		return nil, e
	}
	amzDate := q.Get("X-Amz-Date")
	t, err := time.Parse(amzDateLayout, amzDate)
	if err != nil {
		return nil, malformedQuery(`X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'"`)
	}
	if cred.date != t.Format(scopeDateLayout) {
		return nil, malformedQuery("Error parsing the X-Amz-Credential parameter; Invalid credential date \"" + cred.date + "\". This date is not the same as X-Amz-Date: \"" + t.Format(scopeDateLayout) + "\".")
	}
	expires, err := strconv.ParseInt(q.Get("X-Amz-Expires"), 10, 64)
	switch {
	case err != nil:
		return nil, malformedQuery("X-Amz-Expires should be a number")
	case expires < 0:
		return nil, malformedQuery("X-Amz-Expires must be non-negative")
	case expires > maxPresignExpiry:
		return nil, malformedQuery("X-Amz-Expires must be less than a week (in seconds) that is 604800")
	}
	now := s.now()
	if t.Sub(now) > maxSkew {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "Request is not valid yet")
	}
	if now.After(t.Add(time.Duration(expires) * time.Second)) {
		return nil, errorf(http.StatusForbidden, "AccessDenied", "Request has expired",
			"X-Amz-Expires", q.Get("X-Amz-Expires"), "Expires", t.Add(time.Duration(expires)*time.Second).UTC().Format(time.RFC3339),
			"ServerTime", now.UTC().Format(time.RFC3339))
	}
	signed := strings.Split(q.Get("X-Amz-SignedHeaders"), ";")
	if e := checkSignedHeaders(r, signed); e != nil {
		return nil, e
	}
	// A presigned URL does not sign the body unless it says so with X-Amz-Content-Sha256 (query), and a
	// streaming body cannot be presigned: its chunk signatures chain on a request signature made for it.
	payload := unsignedPayload
	if p := q.Get("X-Amz-Content-Sha256"); p != "" {
		payload = p
	}
	if strings.HasPrefix(payload, "STREAMING-") || strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
		return nil, errorf(http.StatusBadRequest, "InvalidRequest", "A presigned URL cannot carry an aws-chunked streaming body")
	}
	creq := canonicalRequest(r, q, signed, payload, "X-Amz-Signature")
	a, e := s.checkSignature(cred, amzDate, creq, q.Get("X-Amz-Signature"), payload)
	if e != nil {
		return nil, e
	}
	// A signed x-amz-content-sha256 header (checkSignedHeaders refused an unsigned one) must match the body
	// too, as in the header form.
	if h := r.Header.Get("X-Amz-Content-Sha256"); isHexSHA256(h) {
		a.payload = h
	} else if !isHexSHA256(a.payload) {
		a.payload = unsignedPayload
	}
	return a, nil
}

// checkScope compares a credential with the configured one; bad names how the error is reported in this form.
func (s *Server) checkScope(c credentialScope, bad func(string) *s3Error) *s3Error {
	switch {
	case c.accessKey != s.opt.AccessKey:
		return errInvalidAccessKey.with("AWSAccessKeyId", c.accessKey)
	case c.region != s.opt.Region:
		return bad("the region '"+c.region+"' is wrong; expecting '"+s.opt.Region+"'").with("Region", s.opt.Region)
	case c.service != "s3":
		return bad("incorrect service \"" + c.service + "\". This endpoint belongs to \"s3\".")
	case c.terminal != "aws4_request":
		return bad("incorrect terminal \"" + c.terminal + "\". This endpoint uses \"aws4_request\".")
	case len(c.date) != 8:
		return bad(`the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
	}
	return nil
}

// checkSignedHeaders enforces S3's rules on SignedHeaders: host is always signed, and so is every x-amz-*
// header the request carries, so that none of them can be added or changed on the way.
func checkSignedHeaders(r *http.Request, signed []string) *s3Error {
	set := map[string]bool{}
	for _, h := range signed {
		set[h] = true
	}
	if !set["host"] {
		return errorf(http.StatusBadRequest, "AuthorizationHeaderMalformed",
			"The authorization header is malformed; SignedHeaders must include host.")
	}
	var unsigned []string
	for name := range r.Header {
		l := strings.ToLower(name)
		if strings.HasPrefix(l, "x-amz-") && !set[l] {
			unsigned = append(unsigned, l)
		}
	}
	if len(unsigned) > 0 {
		sort.Strings(unsigned)
		return errorf(http.StatusForbidden, "AccessDenied", "There were headers present in the request which were not signed",
			"HeadersNotSigned", strings.Join(unsigned, ", "))
	}
	return nil
}

// checkSignature computes the signature of creq with the configured secret and compares it with sig.
func (s *Server) checkSignature(c credentialScope, amzDate, creq, sig, payload string) (*auth, *s3Error) {
	scope := c.scope()
	sts := stringToSign(amzDate, scope, creq)
	key := signingKey(s.opt.SecretKey, c.date, c.region, c.service)
	want := hex.EncodeToString(hmacSHA256(key, []byte(sts)))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(sig))) {
		return nil, errSignatureMismatch.with("AWSAccessKeyId", c.accessKey, "StringToSign", sts,
			"SignatureProvided", sig, "CanonicalRequest", creq)
	}
	return &auth{payload: payload, signature: want, date: amzDate, scope: scope, key: key}, nil
}

func stringToSign(amzDate, scope, creq string) string {
	h := sha256.Sum256([]byte(creq))
	return sigAlgorithm + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(h[:])
}

// signingKey derives SigV4's key: HMAC chained over date, region, service and "aws4_request", so a leaked
// derived key is only good for one day, region and service.
func signingKey(secret, date, region, service string) []byte {
	k := hmacSHA256([]byte("AWS4"+secret), []byte(date))
	k = hmacSHA256(k, []byte(region))
	k = hmacSHA256(k, []byte(service))
	return hmacSHA256(k, []byte("aws4_request"))
}

func hmacSHA256(key, data []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(data)
	return m.Sum(nil)
}

// canonicalRequest builds SigV4's canonical request. S3 is the one service whose path is encoded once, not
// twice: the canonical URI is the decoded path re-encoded with the strict SigV4 rules, which is what the SDKs
// and the CLI sign (they send keys in that same encoding). skip names a query parameter left out (the signature
// itself in the presigned form).
func canonicalRequest(r *http.Request, q url.Values, signed []string, payload, skip string) string {
	var b strings.Builder
	b.WriteString(r.Method)
	b.WriteByte('\n')
	b.WriteString(uriEncode(r.URL.Path, false))
	b.WriteByte('\n')
	b.WriteString(canonicalQuery(q, skip))
	b.WriteByte('\n')
	for _, h := range signed {
		b.WriteString(h)
		b.WriteByte(':')
		b.WriteString(canonicalHeaderValue(r, h))
		b.WriteByte('\n')
	}
	b.WriteByte('\n')
	b.WriteString(strings.Join(signed, ";"))
	b.WriteByte('\n')
	b.WriteString(payload)
	return b.String()
}

// canonicalQuery sorts the parameters by encoded name then value; a parameter without a value ("?uploads")
// is "uploads=".
func canonicalQuery(q url.Values, skip string) string {
	type kv struct{ k, v string }
	var pairs []kv
	for k, vs := range q {
		if k == skip {
			continue
		}
		for _, v := range vs {
			pairs = append(pairs, kv{uriEncode(k, true), uriEncode(v, true)})
		}
	}
	sort.Slice(pairs, func(i, j int) bool {
		if pairs[i].k != pairs[j].k {
			return pairs[i].k < pairs[j].k
		}
		return pairs[i].v < pairs[j].v
	})
	var b strings.Builder
	for i, p := range pairs {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(p.k)
		b.WriteByte('=')
		b.WriteString(p.v)
	}
	return b.String()
}

// canonicalHeaderValue is the trimmed value of header h, inner runs of spaces collapsed, multiple values joined
// by commas. Go's server moves Host out of the header map, and may have parsed Content-Length.
func canonicalHeaderValue(r *http.Request, h string) string {
	var vals []string
	switch h {
	case "host":
		vals = []string{r.Host}
	default:
		vals = r.Header.Values(h)
		if len(vals) == 0 && h == "content-length" && r.ContentLength >= 0 {
			vals = []string{strconv.FormatInt(r.ContentLength, 10)}
		}
		if len(vals) == 0 && h == "transfer-encoding" {
			vals = r.TransferEncoding
		}
	}
	for i, v := range vals {
		vals[i] = strings.Join(strings.Fields(v), " ")
	}
	return strings.Join(vals, ",")
}

// uriEncode is SigV4's UriEncode: every byte but the unreserved A-Z a-z 0-9 - . _ ~ percent-encoded in upper
// case, and '/' kept unless encodeSlash.
func uriEncode(s string, encodeSlash bool) string {
	const hexdig = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' || c == '/' && !encodeSlash {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	return b.String()
}

func isHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func validPayloadHash(p string) bool {
	switch p {
	case unsignedPayload, streamingSigned, streamingSignedT, streamingUnsignT:
		return true
	}
	return isHexSHA256(p)
}
