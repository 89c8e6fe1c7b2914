package api

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// routeEvent turns a fixture into a request for method and path (with an optional query and Origin header),
// setting each field where that payload format keeps it.
func routeEvent(t *testing.T, fixture, method, path, rawQuery string, headers map[string]string) json.RawMessage {
	t.Helper()
	var ev map[string]any
	if err := json.Unmarshal(event(t, fixture, nil, ""), &ev); err != nil {
		t.Fatal(err)
	}
	q, _ := url.ParseQuery(rawQuery)
	hs := ev["headers"].(map[string]any)
	for k, v := range headers {
		hs[k] = v
	}
	// The resource template and path parameters, as API Gateway sends them for the API's routes.
	resource, params := "/images", map[string]string{}
	if _, id, ok := strings.Cut(strings.TrimPrefix(path, "/v1"), "/images/"); ok {
		resource, params["id"] = "/images/{id}", id
	} else if !strings.HasSuffix(path, "/images") {
		resource = "" // not one of the API's resources: only a catch-all route would deliver it
	}
	ev["pathParameters"] = params
	if ev["version"] == "2.0" {
		route := method + " " + resource
		if resource == "" {
			route = "$default"
		}
		ev["routeKey"], ev["rawPath"], ev["rawQueryString"] = route, path, rawQuery
		ev["requestContext"].(map[string]any)["http"].(map[string]any)["method"] = method
		ev["requestContext"].(map[string]any)["http"].(map[string]any)["path"] = path
	} else {
		ev["httpMethod"], ev["path"], ev["resource"] = method, path, resource
		single := map[string]string{}
		for k, v := range q {
			single[k] = v[0]
		}
		ev["queryStringParameters"], ev["multiValueQueryStringParameters"] = single, map[string][]string(q)
	}
	out, _ := json.Marshal(ev)
	return out
}

// uploadOne stores a photo through the handler and returns its id.
func uploadOne(t *testing.T, env *testEnv) string {
	t.Helper()
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(64, 48)},
		testimage.Part{Field: "caption", Data: []byte("hi")})
	status, _, resp := invoke(t, env.svc, event(t, "rest-v1-base64", body, ct))
	if status != http.StatusCreated {
		t.Fatalf("upload: %d %v", status, resp)
	}
	return resp["id"].(string)
}

// markReady does what the resize function does when it finishes.
func markReady(t *testing.T, env *testEnv, id string) {
	t.Helper()
	img, err := env.store.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	img.Status, img.OriginalKey, img.SourceETag = catalog.StatusReady, "originals/"+id+".jpg", "etag"
	img.Derivatives = []catalog.Derivative{
		{Width: 64, Height: 48, Bytes: 100, Key: "derivatives/" + id + "/1920.jpg", ContentType: "image/jpeg"},
		{Width: 64, Height: 48, Bytes: 100, Key: "derivatives/" + id + "/640.jpg", ContentType: "image/jpeg"},
	}
	if err := env.store.MarkReady(t.Context(), img); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{img.OriginalKey, img.Derivatives[0].Key, img.Derivatives[1].Key} {
		env.objects.Put(t.Context(), k, []byte("x"), "image/jpeg", nil)
	}
}

var routeFixtures = []string{"rest-v1-base64", "http-v2-base64"}

func TestGetImage(t *testing.T) {
	for _, fx := range routeFixtures {
		t.Run(fx, func(t *testing.T) {
			env := newTestEnv(t)
			id := uploadOne(t, env)
			status, _, resp := invoke(t, env.svc, routeEvent(t, fx, "GET", "/images/"+id, "", nil))
			if status != 200 || resp["status"] != "pending" || resp["fields"].(map[string]any)["caption"] != "hi" ||
				len(resp["derivatives"].([]any)) != 0 {
				t.Fatalf("pending: %d %v", status, resp)
			}
			markReady(t, env, id)
			// A stage prefix in the path, as a REST API's requestContext.path or a named HTTP API stage has.
			status, _, resp = invoke(t, env.svc, routeEvent(t, fx, "GET", "/v1/images/"+id, "", nil))
			ds, _ := resp["derivatives"].([]any)
			if status != 200 || resp["status"] != "ready" || len(ds) != 2 || resp["width"] != float64(64) {
				t.Fatalf("ready: %d %v", status, resp)
			}
			d := ds[0].(map[string]any)
			if d["key"] != "derivatives/"+id+"/1920.jpg" || !strings.HasPrefix(d["url"].(string), "https://bucket.example/derivatives/"+id) {
				t.Fatalf("derivative %v", d)
			}
		})
	}
}

