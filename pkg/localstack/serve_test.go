package localstack

import (
	"bytes"
	"encoding/json"
	"image"
	_ "image/jpeg"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	_ "golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/imgurl"
)

// fetch GETs url with headers and returns the response with its body read.
func fetch(t *testing.T, c *http.Client, url string, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// decodeSize decodes an image body and checks its format and size.
func decodeSize(t *testing.T, body []byte, format string, w, h int) {
	t.Helper()
	cfg, got, err := image.DecodeConfig(bytes.NewReader(body))
	if err != nil || got != format || cfg.Width != w || cfg.Height != h {
		t.Fatalf("decoded %s %dx%d (%v); want %s %dx%d", got, cfg.Width, cfg.Height, err, format, w, h)
	}
}

// TestServeThroughTheLocalCDN: an uploaded photo is rendered on demand through the local CloudFront, which
// normalises, caches and says so, and through the image API's content route; DELETE removes the renders.
func TestServeThroughTheLocalCDN(t *testing.T) {
	st, bucket := startStack(t, apigw.V1)
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(1200, 800)})
	resp, err := client.Post(st.APIURL+"/images", ct, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var up struct{ ID string }
	json.NewDecoder(resp.Body).Decode(&up)
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %d", resp.StatusCode)
	}
	waitReady(t, st, up.ID)
	cdn := http.DefaultClient

	// The banner's example: a miss, then a hit for the same image however the URL is spelled.
	first, webp := fetch(t, cdn, st.CDNURL+"/"+up.ID+".webp?d=320x240", nil)
	if first.StatusCode != 200 || first.Header.Get("Content-Type") != "image/webp" || first.Header.Get("X-Cache") != "Miss from cloudfront" ||
		!strings.Contains(first.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Fatalf("first: %d %v", first.StatusCode, first.Header)
	}
	decodeSize(t, webp, "webp", 320, 240)
	for _, u := range []string{"/" + up.ID + ".webp?d=320x240", "/" + up.ID + ".webp?utm_source=mail&d=0320x0240&fit=COVER"} {
		again, b := fetch(t, cdn, st.CDNURL+u, nil)
		if again.Header.Get("X-Cache") != "Hit from cloudfront" || !bytes.Equal(b, webp) {
			t.Fatalf("%s: %s, %d bytes", u, again.Header.Get("X-Cache"), len(b))
		}
	}
	// 304 from the edge for the viewer's ETag.
	if nm, _ := fetch(t, cdn, st.CDNURL+"/"+up.ID+".webp?d=320x240", map[string]string{"If-None-Match": first.Header.Get("ETag")}); nm.StatusCode != 304 {
		t.Fatalf("If-None-Match: %d", nm.StatusCode)
	}
	// Negotiated from Accept at the edge: every WebP browser shares one entry, and the rest get JPEG.
	neg, nb := fetch(t, cdn, st.CDNURL+"/"+up.ID+"?d=640x0", map[string]string{"Accept": "image/avif,image/webp,*/*"})
	if neg.Header.Get("Content-Type") != "image/webp" || neg.Header.Get("X-Cache") != "Miss from cloudfront" {
		t.Fatalf("negotiated: %v", neg.Header)
	}
	decodeSize(t, nb, "webp", 640, 427)
	if h, _ := fetch(t, cdn, st.CDNURL+"/"+up.ID+"?d=640x0", map[string]string{"Accept": "image/webp"}); h.Header.Get("X-Cache") != "Hit from cloudfront" {
		t.Fatalf("another WebP browser: %v", h.Header)
	}
	if j, jb := fetch(t, cdn, st.CDNURL+"/"+up.ID+"?d=640x0", map[string]string{"Accept": "image/jpeg"}); j.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("no WebP: %v", j.Header)
	} else {
		decodeSize(t, jb, "jpeg", 640, 427)
	}

	// Off the allow-list: a 400 that lists the sizes, cached briefly.
	bad, bb := fetch(t, cdn, st.CDNURL+"/"+up.ID+".jpg?d=333x333", nil)
	if bad.StatusCode != 400 || !strings.Contains(string(bb), "100x100") || bad.Header.Get("Cache-Control") == "" ||
		strings.Contains(bad.Header.Get("Cache-Control"), "31536000") {
		t.Fatalf("not allowed: %d %v %s", bad.StatusCode, bad.Header, bb)
	}
	// Signed with the stack's key (DataDir/auth/signing-key), any size within the cap.
	signed := imgurl.SignedURL([]byte(st.Serve.Config.SigningKey), st.CDNURL, "/"+up.ID+".jpg", 333, 333, "", time.Now().Add(time.Hour))
	if ok, sb := fetch(t, cdn, signed, nil); ok.StatusCode != 200 {
		t.Fatalf("signed: %d %s", ok.StatusCode, sb)
	} else {
		decodeSize(t, sb, "jpeg", 333, 333)
	}
	if tampered, _ := fetch(t, cdn, strings.Replace(signed, "333x333", "334x333", 1), nil); tampered.StatusCode != 403 && tampered.StatusCode != 400 {
		t.Fatalf("tampered: %d", tampered.StatusCode)
	}

	// The image API's content route, behind the authorizer: the owner's, buffered as a binary response.
	own, ob := fetch(t, client, st.APIURL+"/images/"+up.ID+"/content?d=100x100", nil)
	if own.StatusCode != 200 || own.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("content: %d %v %s", own.StatusCode, own.Header, ob)
	}
	decodeSize(t, ob, "jpeg", 100, 100)
	if other, _ := fetch(t, clientAs(t, st, "mallory", false), st.APIURL+"/images/"+up.ID+"/content", nil); other.StatusCode != 404 {
		t.Fatalf("someone else's: %d", other.StatusCode)
	}
	if anon, _ := fetch(t, http.DefaultClient, st.APIURL+"/images/"+up.ID+"/content", nil); anon.StatusCode != 401 {
		t.Fatalf("no token: %d", anon.StatusCode)
	}
	// A browser's preflight for it, answered by the image API, which owns CORS.
	pre, _ := http.NewRequest(http.MethodOptions, st.APIURL+"/images/"+up.ID+"/content", nil)
	pre.Header.Set("Origin", "https://app.example")
	pre.Header.Set("Access-Control-Request-Method", "GET")
	if resp, err := http.DefaultClient.Do(pre); err != nil || resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Fatalf("preflight: %v %v", resp, err)
	}
	if own.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("CORS headers without an Origin: %v", own.Header)
	}
	if withOrigin, _ := fetch(t, client, st.APIURL+"/images/"+up.ID+"/content?d=100x100", map[string]string{"Origin": "https://app.example"}); withOrigin.Header.Get("Access-Control-Allow-Origin") == "" {
		t.Fatalf("no CORS on the content route: %v", withOrigin.Header)
	}

	renders, err := bucket.List(t.Context(), "cache/"+up.ID+"/")
	if err != nil || len(renders) < 4 {
		t.Fatalf("renders stored: %d %v", len(renders), err)
	}
	req, _ := http.NewRequest(http.MethodDelete, st.APIURL+"/images/"+up.ID, nil)
	if del, err := client.Do(req); err != nil || del.StatusCode != 204 {
		t.Fatalf("delete: %v %v", del, err)
	}
	if renders, err := bucket.List(t.Context(), "cache/"+up.ID+"/"); err != nil || len(renders) != 0 {
		t.Fatalf("renders left: %v %v", renders, err)
	}
}
