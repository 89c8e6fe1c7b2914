package s3local

import (
	"crypto/hmac"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// maxPostFields bounds the form fields that precede the file in a browser POST, which are held in memory.
const maxPostFields = 1 << 20

// postExempt are the form fields that no policy condition needs to cover, as S3 documents: the signature, the
// file, the policy itself, and any field named x-ignore-*.
func postExempt(name string) bool {
	return name == "x-amz-signature" || name == "file" || name == "policy" || strings.HasPrefix(name, "x-ignore-")
}

func policyFailed(msg string) *s3Error {
	return errorf(http.StatusForbidden, "AccessDenied", "Invalid according to Policy: "+msg)
}

func postArgument(msg string) *s3Error { return errorf(http.StatusBadRequest, "InvalidArgument", msg) }

// postPolicy is the decoded policy document of a browser POST.
type postPolicy struct {
	Expiration string            `json:"expiration"`
	Conditions []json.RawMessage `json:"conditions"`
}

// postObject handles a browser-based upload: a multipart/form-data POST to the bucket whose fields carry the
// key, a base64 JSON policy, and a SigV4 signature of that policy. Every field must be allowed by a condition
// of the signed policy and every condition must hold, or nothing is stored.
func (q *request) postObject() {
	if err := q.postObjectErr(); err != nil {
		q.fail(err)
	}
}

// postObjectErr reads the fields before the file (the first of repeated fields wins), authenticates the
// policy, checks it, and only then streams the file into a blob.
func (q *request) postObjectErr() error {
	if err := q.requireBucket(); err != nil {
		return err
	}
	mr, err := q.r.MultipartReader()
	if err != nil {
		return errorf(http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
	}
	fields := map[string]string{} // lower-case name → value
	names := map[string]string{}  // lower-case name → name as sent, for messages
	total := 0
	var file *multipart.Part
	for file == nil {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return errorf(http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
		}
		name := p.FormName()
		lname := strings.ToLower(name)
		if lname == "file" {
			file = p // S3 ignores whatever follows the file
			break
		}
		v, err := io.ReadAll(io.LimitReader(p, int64(maxPostFields-total+1)))
		if err != nil {
			return errorf(http.StatusBadRequest, "MalformedPOSTRequest", "The body of your POST request is not well-formed multipart/form-data.")
		}
		if total += len(v) + len(name); total > maxPostFields {
			return errorf(http.StatusBadRequest, "MaxPostPreDataLengthExceededError", "Your POST request fields preceding the upload file were too large.")
		}
		if _, dup := fields[lname]; !dup && name != "" {
			fields[lname], names[lname] = string(v), name
		}
	}
	if err := q.checkPostSignature(fields); err != nil {
		return err
	}
	key, ok := fields["key"]
	if !ok {
		return postArgument("Bucket POST must contain a field named 'key'.  If it is specified, please check the order of the fields.")
	}
	if file == nil {
		return postArgument("POST requires exactly one file upload per request.")
	}
	lengthRange, err := q.checkPolicy(fields, names)
	if err != nil {
		return err
	}
	if strings.Contains(key, "${filename}") {
		key = strings.ReplaceAll(key, "${filename}", file.FileName())
	}
	switch {
	case key == "":
		return postArgument("User key must have a length greater than 0.")
	case len(key) > maxKeyBytes:
		return errKeyTooLong
	case !utf8.ValidString(key):
		return errorf(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI.")
	}
	h := http.Header{}
	for lname, v := range fields {
		switch {
		case lname == "content-type", lname == "cache-control", lname == "content-disposition",
			lname == "content-encoding", lname == "content-language", lname == "expires",
			strings.HasPrefix(lname, "x-amz-meta-"):
			h.Set(textproto.CanonicalMIMEHeaderKey(lname), v)
		}
	}
	hf, err := headerFieldsFrom(h)
	if err != nil {
		return err
	}
	limit := int64(maxPutSize)
	if lengthRange != nil {
		limit = min(limit, lengthRange[1])
	}
	rec, err := q.s.storeBody(&sizeLimit{r: file, limit: limit})
	if err != nil {
		return err
	}
	if lengthRange != nil && rec.Size < lengthRange[0] {
		q.s.st.removeBlobs(rec.Blob)
		return errorf(http.StatusBadRequest, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size",
			"ProposedSize", fmt.Sprint(rec.Size), "MinSizeAllowed", fmt.Sprint(lengthRange[0]))
	}
	rec.headerFields = hf
	q.key = key
	if err := q.commit(rec, nil, EventPost); err != nil {
		return err
	}
	q.postAnswer(fields, rec)
	return nil
}

// sizeLimit fails a POST file as soon as it grows past the policy's content-length-range maximum, without
// reading the rest.
type sizeLimit struct {
	r     io.Reader
	limit int64
	n     int64
}

func (s *sizeLimit) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if s.n += int64(n); s.n > s.limit {
		return 0, errEntityTooLarge.with("MaxSizeAllowed", fmt.Sprint(s.limit))
	}
	if err != nil && err != io.EOF {
		err = errIncompleteBody
	}
	return n, err
}

// checkPostSignature verifies x-amz-signature: the hex HMAC-SHA256 of the base64 policy with the SigV4 signing
// key of the x-amz-credential scope.
func (q *request) checkPostSignature(f map[string]string) error {
	if _, ok := f["awsaccesskeyid"]; ok {
		return errorf(http.StatusBadRequest, "InvalidRequest", "The authorization mechanism you have provided is not supported. Please use AWS4-HMAC-SHA256.")
	}
	policy, ok := f["policy"]
	if !ok {
		return errAccessDenied // an anonymous POST: only a public-write bucket takes one, and none is here
	}
	for _, n := range []string{"x-amz-algorithm", "x-amz-credential", "x-amz-date", "x-amz-signature"} {
		if f[n] == "" {
			return postArgument("Bucket POST must contain a field named '" + n + "'.  If it is specified, please check the order of the fields.")
		}
	}
	if f["x-amz-algorithm"] != sigAlgorithm {
		return postArgument("Unsupported x-amz-algorithm; only AWS4-HMAC-SHA256 is supported.")
	}
	if _, ok := f["x-amz-security-token"]; ok {
		return errInvalidToken
	}
	cred, ok := parseCredential(f["x-amz-credential"])
	if !ok {
		return postArgument(`Invalid x-amz-credential; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`)
	}
	if e := q.s.checkScope(cred, func(m string) *s3Error { return postArgument("Invalid x-amz-credential: " + m) }); e != nil {
		return e
	}
	t, err := time.Parse(amzDateLayout, f["x-amz-date"])
	if err != nil || t.Format(scopeDateLayout) != cred.date {
		return postArgument("Invalid x-amz-date; it must be in the ISO8601 Long Format and match the credential's date.")
	}
	key := signingKey(q.s.opt.SecretKey, cred.date, cred.region, cred.service)
	want := hex.EncodeToString(hmacSHA256(key, []byte(policy)))
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(f["x-amz-signature"]))) {
		return errSignatureMismatch.with("AWSAccessKeyId", cred.accessKey, "StringToSign", policy,
			"SignatureProvided", f["x-amz-signature"])
	}
	return nil
}

