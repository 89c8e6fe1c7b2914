package s3local

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

func TestConditionalDelete(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	etag := aws.ToString(f.put("staging/a.jpg", []byte("v1")).ETag)
	del := func(ifMatch string) error {
		_, err := f.client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/a.jpg"),
			IfMatch: aws.String(ifMatch)})
		return err
	}
	if err := del(`"0123456789abcdef0123456789abcdef"`); errCode(err) != "PreconditionFailed" || httpStatus(err) != 412 {
		t.Fatalf("delete with another ETag: %v", err)
	}
	if b, _ := f.get("staging/a.jpg"); string(b) != "v1" {
		t.Fatalf("object gone after a failed conditional delete")
	}
	// Overwritten meanwhile: the old ETag no longer matches.
	f.put("staging/a.jpg", []byte("v2"))
	if err := del(etag); errCode(err) != "PreconditionFailed" {
		t.Fatalf("delete with the replaced version's ETag: %v", err)
	}
	etag2 := aws.ToString(f.head("staging/a.jpg").ETag)
	if err := del(etag2); err != nil {
		t.Fatalf("delete with the current ETag: %v", err)
	}
	if _, code := f.get("staging/a.jpg"); code != "NoSuchKey" {
		t.Fatalf("after conditional delete: %s", code)
	}
	if err := del(etag2); errCode(err) != "NoSuchKey" || httpStatus(err) != 404 {
		t.Fatalf("conditional delete of a missing object: %v", err)
	}
	// Unconditional deletes of missing objects succeed, as in S3.
	if _, err := f.client().DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/a.jpg")}); err != nil {
		t.Fatal(err)
	}
}

// head is a HEAD that must succeed.
func (f *fixture) head(key string) *s3.HeadObjectOutput {
	t := f.t
	t.Helper()
	h, err := f.client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestConditionalPut(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	put := func(key string, in s3.PutObjectInput) error {
		in.Bucket, in.Key, in.Body = aws.String(testBucket), aws.String(key), bytes.NewReader([]byte("new"))
		_, err := f.client().PutObject(ctx, &in)
		return err
	}
	etag := aws.ToString(f.put("k", []byte("old")).ETag)
	cases := map[string]struct {
		key  string
		in   s3.PutObjectInput
		code string
	}{
		"if-none-match * on existing": {"k", s3.PutObjectInput{IfNoneMatch: aws.String("*")}, "PreconditionFailed"},
		"if-match other etag":         {"k", s3.PutObjectInput{IfMatch: aws.String(`"ffffffffffffffffffffffffffffffff"`)}, "PreconditionFailed"},
		"if-match on missing":         {"missing", s3.PutObjectInput{IfMatch: aws.String(etag)}, "NoSuchKey"},
		"if-none-match * on missing":  {"fresh", s3.PutObjectInput{IfNoneMatch: aws.String("*")}, ""},
		"if-match current etag":       {"k", s3.PutObjectInput{IfMatch: aws.String(etag)}, ""},
	}
	// Failing cases first, so "k" still holds "old" for them.
	for _, name := range []string{"if-none-match * on existing", "if-match other etag", "if-match on missing", "if-none-match * on missing", "if-match current etag"} {
		tc := cases[name]
		t.Run(name, func(t *testing.T) {
			if err := put(tc.key, tc.in); errCode(err) != tc.code {
				t.Fatalf("got %v, want %q", err, tc.code)
			}
			b, code := f.get(tc.key)
			want := "new"
			if tc.code != "" {
				want = map[string]string{"k": "old", "missing": ""}[tc.key]
			}
			if string(b) != want && !(want == "" && code == "NoSuchKey") {
				t.Fatalf("%s holds %q (%s), want %q", tc.key, b, code, want)
			}
		})
	}
}

func TestConditionalGet(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	etag := aws.ToString(f.put("obj", []byte("0123456789")).ETag)
	h := f.head("obj")
	mod := aws.ToTime(h.LastModified)
	cases := map[string]struct {
		in     s3.GetObjectInput
		status int
		body   string
		crange string
	}{
		"plain":                                  {s3.GetObjectInput{}, 200, "0123456789", ""},
		"if-match same":                          {s3.GetObjectInput{IfMatch: aws.String(etag)}, 200, "0123456789", ""},
		"if-match star":                          {s3.GetObjectInput{IfMatch: aws.String("*")}, 200, "0123456789", ""},
		"if-match other":                         {s3.GetObjectInput{IfMatch: aws.String(`"nope"`)}, 412, "", ""},
		"if-none-match same":                     {s3.GetObjectInput{IfNoneMatch: aws.String(etag)}, 304, "", ""},
		"if-none-match other":                    {s3.GetObjectInput{IfNoneMatch: aws.String(`"nope"`)}, 200, "0123456789", ""},
		"if-modified-since later":                {s3.GetObjectInput{IfModifiedSince: aws.Time(mod.Add(time.Hour))}, 304, "", ""},
		"if-modified-since earlier":              {s3.GetObjectInput{IfModifiedSince: aws.Time(mod.Add(-time.Hour))}, 200, "0123456789", ""},
		"if-unmodified-since earlier":            {s3.GetObjectInput{IfUnmodifiedSince: aws.Time(mod.Add(-time.Hour))}, 412, "", ""},
		"if-match wins over unmodified-since":    {s3.GetObjectInput{IfMatch: aws.String(etag), IfUnmodifiedSince: aws.Time(mod.Add(-time.Hour))}, 200, "0123456789", ""},
		"if-none-match wins over modified-since": {s3.GetObjectInput{IfNoneMatch: aws.String(etag), IfModifiedSince: aws.Time(mod.Add(-time.Hour))}, 304, "", ""},
		"range":                                  {s3.GetObjectInput{Range: aws.String("bytes=2-4")}, 206, "234", "bytes 2-4/10"},
		"open range":                             {s3.GetObjectInput{Range: aws.String("bytes=7-")}, 206, "789", "bytes 7-9/10"},
		"suffix range":                           {s3.GetObjectInput{Range: aws.String("bytes=-3")}, 206, "789", "bytes 7-9/10"},
		"range past the end":                     {s3.GetObjectInput{Range: aws.String("bytes=8-100")}, 206, "89", "bytes 8-9/10"},
		"unsatisfiable range":                    {s3.GetObjectInput{Range: aws.String("bytes=10-")}, 416, "", ""},
		"several ranges ignored":                 {s3.GetObjectInput{Range: aws.String("bytes=0-1,3-4")}, 200, "0123456789", ""},
		"part 1 of a single-part object":         {s3.GetObjectInput{PartNumber: aws.Int32(1)}, 200, "0123456789", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			in := tc.in
			in.Bucket, in.Key = aws.String(testBucket), aws.String("obj")
			out, err := f.client().GetObject(ctx, &in)
			status := 200
			if err != nil {
				status = httpStatus(err)
			} else if out.ContentRange != nil {
				status = 206
			}
			if status != tc.status {
				t.Fatalf("status %d (%v), want %d", status, err, tc.status)
			}
			if err != nil {
				return
			}
			b, _ := io.ReadAll(out.Body)
			if string(b) != tc.body || aws.ToString(out.ContentRange) != tc.crange {
				t.Fatalf("body %q range %q, want %q %q", b, aws.ToString(out.ContentRange), tc.body, tc.crange)
			}
		})
	}
}

