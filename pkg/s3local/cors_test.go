package s3local

import (
	"net/http"
	"testing"
	"time"
)

func TestCORS(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.AllowedOrigins = []string{"http://127.0.0.1:8080"} })
	closed := newFixture(t)
	preflight := func(f *fixture, origin string) (int, http.Header) {
		req, _ := http.NewRequest(http.MethodOptions, f.hs.URL+"/"+testBucket+"/staging/x.jpg", nil)
		req.Header.Set("Origin", origin)
		req.Header.Set("Access-Control-Request-Method", "PUT")
		req.Header.Set("Access-Control-Request-Headers", "content-type")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
	if status, h := preflight(f, "http://127.0.0.1:8080"); status != 200 || h.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8080" ||
		h.Get("Access-Control-Allow-Headers") != "content-type" {
		t.Fatalf("allowed preflight: %d %v", status, h)
	}
	if status, h := preflight(f, "http://evil.example"); status != 403 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("other origin: %d %v", status, h)
	}
	if status, _ := preflight(closed, "http://127.0.0.1:8080"); status != 403 {
		t.Fatalf("server without origins: %d", status)
	}
	// The actual request lets the page read the answer, ETag included.
	f.put("k", []byte("v"))
	req, _ := http.NewRequest(http.MethodGet, f.hs.URL+"/"+testBucket+"/k", nil)
	req.Header.Set("Origin", "http://127.0.0.1:8080")
	signRequest(t, req, nil, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Access-Control-Allow-Origin") != "http://127.0.0.1:8080" ||
		resp.Header.Get("Access-Control-Expose-Headers") == "" {
		t.Fatalf("actual request: %d %v", resp.StatusCode, resp.Header)
	}
}
