package apigw

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Version is the shape of the event, and so of the response API Gateway expects back.
type Version int

// The event shapes.
const (
	V1          Version = 1 // REST API, or HTTP API payload format 1.0
	V2          Version = 2 // HTTP API payload format 2.0
	Passthrough Version = 3 // REST API non-proxy integration with the "method request passthrough" template
)

// ErrBadEvent means the payload is not an API Gateway event this package knows, or its body is marked base64 but
// is not.
var ErrBadEvent = publicerr.New(http.StatusBadRequest, "bad_request", "the request could not be decoded")

// ErrBadBase64 is the ErrBadEvent of a body marked base64 that is not.
var ErrBadBase64 = ErrBadEvent.Withf("the request body is marked base64 but is not valid base64")

// Event is the event a request was built from; a handler reads it through EventFrom, for example for the claims an
// authorizer verified.
type Event struct {
	Version     Version
	V1          *events.APIGatewayProxyRequest
	V2          *events.APIGatewayV2HTTPRequest
	Passthrough *PassthroughEvent
}

type eventKey struct{}

// EventFrom returns the event the request behind ctx came from.
func EventFrom(ctx context.Context) (*Event, bool) {
	ev, ok := ctx.Value(eventKey{}).(*Event)
	return ev, ok
}

// WithEvent returns ctx carrying ev, as Handler does; tests of code that reads EventFrom use it.
func WithEvent(ctx context.Context, ev *Event) context.Context {
	return context.WithValue(ctx, eventKey{}, ev)
}

