package apigw

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

func TestParseV1(t *testing.T) {
	raw := `{"httpMethod":"GET","path":"/images","headers":{"content-TYPE":"text/plain","X-One":"last"},
		"multiValueHeaders":{"X-One":["first","last"]},"queryStringParameters":{"limit":"5"},
		"multiValueQueryStringParameters":{"tag":["a","b"]},"body":"aGk=","isBase64Encoded":true}`
	r, err := Parse(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != V1 || r.Method != "GET" || r.Header.Get("Content-Type") != "text/plain" ||
		len(r.Header.Values("X-One")) != 2 || r.Query.Get("limit") != "5" || len(r.Query["tag"]) != 2 || string(r.Body) != "hi" {
		t.Fatalf("%+v", r)
	}
}

func TestParseV2(t *testing.T) {
	raw := `{"version":"2.0","rawPath":"/v1/images/x","rawQueryString":"limit=5&tag=a&tag=b",
		"headers":{"content-type":"application/json"},"cookies":["a=1","b=2"],
		"requestContext":{"http":{"method":"DELETE","path":"/v1/images/x"}},"body":"{}","isBase64Encoded":false}`
	r, err := Parse(json.RawMessage(raw))
	if err != nil {
		t.Fatal(err)
	}
	if r.Version != V2 || r.Method != "DELETE" || r.Path != "/v1/images/x" || r.Header.Get("Content-Type") != "application/json" ||
		r.Header.Get("Cookie") != "a=1; b=2" || len(r.Query["tag"]) != 2 || string(r.Body) != "{}" {
		t.Fatalf("%+v", r)
	}
}

func TestBadEvents(t *testing.T) {
	if _, err := Parse(json.RawMessage(`{"version":"2.0","body":"!!","isBase64Encoded":true}`)); !errors.Is(err, ErrBadBody) {
		t.Fatalf("bad base64: %v", err)
	}
	if _, err := Parse(json.RawMessage(`[1,2]`)); err == nil {
		t.Fatal("an array is not an event")
	}
	out, err := Lambda(func(context.Context, *Request) *Response { panic("not reached") })(t.Context(), json.RawMessage(`"x"`))
	if err != nil || out.(events.APIGatewayProxyResponse).StatusCode != http.StatusBadRequest {
		t.Fatalf("%v %v", out, err)
	}
}

func TestResponseEvents(t *testing.T) {
	resp := &Response{Status: 201, Header: http.Header{"Vary": {"Origin", "Accept"}}, Body: []byte{0xff, 0xd8}}
	v1 := resp.Event(V1).(events.APIGatewayProxyResponse)
	if v1.StatusCode != 201 || !v1.IsBase64Encoded || v1.Body != "/9g=" || len(v1.MultiValueHeaders["Vary"]) != 2 {
		t.Fatalf("v1 %+v", v1)
	}
	if v2 := resp.Event(V2).(events.APIGatewayV2HTTPResponse); v2.Headers["Vary"] != "Origin, Accept" {
		t.Fatalf("repeated header: %q", v2.Headers["Vary"])
	}
	v2 := JSON(200, map[string]int{"a": 1}).Event(V2).(events.APIGatewayV2HTTPResponse)
	if v2.StatusCode != 200 || v2.IsBase64Encoded || v2.Body != `{"a":1}` || v2.Headers["Content-Type"] == "" {
		t.Fatalf("v2 %+v", v2)
	}
}
