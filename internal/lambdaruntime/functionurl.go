package lambdaruntime

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/google/uuid"
)

// FunctionURLDomain returns the host name of the function's emulated
// function URL, <url-id>.lambda-url.<region>.on.aws. Behind CloudFront it is
// also the Host header the function sees, since CloudFront sends the
// origin's domain.
func (f *Function) FunctionURLDomain() string {
	return f.urlID + ".lambda-url." + f.opts.Region + ".on.aws"
}

// FunctionURLEvent returns, as JSON, the events.LambdaFunctionURLRequest a
// function URL with auth type NONE sends the function for r (build r with
// httptest.NewRequest). It consumes r.Body. The shape follows the payloads
// captured in aws-lambda-go's lambdaurl/testdata: header names lower-cased
// and repeated headers joined with ",", Host replaced by the URL's domain,
// the Cookie header kept and also split into cookies, X-Forwarded-* and
// X-Amzn-Trace-Id added, queryStringParameters with repeated values joined
// with ",", and the body base64-encoded unless its Content-Type is textual.
// A function URL whose auth type is AWS_IAM (CloudFront origin access
// control) also fills requestContext.authorizer.iam; this one does not.
func (f *Function) FunctionURLEvent(r *http.Request) ([]byte, error) {
	var body []byte
	if r.Body != nil {
		var err error
		if body, err = io.ReadAll(r.Body); err != nil {
			return nil, fmt.Errorf("lambdaruntime: read request body: %w", err)
		}
	}
	now := time.Now().UTC()
	sourceIP := "127.0.0.1"
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	domain := f.FunctionURLDomain()

	headers := map[string]string{}
	for k, vs := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(vs, ",")
	}
	headers["host"] = domain
	headers["x-forwarded-for"] = sourceIP
	headers["x-forwarded-proto"] = "https"
	headers["x-forwarded-port"] = "443"
	if _, ok := headers["x-amzn-trace-id"]; !ok {
		headers["x-amzn-trace-id"] = fmt.Sprintf("Root=1-%08x-%s", now.Unix(), randomHex(24))
	}
	if len(body) > 0 {
		headers["content-length"] = strconv.Itoa(len(body))
	}

	var cookies []string
	for _, line := range r.Header.Values("Cookie") {
		for c := range strings.SplitSeq(line, ";") {
			if c = strings.TrimSpace(c); c != "" {
				cookies = append(cookies, c)
			}
		}
	}

	var params map[string]string
	if q, err := url.ParseQuery(r.URL.RawQuery); err == nil && len(q) > 0 {
		params = make(map[string]string, len(q))
		for k, vs := range q {
			params[k] = strings.Join(vs, ",")
		}
	}

	ev := events.LambdaFunctionURLRequest{
		Version:               "2.0",
		RawPath:               r.URL.EscapedPath(),
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: params,
		RequestContext: events.LambdaFunctionURLRequestContext{
			AccountID:    accountID,
			RequestID:    uuid.NewString(),
			APIID:        f.urlID,
			DomainName:   domain,
			DomainPrefix: f.urlID,
			Time:         now.Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch:    now.UnixMilli(),
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{
				Method:    r.Method,
				Path:      r.URL.Path,
				Protocol:  "HTTP/1.1",
				SourceIP:  sourceIP,
				UserAgent: r.UserAgent(),
			},
		},
	}
	if len(body) > 0 {
		if textual(r.Header.Get("Content-Type")) {
			ev.Body = string(body)
		} else {
			ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return marshalWithRouteKey(ev)
}

// marshalWithRouteKey adds the routeKey and stage that real payloads carry
// ("$default") and the events type has no field for.
func marshalWithRouteKey(ev events.LambdaFunctionURLRequest) ([]byte, error) {
	b, err := json.Marshal(ev)
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: %w", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("lambdaruntime: %w", err)
	}
	m["routeKey"] = "$default"
	rc := m["requestContext"].(map[string]any)
	rc["routeKey"], rc["stage"] = "$default", "$default"
	return json.Marshal(m)
}

// textual reports whether a function URL passes a body of this type as text.
func textual(contentType string) bool {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+json") || strings.HasSuffix(mt, "+xml") {
		return true
	}
	return slices.Contains([]string{"application/json", "application/javascript", "application/xml",
		"application/x-www-form-urlencoded"}, mt)
}