// NewRequest decodes a raw Lambda payload into an *http.Request. The shape is recognised by its fields: "version"
// "2.0", a passthrough template's "params" and "context", or else payload format 1.0.
func NewRequest(ctx context.Context, raw json.RawMessage) (*http.Request, *Event, error) {
	var probe struct {
		Version string          `json:"version"`
		Params  json.RawMessage `json:"params"`
		Context json.RawMessage `json:"context"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, nil, ErrBadEvent.Wrap(err)
	}
	ev := &Event{}
	var err error
	switch {
	case probe.Version == "2.0":
		ev.Version, ev.V2 = V2, &events.APIGatewayV2HTTPRequest{}
		err = json.Unmarshal(raw, ev.V2)
	case probe.Params != nil && probe.Context != nil:
		ev.Version, ev.Passthrough = Passthrough, &PassthroughEvent{}
		err = json.Unmarshal(raw, ev.Passthrough)
	default:
		ev.Version, ev.V1 = V1, &events.APIGatewayProxyRequest{}
		err = json.Unmarshal(raw, ev.V1)
	}
	if err != nil {
		return nil, ev, ErrBadEvent.Wrap(err)
	}
	ctx = WithEvent(ctx, ev)
	var r *http.Request
	switch ev.Version {
	case V2:
		r, err = fromV2(ctx, ev.V2)
	case Passthrough:
		r, err = fromPassthrough(ctx, ev.Passthrough)
	default:
		r, err = fromV1(ctx, ev.V1)
	}
	return r, ev, err
}

// fromV1 builds the request of a payload format 1.0 event. REST APIs send each header in both headers and
// multiValueHeaders; the multi-value form is the complete one.
func fromV1(ctx context.Context, ev *events.APIGatewayProxyRequest) (*http.Request, error) {
	header := http.Header{}
	for k, vs := range ev.MultiValueHeaders {
		for _, v := range vs {
			header.Add(k, v)
		}
	}
	for k, v := range ev.Headers {
		if header.Get(k) == "" {
			header.Set(k, v)
		}
	}
	query := url.Values{}
	for k, vs := range ev.MultiValueQueryStringParameters {
		query[k] = vs
	}
	for k, v := range ev.QueryStringParameters {
		if _, ok := query[k]; !ok {
			query.Set(k, v)
		}
	}
	path := fillTemplate(ev.Resource, ev.PathParameters)
	if path == "" { // the event's path is decoded, so escape it again
		path = escapePath(stripStage(ev.Path, ev.RequestContext.Stage))
	}
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	return build(ctx, ev.HTTPMethod, path, query.Encode(), header, body, ev.RequestContext.Identity.SourceIP)
}

// fromV2 builds the request of a payload format 2.0 event, whose headers are lower-case and already comma-joined,
// and whose cookies travel on their own.
func fromV2(ctx context.Context, ev *events.APIGatewayV2HTTPRequest) (*http.Request, error) {
	header := http.Header{}
	for k, v := range ev.Headers {
		header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	path := ""
	if route := ev.RouteKey; route != "" && route != "$default" {
		if _, tmpl, ok := strings.Cut(route, " "); ok {
			path = fillTemplate(tmpl, ev.PathParameters)
		}
	}
	if path == "" {
		path = ev.RawPath
		if path == "" {
			path = ev.RequestContext.HTTP.Path
		}
		if ev.RequestContext.Stage != "$default" {
			path = stripStage(path, ev.RequestContext.Stage)
		}
	}
	method := ev.RequestContext.HTTP.Method
	body, err := decodeBody(ev.Body, ev.IsBase64Encoded)
	if err != nil {
		return nil, err
	}
	return build(ctx, method, path, ev.RawQueryString, header, body, ev.RequestContext.HTTP.SourceIP)
}

// fillTemplate turns an API Gateway resource template ("/images/{id}", "/{proxy+}") and its (decoded) path
// parameters into the escaped path the API itself defines, without the stage or a custom domain's base path that
// the event's path may carry. It returns "" when a parameter is missing, so the caller falls back to the event's
// path.
func fillTemplate(tmpl string, params map[string]string) string {
	if tmpl == "" || !strings.HasPrefix(tmpl, "/") {
		return ""
	}
	segs := strings.Split(tmpl, "/")
	for i, s := range segs {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") {
			continue
		}
		name := strings.TrimSuffix(strings.Trim(s, "{}"), "+")
		v, ok := params[name]
		if !ok {
			return ""
		}
		if strings.HasSuffix(s, "+}") {
			segs[i] = escapePath(v)
		} else {
			segs[i] = url.PathEscape(v) // one segment: a "/" in the value must not become a separator
		}
	}
	return strings.Join(segs, "/")
}

// stripStage removes a leading "/<stage>" segment.
func stripStage(path, stage string) string {
	if stage == "" {
		return path
	}
	if rest, ok := strings.CutPrefix(path, "/"+stage); ok && (rest == "" || rest[0] == '/') {
		if rest == "" {
			return "/"
		}
		return rest
	}
	return path
}

// escapePath escapes each segment of a decoded path.
func escapePath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	return strings.Join(segs, "/")
}

func decodeBody(body string, isBase64 bool) ([]byte, error) {
	if !isBase64 {
		return []byte(body), nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return nil, ErrBadBase64.Wrap(err)
	}
	return b, nil
}

// build makes the request from an escaped path. The URL's host comes from the Host header.
func build(ctx context.Context, method, path, rawQuery string, header http.Header, body []byte, sourceIP string) (*http.Request, error) {
	if method == "" {
		return nil, ErrBadEvent.Wrap(errors.New("no HTTP method"))
	}
	if path == "" || path[0] != '/' {
		path = "/" + path
	}
	host := header.Get("Host")
	if host == "" {
		host = "api-gateway"
	}
	u, err := url.Parse("https://" + host + path)
	if err != nil {
		return nil, ErrBadEvent.Wrap(fmt.Errorf("request line: %w", err))
	}
	u.RawQuery = rawQuery
	r, err := http.NewRequestWithContext(ctx, method, u.String(), bytes.NewReader(body))
	if err != nil {
		return nil, ErrBadEvent.Wrap(fmt.Errorf("request line: %w", err))
	}
	r.Header = header
	r.Host = u.Host
	r.ContentLength = int64(len(body))
	r.RemoteAddr = sourceIP
	r.RequestURI = u.RequestURI()
	return r, nil
}
