package s3local

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// presignPost asks the SDK for the form of a direct upload to key: at most maxBytes, an image Content-Type.
func presignPost(t *testing.T, f *fixture, key string, ttl time.Duration, extra ...any) *s3.PresignedPostRequest {
	t.Helper()
	conds := append([]any{
		[]any{"content-length-range", 1, 1000},
		[]any{"starts-with", "$Content-Type", "image/"},
	}, extra...)
	p, err := s3.NewPresignClient(f.client()).PresignPostObject(context.Background(),
		&s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)},
		func(o *s3.PresignPostOptions) { o.Expires = ttl; o.Conditions = conds })
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// postForm sends a browser-style multipart POST: the fields (in order), then the file, last.
func postForm(t *testing.T, url string, fields [][2]string, file []byte) (int, s3ErrorBody, []byte, http.Header) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for _, kv := range fields {
		mw.WriteField(kv[0], kv[1])
	}
	fw, _ := mw.CreateFormFile("file", "photo.jpg")
	fw.Write(file)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, url, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e s3ErrorBody
	xml.Unmarshal(b, &e)
	return resp.StatusCode, e, b, resp.Header
}

// formFields turns the SDK's values into ordered form fields, plus more.
func formFields(p *s3.PresignedPostRequest, more ...[2]string) [][2]string {
	var out [][2]string
	for k, v := range p.Values {
		out = append(out, [2]string{k, v})
	}
	return append(out, more...)
}

func replaceField(fields [][2]string, name, value string) [][2]string {
	out := append([][2]string{}, fields...)
	for i := range out {
		if strings.EqualFold(out[i][0], name) {
			out[i][1] = value
		}
	}
	return out
}

func TestPostPolicy(t *testing.T) {
	f := newFixture(t)
	const key = "staging/direct.jpg"
	jpeg := []byte("\xff\xd8\xff not really a jpeg")
	good := presignPost(t, f, key, time.Hour)
	withMeta := presignPost(t, f, key, time.Hour, map[string]string{"x-amz-meta-upload-id": "u-1"}, map[string]string{"success_action_status": "201"})
	short := presignPost(t, f, key, 5*time.Second)
	f.skew.Store(int64(6 * time.Second)) // short has expired; good has not
	defer f.skew.Store(0)

	// A policy with another key, re-signed by nobody: its signature is good's.
	tampered := func() [][2]string {
		raw, _ := base64.StdEncoding.DecodeString(good.Values["policy"])
		var pol map[string]any
		json.Unmarshal(raw, &pol)
		b, _ := json.Marshal(pol)
		b = bytes.Replace(b, []byte(key), []byte("originals/x.jpg"), 1)
		fields := replaceField(formFields(good, [2]string{"Content-Type", "image/jpeg"}), "policy", base64.StdEncoding.EncodeToString(b))
		return replaceField(fields, "key", "originals/x.jpg")
	}()
	badSig := formFields(good, [2]string{"Content-Type", "image/jpeg"})
	badSig = replaceField(badSig, "X-Amz-Signature", strings.Repeat("0", 64))

	cases := map[string]struct {
		fields  [][2]string
		file    []byte
		status  int
		code    string
		message string
		stored  string // the key that must hold the file afterwards, "" for none
	}{
		"good": {formFields(good, [2]string{"Content-Type", "image/jpeg"}), jpeg, 204, "", "", key},
		"201 with metadata": {formFields(withMeta, [2]string{"Content-Type", "image/png"}, [2]string{"x-amz-meta-upload-id", "u-1"},
			[2]string{"success_action_status", "201"}), jpeg, 201, "", "", key},
		"over the size limit": {formFields(good, [2]string{"Content-Type", "image/jpeg"}), bytes.Repeat([]byte("x"), 1001), 400, "EntityTooLarge", "", ""},
		"empty file":          {formFields(good, [2]string{"Content-Type", "image/jpeg"}), nil, 400, "EntityTooSmall", "", ""},
		"to another key": {replaceField(formFields(good, [2]string{"Content-Type", "image/jpeg"}), "key", "originals/x.jpg"), jpeg, 403, "AccessDenied",
			`Invalid according to Policy: Policy Condition failed: ["eq", "$key", "staging/direct.jpg"]`, ""},
		"wrong Content-Type": {formFields(good, [2]string{"Content-Type", "text/html"}), jpeg, 403, "AccessDenied",
			`Invalid according to Policy: Policy Condition failed: ["starts-with","$Content-Type","image/"]`, ""},
		"no Content-Type": {formFields(good), jpeg, 403, "AccessDenied", "", ""},
		"extra field": {formFields(good, [2]string{"Content-Type", "image/jpeg"}, [2]string{"x-amz-meta-evil", "1"}), jpeg, 403, "AccessDenied",
			"Invalid according to Policy: Extra input fields: x-amz-meta-evil", ""},
		"metadata value changed": {formFields(withMeta, [2]string{"Content-Type", "image/png"}, [2]string{"x-amz-meta-upload-id", "u-2"},
			[2]string{"success_action_status", "201"}), jpeg, 403, "AccessDenied", "", ""},
		"status changed": {formFields(withMeta, [2]string{"Content-Type", "image/png"}, [2]string{"x-amz-meta-upload-id", "u-1"},
			[2]string{"success_action_status", "200"}), jpeg, 403, "AccessDenied", "", ""},
		"ignored field":   {formFields(good, [2]string{"Content-Type", "image/jpeg"}, [2]string{"x-ignore-tracking", "1"}), jpeg, 204, "", "", key},
		"expired policy":  {formFields(short, [2]string{"Content-Type", "image/jpeg"}), jpeg, 403, "AccessDenied", "Invalid according to Policy: Policy expired.", ""},
		"bad signature":   {badSig, jpeg, 403, "SignatureDoesNotMatch", "", ""},
		"tampered policy": {tampered, jpeg, 403, "SignatureDoesNotMatch", "", ""},
		"no policy":       {[][2]string{{"key", key}, {"Content-Type", "image/jpeg"}}, jpeg, 403, "AccessDenied", "", ""},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			f.client().DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
			f.created()
			status, e, body, hdr := postForm(t, good.URL, tc.fields, tc.file)
			if status != tc.status || e.Code != tc.code || tc.message != "" && e.Message != tc.message {
				t.Fatalf("got %d %s %q, want %d %s %q", status, e.Code, e.Message, tc.status, tc.code, tc.message)
			}
			events := f.created()
			for _, k := range []string{key, "originals/x.jpg"} {
				got, code := f.get(k)
				if k == tc.stored && string(got) != string(tc.file) || k != tc.stored && code != "NoSuchKey" {
					t.Fatalf("%s holds %q (%s)", k, got, code)
				}
			}
			if tc.stored == "" {
				if len(events) != 0 {
					t.Fatalf("refused POST reported %v", events)
				}
				return
			}
			if len(events) != 1 || events[0].EventName != EventPost || events[0].Key != tc.stored || events[0].Size != int64(len(tc.file)) ||
				quote(events[0].ETag) != hdr.Get("ETag") {
				t.Fatalf("events %+v, ETag %s", events, hdr.Get("ETag"))
			}
			if status == 201 {
				var pr struct {
					Bucket, Key, ETag, Location string
				}
				if err := xml.Unmarshal(body, &pr); err != nil || pr.Bucket != testBucket || pr.Key != key || pr.ETag != hdr.Get("ETag") {
					t.Fatalf("201 body %s: %+v %v", body, pr, err)
				}
			}
		})
	}
}

