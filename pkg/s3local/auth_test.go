package s3local

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

var testCreds = aws.Credentials{AccessKeyID: testAccessKey, SecretAccessKey: testSecretKey}

// signRequest signs req in the header form with the SDK's own signer, for requests the SDK's clients would not
// send as a test needs them.
func signRequest(t *testing.T, req *http.Request, body []byte, at time.Time) {
	t.Helper()
	sum := sha256.Sum256(body)
	hash := hex.EncodeToString(sum[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	if err := v4.NewSigner().SignHTTP(context.Background(), testCreds, req, hash, "s3", testRegion, at); err != nil {
		t.Fatal(err)
	}
}

// do sends req and returns its status and parsed S3 error (zero when the answer is not an error document).
func do(t *testing.T, req *http.Request) (int, s3ErrorBody, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var e s3ErrorBody
	xml.Unmarshal(body, &e)
	return resp.StatusCode, e, body
}

func presign(t *testing.T, c *s3.Client, key string, ttl time.Duration) string {
	t.Helper()
	p, err := s3.NewPresignClient(c).PresignGetObject(context.Background(),
		&s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)}, s3.WithPresignExpires(ttl))
	if err != nil {
		t.Fatal(err)
	}
	return p.URL
}

func TestSignatures(t *testing.T) {
	f := newFixture(t)
	f.put("originals/secret.jpg", []byte("secret"))
	f.put("staging/mine.jpg", []byte("mine"))
	good := presign(t, f.client(), "staging/mine.jpg", time.Hour)
	withCreds := func(ak, sk string) func(*s3.Options) {
		return func(o *s3.Options) { o.Credentials = credentials.NewStaticCredentialsProvider(ak, sk, "") }
	}

	sdkCases := map[string]struct {
		mod    func(*s3.Options)
		code   string
		status int
	}{
		"good":         {func(*s3.Options) {}, "", 200},
		"wrong secret": {withCreds(testAccessKey, "not-the-secret"), "SignatureDoesNotMatch", 403},
		"wrong key":    {withCreds("AKIDUNKNOWN", testSecretKey), "InvalidAccessKeyId", 403},
		"wrong region": {func(o *s3.Options) { o.Region = "us-west-2" }, "AuthorizationHeaderMalformed", 400},
		"anonymous":    {func(o *s3.Options) { o.Credentials = aws.AnonymousCredentials{} }, "AccessDenied", 403},
		"session token": {func(o *s3.Options) {
			o.Credentials = credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, "some-session-token")
		}, "InvalidToken", 400},
	}
	for name, tc := range sdkCases {
		t.Run("sdk/"+name, func(t *testing.T) {
			_, err := f.client(tc.mod).GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/mine.jpg")})
			if errCode(err) != tc.code || tc.code != "" && httpStatus(err) != tc.status {
				t.Fatalf("got %q (status %d), want %q %d: %v", errCode(err), httpStatus(err), tc.code, tc.status, err)
			}
		})
	}

	swapped := strings.Replace(good, "staging/mine.jpg", "originals/secret.jpg", 1)
	u, _ := url.Parse(good)
	q := u.Query()
	q.Del("X-Amz-Signature")
	u.RawQuery = q.Encode()
	unsigned := u.String()
	u, _ = url.Parse(good)
	q = u.Query()
	q.Set("response-content-type", "text/html")
	u.RawQuery = q.Encode()
	extraParam := u.String()
	urlCases := map[string]struct {
		url    string
		status int
		code   string
		body   string
	}{
		"presigned good":           {good, 200, "", "mine"},
		"presigned key swapped":    {swapped, 403, "SignatureDoesNotMatch", ""},
		"presigned extra param":    {extraParam, 403, "SignatureDoesNotMatch", ""},
		"presigned no signature":   {unsigned, 400, "AuthorizationQueryParametersError", ""},
		"no signature at all":      {f.hs.URL + "/" + testBucket + "/originals/secret.jpg", 403, "AccessDenied", ""},
		"signature of another key": {f.hs.URL + "/" + testBucket + "/originals/secret.jpg?" + strings.SplitN(good, "?", 2)[1], 403, "SignatureDoesNotMatch", ""},
	}
	for name, tc := range urlCases {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
			status, e, body := do(t, req)
			if status != tc.status || e.Code != tc.code || tc.body != "" && string(body) != tc.body {
				t.Fatalf("got %d %s %q, want %d %s", status, e.Code, body, tc.status, tc.code)
			}
		})
	}
}

func TestPresignedExpiry(t *testing.T) {
	f := newFixture(t)
	f.put("k", []byte("v"))
	u := presign(t, f.client(), "k", 10*time.Second)
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if status, _, _ := do(t, req); status != 200 {
		t.Fatalf("fresh URL: %d", status)
	}
	f.skew.Store(int64(11 * time.Second))
	req, _ = http.NewRequest(http.MethodGet, u, nil)
	status, e, _ := do(t, req)
	if status != 403 || e.Code != "AccessDenied" || e.Message != "Request has expired" {
		t.Fatalf("expired URL: %d %+v", status, e)
	}
	// A URL dated in the future (a client clock far ahead) is not valid yet.
	f.skew.Store(int64(-time.Hour))
	req, _ = http.NewRequest(http.MethodGet, presign(t, f.client(), "k", time.Hour), nil)
	if status, e, _ := do(t, req); status != 403 || e.Message != "Request is not valid yet" {
		t.Fatalf("future URL: %d %+v", status, e)
	}
}

