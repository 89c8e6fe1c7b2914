package apigw

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// Version is the API Gateway payload format.
type Version int

// The two payload formats.
const (
	V1 Version = 1 // REST API and HTTP API payload format 1.0
	V2 Version = 2 // HTTP API payload format 2.0
)

// ErrBadBody means the event said its body was base64 but it was not.
var ErrBadBody = errors.New("apigw: body is not valid base64")

// Request is an API Gateway request in either payload format.
type Request struct {
	Version Version
	Method  string
	Path    string      // as received; may include a stage prefix
	Query   url.Values  // single- and multi-value parameters merged
	Header  http.Header // canonical names, so lookups ignore the case the client used
	Body    []byte      // base64 already decoded
}

// Parse decodes a raw Lambda payload into a Request. Payload format 2.0 is recognised by its "version" field.
func Parse(raw json.RawMessage) (*Request, error) {
	var probe struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("apigw: decode event: %w", err)
	}
	if probe.Version == "2.0" {
		var ev events.APIGatewayV2HTTPRequest
		if err := json.Unmarshal(raw, &ev); err != nil {
			return nil, fmt.Errorf("apigw: decode v2 event: %w", err)
		}
		return FromV2(&ev)
	}
	var ev events.APIGatewayProxyRequest
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, fmt.Errorf("apigw: decode v1 event: %w", err)
	}
	return FromV1(&ev)
}

// FromV1 converts a payload format 1.0 event.
func FromV1(ev *events.APIGatewayProxyRequest) (*Request, error) {
	r := &Request{Version: V1, Method: ev.HTTPMethod, Path: ev.Path, Query: url.Values{}, Header: http.Header{}}
	for k, vs := range ev.MultiValueHeaders {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range ev.Headers { // present alongside multiValueHeaders in REST APIs; don't add twice
		if r.Header.Get(k) == "" {
			r.Header.Set(k, v)
		}
	}
	for k, vs := range ev.MultiValueQueryStringParameters {
		r.Query[k] = vs
	}
	for k, v := range ev.QueryStringParameters {
		if _, ok := r.Query[k]; !ok {
			r.Query.Set(k, v)
		}
	}
	return r, r.setBody(ev.Body, ev.IsBase64Encoded)
}

// FromV2 converts a payload format 2.0 event. Its headers are already comma-joined and lower-case.
func FromV2(ev *events.APIGatewayV2HTTPRequest) (*Request, error) {
	r := &Request{Version: V2, Method: ev.RequestContext.HTTP.Method, Path: ev.RawPath, Header: http.Header{}}
	if r.Path == "" {
		r.Path = ev.RequestContext.HTTP.Path
	}
	for k, v := range ev.Headers {
		r.Header.Set(k, v)
	}
	if len(ev.Cookies) > 0 {
		r.Header.Set("Cookie", strings.Join(ev.Cookies, "; "))
	}
	q, err := url.ParseQuery(ev.RawQueryString)
	if err != nil {
		q = url.Values{}
		for k, v := range ev.QueryStringParameters {
			q.Set(k, v)
		}
	}
	r.Query = q
	return r, r.setBody(ev.Body, ev.IsBase64Encoded)
}

func (r *Request) setBody(body string, isBase64 bool) error {
	if !isBase64 {
		r.Body = []byte(body)
		return nil
	}
	b, err := base64.StdEncoding.DecodeString(body)
	if err != nil {
		return ErrBadBody
	}
	r.Body = b
	return nil
}
