package serve

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambdaurl"
	_ "golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/internal/s3test"
	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/sqlstore"
	"github.com/imgpipe/imgpipe/pkg/imgurl"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/metrics"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

const id = "0190a8f4-1111-7000-8000-000000000001"

var key = []byte("test signing key")

// counting counts the source reads, so that a cache hit can be told from a render.
type counting struct {
	Objects
	sourceReads atomic.Int32
}

func (c *counting) Get(ctx context.Context, k string, max int64) (*storage.Object, error) {
	if strings.HasPrefix(k, "originals/") || strings.HasPrefix(k, "photos/") {
		c.sourceReads.Add(1)
	}
	return c.Objects.Get(ctx, k, max)
}

type env struct {
	srv   *Server
	s3    *s3test.Server
	store catalog.Store
	objs  *counting
	h     http.Handler
}

func newEnv(t *testing.T) *env {
	t.Helper()
	s3 := s3test.Start(t, "images")
	store, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "c.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	orig := testimage.JPEG(1200, 800)
	if err := s3.Bucket.Put(t.Context(), "originals/"+id+".jpg", orig, "image/jpeg", nil); err != nil {
		t.Fatal(err)
	}
	if err := store.MarkReady(t.Context(), &catalog.Image{ID: id, Origin: catalog.OriginConsole, Owner: "alice",
		StagingKey: "staging/x.jpg", SourceETag: "e", OriginalKey: "originals/" + id + ".jpg"}); err != nil {
		t.Fatal(err)
	}
	objs := &counting{Objects: s3.Bucket}
	srv := &Server{Objects: objs, Catalog: store, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics: metrics.New(io.Discard, "ImagePipeline"),
		Config: Config{Layout: layout.New("staging/", "derivatives/", "originals/", "failed/").WithCache("cache/"),
			SourcePrefix: "photos/", AllowedSizes: []Size{{640, 0}, {320, 240}, {100, 100}}, SigningKey: key,
			MaxResultPixels: 4_000_000, Limits: budget.Limits{MaxPixels: 50_000_000, MaxSide: 20000, Memory: 648 << 20}, MaxSourceBytes: 10 << 20, JPEGQuality: 82, WebPQuality: 80,
			URLTTL: time.Hour, BufferedLimit: 4_500_000,
			Auth: auth.Config{Required: true, GroupsClaim: "cognito:groups", AdminGroup: "admin"}}}
	return &env{srv: srv, s3: s3, store: store, objs: objs, h: srv.Handler()}
}

