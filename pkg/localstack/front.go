package localstack

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Limits of the real front door, so local behaviour matches AWS: API Gateway refuses bodies over 10 MB, and Lambda
// refuses synchronous payloads over 6 MB (6,291,556 bytes), which API Gateway reports as 413.
const (
	apiGatewayMaxBody = 10 << 20
	lambdaMaxPayload  = 6291556
)

// integrationTimeout is API Gateway's limit on how long the function may take to answer.
const integrationTimeout = 29 * time.Second

// front is the local API Gateway: it turns an HTTP request into a proxy event of the configured payload format,
// invokes the Lambda handler with the event's JSON, and turns the response event back into HTTP. With a verifier it
// is also the authorizer: it verifies the bearer token and puts the claims where API Gateway does.
type front struct {
	handler  func(context.Context, json.RawMessage) (any, error)
	content  func(context.Context, json.RawMessage) (any, error) // GET /images/{id}/content: the serve function
	version  apigw.Version
	stage    string
	seq      atomic.Int64
	verifier *auth.Verifier // nil: no authorizer
	jwks     []byte         // served at /.well-known/jwks.json
}

func (f *front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/.well-known/jwks.json" && f.jwks != nil {
		w.Header().Set("Content-Type", "application/json")
		w.Write(f.jwks)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, apiGatewayMaxBody+1))
	if err != nil {
		// Also what a client that sends its body too slowly gets, once the server's read timeout fires.
		writeGatewayError(w, http.StatusBadRequest, "could not read the request body")
		return
	}
	if len(body) > apiGatewayMaxBody {
		writeGatewayError(w, http.StatusRequestEntityTooLarge, "Request Too Long")
		return
	}
	if _, _, ok := resource(r.URL.EscapedPath()); !ok {
		// A REST API answers a path it does not define with 403 "Missing Authentication Token", an HTTP API with
		// 404; neither invokes the function.
		if f.version == apigw.V2 {
			writeGatewayError(w, http.StatusNotFound, "Not Found")
		} else {
			writeGatewayError(w, http.StatusForbidden, "Missing Authentication Token")
		}
		return
	}
	var claims map[string]string
	if f.verifier != nil && r.Method != http.MethodOptions { // a preflight carries no credentials
		tok, err := f.verifier.Verify(r.Context(), strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		if err != nil {
			writeUnauthorized(w)
			return
		}
		claims = auth.Claims(tok, f.version == apigw.V2)
	}
	var ev any
	if f.version == apigw.V2 {
		ev = f.v2Event(r, body, claims)
	} else {
		ev = f.v1Event(r, body, claims)
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		writeGatewayError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	if len(payload) > lambdaMaxPayload {
		writeGatewayError(w, http.StatusRequestEntityTooLarge, "Request Too Long")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), integrationTimeout)
	defer cancel()
	handler := f.handler
	// As the template routes them: GET on the content resource to the serve function, its preflight (and anything
	// else) to the image API.
	if res, _, _ := resource(r.URL.EscapedPath()); res == "/images/{id}/content" && r.Method == http.MethodGet && f.content != nil {
		handler = f.content
	}
	out, err := handler(ctx, payload)
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		writeGatewayError(w, http.StatusGatewayTimeout, "Endpoint request timed out")
		return
	case err != nil: // a function error: API Gateway answers 502 without detail
		writeGatewayError(w, http.StatusBadGateway, "Internal server error")
		return
	}
	writeResponse(w, out)
}

// binary reports whether API Gateway would base64-encode a body of this content type. The SAM template declares
// multipart/form-data as a binary media type; HTTP APIs encode every non-text body.
func binary(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	return strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "image/") || mt == "application/octet-stream"
}

func (f *front) requestID() string {
	return fmt.Sprintf("local-%d-%d", time.Now().UnixNano(), f.seq.Add(1))
}

func sourceIP(r *http.Request) string {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	return host
}

// resources are the API's resources as the SAM template defines them, most specific first; the front matches a
// path against them as API Gateway does, to fill the event's resource and path parameters.
var resources = []string{"/images/{id}/content", "/images/{id}", "/images", "/uploads"}

// resource returns the resource template and path parameters for a path; ok is false for a path the API does not
// define, which API Gateway answers itself.
func resource(path string) (tmpl string, params map[string]string, ok bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	for _, r := range resources {
		rsegs := strings.Split(strings.Trim(r, "/"), "/")
		if len(rsegs) != len(segs) {
			continue
		}
		params := map[string]string{}
		for i, rs := range rsegs {
			if strings.HasPrefix(rs, "{") {
				v, err := url.PathUnescape(segs[i])
				if err != nil || v == "" {
					params = nil
					break
				}
				params[strings.Trim(rs, "{}")] = v
			} else if rs != segs[i] {
				params = nil
				break
			}
		}
		if params != nil {
			return r, params, true
		}
	}
	return "", nil, false
}

