package s3local

import (
	"bufio"
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// TestClientMistakes sends malformed or unsupported requests, each correctly signed, and checks that each gets
// S3's error code and XML shape, and never a 500.
func TestClientMistakes(t *testing.T) {
	f := newFixture(t)
	f.put("obj", []byte("x"))
	base := f.hs.URL + "/" + testBucket
	md5of := func(b string) string { s := md5.Sum([]byte(b)); return base64.StdEncoding.EncodeToString(s[:]) }
	cases := map[string]struct {
		method, url, body string
		header            map[string]string
		status            int
		code              string
	}{
		"no such bucket":          {"GET", f.hs.URL + "/nobucket/k", "", nil, 404, "NoSuchBucket"},
		"no such key":             {"GET", base + "/nope", "", nil, 404, "NoSuchKey"},
		"unsupported subresource": {"GET", base + "/obj?tagging", "", nil, 501, "NotImplemented"},
		"acl put":                 {"PUT", base + "/obj?acl", "", nil, 501, "NotImplemented"},
		"version id":              {"GET", base + "/obj?versionId=abc", "", nil, 400, "InvalidArgument"},
		"bad max-keys":            {"GET", base + "?list-type=2&max-keys=-1", "", nil, 400, "InvalidArgument"},
		"bad encoding type":       {"GET", base + "?list-type=2&encoding-type=base64", "", nil, 400, "InvalidArgument"},
		"bad part number":         {"PUT", base + "/obj?partNumber=0&uploadId=x", "", nil, 400, "InvalidArgument"},
		"no such upload":          {"PUT", base + "/obj?partNumber=1&uploadId=nope", "p", nil, 404, "NoSuchUpload"},
		"malformed delete xml":    {"POST", base + "?delete", "<Delete><Object>", map[string]string{"Content-MD5": md5of("<Delete><Object>")}, 400, "MalformedXML"},
		"delete without md5":      {"POST", base + "?delete", "<Delete/>", nil, 400, "InvalidRequest"},
		"metadata too large":      {"PUT", base + "/meta", "x", map[string]string{"X-Amz-Meta-Big": strings.Repeat("m", 2100)}, 400, "MetadataTooLarge"},
		"if-none-match etag":      {"PUT", base + "/obj", "x", map[string]string{"If-None-Match": `"abc"`}, 501, "NotImplemented"},
		"copy from nowhere":       {"PUT", base + "/dst", "", map[string]string{"X-Amz-Copy-Source": "nobucket"}, 400, "InvalidArgument"},
		"copy onto itself":        {"PUT", base + "/obj", "", map[string]string{"X-Amz-Copy-Source": testBucket + "/obj"}, 400, "InvalidRequest"},
		"bad bucket name":         {"PUT", f.hs.URL + "/Bad_Bucket", "", nil, 400, "InvalidBucketName"},
		"bucket exists":           {"PUT", base, "", nil, 409, "BucketAlreadyOwnedByYou"},
		"bucket not empty":        {"DELETE", base, "", nil, 409, "BucketNotEmpty"},
		"other region bucket": {"PUT", f.hs.URL + "/elsewhere", "<CreateBucketConfiguration><LocationConstraint>us-west-1</LocationConstraint></CreateBucketConfiguration>",
			nil, 400, "IllegalLocationConstraintException"},
		"method on service": {"DELETE", f.hs.URL + "/", "", nil, 405, "MethodNotAllowed"},
		"complete bad xml":  {"POST", base + "/obj?uploadId=nope", "<x", nil, 404, "NoSuchUpload"},
		"bad range part":    {"GET", base + "/obj?partNumber=2", "", nil, 416, "InvalidPartNumber"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, tc.url, strings.NewReader(tc.body))
			for k, v := range tc.header {
				req.Header.Set(k, v)
			}
			signRequest(t, req, []byte(tc.body), time.Now())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			var e struct {
				XMLName   xml.Name
				Code      string
				Message   string
				Resource  string
				RequestID string `xml:"RequestId"`
			}
			if err := xml.Unmarshal(body, &e); err != nil {
				t.Fatalf("%d, not an XML error: %q", resp.StatusCode, body)
			}
			if resp.StatusCode != tc.status || e.Code != tc.code || e.XMLName.Local != "Error" || e.Message == "" || e.RequestID == "" ||
				e.RequestID != resp.Header.Get("x-amz-request-id") {
				t.Fatalf("got %d %+v, want %d %s", resp.StatusCode, e, tc.status, tc.code)
			}
		})
	}
}