func (e *env) get(t *testing.T, target string, header map[string]string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest("GET", target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

func decode(t *testing.T, body []byte) (image.Image, string) {
	t.Helper()
	img, name, err := image.Decode(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("decode: %v (%d bytes: %q)", err, len(body), body[:min(len(body), 80)])
	}
	return img, name
}

func TestRendersSizesFitsAndFormats(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		target, accept, format string
		w, h                   int
		vary                   bool
	}{
		{"/" + id + ".jpg?d=640x0", "", "jpeg", 640, 427, false},
		{"/" + id + ".png?d=320x240", "", "png", 320, 240, false}, // cover: the box, cropped
		{"/" + id + ".webp?d=320x240&fit=inside", "", "webp", 320, 213, false},
		{"/" + id + ".jpg?d=100x100&fit=contain", "", "jpeg", 100, 100, false},
		{"/" + id + "?d=640x0", "image/avif,image/webp,*/*", "webp", 640, 427, true}, // negotiated
		{"/" + id + "?d=640x0", "image/*,*/*;q=0.8", "jpeg", 640, 427, true},         // no WebP: the source's own
		{"/" + id + "?d=640x0&f=png", "image/webp", "png", 640, 427, false},          // the edge (or client) chose
		{"/" + id + ".jpg", "", "jpeg", 1200, 800, false},                            // the original size
	} {
		w := e.get(t, c.target, map[string]string{"Accept": c.accept})
		if w.Code != 200 {
			t.Fatalf("%s: %d %s", c.target, w.Code, w.Body)
		}
		img, name := decode(t, w.Body.Bytes())
		if name != c.format || img.Bounds().Dx() != c.w || img.Bounds().Dy() != c.h {
			t.Errorf("%s: %s %v, want %s %dx%d", c.target, name, img.Bounds().Size(), c.format, c.w, c.h)
		}
		h := w.Header()
		if h.Get("Cache-Control") != "public, max-age=31536000, immutable" || h.Get("ETag") == "" ||
			h.Get("Content-Length") != itoa(w.Body.Len()) || !strings.HasPrefix(h.Get("Content-Type"), "image/") ||
			(h.Get("Vary") == "Accept") != c.vary {
			t.Errorf("%s: headers %v", c.target, h)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestCacheAndConditionalRequests: the second request for the same render (any spelling of it) is read from the
// render cache, not rendered; If-None-Match gets 304.
func TestCacheAndConditionalRequests(t *testing.T) {
	e := newEnv(t)
	first := e.get(t, "/"+id+".webp?d=320x240&q=80", nil)
	if first.Code != 200 || e.objs.sourceReads.Load() != 1 {
		t.Fatalf("%d, %d source reads", first.Code, e.objs.sourceReads.Load())
	}
	again := e.get(t, "/"+id+".webp?d=0320x0240&fit=cover", nil) // the same render, spelled otherwise
	if again.Code != 200 || !bytes.Equal(again.Body.Bytes(), first.Body.Bytes()) || e.objs.sourceReads.Load() != 1 ||
		again.Header().Get("ETag") != first.Header().Get("ETag") {
		t.Fatalf("second request: %d, %d source reads, etags %s %s", again.Code, e.objs.sourceReads.Load(),
			again.Header().Get("ETag"), first.Header().Get("ETag"))
	}
	if list, _ := e.s3.Bucket.List(t.Context(), "cache/"+id+"/"); len(list) != 1 {
		t.Fatalf("cache holds %v", list)
	}
	nm := e.get(t, "/"+id+".webp?d=320x240", map[string]string{"If-None-Match": first.Header().Get("ETag")})
	if nm.Code != 304 || nm.Body.Len() != 0 {
		t.Fatalf("If-None-Match: %d", nm.Code)
	}
}

func TestAllowListAndSignatures(t *testing.T) {
	e := newEnv(t)
	now := time.Now()
	e.srv.Now = func() time.Time { return now }
	path := "/" + id + ".jpg"
	signed := imgurl.SignedURL(key, "", path, 777, 333, "inside", time.Time{})
	expiring := imgurl.SignedURL(key, "", path, 778, 0, "", now.Add(time.Hour))
	expired := imgurl.SignedURL(key, "", path, 779, 0, "", now.Add(-time.Minute))
	u, _ := url.Parse(signed)
	q := u.Query()
	q.Set("d", "1200x800")
	tampered := path + "?" + q.Encode()
	wrongKey := imgurl.SignedURL([]byte("another key"), "", path, 777, 333, "inside", time.Time{})
	for target, want := range map[string]int{
		path + "?d=640x0":         200,
		path + "?d=641x0":         400,
		signed:                    200,
		expiring:                  200,
		expired:                   403,
		tampered:                  403,
		wrongKey:                  403,
		path + "?d=640x0&sig=abc": 403, // a signature, if any, must be good
	} {
		w := e.get(t, target, nil)
		if w.Code != want {
			t.Errorf("%s: %d %s, want %d", target, w.Code, w.Body, want)
			continue
		}
		if want >= 400 {
			var body struct {
				Error struct{ Code, Message string }
			}
			json.Unmarshal(w.Body.Bytes(), &body)
			if body.Error.Code == "" || w.Header().Get("Cache-Control") != "public, max-age=60" {
				t.Errorf("%s: error %s, Cache-Control %q", target, w.Body, w.Header().Get("Cache-Control"))
			}
			if want == 400 && !strings.Contains(body.Error.Message, "640x0") {
				t.Errorf("%s: the error does not list the allowed sizes: %s", target, body.Error.Message)
			}
		}
	}
	// A signed URL may ask any size, up to the result cap.
	huge := imgurl.SignedURL(key, "", path, 5000, 5000, "cover", time.Time{})
	if w := e.get(t, huge, nil); w.Code != 200 {
		t.Errorf("a signed URL for a size bigger than the source renders at most the source: %d %s", w.Code, w.Body)
	}
}

func TestPathsOutsideTheAllowedPrefixes(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"staging/a.jpg", "failed/b.jpg", "cache/" + id + "/x.jpg", "photos/ok.jpg", "photos/sub/ok.jpg"} {
		if err := e.s3.Bucket.Put(t.Context(), p, testimage.JPEG(200, 100), "image/jpeg", nil); err != nil {
			t.Fatal(err)
		}
	}
	for target, want := range map[string]int{
		"/src/ok.jpg?d=100x100":              200,
		"/src/sub/ok.jpg?d=100x100":          200,
		"/src/../staging/a.jpg":              400,
		"/src/%2e%2e/staging/a.jpg":          400,
		"/src/sub%2Fok.jpg?d=100x100":        400,
		"/src/sub//ok.jpg":                   400,
		"/src/missing.jpg?d=100x100":         404,
		"/staging/a.jpg":                     400,
		"/" + id + ".gif":                    400,
		"/not-an-id.jpg?d=640x0":             404,
		"/images/" + id + "/content?d=640x0": 401, // the API route needs its authorizer's claims
	} {
		if w := e.get(t, target, nil); w.Code != want {
			t.Errorf("%s: %d %s, want %d", target, w.Code, w.Body, want)
		}
	}
	// The source prefix can never reach the pipeline's own prefixes, however it is set.
	e.srv.Config.SourcePrefix = ""
	if w := e.get(t, "/src/ok.jpg?d=100x100", nil); w.Code != 404 {
		t.Errorf("with no source prefix: %d", w.Code)
	}
	e.srv.Config.SourcePrefix = "sta"
	if w := e.get(t, "/src/ging/a.jpg", nil); w.Code != 404 {
		t.Errorf("a source prefix over staging/: %d", w.Code)
	}
}

// apiEvent is a REST API request for the content route from a signed-in user.
func apiEvent(t *testing.T, sub, query string) json.RawMessage {
	t.Helper()
	q, _ := url.ParseQuery(query)
	mq := map[string][]string(q)
	raw, _ := json.Marshal(map[string]any{
		"resource": "/images/{id}/content", "path": "/images/" + id + "/content", "httpMethod": "GET",
		"headers": map[string]string{"Accept": "image/webp"}, "multiValueHeaders": map[string][]string{"Accept": {"image/webp"}},
		"multiValueQueryStringParameters": mq, "pathParameters": map[string]string{"id": id},
		"requestContext": map[string]any{"stage": "v1", "authorizer": map[string]any{"claims": map[string]any{"sub": sub}}},
	})
	return raw
}

// TestAPIGatewayRoute: the content route answers base64 binary bodies through the REST API's event shape, the
// owner's image only, and a render too big for the buffered payload as a 302 to the stored render.
func TestAPIGatewayRoute(t *testing.T) {
	e := newEnv(t)
	lambda := apigw.Handler(e.h)
	out, err := lambda(t.Context(), apiEvent(t, "alice", "d=500x0"))
	if err != nil {
		t.Fatal(err)
	}
	resp := out.(events.APIGatewayProxyResponse)
	body, _ := base64.StdEncoding.DecodeString(resp.Body)
	direct := e.get(t, "/images/"+id+"/content?d=500x0&f=webp", nil) // not through API Gateway: unauthenticated
	if resp.StatusCode != 200 || !resp.IsBase64Encoded || direct.Code != 401 {
		t.Fatalf("%d base64 %v, direct %d", resp.StatusCode, resp.IsBase64Encoded, direct.Code)
	}
	if img, name := decode(t, body); name != "webp" || img.Bounds().Dx() != 500 {
		t.Fatalf("%s %v", name, img.Bounds())
	}
	// Byte for byte the render the CDN route stored for the same request.
	cached, err := e.s3.Bucket.Get(t.Context(), "cache/"+id+"/500x0-inside-q80.webp", 0)
	if err != nil || !bytes.Equal(cached.Body, body) {
		t.Fatalf("stored render differs: %v", err)
	}
	out, _ = lambda(t.Context(), apiEvent(t, "bob", "d=500x0"))
	if code := out.(events.APIGatewayProxyResponse).StatusCode; code != 404 {
		t.Fatalf("someone else's image: %d", code)
	}
	e.srv.Config.BufferedLimit = 1000
	out, _ = lambda(t.Context(), apiEvent(t, "alice", "d=500x0"))
	r := out.(events.APIGatewayProxyResponse)
	if r.StatusCode != 302 || !strings.Contains(r.Headers["Location"], "cache/"+id) {
		t.Fatalf("over the buffered limit: %d %v", r.StatusCode, r.Headers)
	}
}

// TestFunctionURLStreaming: the same handler behind a Function URL streams raw bytes, identical to the direct
// answer.
func TestFunctionURLStreaming(t *testing.T) {
	e := newEnv(t)
	want := e.get(t, "/"+id+".png?d=640x0", nil)
	handler := lambdaurl.Wrap(e.h)
	resp, err := handler(t.Context(), &events.LambdaFunctionURLRequest{RawPath: "/" + id + ".png", RawQueryString: "d=640x0",
		RequestContext: events.LambdaFunctionURLRequestContext{DomainName: "abc.lambda-url.eu-west-1.on.aws",
			HTTP: events.LambdaFunctionURLRequestContextHTTPDescription{Method: "GET"}}})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !bytes.Equal(body, want.Body.Bytes()) || resp.Headers["Content-Type"] != "image/png" {
		t.Fatalf("%d, %d bytes (want %d), %v", resp.StatusCode, len(body), want.Body.Len(), resp.Headers)
	}
}