func (f *front) v1Event(r *http.Request, body []byte, claims map[string]string) events.APIGatewayProxyRequest {
	res, params, _ := resource(r.URL.EscapedPath())
	ev := events.APIGatewayProxyRequest{
		Resource: res, Path: r.URL.Path, HTTPMethod: r.Method, PathParameters: params,
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string{},
		QueryStringParameters: map[string]string{}, MultiValueQueryStringParameters: map[string][]string{},
		RequestContext: events.APIGatewayProxyRequestContext{
			Stage: f.stage, RequestID: f.requestID(), HTTPMethod: r.Method, ResourcePath: res,
			Path: "/" + f.stage + r.URL.Path, Identity: events.APIGatewayRequestIdentity{SourceIP: sourceIP(r)},
		},
	}
	for k, vs := range r.Header {
		ev.Headers[k] = vs[len(vs)-1]
		ev.MultiValueHeaders[k] = vs
	}
	for k, vs := range r.URL.Query() {
		ev.QueryStringParameters[k] = vs[len(vs)-1]
		ev.MultiValueQueryStringParameters[k] = vs
	}
	if claims != nil { // a Cognito user pool authorizer's shape
		c := map[string]any{}
		for k, v := range claims {
			c[k] = v
		}
		ev.RequestContext.Authorizer = map[string]any{"claims": c}
	}
	ev.Body, ev.IsBase64Encoded = encodeBody(body, binary(r.Header.Get("Content-Type")))
	return ev
}

func (f *front) v2Event(r *http.Request, body []byte, claims map[string]string) events.APIGatewayV2HTTPRequest {
	res, params, _ := resource(r.URL.EscapedPath())
	ev := events.APIGatewayV2HTTPRequest{
		Version: "2.0", RouteKey: r.Method + " " + res, RawPath: r.URL.Path, RawQueryString: r.URL.RawQuery,
		Headers: map[string]string{}, QueryStringParameters: map[string]string{}, PathParameters: params,
		RequestContext: events.APIGatewayV2HTTPRequestContext{
			Stage: "$default", RequestID: f.requestID(), RouteKey: r.Method + " " + res,
			HTTP: events.APIGatewayV2HTTPRequestContextHTTPDescription{Method: r.Method, Path: r.URL.Path,
				Protocol: r.Proto, SourceIP: sourceIP(r), UserAgent: r.UserAgent()},
		},
	}
	for k, vs := range r.Header { // HTTP APIs lower-case header names and join repeated values with commas
		if strings.EqualFold(k, "Cookie") {
			for _, c := range vs {
				ev.Cookies = append(ev.Cookies, strings.Split(c, "; ")...)
			}
			continue
		}
		ev.Headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	for k, vs := range r.URL.Query() {
		ev.QueryStringParameters[k] = strings.Join(vs, ",")
	}
	if claims != nil { // an HTTP API JWT authorizer's shape
		ev.RequestContext.Authorizer = &events.APIGatewayV2HTTPRequestContextAuthorizerDescription{
			JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: claims}}
	}
	ev.Body, ev.IsBase64Encoded = encodeBody(body, binary(r.Header.Get("Content-Type")))
	return ev
}

func encodeBody(body []byte, binary bool) (string, bool) {
	if binary {
		return base64.StdEncoding.EncodeToString(body), true
	}
	return string(body), false
}

// writeResponse writes either response event type; both share these JSON fields.
func writeResponse(w http.ResponseWriter, out any) {
	raw, err := json.Marshal(out)
	var resp struct {
		StatusCode        int                 `json:"statusCode"`
		Headers           map[string]string   `json:"headers"`
		MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
		Body              string              `json:"body"`
		IsBase64Encoded   bool                `json:"isBase64Encoded"`
	}
	if err == nil && len(raw) > lambdaMaxPayload {
		// Lambda refuses a response over its payload limit (ResponseSizeTooLarge), and API Gateway answers 502.
		err = fmt.Errorf("response of %d bytes", len(raw))
	}
	if err == nil {
		err = json.Unmarshal(raw, &resp)
	}
	if err != nil || resp.StatusCode == 0 {
		writeGatewayError(w, http.StatusBadGateway, "Internal server error")
		return
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		w.Header()[http.CanonicalHeaderKey(k)] = vs
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if body, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			writeGatewayError(w, http.StatusBadGateway, "Internal server error")
			return
		}
	}
	w.WriteHeader(resp.StatusCode)
	w.Write(body)
}

// writeUnauthorized answers as the deployed API's customised UNAUTHORIZED gateway response does (see the SAM
// template): the API's own JSON error shape and a Bearer challenge.
func writeUnauthorized(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", auth.Challenge)
	publicerr.Write(w, auth.ErrUnauthorized)
}

// writeGatewayError answers the way API Gateway itself does when the request never reaches the function.
func writeGatewayError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"message":%q}`, msg)
}