// checkPolicy decodes the (already authenticated) policy and checks it: not expired, every condition met, and
// every form field covered by some condition. It returns the content-length-range, if any, which can only be
// checked while the file is read.
func (q *request) checkPolicy(f map[string]string, names map[string]string) (*[2]int64, error) {
	raw, err := base64.StdEncoding.DecodeString(f["policy"])
	var pol postPolicy
	if err == nil {
		err = json.Unmarshal(raw, &pol)
	}
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid JSON.")
	}
	if pol.Expiration == "" {
		return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Policy missing expiration.")
	}
	exp, err := time.Parse(time.RFC3339Nano, pol.Expiration)
	if err != nil {
		return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid 'expiration' value: '"+pol.Expiration+"'")
	}
	if !q.s.now().Before(exp) {
		return nil, policyFailed("Policy expired.")
	}
	value := func(name string) (string, bool) {
		if name == "bucket" { // the bucket is the URL's, not a form field
			return q.bucket, true
		}
		v, ok := f[name]
		return v, ok
	}
	covered := map[string]bool{}
	var lengthRange *[2]int64
	for _, c := range pol.Conditions {
		var obj map[string]any
		var arr []any
		switch {
		case json.Unmarshal(c, &obj) == nil:
			if len(obj) != 1 {
				return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Condition: Simple-Conditions must have exactly one property specified.")
			}
			for k, want := range obj {
				ws, ok := want.(string)
				if !ok {
					return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid Simple-Condition: value must be a string.")
				}
				name := strings.ToLower(k)
				covered[name] = true
				if v, _ := value(name); v != ws {
					return nil, policyFailed("Policy Condition failed: [\"eq\", \"$" + k + "\", " + strconv.Quote(ws) + "]")
				}
			}
		case json.Unmarshal(c, &arr) == nil && len(arr) == 3:
			op, _ := arr[0].(string)
			switch strings.ToLower(op) {
			case "content-length-range":
				lo, ok1 := arr[1].(float64)
				hi, ok2 := arr[2].(float64)
				if !ok1 || !ok2 || lo < 0 || hi < lo {
					return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid content-length-range condition.")
				}
				lengthRange = &[2]int64{int64(lo), int64(hi)}
			case "eq", "starts-with":
				field, ok1 := arr[1].(string)
				want, ok2 := arr[2].(string)
				if !ok1 || !ok2 || !strings.HasPrefix(field, "$") {
					return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid "+op+" condition: "+string(c))
				}
				name := strings.ToLower(strings.TrimPrefix(field, "$"))
				covered[name] = true
				v, _ := value(name)
				if op == "eq" && v != want || op == "starts-with" && !strings.HasPrefix(v, want) {
					return nil, policyFailed("Policy Condition failed: " + string(c))
				}
			default:
				return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid condition operator: "+op)
			}
		default:
			return nil, errorf(http.StatusBadRequest, "InvalidPolicyDocument", "Invalid Policy: Invalid condition: "+string(c))
		}
	}
	var extra []string
	for name := range f {
		if !postExempt(name) && !covered[name] {
			extra = append(extra, names[name])
		}
	}
	if len(extra) > 0 {
		return nil, policyFailed("Extra input fields: " + strings.Join(extra, ", "))
	}
	return lengthRange, nil
}

