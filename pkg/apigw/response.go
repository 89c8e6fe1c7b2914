package apigw

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-lambda-go/events"
)

// Response is what a handler returns.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON returns a response with v encoded as its JSON body.
func JSON(status int, v any) *Response {
	body, err := json.Marshal(v)
	if err != nil {
		return &Response{Status: http.StatusInternalServerError, Header: jsonHeader(),
			Body: []byte(`{"error":{"code":"internal","message":"internal error"}}`)}
	}
	return &Response{Status: status, Header: jsonHeader(), Body: body}
}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json; charset=utf-8"}}
}

// Event converts the response into the event type of payload format v. A body that is not valid UTF-8 is sent
// base64-encoded, as API Gateway requires for binary responses.
func (resp *Response) Event(v Version) any {
	body, b64 := string(resp.Body), false
	if !utf8.Valid(resp.Body) {
		body, b64 = base64.StdEncoding.EncodeToString(resp.Body), true
	}
	// Payload 2.0 has single-value headers only; repeated values are joined with commas, as HTTP allows.
	single := make(map[string]string, len(resp.Header))
	for k, vs := range resp.Header {
		if len(vs) > 0 {
			single[k] = strings.Join(vs, ", ")
		}
	}
	if v == V2 {
		return events.APIGatewayV2HTTPResponse{StatusCode: resp.Status, Headers: single, Body: body, IsBase64Encoded: b64}
	}
	return events.APIGatewayProxyResponse{StatusCode: resp.Status, Headers: single,
		MultiValueHeaders: map[string][]string(resp.Header), Body: body, IsBase64Encoded: b64}
}

// Handler serves one request.
type Handler func(ctx context.Context, req *Request) *Response

// Lambda adapts h to a Lambda handler that accepts either payload format. An event that cannot be decoded is a
// client mistake (400), answered in payload format 1.0 when the version is unknown.
func Lambda(h Handler) func(context.Context, json.RawMessage) (any, error) {
	return func(ctx context.Context, raw json.RawMessage) (any, error) {
		req, err := Parse(raw)
		if err != nil {
			v := V1
			if req != nil {
				v = req.Version
			}
			return BadRequest(err).Event(v), nil
		}
		return h(ctx, req).Event(req.Version), nil
	}
}

// BadRequest answers a request whose envelope could not be decoded.
func BadRequest(err error) *Response {
	msg := "the request could not be decoded"
	if err == ErrBadBody {
		msg = "the request body is marked base64 but is not valid base64"
	}
	return JSON(http.StatusBadRequest, map[string]any{"error": map[string]string{"code": "bad_request", "message": msg}})
}
