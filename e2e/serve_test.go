package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	_ "image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/internal/lambdaruntime"
	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/imgurl"
)

// streamed is a Function URL response read whole.
type streamed struct {
	status  int
	headers map[string]string
	body    []byte
}

// url invokes the serve binary as CloudFront's Function URL origin does: a Function URL event, a streamed answer.
func (p *pipeline) url(t *testing.T, target string, header map[string]string) streamed {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for k, v := range header {
		r.Header.Set(k, v)
	}
	ev, err := p.serve.FunctionURLEvent(r)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := p.serve.InvokeStream(t.Context(), ev)
	if err != nil {
		t.Fatalf("serve invocation: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("serve stream: %v", err)
	}
	if resp.ContentType != lambdaruntime.HTTPIntegrationContentType {
		t.Fatalf("streamed as %q, without the Function URL prelude", resp.ContentType)
	}
	return streamed{resp.StatusCode, resp.Headers, body}
}

// content invokes the serve binary as the REST API's GET /images/{id}/content does: a buffered, base64 answer.
func (p *pipeline) content(t *testing.T, id, query string) (int, map[string]string, []byte) {
	t.Helper()
	qs := map[string]string{}
	for _, kv := range strings.Split(query, "&") {
		if k, v, ok := strings.Cut(kv, "="); ok {
			qs[k] = v
		}
	}
	ev := map[string]any{
		"resource": "/images/{id}/content", "path": "/images/" + id + "/content", "httpMethod": "GET",
		"headers": map[string]string{"Host": "api.example", "Accept": "image/jpeg"}, "queryStringParameters": qs,
		"pathParameters": map[string]string{"id": id},
		"requestContext": map[string]any{"stage": "v1", "httpMethod": "GET", "path": "/v1/images/" + id + "/content",
			"requestId": "e2e", "authorizer": map[string]any{"claims": map[string]any{"sub": e2eUser}}},
	}
	payload, _ := json.Marshal(ev)
	out, err := p.serve.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("serve invocation: %v", err)
	}
	var resp struct {
		StatusCode      int               `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Body            string            `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	body := []byte(resp.Body)
	if resp.IsBase64Encoded {
		body, _ = base64.StdEncoding.DecodeString(resp.Body)
	}
	return resp.StatusCode, resp.Headers, body
}

// renders lists the render cache of an image: key to bytes.
func (p *pipeline) renders(t *testing.T, id string) map[string][]byte {
	t.Helper()
	list, err := p.s3.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("cache/" + id + "/")})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, o := range list.Contents {
		obj, err := p.s3.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		out[*o.Key], _ = io.ReadAll(obj.Body)
		obj.Body.Close()
	}
	return out
}

func isRender(m map[string][]byte, body []byte) bool {
	for _, b := range m {
		if bytes.Equal(b, body) {
			return true
		}
	}
	return false
}

