package apigw

import (
	"context"
	"embed"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

//go:embed testdata/*.json
var fixtures embed.FS

func fixture(t *testing.T, name string) json.RawMessage {
	t.Helper()
	b, err := fixtures.ReadFile("testdata/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestRequests: every event shape becomes the request the API defines, whatever stage or base path the event's
// own path carries.
func TestRequests(t *testing.T) {
	cases := map[string]struct {
		method, path, query, remote string
		header                      map[string][]string
		body                        string
		version                     Version
	}{
		"rest-v1-get": {method: "GET", path: "/images/0190a8f4-0000-7000-8000-000000000001", query: "d=640x480&tag=a&tag=b",
			remote: "203.0.113.7", version: V1,
			header: map[string][]string{"Accept": {"image/webp,*/*"}, "X-Repeated": {"first", "second"}, "Authorization": {"Bearer eyJ.x.y"}}},
		"http-v2-get": {method: "GET", path: "/images/0190a8f4-0000-7000-8000-000000000001", query: "d=640x480&tag=a&tag=b",
			remote: "203.0.113.7", version: V2,
			header: map[string][]string{"Accept": {"image/webp,*/*"}, "Cookie": {"session=abc; theme=dark"}, "X-Repeated": {"first,second"}}},
		"rest-passthrough-post": {method: "POST", path: "/images", query: "album=2026", remote: "203.0.113.7", version: Passthrough,
			header: map[string][]string{"Content-Type": {"multipart/form-data; boundary=b"}},
			body:   "--b\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nhi\r\n--b--\r\n"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r, ev, err := NewRequest(t.Context(), fixture(t, name))
			if err != nil {
				t.Fatal(err)
			}
			if ev.Version != c.version || r.Method != c.method || r.URL.Path != c.path || r.URL.Query().Encode() != c.query ||
				r.RemoteAddr != c.remote {
				t.Fatalf("v%d %s %s ? %s from %s", ev.Version, r.Method, r.URL.Path, r.URL.Query().Encode(), r.RemoteAddr)
			}
			for k, want := range c.header {
				if got := r.Header.Values(k); strings.Join(got, "|") != strings.Join(want, "|") {
					t.Errorf("header %s = %q, want %q", k, got, want)
				}
			}
			body, _ := io.ReadAll(r.Body)
			if string(body) != c.body || r.ContentLength != int64(len(c.body)) {
				t.Errorf("body %q (length %d), want %q", body, r.ContentLength, c.body)
			}
			if got, ok := EventFrom(r.Context()); !ok || got != ev {
				t.Error("the event is not in the request's context")
			}
		})
	}
}

func TestPathFromTemplates(t *testing.T) {
	for _, c := range []struct {
		tmpl   string
		params map[string]string
		want   string
	}{
		{"/images", nil, "/images"},
		{"/images/{id}", map[string]string{"id": "abc"}, "/images/abc"},
		{"/images/{id}", map[string]string{"id": "a/b"}, "/images/a%2Fb"}, // one segment stays one
		{"/{proxy+}", map[string]string{"proxy": "photo/a b.jpg"}, "/photo/a%20b.jpg"},
		{"/images/{id}", nil, ""}, // a parameter is missing: fall back to the event's path
	} {
		if got := fillTemplate(c.tmpl, c.params); got != c.want {
			t.Errorf("fillTemplate(%q, %v) = %q, want %q", c.tmpl, c.params, got, c.want)
		}
	}
	for path, want := range map[string]string{"/v1/images": "/images", "/v1": "/", "/v10/images": "/v10/images", "/images": "/images"} {
		if got := stripStage(path, "v1"); got != want {
			t.Errorf("stripStage(%q) = %q, want %q", path, got, want)
		}
	}
}

// echo answers every request with what the test needs to see.
func echo(status int, contentType string, body []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Add("Vary", "Origin")
		w.Header().Add("Vary", "Accept")
		w.Header().Add("Set-Cookie", "a=1")
		w.Header().Add("Set-Cookie", "b=2")
		w.WriteHeader(status)
		w.Write(body)
	})
}

