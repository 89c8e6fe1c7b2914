package api

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// directEvent is a POST /uploads with a JSON body, in the shape of fixture fx.
func directEvent(t *testing.T, fx, body string) json.RawMessage {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(routeEvent(t, fx, "POST", "/uploads", "", nil), &ev); err != nil {
		t.Fatal(err)
	}
	if ev["version"] == "2.0" {
		ev["routeKey"] = "POST /uploads"
	} else {
		ev["resource"] = "/uploads"
	}
	// A REST API with binary media types */* base64-encodes JSON too; the adapter decodes either.
	ev["body"], ev["isBase64Encoded"] = body, false
	hs := ev["headers"].(map[string]any)
	for k := range hs {
		if strings.EqualFold(k, "content-type") {
			delete(hs, k)
		}
	}
	hs["content-type"] = "application/json"
	out, _ := json.Marshal(ev)
	return out
}

func TestDirectUploadIssuesAPolicyAndAPendingRow(t *testing.T) {
	for _, fx := range routeFixtures {
		t.Run(fx, func(t *testing.T) {
			env := authEnv(t)
			body := `{"filename": "C:\\DCIM\\IMG_0001.JPG", "contentType": "image/jpeg", "bytes": 12345678, "fields": {"caption": "big one"}}`
			status, hdr, resp := invoke(t, env.svc, as(t, directEvent(t, fx, body), "alice", false))
			if status != http.StatusCreated {
				t.Fatalf("%d %v", status, resp)
			}
			id := resp["id"].(string)
			key := "staging/" + id + ".jpg"
			fields, _ := resp["fields"].(map[string]any)
			if resp["stagingKey"] != key || resp["url"] == "" || resp["maxBytes"] != float64(12345678) || hdr["Location"] != "images/"+id ||
				fields["key"] != key || fields["x-amz-meta-image-id"] != id || fields["Content-Type"] != "image/jpeg" {
				t.Fatalf("response %v", resp)
			}
			expires, err := time.Parse(time.RFC3339, resp["expiresAt"].(string))
			if err != nil || time.Until(expires) < 14*time.Minute || time.Until(expires) > 16*time.Minute {
				t.Fatalf("expiresAt %v %v", resp["expiresAt"], err)
			}
			p := env.objects.posts[0]
			if p.Key != key || p.ContentType != "image/jpeg" || p.MaxBytes != 12345678 || p.TTL != 15*time.Minute ||
				p.Metadata["image-id"] != id || p.Metadata["original-filename"] != "IMG_0001.JPG" {
				t.Fatalf("policy %+v", p)
			}
			img, err := env.store.Get(t.Context(), id)
			if err != nil || img.Status != catalog.StatusPending || img.Origin != catalog.OriginDirect || img.Owner != "alice" ||
				img.Filename != "IMG_0001.JPG" || img.Fields["caption"] != "big one" || img.StagingKey != key || img.ExpiresAt.IsZero() {
				t.Fatalf("row %+v %v", img, err)
			}
			if len(env.objects.keys()) != 0 {
				t.Fatal("a direct upload stores nothing itself")
			}
		})
	}
}

func TestDirectUploadMistakes(t *testing.T) {
	cases := map[string]struct {
		body   string
		status int
		code   string
	}{
		"no body":          {"", 400, "no_body"},
		"not json":         {"caption=hi", 400, "bad_json"},
		"json array":       {`[1]`, 400, "bad_json"},
		"no size":          {`{"contentType": "image/jpeg"}`, 400, "bad_size"},
		"negative size":    {`{"contentType": "image/jpeg", "bytes": -5}`, 400, "bad_size"},
		"over the limit":   {`{"contentType": "image/jpeg", "bytes": 52428801}`, 413, "file_too_large"},
		"not an image":     {`{"contentType": "application/pdf", "bytes": 100}`, 415, "unsupported_format"},
		"no type":          {`{"bytes": 100}`, 415, "unsupported_format"},
		"too many fields":  {`{"contentType": "image/png", "bytes": 1, "fields": {"a":"1","b":"2","c":"3","d":"4","e":"5"}}`, 400, "invalid_fields"},
		"fields too large": {`{"contentType": "image/png", "bytes": 1, "fields": {"a": "` + strings.Repeat("x", 300) + `"}}`, 400, "invalid_fields"},
		"huge body":        {`{"contentType": "image/png", "bytes": 1, "x": "` + strings.Repeat("x", 70<<10) + `"}`, 400, "bad_json"},
	}
	for _, fx := range routeFixtures {
		for name, c := range cases {
			t.Run(fx+"/"+name, func(t *testing.T) {
				env := authEnv(t)
				status, _, resp := invoke(t, env.svc, as(t, directEvent(t, fx, c.body), "alice", false))
				e, _ := resp["error"].(map[string]any)
				if status != c.status || e["code"] != c.code || e["message"] == "" {
					t.Fatalf("%d %v", status, resp)
				}
				if env.rows(t) != 0 || len(env.objects.posts) != 0 {
					t.Fatal("a refused request left a row or a policy")
				}
			})
		}
	}
	env := authEnv(t)
	env.objects.failPresign = true
	status, _, _ := invoke(t, env.svc, as(t, directEvent(t, "http-v2-base64", `{"contentType": "image/jpeg", "bytes": 10}`), "alice", false))
	if status != 503 || env.rows(t) != 0 {
		t.Fatalf("presigning failed: %d, %d rows left", status, env.rows(t))
	}
}
