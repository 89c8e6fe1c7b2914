package s3local

import (
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/pkg/storage"
)

// TestProjectClient runs the project's own storage client (pkg/storage, as the Lambda functions configure it
// for a local endpoint) against the server: what the pipeline does must work unchanged.
func TestProjectClient(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	client, err := storage.NewClient(ctx, storage.Config{Bucket: testBucket, Region: testRegion, Endpoint: f.hs.URL,
		AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey, MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	b := storage.NewBucket(client, testBucket)
	if err := b.Put(ctx, "staging/u1.jpg", []byte("jpeg"), "image/jpeg", map[string]string{"upload-id": "u1"}); err != nil {
		t.Fatal(err)
	}
	obj, err := b.Get(ctx, "staging/u1.jpg", 1<<20)
	if err != nil || string(obj.Body) != "jpeg" || obj.ContentType != "image/jpeg" || obj.Metadata["upload-id"] != "u1" {
		t.Fatalf("get: %v %+v", err, obj)
	}
	if err := b.Copy(ctx, "staging/u1.jpg", "originals/u1.jpg", "image/jpeg", map[string]string{"state": "ready"}); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteIf(ctx, "staging/u1.jpg", `"00000000000000000000000000000000"`); !errors.Is(err, storage.ErrChanged) {
		t.Fatalf("DeleteIf with a stale ETag: %v, want ErrChanged", err)
	}
	if err := b.DeleteIf(ctx, "staging/u1.jpg", obj.ETag); err != nil {
		t.Fatalf("DeleteIf with the current ETag: %v", err)
	}
	if ok, err := b.Exists(ctx, "staging/u1.jpg"); ok || err != nil {
		t.Fatalf("staging copy still exists: %v %v", ok, err)
	}
	u, err := b.PresignGet(ctx, "originals/u1.jpg", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "jpeg" {
		t.Fatalf("presigned GET: %d %q", resp.StatusCode, body)
	}
	if ev := f.created(); len(ev) != 2 || ev[0].EventName != EventPut || ev[1].EventName != EventCopy {
		t.Fatalf("events %+v", ev)
	}
}