// TestResponses: a body is base64 exactly when its Content-Type is not text, even when its bytes are valid UTF-8,
// and each payload format gets its own response shape.
func TestResponses(t *testing.T) {
	textLooking := []byte("GIF89a this is valid UTF-8") // a binary type whose bytes happen to be valid UTF-8
	for name, c := range map[string]struct {
		contentType string
		body        []byte
		b64         bool
	}{
		"json":               {"application/json; charset=utf-8", []byte(`{"a":1}`), false},
		"text":               {"text/plain", []byte("hello"), false},
		"image that is utf8": {"image/gif", textLooking, true},
		"binary jpeg":        {"image/jpeg", []byte{0xff, 0xd8, 0xff}, true},
		"no type":            {"", []byte("x"), true},
	} {
		t.Run(name, func(t *testing.T) {
			mux := http.NewServeMux()
			mux.Handle("GET /images/{id}", echo(201, c.contentType, c.body))
			for _, fx := range []string{"rest-v1-get", "http-v2-get"} {
				out, err := Handler(mux)(t.Context(), fixture(t, fx))
				if err != nil {
					t.Fatal(err)
				}
				var status int
				var body string
				var b64 bool
				switch resp := out.(type) {
				case events.APIGatewayProxyResponse:
					status, body, b64 = resp.StatusCode, resp.Body, resp.IsBase64Encoded
					if len(resp.MultiValueHeaders["Vary"]) != 2 || len(resp.MultiValueHeaders["Set-Cookie"]) != 2 {
						t.Errorf("%s: multi-value headers %v", fx, resp.MultiValueHeaders)
					}
				case events.APIGatewayV2HTTPResponse:
					status, body, b64 = resp.StatusCode, resp.Body, resp.IsBase64Encoded
					if resp.Headers["Vary"] != "Origin, Accept" || len(resp.Cookies) != 2 || resp.Headers["Set-Cookie"] != "" {
						t.Errorf("%s: headers %v, cookies %v", fx, resp.Headers, resp.Cookies)
					}
				default:
					t.Fatalf("%s: answered with a %T", fx, out)
				}
				got := []byte(body)
				if b64 {
					got, _ = base64.StdEncoding.DecodeString(body)
				}
				if status != 201 || b64 != c.b64 || string(got) != string(c.body) {
					t.Errorf("%s: status %d, base64 %v, body %q", fx, status, b64, got)
				}
			}
		})
	}
}

// TestPassthroughAnswers: a success is its JSON body, an error a function error that integration responses can
// select on by status.
func TestPassthroughAnswers(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("POST /images", echo(201, "application/json", []byte(`{"id":"x"}`)))
	out, err := Handler(mux)(t.Context(), fixture(t, "rest-passthrough-post"))
	if err != nil || string(out.(json.RawMessage)) != `{"id":"x"}` {
		t.Fatalf("success: %v, %v", out, err)
	}
	mux = http.NewServeMux()
	mux.Handle("POST /images", echo(413, "application/json", []byte(`{"error":{"code":"file_too_large"}}`)))
	_, err = Handler(mux)(t.Context(), fixture(t, "rest-passthrough-post"))
	var pe *PassthroughError
	if !errors.As(err, &pe) || pe.Status != 413 || err.Error() != `[413] {"error":{"code":"file_too_large"}}` {
		t.Fatalf("error: %v", err)
	}
}

func TestBadEvents(t *testing.T) {
	never := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("not reached") })
	for name, raw := range map[string]string{
		"not an object":     `[1,2]`,
		"bad v2 base64":     `{"version":"2.0","requestContext":{"http":{"method":"POST"}},"body":"!!","isBase64Encoded":true}`,
		"bad v1 base64":     `{"httpMethod":"POST","path":"/images","body":"%%%","isBase64Encoded":true}`,
		"no method":         `{"path":"/images"}`,
		"wrong field types": `{"httpMethod":5}`,
	} {
		out, err := Handler(never)(context.Background(), json.RawMessage(raw))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, _ := json.Marshal(out)
		var resp struct {
			StatusCode int
			Body       string
		}
		json.Unmarshal(b, &resp)
		if resp.StatusCode != 400 || !strings.Contains(resp.Body, `"bad_request"`) {
			t.Errorf("%s: %s", name, b)
		}
	}
}
