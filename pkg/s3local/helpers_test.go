package s3local

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
)

// The test credential and region. The region is not us-east-1 so that a client falling back to the default
// region is caught.
const (
	testAccessKey = "AKIDS3LOCALTEST"
	testSecretKey = "s3local-test-secret"
	testRegion    = "eu-west-3"
	testBucket    = "images"
)

// fixture is a server on 127.0.0.1 with a clock the test can move, recording the events it reports.
type fixture struct {
	t      *testing.T
	dir    string
	srv    *Server
	hs     *httptest.Server
	skew   atomic.Int64 // added to the real time, in nanoseconds
	mu     sync.Mutex
	events []ObjectCreated
	gone   []ObjectRemoved
	opt    func(*Options) // applied to the options on every start
}

func newFixture(t *testing.T, opt ...func(*Options)) *fixture {
	t.Helper()
	f := &fixture{t: t, dir: t.TempDir()}
	if len(opt) > 0 {
		f.opt = opt[0]
	}
	f.start()
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) start() {
	f.t.Helper()
	o := Options{
		Dir: f.dir, Region: testRegion, AccessKey: testAccessKey, SecretKey: testSecretKey, Buckets: []string{testBucket},
		Now: func() time.Time { return time.Now().Add(time.Duration(f.skew.Load())) },
		OnObjectCreated: func(e ObjectCreated) {
			f.mu.Lock()
			f.events = append(f.events, e)
			f.mu.Unlock()
		},
		OnObjectRemoved: func(e ObjectRemoved) {
			f.mu.Lock()
			f.gone = append(f.gone, e)
			f.mu.Unlock()
		},
	}
	if f.opt != nil {
		f.opt(&o)
	}
	srv, err := New(o)
	if err != nil {
		f.t.Fatal(err)
	}
	f.srv = srv
	f.hs = httptest.NewServer(srv)
}

func (f *fixture) stop() {
	if f.hs != nil {
		f.hs.Close()
		f.srv.Close()
		f.hs = nil
	}
}

func (f *fixture) restart() {
	f.stop()
	f.start()
}

// created returns the ObjectCreated events so far and forgets them.
func (f *fixture) created() []ObjectCreated {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.events
	f.events = nil
	return e
}

// client is configured the way pkg/storage configures the SDK for a local endpoint: path-style addressing,
// checksums only when required, a plain HTTP client.
func (f *fixture) client(mods ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:                     testRegion,
		Credentials:                credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
		BaseEndpoint:               aws.String(f.hs.URL),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
		HTTPClient:                 &http.Client{Timeout: 30 * time.Second},
		RetryMaxAttempts:           1,
	}, mods...)
}

func (f *fixture) put(key string, body []byte) *s3.PutObjectOutput {
	f.t.Helper()
	out, err := f.client().PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key),
		Body: bytes.NewReader(body)})
	if err != nil {
		f.t.Fatalf("put %q: %v", key, err)
	}
	return out
}

// get returns the object's content, or the S3 error code.
func (f *fixture) get(key string) ([]byte, string) {
	f.t.Helper()
	out, err := f.client().GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key)})
	if err != nil {
		return nil, errCode(err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		f.t.Fatalf("read %q: %v", key, err)
	}
	return b, ""
}

// errCode is the S3 error code of an SDK error ("" for nil), with "HTTP <status>" for bodiless answers.
func errCode(err error) string {
	if err == nil {
		return ""
	}
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return "other: " + err.Error()
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// s3ErrorBody parses an S3 XML error answer.
type s3ErrorBody struct {
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}