func TestInvalidRangeAnswer(t *testing.T) {
	f := newFixture(t)
	f.put("obj", []byte("0123456789"))
	req, _ := http.NewRequest(http.MethodGet, f.hs.URL+"/"+testBucket+"/obj", nil)
	req.Header.Set("Range", "bytes=20-30")
	signRequest(t, req, nil, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 416 || resp.Header.Get("Content-Range") != "bytes */10" {
		t.Fatalf("%d %q", resp.StatusCode, resp.Header.Get("Content-Range"))
	}
}

func TestCopyConditions(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	etag := aws.ToString(f.put("src", []byte("source")).ETag)
	cp := func(in s3.CopyObjectInput) error {
		in.Bucket, in.Key, in.CopySource = aws.String(testBucket), aws.String("dst"), aws.String(testBucket+"/src")
		_, err := f.client().CopyObject(ctx, &in)
		return err
	}
	if err := cp(s3.CopyObjectInput{CopySourceIfMatch: aws.String(`"other"`)}); errCode(err) != "PreconditionFailed" {
		t.Fatalf("copy-source-if-match other: %v", err)
	}
	if err := cp(s3.CopyObjectInput{CopySourceIfNoneMatch: aws.String(etag)}); errCode(err) != "PreconditionFailed" {
		t.Fatalf("copy-source-if-none-match same: %v", err)
	}
	if _, code := f.get("dst"); code != "NoSuchKey" {
		t.Fatalf("failed copy stored dst: %s", code)
	}
	if err := cp(s3.CopyObjectInput{CopySourceIfMatch: aws.String(etag)}); err != nil {
		t.Fatal(err)
	}
	if err := cp(s3.CopyObjectInput{IfNoneMatch: aws.String("*")}); errCode(err) != "PreconditionFailed" {
		t.Fatalf("copy onto an existing dst with If-None-Match: %v", err)
	}
	if b, _ := f.get("dst"); string(b) != "source" {
		t.Fatalf("dst = %q", b)
	}
}

// TestConcurrentCreateOnlyOnce: of many concurrent If-None-Match: * writers of one key, exactly one wins and
// the object holds its bytes, because the condition is decided inside the index transaction.
func TestConcurrentCreateOnlyOnce(t *testing.T) {
	f := newFixture(t)
	const writers = 8
	results := make(chan string, writers)
	for i := range writers {
		go func() {
			_, err := f.client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("once"),
				Body: bytes.NewReader([]byte{byte('a' + i)}), IfNoneMatch: aws.String("*")})
			if err != nil {
				results <- errCode(err)
				return
			}
			results <- string(rune('a' + i))
		}()
	}
	var winners []string
	for range writers {
		r := <-results
		switch {
		case len(r) == 1:
			winners = append(winners, r)
		case r != "PreconditionFailed":
			t.Errorf("writer failed with %s", r)
		}
	}
	b, _ := f.get("once")
	if len(winners) != 1 || string(b) != winners[0] {
		t.Fatalf("winners %q, object %q", winners, b)
	}
	if ev := f.created(); len(ev) != 1 {
		t.Fatalf("%d events for one creation", len(ev))
	}
}

func TestConditionalDeleteStar(t *testing.T) {
	f := newFixture(t)
	f.put("k", []byte("v"))
	del := func() error {
		_, err := f.client().DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k"),
			IfMatch: aws.String("*")})
		return err
	}
	if err := del(); err != nil {
		t.Fatalf("If-Match * on an existing object: %v", err)
	}
	if err := del(); errCode(err) != "NoSuchKey" {
		t.Fatalf("If-Match * on a missing object: %v", err)
	}
}