func TestImageRouteErrors(t *testing.T) {
	cases := map[string]struct {
		method, path, query string
		status              int
		code                string
	}{
		"unknown id":        {"GET", "/images/0190a8f4-0000-7000-8000-000000000000", "", 404, "not_found"},
		"malformed id":      {"GET", "/images/not-a-uuid", "", 400, "bad_id"},
		"upper-case id":     {"GET", "/images/0190A8F4-0000-7000-8000-000000000000", "", 400, "bad_id"},
		"sql in id":         {"GET", "/images/1'%20OR%20'1'='1", "", 400, "bad_id"},
		"delete unknown":    {"DELETE", "/images/0190a8f4-0000-7000-8000-000000000000", "", 404, "not_found"},
		"delete malformed":  {"DELETE", "/images/x", "", 400, "bad_id"},
		"bad limit":         {"GET", "/images", "limit=0", 400, "bad_limit"},
		"huge limit":        {"GET", "/images", "limit=100000", 400, "bad_limit"},
		"bad cursor":        {"GET", "/images", "cursor=bm9wZQ", 400, "bad_cursor"},
		"unknown route":     {"GET", "/photos", "", 404, "not_found"},
		"method not routed": {"PUT", "/images/0190a8f4-0000-7000-8000-000000000000", "", 405, "method_not_allowed"},
	}
	for _, fx := range routeFixtures {
		for name, c := range cases {
			t.Run(fx+"/"+name, func(t *testing.T) {
				env := newTestEnv(t)
				status, hdr, resp := invoke(t, env.svc, routeEvent(t, fx, c.method, c.path, c.query, nil))
				e, _ := resp["error"].(map[string]any)
				if status != c.status || e["code"] != c.code || e["message"] == "" {
					t.Fatalf("%d %v", status, resp)
				}
				if status == 405 && hdr["Allow"] != "DELETE, GET, HEAD, OPTIONS" {
					t.Errorf("Allow %q", hdr["Allow"])
				}
			})
		}
	}
}

func TestListPaginates(t *testing.T) {
	for _, fx := range routeFixtures {
		t.Run(fx, func(t *testing.T) {
			env := newTestEnv(t)
			var ids []string
			for range 7 {
				ids = append(ids, uploadOne(t, env))
			}
			var got []string
			cursor := ""
			for page := 0; ; page++ {
				q := "limit=3"
				if cursor != "" {
					q += "&cursor=" + url.QueryEscape(cursor)
				}
				status, _, resp := invoke(t, env.svc, routeEvent(t, fx, "GET", "/images", q, nil))
				if status != 200 || page > 5 {
					t.Fatalf("%d %v", status, resp)
				}
				for _, im := range resp["images"].([]any) {
					got = append(got, im.(map[string]any)["id"].(string))
				}
				cursor, _ = resp["nextCursor"].(string)
				if cursor == "" {
					break
				}
			}
			if len(got) != len(ids) {
				t.Fatalf("got %d images, want %d", len(got), len(ids))
			}
			for i := range ids { // newest first
				if got[i] != ids[len(ids)-1-i] {
					t.Fatalf("order %v, uploaded %v", got, ids)
				}
			}
		})
	}
}

func TestDeleteImage(t *testing.T) {
	for _, fx := range routeFixtures {
		t.Run(fx, func(t *testing.T) {
			env := newTestEnv(t)
			id := uploadOne(t, env)
			if status, _, resp := invoke(t, env.svc, routeEvent(t, fx, "DELETE", "/images/"+id, "", nil)); status != 409 {
				t.Fatalf("pending delete: %d %v", status, resp)
			}
			markReady(t, env, id)
			delete(env.objects.objects, "staging/"+id+".jpg")                                                 // the resize function removed it
			for _, k := range []string{"cache/" + id + "/320x240-cover.webp", "cache/" + id + "/640x0.jpg"} { // two renders
				env.objects.Put(t.Context(), k, []byte("r"), "image/webp", nil)
			}
			env.objects.Put(t.Context(), "cache/"+id+"0/other.jpg", []byte("r"), "image/jpeg", nil) // not this image's
			if status, _, resp := invoke(t, env.svc, routeEvent(t, fx, "DELETE", "/images/"+id, "", nil)); status != 204 {
				t.Fatalf("delete: %d %v", status, resp)
			}
			if keys := env.objects.keys(); len(keys) != 1 || keys[0] != "cache/"+id+"0/other.jpg" {
				t.Fatalf("left behind: %v", keys)
			}
			if status, _, _ := invoke(t, env.svc, routeEvent(t, fx, "GET", "/images/"+id, "", nil)); status != 404 {
				t.Fatalf("after delete: %d", status)
			}
		})
	}
}