func TestPresignedPut(t *testing.T) {
	f := newFixture(t)
	p, err := s3.NewPresignClient(f.client()).PresignPutObject(context.Background(),
		&s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/up.jpg"), ContentType: aws.String("image/jpeg")})
	if err != nil {
		t.Fatal(err)
	}
	send := func(rawURL, contentType string) (int, string) {
		req, _ := http.NewRequest(p.Method, rawURL, strings.NewReader("jpeg bytes"))
		req.Header.Set("Content-Type", contentType)
		status, e, _ := do(t, req)
		return status, e.Code
	}
	if status, code := send(strings.Replace(p.URL, "staging/up.jpg", "originals/up.jpg", 1), "image/jpeg"); status != 403 || code != "SignatureDoesNotMatch" {
		t.Fatalf("PUT to another key: %d %s", status, code)
	}
	if status, code := send(p.URL, "text/html"); status != 403 || code != "SignatureDoesNotMatch" {
		t.Fatalf("PUT with another signed Content-Type: %d %s", status, code)
	}
	if _, code := f.get("originals/up.jpg"); code != "NoSuchKey" {
		t.Fatalf("refused PUT stored something: %s", code)
	}
	if status, code := send(p.URL, "image/jpeg"); status != 200 {
		t.Fatalf("good presigned PUT: %d %s", status, code)
	}
	if b, code := f.get("staging/up.jpg"); string(b) != "jpeg bytes" {
		t.Fatalf("after presigned PUT: %q %s", b, code)
	}
}

func TestClockSkew(t *testing.T) {
	f := newFixture(t)
	for name, tc := range map[string]struct {
		skew time.Duration
		code string
	}{
		"within 15 minutes behind": {-14 * time.Minute, ""},
		"within 15 minutes ahead":  {14 * time.Minute, ""},
		"16 minutes behind":        {-16 * time.Minute, "RequestTimeTooSkewed"},
		"16 minutes ahead":         {16 * time.Minute, "RequestTimeTooSkewed"},
	} {
		t.Run(name, func(t *testing.T) {
			f.skew.Store(int64(tc.skew))
			_, err := f.client().HeadBucket(context.Background(), &s3.HeadBucketInput{Bucket: aws.String(testBucket)})
			if tc.code == "" && err != nil || tc.code != "" && httpStatus(err) != 403 {
				t.Fatalf("skew %v: %v", tc.skew, err)
			}
			// HEAD has no body; the code shows on a GET.
			_, err = f.client().ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(testBucket)})
			if errCode(err) != tc.code {
				t.Fatalf("skew %v: %v, want %s", tc.skew, err, tc.code)
			}
		})
	}
}

// TestPayloadHash checks that a signed x-amz-content-sha256 must match the body, and that the header is required.
func TestPayloadHash(t *testing.T) {
	f := newFixture(t)
	target := f.hs.URL + "/" + testBucket + "/staging/p.jpg"
	cases := map[string]struct {
		prepare func(*http.Request)
		status  int
		code    string
	}{
		"matching hash":        {func(r *http.Request) { signRequest(t, r, []byte("payload"), time.Now()) }, 200, ""},
		"hash of another body": {func(r *http.Request) { signRequest(t, r, []byte("payloaX"), time.Now()) }, 400, "XAmzContentSHA256Mismatch"},
		"unsigned payload": {func(r *http.Request) {
			r.Header.Set("X-Amz-Content-Sha256", unsignedPayload)
			v4.NewSigner().SignHTTP(context.Background(), testCreds, r, unsignedPayload, "s3", testRegion, time.Now())
		}, 200, ""},
		"no content hash header": {func(r *http.Request) {
			v4.NewSigner().SignHTTP(context.Background(), testCreds, r, emptySHA256, "s3", testRegion, time.Now())
		}, 400, "InvalidRequest"},
		"unsigned x-amz header": {func(r *http.Request) {
			signRequest(t, r, []byte("payload"), time.Now())
			r.Header.Set("X-Amz-Meta-Injected", "1")
		}, 403, "AccessDenied"},
		"v2 signature": {func(r *http.Request) { r.Header.Set("Authorization", "AWS "+testAccessKey+":c2ln") }, 400, "InvalidRequest"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPut, target, bytes.NewReader([]byte("payload")))
			tc.prepare(req)
			status, e, body := do(t, req)
			if status != tc.status || e.Code != tc.code {
				t.Fatalf("got %d %s (%s), want %d %s", status, e.Code, body, tc.status, tc.code)
			}
			b, code := f.get("staging/p.jpg")
			if tc.status == 200 && string(b) != "payload" || tc.status != 200 && code != "NoSuchKey" {
				t.Fatalf("stored %q (%s) after %d", b, code, status)
			}
			f.client().DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String("staging/p.jpg")})
		})
	}
}

// TestPresignedStreamingRefused: an aws-chunked body cannot ride on a presigned URL, where it would be stored
// with its chunk framing.
func TestPresignedStreamingRefused(t *testing.T) {
	f := newFixture(t)
	p, err := s3.NewPresignClient(f.client()).PresignPutObject(context.Background(),
		&s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("k")})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPut, p.URL+"&X-Amz-Content-Sha256="+streamingUnsignT, strings.NewReader("5\r\nhello\r\n0\r\n\r\n"))
	if status, e, _ := do(t, req); status != 400 || e.Code != "InvalidRequest" {
		t.Fatalf("got %d %s", status, e.Code)
	}
}
