package sweep

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgpipe/imgpipe/internal/s3test"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/sqlstore"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/metrics"
)

type env struct {
	s3    *s3test.Server
	store catalog.Store
	sw    *Sweeper
	emf   *bytes.Buffer
}

func newEnv(t *testing.T, now time.Time) *env {
	t.Helper()
	srv := s3test.Start(t, "images")
	store, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var emf bytes.Buffer
	sw := &Sweeper{Objects: srv.Bucket, Catalog: store, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics: metrics.New(&emf, "ImagePipeline"), Now: func() time.Time { return now },
		Config: Config{Layout: layout.New("staging/", "derivatives/", "originals/", "failed/"), StaleAfter: time.Hour,
			ExpiryGrace: 15 * time.Minute}}
	return &env{s3: srv, store: store, sw: sw, emf: &emf}
}

func (e *env) put(t *testing.T, key string) {
	t.Helper()
	if err := e.s3.Bucket.Put(t.Context(), key, []byte("photo bytes"), "image/jpeg", map[string]string{"image-id": "x"}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) create(t *testing.T, img *catalog.Image) {
	t.Helper()
	if err := e.store.Create(t.Context(), img); err != nil {
		t.Fatal(err)
	}
}

func (e *env) status(t *testing.T, id string) catalog.Status {
	t.Helper()
	img, err := e.store.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return img.Status
}

// TestStaleObjectsAreRedriven: a staging object older than StaleAfter is copied onto itself (a new ObjectCreated
// event), with its bytes and metadata kept; a fresh one is left to its own event.
func TestStaleObjectsAreRedriven(t *testing.T) {
	e := newEnv(t, time.Now().Add(2*time.Hour))
	e.put(t, "staging/old.jpg")
	r, err := e.sw.Run(t.Context())
	if err != nil || r.Redriven != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	obj, err := e.s3.Bucket.Get(t.Context(), "staging/old.jpg", 0)
	if err != nil || string(obj.Body) != "photo bytes" || obj.Metadata["image-id"] != "x" || obj.Metadata["redriven-at"] == "" ||
		obj.ContentType != "image/jpeg" {
		t.Fatalf("re-driven object %+v %v", obj, err)
	}
	if !bytes.Contains(e.emf.Bytes(), []byte(`"Redriven":1`)) {
		t.Errorf("metrics %s", e.emf.String())
	}
	fresh := newEnv(t, time.Now())
	fresh.put(t, "staging/new.jpg")
	if r, err := fresh.sw.Run(t.Context()); err != nil || r.Redriven != 0 {
		t.Fatalf("fresh object: %+v %v", r, err)
	}
}

// TestUnusedUploadsExpire: pending rows whose photo will never come become expired; the others stay pending.
func TestUnusedUploadsExpire(t *testing.T) {
	now := time.Now().UTC()
	e := newEnv(t, now)
	rows := map[string]*catalog.Image{
		"expired url":        {ID: "0190a8f4-0000-7000-8000-000000000001", Origin: catalog.OriginDirect, StagingKey: "staging/a.jpg", ExpiresAt: now.Add(-20 * time.Minute), CreatedAt: now.Add(-35 * time.Minute)},
		"within grace":       {ID: "0190a8f4-0000-7000-8000-000000000002", Origin: catalog.OriginDirect, StagingKey: "staging/b.jpg", ExpiresAt: now.Add(-5 * time.Minute), CreatedAt: now.Add(-20 * time.Minute)},
		"url still valid":    {ID: "0190a8f4-0000-7000-8000-000000000003", Origin: catalog.OriginDirect, StagingKey: "staging/c.jpg", ExpiresAt: now.Add(5 * time.Minute), CreatedAt: now.Add(-10 * time.Minute)},
		"photo arrived":      {ID: "0190a8f4-0000-7000-8000-000000000004", Origin: catalog.OriginDirect, StagingKey: "staging/d.jpg", ExpiresAt: now.Add(-20 * time.Minute), CreatedAt: now.Add(-35 * time.Minute)},
		"lost multipart put": {ID: "0190a8f4-0000-7000-8000-000000000005", Origin: catalog.OriginUpload, StagingKey: "staging/e.jpg", CreatedAt: now.Add(-2 * time.Hour)},
		"recent multipart":   {ID: "0190a8f4-0000-7000-8000-000000000006", Origin: catalog.OriginUpload, StagingKey: "staging/f.jpg", CreatedAt: now.Add(-30 * time.Minute)},
		"claimed, gone":      {ID: "0190a8f4-0000-7000-8000-000000000007", Origin: catalog.OriginDirect, StagingKey: "staging/g.jpg", ExpiresAt: now.Add(-20 * time.Minute), CreatedAt: now.Add(-35 * time.Minute)},
	}
	for _, img := range rows {
		e.create(t, img)
	}
	e.put(t, "staging/d.jpg")
	claim := &catalog.Image{ID: rows["claimed, gone"].ID, StagingKey: "staging/g.jpg", SourceETag: "e"}
	if err := e.store.Claim(t.Context(), claim); err != nil {
		t.Fatal(err)
	}
	r, err := e.sw.Run(t.Context())
	if err != nil || r.Expired != 2 || r.Stuck != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	for name, want := range map[string]catalog.Status{"expired url": catalog.StatusExpired, "within grace": catalog.StatusPending,
		"url still valid": catalog.StatusPending, "photo arrived": catalog.StatusPending, "lost multipart put": catalog.StatusExpired,
		"recent multipart": catalog.StatusPending, "claimed, gone": catalog.StatusPending} {
		if got := e.status(t, rows[name].ID); got != want {
			t.Errorf("%s: %s, want %s", name, got, want)
		}
	}
	if img, _ := e.store.Get(t.Context(), rows["expired url"].ID); img.FailureReason == "" {
		t.Error("an expired row says why")
	}
}

// TestDeadLettersAreDrained: a dead letter whose object is still staged re-drives it; one whose object is gone is
// simply dropped; both files go.
func TestDeadLettersAreDrained(t *testing.T) {
	e := newEnv(t, time.Now())
	dir := t.TempDir()
	e.sw.DeadLetters = Dir(dir)
	e.put(t, "staging/still here.jpg")
	for i, key := range []string{"staging/still here.jpg", "staging/gone.jpg"} {
		ev := events.S3Event{Records: []events.S3EventRecord{{EventName: "ObjectCreated:Put",
			S3: events.S3Entity{Object: events.S3Object{Key: url.QueryEscape(key)}}}}}
		raw, _ := json.Marshal(ev)
		if err := os.WriteFile(filepath.Join(dir, string(rune('a'+i))+".json"), raw, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r, err := e.sw.Run(t.Context())
	if err != nil || r.DeadLetters != 2 || r.Redriven != 1 {
		t.Fatalf("%+v %v", r, err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.json")); len(left) != 0 {
		t.Fatalf("left %v", left)
	}
}

// TestFaultsDoNotStopTheSweep: with S3 listing down, the rows are still expired and the error is reported.
func TestFaultsDoNotStopTheSweep(t *testing.T) {
	now := time.Now().UTC()
	e := newEnv(t, now)
	e.create(t, &catalog.Image{ID: "0190a8f4-0000-7000-8000-000000000001", Origin: catalog.OriginUpload,
		StagingKey: "staging/a.jpg", CreatedAt: now.Add(-2 * time.Hour)})
	e.s3.Inject(s3test.Fault{Method: "GET", KeyPrefix: ""})
	_, err := e.sw.Run(t.Context())
	if err == nil {
		t.Fatal("a failed listing must be reported")
	}
	e.s3.Clear()
	if got := e.status(t, "0190a8f4-0000-7000-8000-000000000001"); got != catalog.StatusExpired {
		t.Errorf("the listing failed, but the expiry must still have run: status %s", got)
	}
	// With HEAD failing too, nothing is expired blind.
	blind := newEnv(t, now)
	blind.create(t, &catalog.Image{ID: "0190a8f4-0000-7000-8000-000000000002", Origin: catalog.OriginUpload,
		StagingKey: "staging/b.jpg", CreatedAt: now.Add(-2 * time.Hour)})
	blind.s3.Inject(s3test.Fault{Method: "HEAD", KeyPrefix: ""})
	if _, err := blind.sw.Run(t.Context()); err == nil {
		t.Fatal("a failed HEAD must be reported")
	}
	if got := blind.status(t, "0190a8f4-0000-7000-8000-000000000002"); got != catalog.StatusPending {
		t.Errorf("expired without knowing whether its object exists: %s", got)
	}
}
