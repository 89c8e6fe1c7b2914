package api

import (
	"embed"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/catalog"
)

//go:embed testdata/*.json
var fixtures embed.FS

// event fills a fixture (a real API Gateway event shape) with a body and a Content-Type, keeping the fixture's
// own header-name spelling and its base64 choice.
func event(t *testing.T, fixture string, body []byte, contentType string) json.RawMessage {
	t.Helper()
	raw, err := fixtures.ReadFile("testdata/" + fixture + ".json")
	if err != nil {
		t.Fatal(err)
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if ev["isBase64Encoded"] == true {
		ev["body"] = base64.StdEncoding.EncodeToString(body)
	} else {
		ev["body"] = string(body)
	}
	for _, hk := range []string{"headers", "multiValueHeaders"} {
		hs, _ := ev[hk].(map[string]any)
		for k := range hs {
			if strings.EqualFold(k, "content-type") {
				if contentType == "" {
					delete(hs, k)
				} else if hk == "headers" {
					hs[k] = contentType
				} else {
					hs[k] = []string{contentType}
				}
			}
		}
	}
	out, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// invoke runs the Lambda entry point on a raw event and decodes the response, whichever payload format it is.
func invoke(t *testing.T, svc *Service, raw json.RawMessage) (status int, header map[string]string, body map[string]any) {
	t.Helper()
	out, err := apigw.Handler(svc.Handler())(t.Context(), raw)
	if err != nil {
		t.Fatalf("handler returned an error (API Gateway would answer 502): %v", err)
	}
	b, _ := json.Marshal(out)
	var resp struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	if err := json.Unmarshal(b, &resp); err != nil {
		t.Fatal(err)
	}
	if resp.Body != "" {
		if err := json.Unmarshal([]byte(resp.Body), &body); err != nil {
			t.Fatalf("response body is not JSON: %q", resp.Body)
		}
	}
	return resp.StatusCode, resp.Headers, body
}

var allFixtures = []string{"rest-v1-base64", "rest-v1-plain", "http-v2-base64", "http-v2-plain"}

var binaryFixtures = []string{"rest-v1-base64", "http-v2-base64"}

func TestUploadStoresPhotoAndPendingRow(t *testing.T) {
	photos := map[string]struct {
		data        []byte
		contentType string // the sniffed type, whatever the client claims
		ext         string // of the staged object
		outExt      string // of the derivatives
	}{
		"jpeg":       {testimage.JPEG(64, 48), "image/jpeg", ".jpg", ".jpg"},
		"png opaque": {testimage.PNG(64, 48, false), "image/png", ".png", ".jpg"},
		"png alpha":  {testimage.PNG(64, 48, true), "image/png", ".png", ".png"},
		"gif":        {testimage.GIF(64, 48), "image/gif", ".gif", ".jpg"},
		"webp":       {testimage.WebP(), "image/webp", ".webp", ".jpg"},
	}
	for _, fx := range binaryFixtures {
		for name, p := range photos {
			t.Run(fx+"/"+name, func(t *testing.T) {
				env := newTestEnv(t)
				body, ct := testimage.Multipart(
					testimage.Part{Field: "caption", Data: []byte("Sunset über Wien")},
					testimage.Part{Field: "file", Filename: `C:\Users\me\holiday.txt`, ContentType: "text/plain", Data: p.data},
					testimage.Part{Field: "album", Data: []byte("2026")},
				)
				status, hdr, resp := invoke(t, env.svc, event(t, fx, body, ct))
				if status != http.StatusCreated {
					t.Fatalf("status %d, body %v", status, resp)
				}
				id, _ := resp["id"].(string)
				key := "staging/" + id + p.ext
				if resp["stagingKey"] != key || resp["status"] != "pending" || hdr["Location"] != "images/"+id {
					t.Fatalf("response %v, headers %v", resp, hdr)
				}
				ds, _ := resp["derivatives"].([]any)
				if len(ds) != 3 || ds[0].(map[string]any)["key"] != "derivatives/"+id+"/1920"+p.outExt {
					t.Fatalf("derivatives %v", ds)
				}
				obj, ok := env.objects.objects[key]
				if !ok || string(obj.data) != string(p.data) || obj.contentType != p.contentType {
					t.Fatalf("stored %v; objects %v", obj.contentType, env.objects.keys())
				}
				if obj.meta["image-id"] != id || obj.meta["original-filename"] != "holiday.txt" {
					t.Fatalf("metadata %v", obj.meta)
				}
				img, err := env.store.Get(t.Context(), id)
				if err != nil {
					t.Fatal(err)
				}
				if img.Status != catalog.StatusPending || img.Filename != "holiday.txt" || img.ContentType != p.contentType ||
					img.Fields["caption"] != "Sunset über Wien" || img.Fields["album"] != "2026" || img.StagingKey != key {
					t.Fatalf("row %+v", img)
				}
			})
		}
	}
}

func TestUploadClientMistakes(t *testing.T) {
	jpg := testimage.JPEG(64, 48)
	multipart := func(parts ...testimage.Part) ([]byte, string) { return testimage.Multipart(parts...) }
	file := func(data []byte) testimage.Part { return testimage.Part{Field: "file", Filename: "a.jpg", Data: data} }
	cases := map[string]struct {
		body   func() ([]byte, string)
		status int
		code   string
	}{
		"no body":         {func() ([]byte, string) { return nil, "multipart/form-data; boundary=x" }, 400, "no_body"},
		"wrong type":      {func() ([]byte, string) { return []byte(`{"photo":"…"}`), "application/json" }, 415, "not_multipart"},
		"no content type": {func() ([]byte, string) { return []byte("hello"), "" }, 415, "not_multipart"},
		"no boundary":     {func() ([]byte, string) { b, _ := multipart(file(jpg)); return b, "multipart/form-data" }, 400, "no_boundary"},
		"no file part":    {func() ([]byte, string) { return multipart(testimage.Part{Field: "caption", Data: []byte("x")}) }, 400, "no_file"},
		"file in the wrong field": {func() ([]byte, string) {
			return multipart(testimage.Part{Field: "photo", Filename: "a.jpg", Data: jpg})
		}, 400, "no_file"},
		"two file parts": {func() ([]byte, string) {
			return multipart(file(jpg), testimage.Part{Field: "other", Filename: "b.jpg", Data: jpg})
		}, 400, "too_many_files"},
		"empty file":   {func() ([]byte, string) { return multipart(file(nil)) }, 400, "empty_file"},
		"not an image": {func() ([]byte, string) { return multipart(file([]byte("just some text, not a photo"))) }, 415, "not_an_image"},
		"unsupported": {func() ([]byte, string) {
			return multipart(file([]byte("II*\x00\x08\x00\x00\x00 a TIFF header")))
		}, 415, "unsupported_format"},
		"too many bytes": {func() ([]byte, string) { return multipart(file(append(jpg, make([]byte, 64<<10)...))) }, 413, "file_too_large"},
		"too many pixels": {func() ([]byte, string) {
			return multipart(file(testimage.BlankPNG(1100, 1000))) // 1.1 MP against a 1 MP limit, in 1 KB
		}, 422, "too_many_pixels"},
		"truncated image": {func() ([]byte, string) { return multipart(file(jpg[:len(jpg)/2])) }, 422, "truncated"},
		"too wide":        {func() ([]byte, string) { return multipart(file(testimage.BlankPNG(25000, 8))) }, 422, "too_wide"},
		"scan bomb":       {func() ([]byte, string) { return multipart(file(testimage.ScanBomb(64, 64, 1001))) }, 422, "too_many_scans"},
		"truncated body":  {func() ([]byte, string) { b, ct := multipart(file(jpg)); return b[:len(b)-20], ct }, 400, "malformed"},
		"duplicate field": {func() ([]byte, string) {
			return multipart(testimage.Part{Field: "a", Data: []byte("1")}, testimage.Part{Field: "a", Data: []byte("2")}, file(jpg))
		}, 400, "invalid_fields"},
		"too many fields": {func() ([]byte, string) { return multipart(tf("a"), tf("b"), tf("c"), tf("d"), tf("e"), file(jpg)) }, 400, "invalid_fields"},
		"fields too large": {func() ([]byte, string) {
			return multipart(testimage.Part{Field: "a", Data: make([]byte, 300)}, file(jpg))
		}, 400, "invalid_fields"},
	}
	for _, fx := range allFixtures {
		for name, c := range cases {
			t.Run(fx+"/"+name, func(t *testing.T) {
				env := newTestEnv(t)
				body, ct := c.body()
				status, hdr, resp := invoke(t, env.svc, event(t, fx, body, ct))
				// A plain (not base64) body carries text only: binary bytes arrive mangled, so for those the
				// answer need only be some client error.
				plainBinary := !strings.Contains(fx, "base64") && !utf8.Valid(body)
				if plainBinary && (status < 400 || status >= 500) || !plainBinary && status != c.status {
					t.Fatalf("status %d, want %d: %v", status, c.status, resp)
				}
				errObj, _ := resp["error"].(map[string]any)
				msg, _ := errObj["message"].(string)
				if !plainBinary && errObj["code"] != c.code || msg == "" || strings.Contains(msg, "imagefile:") || strings.Contains(msg, "form:") {
					t.Fatalf("error %v", resp)
				}
				if !strings.HasPrefix(hdr["Content-Type"], "application/json") {
					t.Fatalf("content type %q", hdr["Content-Type"])
				}
				if keys := env.objects.keys(); len(keys) != 0 || env.rows(t) != 0 {
					t.Fatalf("something was stored: objects %v, rows %d", keys, env.rows(t))
				}
			})
		}
	}
}

func tf(name string) testimage.Part { return testimage.Part{Field: name, Data: []byte("v")} }

// TestUploadPlainBodyMangledByText shows why the SAM template declares multipart/form-data a binary media type:
// without it API Gateway hands Lambda the body as text, the photo's bytes no longer form an image, and the API
// must refuse it rather than store garbage.
func TestUploadPlainBodyMangledByText(t *testing.T) {
	env := newTestEnv(t)
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(64, 48)})
	mangled := []byte(strings.ToValidUTF8(string(body), "\uFFFD"))
	status, _, resp := invoke(t, env.svc, event(t, "rest-v1-plain", mangled, ct))
	if status < 400 || status >= 500 {
		t.Fatalf("status %d: %v", status, resp)
	}
	if len(env.objects.keys()) != 0 {
		t.Fatal("a mangled photo was stored")
	}
}

