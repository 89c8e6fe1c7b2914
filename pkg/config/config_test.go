package config

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/pkg/budget"
)

func envOf(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	u, err := LoadUpload(envOf(map[string]string{"BUCKET": "b"}))
	if err != nil {
		t.Fatal(err)
	}
	if u.MaxFileBytes != 4<<20 || u.Limits != (budget.Limits{MaxPixels: 50_000_000, MaxSide: 20000, Memory: 648 << 20}) || u.FileField != "file" || u.URLTTL != time.Hour ||
		!reflect.DeepEqual(u.Widths, []int{1920, 640, 320}) || u.Layout.Staging != "staging/" || u.Layout.Output != "derivatives/" ||
		u.CatalogDriver != "sqlite" || len(u.CORSOrigins) != 0 {
		t.Fatalf("%+v", u)
	}
	r, err := LoadResize(envOf(map[string]string{"BUCKET": "b", "OUTPUT_PREFIX": "out", "WIDTHS": "800, 200"}))
	if err != nil {
		t.Fatal(err)
	}
	if r.JPEGQuality != 82 || !r.ArchiveOriginals || r.Layout.Output != "out/" || !reflect.DeepEqual(r.Widths, []int{800, 200}) {
		t.Fatalf("%+v", r)
	}
}

// TestEveryProblemIsReported checks that one load reports all mistakes, not just the first.
func TestEveryProblemIsReported(t *testing.T) {
	_, err := LoadResize(envOf(map[string]string{
		"JPEG_QUALITY": "150", "WIDTHS": "1920,abc", "ARCHIVE_ORIGINALS": "maybe", "OUTPUT_PREFIX": "staging/",
		"LOG_LEVEL": "loud", "MAX_PIXELS": "-1",
	}))
	if err == nil {
		t.Fatal("want errors")
	}
	for _, want := range []string{"BUCKET", "JPEG_QUALITY", "WIDTHS", "ARCHIVE_ORIGINALS", "STAGING_PREFIX", "LOG_LEVEL", "MAX_PIXELS"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %s in %v", want, err)
		}
	}
	for _, nested := range []map[string]string{{"STAGING_PREFIX": "in/", "OUTPUT_PREFIX": "in/out/"}, {"STAGING_PREFIX": "failed/new/"}} {
		nested["BUCKET"] = "b"
		if _, err := LoadResize(envOf(nested)); err == nil || !strings.Contains(err.Error(), "STAGING_PREFIX") {
			t.Errorf("%v: %v", nested, err)
		}
	}
	if _, err := LoadUpload(envOf(map[string]string{"BUCKET": "b", "URL_TTL": "soon", "WIDTHS": "640,640"})); err == nil ||
		!strings.Contains(err.Error(), "URL_TTL") || !strings.Contains(err.Error(), "WIDTHS") {
		t.Fatalf("upload: %v", err)
	}
}

func TestServe(t *testing.T) {
	s, err := LoadServe(envOf(map[string]string{"BUCKET": "b", "WIDTHS": "800,200"}))
	if err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{800, 0}, {200, 0}, {100, 100}, {200, 200}, {400, 400}, {320, 240}, {640, 480}}
	if !reflect.DeepEqual(s.AllowedSizes, want) || s.Layout.Cache != "cache/" || s.SigningKey != "" ||
		s.MaxResultPixels != 25_000_000 || s.WebPQuality != 80 || s.SourcePrefix != "" || s.AuthMode != "cognito" {
		t.Fatalf("%+v", s)
	}
	s, err = LoadServe(envOf(map[string]string{"BUCKET": "b", "ALLOWED_SIZES": "0x64, 1280x720", "CACHE_PREFIX": "renders"}))
	if err != nil || !reflect.DeepEqual(s.AllowedSizes, [][2]int{{0, 64}, {1280, 720}}) || s.Layout.Cache != "renders/" {
		t.Fatalf("%+v %v", s, err)
	}
	_, err = LoadServe(envOf(map[string]string{"BUCKET": "b", "ALLOWED_SIZES": "0x0", "SIGNING_KEY": "short",
		"SOURCE_PREFIX": "staging/photos/", "CACHE_PREFIX": "staging/cache", "WEBP_QUALITY": "0"}))
	for _, want := range []string{"ALLOWED_SIZES", "SIGNING_KEY", "SOURCE_PREFIX", "CACHE_PREFIX", "WEBP_QUALITY"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("no %s problem in %v", want, err)
		}
	}
}

func TestFormats(t *testing.T) {
	r, err := LoadResize(envOf(map[string]string{"BUCKET": "b", "FORMATS": "jpeg, WebP"}))
	if err != nil || !r.AlsoWebP || r.WebPQuality != 80 {
		t.Fatalf("%+v %v", r, err)
	}
	for _, bad := range []string{"webp", "jpeg,avif"} {
		if _, err := LoadResize(envOf(map[string]string{"BUCKET": "b", "FORMATS": bad})); err == nil || !strings.Contains(err.Error(), "FORMATS") {
			t.Errorf("FORMATS=%s: %v", bad, err)
		}
	}
}
