package s3local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestPersistenceAcrossRestart(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	keys := []string{"staging/../originals/x.jpg", "originals/x.jpg", "staging/folder/", strings.Repeat("z", 1024)}
	for _, k := range keys {
		f.put(k, []byte("v:"+k))
	}
	f.put("originals/x.jpg", []byte("overwritten"))
	f.client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/folder/")})
	up, err := f.client().CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String(testBucket), Key: aws.String("big")})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("second")}); err != nil {
		t.Fatal(err)
	}
	// Overwrites and deletes remove the replaced blobs at once (not only at the next start's clean-up).
	if n := countFiles(t, filepath.Join(f.dir, "blobs")); n != 3 {
		t.Fatalf("%d blobs for 3 live objects before restart", n)
	}

	f.restart()

	want := map[string]string{"staging/../originals/x.jpg": "v:staging/../originals/x.jpg", "originals/x.jpg": "overwritten",
		strings.Repeat("z", 1024): "v:" + strings.Repeat("z", 1024)}
	for k, v := range want {
		if b, code := f.get(k); string(b) != v {
			t.Fatalf("after restart %q = %q (%s), want %q", k, b, code, v)
		}
	}
	if _, code := f.get("staging/folder/"); code != "NoSuchKey" {
		t.Fatalf("deleted object back after restart: %s", code)
	}
	got := listAll(t, f.client(), "", 2, false)
	wantKeys := []string{"originals/x.jpg", "staging/../originals/x.jpg", strings.Repeat("z", 1024)}
	if !slices.Equal(got, wantKeys) {
		t.Fatalf("listing after restart: %q", got)
	}
	if _, err := f.client().ListParts(ctx, &s3.ListPartsInput{Bucket: aws.String(testBucket), Key: aws.String("big"), UploadId: up.UploadId}); err != nil {
		t.Fatalf("upload in progress lost: %v", err)
	}
	if _, err := f.client().HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("second")}); err != nil {
		t.Fatalf("created bucket lost: %v", err)
	}
	// Overwrites and deletes leave no blob behind: one blob per live object.
	if n := countFiles(t, filepath.Join(f.dir, "blobs")); n != len(want) {
		t.Fatalf("%d blobs for %d objects", n, len(want))
	}
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			n++
		}
		return err
	})
	return n
}

// TestGarbageAfterCrash plants what a crash can leave (a temporary file, a blob the index never got) and
// checks that a restart removes it and keeps live objects.
func TestGarbageAfterCrash(t *testing.T) {
	f := newFixture(t)
	f.put("live", []byte("live"))
	f.stop()
	orphan := filepath.Join(f.dir, "blobs", "ab", "ab"+strings.Repeat("0", 30))
	os.MkdirAll(filepath.Dir(orphan), 0o755)
	os.WriteFile(orphan, []byte("orphan"), 0o644)
	tmp := filepath.Join(f.dir, "tmp", "half-written")
	os.WriteFile(tmp, []byte("half"), 0o644)
	f.start()
	for _, p := range []string{orphan, tmp} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s survived a restart: %v", p, err)
		}
	}
	if b, _ := f.get("live"); string(b) != "live" {
		t.Fatalf("live object lost: %q", b)
	}
}

func TestPath(t *testing.T) {
	f := newFixture(t)
	f.put("originals/p.jpg", []byte("bytes on disk"))
	p, err := f.srv.Path(testBucket, "originals/p.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(p); err != nil || string(b) != "bytes on disk" {
		t.Fatalf("Path file: %q %v", b, err)
	}
	if _, err := f.srv.Path(testBucket, "missing"); !errors.Is(err, ErrNoSuchKey) {
		t.Fatalf("missing key: %v", err)
	}
	if _, err := f.srv.Path("nobucket", "k"); !errors.Is(err, ErrNoSuchBucket) {
		t.Fatalf("missing bucket: %v", err)
	}
}

func TestDirInUse(t *testing.T) {
	f := newFixture(t)
	_, err := New(Options{Dir: f.dir, AccessKey: "a", SecretKey: "b"})
	if !errors.Is(err, ErrDirInUse) {
		t.Fatalf("second server on the same directory: %v", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	for name, o := range map[string]Options{
		"no dir":         {AccessKey: "a", SecretKey: "b"},
		"no credentials": {Dir: t.TempDir()},
		"bad bucket":     {Dir: t.TempDir(), AccessKey: "a", SecretKey: "b", Buckets: []string{"Bad_Name"}},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
}
