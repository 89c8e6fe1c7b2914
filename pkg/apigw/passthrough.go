package apigw

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
)

// PassthroughEvent is what a REST API's non-proxy (AWS) integration sends with the "method request passthrough"
// mapping template, which older APIs use: the request's parameters by kind under "params" and $context values under
// "context". The body comes as "body" when the template passes $input.body (base64-encoded by API Gateway for
// binary media types, which is how a multipart photo arrives) or as "body-json" with AWS's default template.
type PassthroughEvent struct {
	Body     *string         `json:"body"`
	BodyJSON json.RawMessage `json:"body-json"`
	Params   struct {
		Path        map[string]string `json:"path"`
		QueryString map[string]string `json:"querystring"`
		Header      map[string]string `json:"header"`
	} `json:"params"`
	StageVariables map[string]string `json:"stage-variables"`
	// Context holds the template's $context values: http-method, resource-path, stage, source-ip, request-id...
	Context map[string]string `json:"context"`
}

// fromPassthrough builds the request of a passthrough event. Without an isBase64Encoded flag, the body is taken to
// be base64 exactly when its Content-Type is not text, which is when API Gateway encodes it.
func fromPassthrough(ctx context.Context, ev *PassthroughEvent) (*http.Request, error) {
	header := http.Header{}
	for k, v := range ev.Params.Header {
		header.Set(k, v)
	}
	query := url.Values{}
	for k, v := range ev.Params.QueryString {
		query.Set(k, v)
	}
	path := fillTemplate(ev.Context["resource-path"], ev.Params.Path)
	var body []byte
	switch {
	case ev.Body != nil:
		b, err := decodeBody(*ev.Body, !IsText(header.Get("Content-Type")))
		if err != nil {
			return nil, err
		}
		body = b
	case len(ev.BodyJSON) > 0 && string(ev.BodyJSON) != "{}" && string(ev.BodyJSON) != "null":
		body = ev.BodyJSON
	}
	return build(ctx, ev.Context["http-method"], path, query.Encode(), header, body, ev.Context["source-ip"])
}