func TestUploadBadBase64(t *testing.T) {
	env := newTestEnv(t)
	raw := event(t, "http-v2-base64", nil, "multipart/form-data; boundary=x")
	raw = json.RawMessage(strings.Replace(string(raw), `"body":""`, `"body":"%%% not base64"`, 1))
	status, _, resp := invoke(t, env.svc, raw)
	if status != 400 || resp["error"].(map[string]any)["code"] != "bad_request" {
		t.Fatalf("status %d: %v", status, resp)
	}
}

func TestUploadS3DownLeavesNothing(t *testing.T) {
	for _, fx := range binaryFixtures {
		t.Run(fx, func(t *testing.T) {
			env := newTestEnv(t)
			env.objects.failPut = true
			body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(64, 48)})
			status, _, resp := invoke(t, env.svc, event(t, fx, body, ct))
			if status != http.StatusServiceUnavailable || strings.Contains(resp["error"].(map[string]any)["message"].(string), "injected") {
				t.Fatalf("status %d: %v", status, resp)
			}
			if len(env.objects.keys()) != 0 || env.rows(t) != 0 {
				t.Fatalf("half-stored: objects %v, rows %d", env.objects.keys(), env.rows(t))
			}
		})
	}
}

func TestUploadDatabaseDownStoresNothing(t *testing.T) {
	env := newTestEnv(t)
	env.svc.Catalog = downCatalog{env.store}
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(64, 48)})
	status, _, resp := invoke(t, env.svc, event(t, "rest-v1-base64", body, ct))
	if status != http.StatusServiceUnavailable {
		t.Fatalf("status %d: %v", status, resp)
	}
	if len(env.objects.keys()) != 0 {
		t.Fatalf("orphan staged object: %v", env.objects.keys())
	}
}

func TestUploadConfigurableFileField(t *testing.T) {
	env := newTestEnv(t)
	env.svc.Config.Form.FileField = "photo"
	body, ct := testimage.Multipart(testimage.Part{Field: "photo", Filename: "a.jpg", Data: testimage.JPEG(64, 48)})
	if status, _, resp := invoke(t, env.svc, event(t, "http-v2-base64", body, ct)); status != http.StatusCreated {
		t.Fatalf("status %d: %v", status, resp)
	}
}
