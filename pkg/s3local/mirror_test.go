package s3local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestMirror(t *testing.T) {
	f := newFixture(t, func(o *Options) { o.Mirror = true })
	ctx := context.Background()
	view := func(key string) string { return filepath.Join(f.dir, mirrorDir, testBucket, filepath.FromSlash(key)) }
	read := func(key string) (string, error) {
		b, err := os.ReadFile(view(key))
		return string(b), err
	}
	f.put("originals/u1/640.jpg", []byte("640"))
	f.put("staging/../originals/u1/640.jpg", []byte("alias attempt"))
	f.put("staging/folder/", nil)
	f.put("x", []byte("file x"))
	f.put("x/y", []byte("needs x as a directory"))
	if got, err := read("originals/u1/640.jpg"); got != "640" || err != nil {
		t.Fatalf("mirror of originals/u1/640.jpg: %q %v", got, err)
	}
	if got, _ := read("x"); got != "file x" {
		t.Fatalf("mirror of x: %q", got)
	}
	if st, err := os.Stat(view("originals/u1/640.jpg")); err != nil || st.Mode().Perm()&0o222 != 0 {
		t.Fatalf("mirror entry is writable: %v %v", st.Mode(), err)
	}
	// Keys that are not plain paths stay out; the object they would alias is untouched.
	if _, err := os.Stat(filepath.Join(f.dir, mirrorDir, testBucket, "staging")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("staging/ appeared in the view: %v", err)
	}
	f.put("originals/u1/640.jpg", []byte("overwritten"))
	if got, _ := read("originals/u1/640.jpg"); got != "overwritten" {
		t.Fatalf("after overwrite: %q", got)
	}
	f.client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String("originals/u1/640.jpg")})
	if _, err := os.Stat(filepath.Join(f.dir, mirrorDir, testBucket, "originals")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("emptied directories left in the view: %v", err)
	}
	// A restart rebuilds the view from the index, here after someone removed a file by hand.
	f.put("originals/u2/320.jpg", []byte("320"))
	os.Remove(view("originals/u2/320.jpg"))
	f.restart()
	if got, _ := read("originals/u2/320.jpg"); got != "320" {
		t.Fatalf("after restart: %q", got)
	}
	if b, _ := f.get("staging/../originals/u1/640.jpg"); string(b) != "alias attempt" {
		t.Fatalf("S3 object changed: %q", b)
	}
	if entries, _ := os.ReadDir(filepath.Join(f.dir, mirrorDir, testBucket)); len(entries) != 2 || !strings.Contains(entries[0].Name()+entries[1].Name(), "originals") {
		t.Fatalf("view holds %v", entries)
	}
}