// TestServeThroughTheBinary: the serve bootstrap under the Runtime API, invoked as a streaming Function URL and as
// the REST API's content route, on an image the upload and resize bootstraps made ready in MinIO.
func TestServeThroughTheBinary(t *testing.T) {
	p := start(t)
	noisy := testimage.NoisyJPEG(1800, 1400) // a PNG of it is over the buffered limit
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "noise.jpg", Data: noisy})
	status, up := p.api(t, restUpload(body, ct))
	if status != 201 {
		t.Fatalf("upload: %d %v", status, up)
	}
	id := up["id"].(string)
	p.forward(t, 1, 30*time.Second)
	p.checkReady(t, id, image.Pt(1800, 1400), image.Pt(640, 498), image.Pt(320, 249))

	// Streamed: raw bytes, byte-exact with the render the function stored.
	first := p.url(t, "/"+id+".webp?d=320x240", nil)
	if first.status != 200 || first.headers["Content-Type"] != "image/webp" || first.headers["Etag"] == "" && first.headers["ETag"] == "" {
		t.Fatalf("first: %d %v %.200s", first.status, first.headers, first.body)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(first.body))
	if err != nil || format != "webp" || cfg.Width != 320 || cfg.Height != 240 {
		t.Fatalf("decoded %s %+v %v", format, cfg, err)
	}
	stored := p.renders(t, id)
	if len(stored) != 1 || !isRender(stored, first.body) {
		t.Fatalf("render cache: %d entries, byte-exact %v", len(stored), isRender(stored, first.body))
	}
	// The second request is answered from the render cache, not rendered again.
	second := p.url(t, "/"+id+".webp?d=320x240", nil)
	if !bytes.Equal(second.body, first.body) {
		t.Fatalf("second: %d bytes, not the first render's %d", len(second.body), len(first.body))
	}
	// A streamed body can reach the client before the function has written its log line, so the hit is awaited.
	if !logEventually(p.serve.Logs, `"Outcome":"hit"`, 10*time.Second) {
		t.Fatal("second: the logs show no cache hit")
	}
	etag := first.headers["Etag"] + first.headers["ETag"]
	if nm := p.url(t, "/"+id+".webp?d=320x240", map[string]string{"If-None-Match": etag}); nm.status != 304 || len(nm.body) != 0 {
		t.Fatalf("If-None-Match: %d, %d bytes", nm.status, len(nm.body))
	}
	// Negotiated from Accept, which the response says it varies by.
	if neg := p.url(t, "/"+id+"?d=640x0", map[string]string{"Accept": "image/webp,*/*"}); neg.headers["Content-Type"] != "image/webp" ||
		!strings.Contains(neg.headers["Vary"], "Accept") {
		t.Fatalf("negotiated: %d %v", neg.status, neg.headers)
	}
	// Abuse control: off the list is 400, signed is fine, tampered and expired are refused, traversal too.
	if bad := p.url(t, "/"+id+".jpg?d=333x333", nil); bad.status != 400 || !strings.Contains(string(bad.body), "100x100") {
		t.Fatalf("off the list: %d %s", bad.status, bad.body)
	}
	signed := imgurl.SignedURL([]byte(signingKey), "", "/"+id+".jpg", 333, 333, "", time.Now().Add(time.Hour))
	if ok := p.url(t, signed, nil); ok.status != 200 {
		t.Fatalf("signed: %d %s", ok.status, ok.body)
	}
	if tampered := p.url(t, strings.Replace(signed, "333x333", "334x333", 1), nil); tampered.status < 400 || tampered.status > 403 {
		t.Fatalf("tampered: %d %s", tampered.status, tampered.body)
	}
	expired := imgurl.SignedURL([]byte(signingKey), "", "/"+id+".jpg", 333, 333, "", time.Now().Add(-time.Minute))
	if ex := p.url(t, expired, nil); ex.status < 400 || ex.status > 403 {
		t.Fatalf("expired: %d %s", ex.status, ex.body)
	}
	for _, path := range []string{"/src/../originals/" + id + ".jpg", "/src/%2e%2e/staging/x.jpg", "/cache%2F" + id} {
		if tr := p.url(t, path, nil); tr.status != 400 && tr.status != 404 {
			t.Fatalf("%s: %d", path, tr.status)
		}
	}

	// Buffered through the REST API: base64 on the wire, the same bytes as the stored render.
	status, hdr, jpg := p.content(t, id, "d=100x100")
	if status != 200 || hdr["Content-Type"] != "image/jpeg" || !isRender(p.renders(t, id), jpg) {
		t.Fatalf("content: %d %v, byte-exact %v", status, hdr, isRender(p.renders(t, id), jpg))
	}
	// Over the 6 MB payload: a 302 to the stored render, which is there and complete.
	status, hdr, _ = p.content(t, id, "f=png")
	if status != 302 || hdr["Location"] == "" {
		t.Fatalf("over the limit: %d %v", status, hdr)
	}
	resp, err := http.Get(hdr["Location"])
	if err != nil {
		t.Fatal(err)
	}
	big, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if pc, f, err := image.DecodeConfig(bytes.NewReader(big)); resp.StatusCode != 200 || err != nil || f != "png" || pc.Width != 1800 || len(big) < 4_400_000 {
		t.Fatalf("redirect target: %d %s %+v %d bytes %v", resp.StatusCode, f, pc, len(big), err)
	}

	// DELETE through the upload binary removes the renders too.
	del := httpGet("/images/"+id, "")
	del["routeKey"] = "DELETE /images/" + id
	del["requestContext"].(map[string]any)["http"] = map[string]any{"method": "DELETE", "path": "/images/" + id}
	if status, body := p.api(t, del); status != 204 {
		t.Fatalf("delete: %d %v", status, body)
	}
	if left := p.renders(t, id); len(left) != 0 {
		t.Fatalf("%d renders left after DELETE", len(left))
	}
}

// logEventually polls logs until a line contains want, or the timeout passes.
func logEventually(logs func() []string, want string, timeout time.Duration) bool {
	for deadline := time.Now().Add(timeout); ; time.Sleep(20 * time.Millisecond) {
		if strings.Contains(strings.Join(logs(), "\n"), want) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