func TestCORS(t *testing.T) {
	for _, fx := range routeFixtures {
		t.Run(fx, func(t *testing.T) {
			env := newTestEnv(t)
			pre := map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "POST",
				"Access-Control-Request-Headers": "content-type,x-request-id"}
			status, hdr, _ := invoke(t, env.svc, routeEvent(t, fx, "OPTIONS", "/images", "", pre))
			if status != 204 || hdr["Access-Control-Allow-Origin"] != "https://app.example" ||
				!strings.Contains(hdr["Access-Control-Allow-Methods"], "POST") ||
				hdr["Access-Control-Allow-Headers"] != "Authorization, Content-Type" || hdr["Access-Control-Max-Age"] == "" {
				t.Fatalf("preflight: %d %v", status, hdr)
			}
			pre["Origin"] = "https://evil.example"
			status, hdr, _ = invoke(t, env.svc, routeEvent(t, fx, "OPTIONS", "/images/0190a8f4-0000-7000-8000-000000000000", "", pre))
			if status != 204 || hdr["Access-Control-Allow-Origin"] != "" {
				t.Fatalf("disallowed origin: %d %v", status, hdr)
			}
			status, hdr, _ = invoke(t, env.svc, routeEvent(t, fx, "GET", "/images", "", map[string]string{"Origin": "https://app.example"}))
			if status != 200 || hdr["Access-Control-Allow-Origin"] != "https://app.example" {
				t.Fatalf("simple request: %d %v", status, hdr)
			}
			// Errors carry the CORS headers too, or the browser hides the message from the app.
			for _, path := range []string{"/images/x", "/photos"} {
				status, hdr, _ = invoke(t, env.svc, routeEvent(t, fx, "GET", path, "", map[string]string{"Origin": "https://app.example"}))
				if status < 400 || hdr["Access-Control-Allow-Origin"] != "https://app.example" {
					t.Fatalf("error %s: %d %v", path, status, hdr)
				}
			}
		})
	}
}

func TestDatabaseDownAnswers503(t *testing.T) {
	env := newTestEnv(t)
	env.svc.Catalog = downCatalog{env.store}
	for _, path := range []string{"/images", "/images/0190a8f4-0000-7000-8000-000000000000"} {
		status, _, resp := invoke(t, env.svc, routeEvent(t, "http-v2-base64", "GET", path, "", nil))
		if status != 503 || strings.Contains(resp["error"].(map[string]any)["message"].(string), "injected") {
			t.Fatalf("%s: %d %v", path, status, resp)
		}
	}
}

// TestDeleteStuckAndExpired: an image pending for longer than PendingDeleteAfter is deleted with its staging copy
// and any output an attempt left; an expired direct upload is simply removed.
func TestDeleteStuckAndExpired(t *testing.T) {
	env := newTestEnv(t)
	old := &catalog.Image{ID: "0190a8f4-0000-7000-8000-0000000000aa", StagingKey: "staging/0190a8f4-0000-7000-8000-0000000000aa.jpg",
		CreatedAt: time.Now().Add(-2 * time.Hour)}
	if err := env.store.Create(t.Context(), old); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{old.StagingKey, "derivatives/" + old.ID + "/640.jpg"} {
		env.objects.Put(t.Context(), k, []byte("x"), "image/jpeg", nil)
	}
	if status, _, resp := invoke(t, env.svc, routeEvent(t, "http-v2-base64", "DELETE", "/images/"+old.ID, "", nil)); status != 204 {
		t.Fatalf("stuck: %d %v", status, resp)
	}
	if keys := env.objects.keys(); len(keys) != 0 {
		t.Fatalf("left %v", keys)
	}
	exp := &catalog.Image{ID: "0190a8f4-0000-7000-8000-0000000000bb", Origin: catalog.OriginDirect, StagingKey: "staging/x.jpg"}
	if err := env.store.Create(t.Context(), exp); err != nil {
		t.Fatal(err)
	}
	if err := env.store.Expire(t.Context(), exp.ID, "the upload URL expired before a photo arrived"); err != nil {
		t.Fatal(err)
	}
	if status, _, resp := invoke(t, env.svc, routeEvent(t, "rest-v1-base64", "DELETE", "/images/"+exp.ID, "", nil)); status != 204 {
		t.Fatalf("expired: %d %v", status, resp)
	}
	if env.rows(t) != 0 {
		t.Fatal("rows left")
	}
}