// postAnswer answers a stored POST as S3 does: a 303 to success_action_redirect when it is a URL, else the
// success_action_status (200 empty, 201 with a PostResponse document), else 204.
func (q *request) postAnswer(f map[string]string, rec *objectRecord) {
	h := q.w.Header()
	loc := "/" + q.bucket + "/" + uriEncode(q.key, false)
	if q.r.Host != "" {
		loc = "http://" + q.r.Host + loc
	}
	h.Set("ETag", quote(rec.ETag))
	h.Set("Location", loc)
	redirect := f["success_action_redirect"]
	if redirect == "" {
		redirect = f["redirect"]
	}
	if u, err := url.Parse(redirect); redirect != "" && err == nil && u.Scheme != "" {
		v := u.Query()
		v.Set("bucket", q.bucket)
		v.Set("key", q.key)
		v.Set("etag", quote(rec.ETag))
		u.RawQuery = v.Encode()
		h.Set("Location", u.String())
		q.w.WriteHeader(http.StatusSeeOther)
		return
	}
	switch f["success_action_status"] {
	case "200":
		q.w.WriteHeader(http.StatusOK)
	case "201":
		writeXML(q.w, http.StatusCreated, struct {
			XMLName  xml.Name `xml:"PostResponse"`
			Location string   `xml:"Location"`
			Bucket   string   `xml:"Bucket"`
			Key      string   `xml:"Key"`
			ETag     string   `xml:"ETag"`
		}{Location: loc, Bucket: q.bucket, Key: q.key, ETag: quote(rec.ETag)})
	default:
		q.w.WriteHeader(http.StatusNoContent)
	}
}
