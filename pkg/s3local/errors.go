package s3local

import (
	"encoding/xml"
	"errors"
	"net/http"
)

// Sentinel errors for the cases a caller of New or Path branches on.
var (
	ErrNoSuchKey    = errors.New("s3local: no such key")
	ErrNoSuchBucket = errors.New("s3local: no such bucket")
	ErrDirInUse     = errors.New("s3local: data directory is in use by another server")
)

// s3Error is an error answered to the client in S3's XML shape. Extra holds the additional elements S3 puts in
// some errors (StringToSign for SignatureDoesNotMatch, ServerTime for an expired URL...), in order.
type s3Error struct {
	Status  int
	Code    string
	Message string
	Extra   [][2]string
	Header  http.Header // extra response headers (Content-Range on InvalidRange, for instance)
}

func (e *s3Error) Error() string { return e.Code + ": " + e.Message }

// errorf builds an error; extra are name, value pairs of additional elements.
func errorf(status int, code, message string, extra ...string) *s3Error {
	e := &s3Error{Status: status, Code: code, Message: message}
	for i := 0; i+1 < len(extra); i += 2 {
		e.Extra = append(e.Extra, [2]string{extra[i], extra[i+1]})
	}
	return e
}

// The errors answered in more than one place. Codes, statuses and messages are the ones S3 documents in its
// error-code list; clients branch on the code.
var (
	errAccessDenied      = errorf(http.StatusForbidden, "AccessDenied", "Access Denied")
	errSignatureMismatch = errorf(http.StatusForbidden, "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. Check your key and signing method.")
	errInvalidAccessKey = errorf(http.StatusForbidden, "InvalidAccessKeyId",
		"The AWS Access Key Id you provided does not exist in our records.")
	errNoSuchKey    = errorf(http.StatusNotFound, "NoSuchKey", "The specified key does not exist.")
	errNoSuchBucket = errorf(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist")
	errNoSuchUpload = errorf(http.StatusNotFound, "NoSuchUpload",
		"The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.")
	errPrecondition = errorf(http.StatusPreconditionFailed, "PreconditionFailed",
		"At least one of the pre-conditions you specified did not hold")
	errKeyTooLong   = errorf(http.StatusBadRequest, "KeyTooLongError", "Your key is too long")
	errMalformedXML = errorf(http.StatusBadRequest, "MalformedXML",
		"The XML you provided was not well-formed or did not validate against our published schema")
	errIncompleteBody = errorf(http.StatusBadRequest, "IncompleteBody",
		"You did not provide the number of bytes specified by the Content-Length HTTP header")
	errMissingContentLength = errorf(http.StatusLengthRequired, "MissingContentLength",
		"You must provide the Content-Length HTTP header.")
	errEntityTooLarge = errorf(http.StatusBadRequest, "EntityTooLarge",
		"Your proposed upload exceeds the maximum allowed size")
	errNotImplemented = errorf(http.StatusNotImplemented, "NotImplemented",
		"A header you provided implies functionality that is not implemented")
	errMethodNotAllowed = errorf(http.StatusMethodNotAllowed, "MethodNotAllowed",
		"The specified method is not allowed against this resource.")
	errInternal = errorf(http.StatusInternalServerError, "InternalError",
		"We encountered an internal error. Please try again.")
	errUnavailable = errorf(http.StatusServiceUnavailable, "ServiceUnavailable", "The server is shutting down.")
)

// with returns a copy of e with more extra elements, so the shared values above are never mutated.
func (e *s3Error) with(extra ...string) *s3Error {
	c := *e
	c.Extra = append([][2]string(nil), e.Extra...)
	for i := 0; i+1 < len(extra); i += 2 {
		c.Extra = append(c.Extra, [2]string{extra[i], extra[i+1]})
	}
	return &c
}

// writeError answers e in S3's shape: <Error><Code/><Message/>...<Resource/><RequestId/></Error>. A HEAD answer
// has no body, as in S3, so clients only see the status there.
func writeError(w http.ResponseWriter, r *http.Request, e *s3Error, requestID string) {
	for k, vs := range e.Header {
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	if r.Method == http.MethodHead {
		w.WriteHeader(e.Status)
		return
	}
	type elem struct {
		XMLName xml.Name
		Value   string `xml:",chardata"`
	}
	doc := struct {
		XMLName   xml.Name `xml:"Error"`
		Code      string   `xml:"Code"`
		Message   string   `xml:"Message"`
		Extra     []elem
		Resource  string `xml:"Resource"`
		RequestID string `xml:"RequestId"`
	}{Code: e.Code, Message: e.Message, Resource: r.URL.Path, RequestID: requestID}
	for _, x := range e.Extra {
		doc.Extra = append(doc.Extra, elem{XMLName: xml.Name{Local: x[0]}, Value: x[1]})
	}
	body, err := xml.Marshal(doc)
	if err != nil { // cannot happen with string fields; answer the status alone
		w.WriteHeader(e.Status)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(e.Status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}

// writeXML answers a successful XML document.
func writeXML(w http.ResponseWriter, status int, v any) {
	body, err := xml.Marshal(v)
	if err != nil {
		http.Error(w, "marshal: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	w.Write(body)
}

// asS3Error turns any error into what the client is told: an *s3Error as is, anything else an InternalError.
func asS3Error(err error) *s3Error {
	var e *s3Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, ErrNoSuchKey):
		return errNoSuchKey
	case errors.Is(err, ErrNoSuchBucket):
		return errNoSuchBucket
	}
	return errInternal
}