// TestPostPolicyStoresFormMetadata checks that the object takes its Content-Type and metadata from the form.
func TestPostPolicyStoresFormMetadata(t *testing.T) {
	f := newFixture(t)
	p := presignPost(t, f, "staging/m.png", time.Hour, map[string]string{"x-amz-meta-upload-id": "u-9"})
	status, e, _, _ := postForm(t, p.URL, formFields(p, [2]string{"Content-Type", "image/png"}, [2]string{"x-amz-meta-upload-id", "u-9"}), []byte("png"))
	if status != 204 {
		t.Fatalf("post: %d %+v", status, e)
	}
	h, err := f.client().HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/m.png")})
	if err != nil || aws.ToString(h.ContentType) != "image/png" || h.Metadata["upload-id"] != "u-9" {
		t.Fatalf("head: %v %+v", err, h)
	}
}

// TestPostPolicyStartsWithKey checks a policy that allows a key prefix, with S3's ${filename} substitution.
func TestPostPolicyStartsWithKey(t *testing.T) {
	f := newFixture(t)
	p := presignPost(t, f, "uploads/${filename}", time.Hour, []any{"starts-with", "$key", "uploads/"})
	fields := formFields(p, [2]string{"Content-Type", "image/jpeg"})
	if status, e, _, _ := postForm(t, p.URL, fields, []byte("jpg")); status != 204 {
		t.Fatalf("post: %d %+v", status, e)
	}
	if b, code := f.get("uploads/photo.jpg"); string(b) != "jpg" {
		t.Fatalf("uploads/photo.jpg = %q %s", b, code)
	}
	if status, e, _, _ := postForm(t, p.URL, replaceField(fields, "key", "elsewhere/x.jpg"), []byte("jpg")); status != 403 || e.Code != "AccessDenied" {
		t.Fatalf("key outside the prefix: %d %+v", status, e)
	}
}
