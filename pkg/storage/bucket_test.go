package storage_test

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/s3test"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// TestBucketOverS3Protocol runs every Bucket method against an S3 server over HTTP.
func TestBucketOverS3Protocol(t *testing.T) {
	srv := s3test.Start(t, "images")
	b := srv.Bucket
	ctx := t.Context()
	key := "staging/a b/ü+%.jpg"
	data := bytes.Repeat([]byte("photo"), 1000)
	if err := b.Put(ctx, key, data, "image/jpeg", map[string]string{"image-id": "x", "original-filename": "a%20b.jpg"}); err != nil {
		t.Fatal(err)
	}
	obj, err := b.Get(ctx, key, 0)
	if err != nil || !bytes.Equal(obj.Body, data) || obj.ContentType != "image/jpeg" || obj.Size != int64(len(data)) ||
		obj.Metadata["image-id"] != "x" || obj.Metadata["original-filename"] != "a%20b.jpg" || obj.ETag == "" {
		t.Fatalf("get: %+v %v", obj, err)
	}
	if _, err := b.Get(ctx, key, 100); !errors.Is(err, storage.ErrTooLarge) {
		t.Fatalf("limit: %v", err)
	}
	u, err := b.PresignGet(ctx, key, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, data) {
		t.Fatalf("presigned GET: %d", resp.StatusCode)
	}
	if ok, err := b.Exists(ctx, key); !ok || err != nil {
		t.Fatalf("exists: %v %v", ok, err)
	}
	if err := b.Copy(ctx, key, "failed/x y.jpg", "image/jpeg", map[string]string{"failure-reason": "why"}); err != nil {
		t.Fatal(err)
	}
	cp, err := b.Get(ctx, "failed/x y.jpg", 0)
	if err != nil || !bytes.Equal(cp.Body, data) || cp.Metadata["failure-reason"] != "why" {
		t.Fatalf("copy: %v, metadata %v", err, cp.Metadata)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Get(ctx, key, 0); !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get after delete: %v", err)
	}
	if ok, err := b.Exists(ctx, key); ok || err != nil {
		t.Fatalf("exists after delete: %v %v", ok, err)
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("deleting a missing key must succeed, as in S3: %v", err)
	}
}

// TestServerErrorsAreNotNotFound makes sure a failing S3 is never mistaken for "already processed".
func TestServerErrorsAreNotNotFound(t *testing.T) {
	srv := s3test.Start(t, "images")
	srv.Inject(s3test.Fault{Method: "GET", KeyPrefix: ""})
	srv.Inject(s3test.Fault{Method: "HEAD", KeyPrefix: ""})
	if _, err := srv.Bucket.Get(t.Context(), "staging/x.jpg", 0); err == nil || errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("get: %v", err)
	}
	if _, err := srv.Bucket.Exists(t.Context(), "staging/x.jpg"); err == nil {
		t.Fatal("exists: want an error")
	}
}

// TestDeleteIf deletes only the version that was read: S3 answers 412 for another ETag.
func TestDeleteIf(t *testing.T) {
	b := s3test.Start(t, "images").Bucket
	ctx := t.Context()
	if err := b.Put(ctx, "k", []byte("one"), "text/plain", nil); err != nil {
		t.Fatal(err)
	}
	obj, _ := b.Get(ctx, "k", 0)
	if err := b.Put(ctx, "k", []byte("two"), "text/plain", nil); err != nil {
		t.Fatal(err)
	}
	if err := b.DeleteIf(ctx, "k", obj.ETag); !errors.Is(err, storage.ErrChanged) {
		t.Fatalf("stale etag: %v", err)
	}
	now, _ := b.Get(ctx, "k", 0)
	if err := b.DeleteIf(ctx, "k", strings.Trim(now.ETag, `"`)); err != nil { // unquoted, as in S3 events
		t.Fatal(err)
	}
	if ok, _ := b.Exists(ctx, "k"); ok {
		t.Fatal("not deleted")
	}
}
