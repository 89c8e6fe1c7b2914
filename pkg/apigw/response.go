package apigw

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// IsText reports whether a body of this Content-Type travels as text in an API Gateway event. Anything else (an
// image, a multipart body, no type at all) is binary and is base64-encoded, whatever its bytes happen to be:
// deciding by whether the bytes are valid UTF-8 would send a small image that happens to be valid UTF-8 as text.
func IsText(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	switch {
	case strings.HasPrefix(mt, "text/"), strings.HasSuffix(mt, "+json"), strings.HasSuffix(mt, "+xml"):
		return true
	}
	switch mt {
	case "application/json", "application/xml", "application/javascript", "application/x-www-form-urlencoded":
		return true
	}
	return false
}

// ResponseWriter buffers what a handler writes, because an API Gateway event carries the whole response at once.
type ResponseWriter struct {
	header http.Header
	status int
	body   bytes.Buffer
}

var _ http.ResponseWriter = (*ResponseWriter)(nil)

// NewResponseWriter returns an empty buffer.
func NewResponseWriter() *ResponseWriter { return &ResponseWriter{header: http.Header{}} }

// Header implements http.ResponseWriter.
func (w *ResponseWriter) Header() http.Header { return w.header }

// WriteHeader implements http.ResponseWriter; as with net/http, only the first call counts.
func (w *ResponseWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}

// Write implements http.ResponseWriter.
func (w *ResponseWriter) Write(p []byte) (int, error) {
	w.WriteHeader(http.StatusOK)
	return w.body.Write(p)
}

// Status is the status written, 200 when the handler wrote none.
func (w *ResponseWriter) Status() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}

// Body is what was written.
func (w *ResponseWriter) Body() []byte { return w.body.Bytes() }

// Event converts the response into the event type version v expects back.
func (w *ResponseWriter) Event(v Version) (any, error) {
	body, b64 := w.body.String(), false
	if w.body.Len() > 0 && !IsText(w.header.Get("Content-Type")) {
		body, b64 = base64.StdEncoding.EncodeToString(w.body.Bytes()), true
	}
	// Payload 2.0 has single-value headers only; repeated values are joined with commas, as HTTP allows, except
	// Set-Cookie, which has a field of its own.
	single := make(map[string]string, len(w.header))
	var cookies []string
	for k, vs := range w.header {
		switch {
		case len(vs) == 0:
		case k == "Set-Cookie" && v == V2:
			cookies = vs
		default:
			single[k] = strings.Join(vs, ", ")
		}
	}
	switch v {
	case V2:
		return events.APIGatewayV2HTTPResponse{StatusCode: w.Status(), Headers: single, Body: body, IsBase64Encoded: b64,
			Cookies: cookies}, nil
	case Passthrough:
		return w.passthrough()
	}
	return events.APIGatewayProxyResponse{StatusCode: w.Status(), Headers: single,
		MultiValueHeaders: map[string][]string(w.header.Clone()), Body: body, IsBase64Encoded: b64}, nil
}

// passthrough is the answer to a non-proxy integration, whose integration responses map a function's result to
// HTTP: a success is its JSON body (or the body as a string), which the default 200 response passes through; a
// client or server error is a function error whose message starts with "[<status>]", which is what integration
// responses select on (a selection pattern such as `^\[4\d\d\].*` for 4xx), followed by the JSON body.
func (w *ResponseWriter) passthrough() (any, error) {
	status, body := w.Status(), w.body.Bytes()
	if status >= 400 {
		return nil, &PassthroughError{Status: status, Body: string(body)}
	}
	if json.Valid(body) && len(body) > 0 {
		return json.RawMessage(bytes.Clone(body)), nil
	}
	if IsText(w.header.Get("Content-Type")) {
		return string(body), nil
	}
	return base64.StdEncoding.EncodeToString(body), nil
}

// PassthroughError is the function error that carries a non-proxy integration's error answer.
type PassthroughError struct {
	Status int
	Body   string
}

func (e *PassthroughError) Error() string { return fmt.Sprintf("[%d] %s", e.Status, e.Body) }