func TestMalformedAuthorization(t *testing.T) {
	f := newFixture(t)
	for name, tc := range map[string]struct {
		header string
		status int
		code   string
	}{
		"no fields":        {"AWS4-HMAC-SHA256 ", 400, "AuthorizationHeaderMalformed"},
		"short credential": {"AWS4-HMAC-SHA256 Credential=AK/2020, SignedHeaders=host, Signature=00", 400, "AuthorizationHeaderMalformed"},
		"unknown scheme":   {"Bearer token", 400, "InvalidArgument"},
		"sigv4a":           {"AWS4-ECDSA-P256-SHA256 Credential=x", 400, "InvalidRequest"},
		"host not signed": {"AWS4-HMAC-SHA256 Credential=" + testAccessKey + "/" + time.Now().UTC().Format(scopeDateLayout) + "/" + testRegion +
			"/s3/aws4_request, SignedHeaders=x-amz-date, Signature=00", 400, "AuthorizationHeaderMalformed"},
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", f.hs.URL+"/"+testBucket, nil)
			req.Header.Set("Authorization", tc.header)
			req.Header.Set("X-Amz-Date", time.Now().UTC().Format(amzDateLayout))
			req.Header.Set("X-Amz-Content-Sha256", emptySHA256)
			status, e, body := do(t, req)
			if status != tc.status || e.Code != tc.code {
				t.Fatalf("got %d %s (%s)", status, e.Code, body)
			}
		})
	}
}

// TestHeadErrorsHaveNoBody: S3 answers HEAD errors with the status alone.
func TestHeadErrorsHaveNoBody(t *testing.T) {
	f := newFixture(t)
	req, _ := http.NewRequest(http.MethodHead, f.hs.URL+"/"+testBucket+"/missing", nil)
	signRequest(t, req, nil, time.Now())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 404 || len(b) != 0 {
		t.Fatalf("%d %q", resp.StatusCode, b)
	}
}

func TestBuckets(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("thumbs")}); err != nil {
		t.Fatal(err)
	}
	out, err := c.ListBuckets(ctx, &s3.ListBucketsInput{})
	if err != nil || len(out.Buckets) != 2 || aws.ToString(out.Buckets[0].Name) != testBucket || aws.ToString(out.Buckets[1].Name) != "thumbs" {
		t.Fatalf("list buckets: %v %+v", err, out)
	}
	loc, err := c.GetBucketLocation(ctx, &s3.GetBucketLocationInput{Bucket: aws.String("thumbs")})
	if err != nil || string(loc.LocationConstraint) != testRegion {
		t.Fatalf("location: %v %+v", err, loc)
	}
	if _, err := c.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String("thumbs")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("thumbs")}); httpStatus(err) != 404 {
		t.Fatalf("deleted bucket: %v", err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("thumbs"), Key: aws.String("k"), Body: bytes.NewReader(nil)}); errCode(err) != "NoSuchBucket" {
		t.Fatalf("put into a deleted bucket: %v", err)
	}
}

// TestObjectMetadata checks what a PUT stores and a GET answers, and the response-* overrides.
func TestObjectMetadata(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, err := f.client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("m"), Body: strings.NewReader("x"),
		ContentType: aws.String("image/webp"), CacheControl: aws.String("max-age=60"), ContentDisposition: aws.String("inline"),
		Metadata: map[string]string{"Upload-Id": "u1"}})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.client().GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("m"),
		ResponseContentType: aws.String("application/octet-stream")})
	if err != nil {
		t.Fatal(err)
	}
	out.Body.Close()
	if aws.ToString(out.ContentType) != "application/octet-stream" || aws.ToString(out.CacheControl) != "max-age=60" ||
		aws.ToString(out.ContentDisposition) != "inline" || out.Metadata["upload-id"] != "u1" {
		t.Fatalf("get: %+v", out)
	}
	// The SDK always sends a Content-Type; a bare client may not, and S3 then stores binary/octet-stream.
	req, _ := http.NewRequest(http.MethodPut, f.hs.URL+"/"+testBucket+"/plain", strings.NewReader("x"))
	signRequest(t, req, []byte("x"), time.Now())
	if status, e, _ := do(t, req); status != 200 {
		t.Fatalf("put: %d %+v", status, e)
	}
	if ct := aws.ToString(f.head("plain").ContentType); ct != "binary/octet-stream" {
		t.Fatalf("default content type %q", ct)
	}
}

// TestDeclaredSizes checks the length rules before any body is read: over 5 GiB is EntityTooLarge, and an
// upload of unknown length (chunked transfer encoding without aws-chunked) is MissingContentLength.
func TestDeclaredSizes(t *testing.T) {
	f := newFixture(t)
	for name, tc := range map[string]struct {
		header string
		status int
		code   string
	}{
		"over 5 GiB":     {"Content-Length: 5368709121\r\n", 400, "EntityTooLarge"},
		"unknown length": {"Transfer-Encoding: chunked\r\n", 411, "MissingContentLength"},
	} {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPut, f.hs.URL+"/"+testBucket+"/big", nil)
			req.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
			v4.NewSigner().SignHTTP(context.Background(), testCreds, req, unsignedPayload, "s3", testRegion, time.Now())
			conn, err := net.Dial("tcp", f.hs.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var raw strings.Builder
			raw.WriteString("PUT /" + testBucket + "/big HTTP/1.1\r\nHost: " + req.Host + "\r\n" + tc.header)
			for k, vs := range req.Header {
				raw.WriteString(k + ": " + vs[0] + "\r\n")
			}
			raw.WriteString("\r\n")
			conn.Write([]byte(raw.String()))
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
			var e s3ErrorBody
			xml.Unmarshal(b, &e)
			if resp.StatusCode != tc.status || e.Code != tc.code {
				t.Fatalf("got %d %s (%s)", resp.StatusCode, e.Code, b)
			}
		})
	}
}
