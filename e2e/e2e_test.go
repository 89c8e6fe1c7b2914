package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"image"
	_ "image/jpeg"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	_ "github.com/go-sql-driver/mysql"

	"github.com/imgpipe/imgpipe/internal/lambdaruntime"
	"github.com/imgpipe/imgpipe/internal/miniotest"
	"github.com/imgpipe/imgpipe/internal/testimage"
)

const bucket = "images"

// e2eUser is the signed-in user of the test's requests; an administrator, so the console photos show in its list.
const e2eUser = "e2e-user"

// signingKey is the serve function's SIGNING_KEY.
const signingKey = "e2e-signing-key-0123456789abcdef"

var (
	buildOnce                      sync.Once
	uploadBin, resizeBin, serveBin string
	buildErr                       error
)

// binaries builds the bootstraps once per test run, the way `make package` does (-tags lambda.norpc, static).
func binaries(t *testing.T) (string, string) {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "imgpipe-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		if uploadBin, buildErr = lambdaruntime.Build(context.Background(), "github.com/imgpipe/imgpipe/functions/upload", filepath.Join(dir, "upload")); buildErr != nil {
			return
		}
		if resizeBin, buildErr = lambdaruntime.Build(context.Background(), "github.com/imgpipe/imgpipe/functions/resize", filepath.Join(dir, "resize")); buildErr != nil {
			return
		}
		serveBin, buildErr = lambdaruntime.Build(context.Background(), "github.com/imgpipe/imgpipe/functions/serve", filepath.Join(dir, "serve"))
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return uploadBin, resizeBin
}

// pipeline is the deployed system in miniature.
type pipeline struct {
	minio   *miniotest.Server
	s3      *s3.Client
	upload  *lambdaruntime.Function
	resize  *lambdaruntime.Function
	serve   *lambdaruntime.Function
	webhook *miniotest.Webhook
	seen    int // webhook records already forwarded
}

func start(t *testing.T) *pipeline {
	t.Helper()
	return startWith(t, catalogEnv(t, t.TempDir()))
}

// startWith starts the pipeline with the functions on the catalog that catalog's variables name.
func startWith(t *testing.T, catalog map[string]string) *pipeline {
	t.Helper()
	bin := miniotest.Require(t)
	ctx := t.Context()
	uploadBin, resizeBin := binaries(t)
	p := &pipeline{webhook: miniotest.NewWebhook()}
	t.Cleanup(p.webhook.Close)
	p.minio = miniotest.ForTest(t, miniotest.Options{Binary: bin, Webhooks: map[string]string{"resize": p.webhook.URL()}})
	p.s3 = p.minio.S3Client()
	if _, err := p.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if err := miniotest.ConfigureNotification(ctx, p.s3, bucket, "resize", "staging/"); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"BUCKET": bucket, "AWS_REGION": p.minio.Region, "S3_ENDPOINT": p.minio.Endpoint,
		"S3_ACCESS_KEY_ID": p.minio.AccessKey, "S3_SECRET_ACCESS_KEY": p.minio.SecretKey,
		"CORS_ALLOWED_ORIGINS": "*", "LOG_LEVEL": "debug", "MAX_SOURCE_BYTES": "8388608", "SIGNING_KEY": signingKey,
	}
	for k, v := range catalog {
		env[k] = v
	}
	var err error
	opts := func(name string) lambdaruntime.Options {
		return lambdaruntime.Options{FunctionName: name, MemoryMB: 1024, Timeout: 60 * time.Second, Env: env}
	}
	if p.upload, err = lambdaruntime.Start(ctx, uploadBin, opts("imgpipe-upload")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.upload.Close() })
	if p.resize, err = lambdaruntime.Start(ctx, resizeBin, opts("imgpipe-resize")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.resize.Close() })
	if p.serve, err = lambdaruntime.Start(ctx, serveBin, opts("imgpipe-serve")); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.serve.Close() })
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("upload logs:\n%s\nresize logs:\n%s\nserve logs:\n%s", strings.Join(p.upload.Logs(), "\n"),
				strings.Join(p.resize.Logs(), "\n"), strings.Join(p.serve.Logs(), "\n"))
		}
	})
	return p
}

// catalogEnv points both functions at one catalog: a fresh MySQL database when CATALOG_TEST_MYSQL_DSN is set
// (CI), as in production, else a SQLite file both processes share.
func catalogEnv(t *testing.T, dir string) map[string]string {
	dsn := os.Getenv("CATALOG_TEST_MYSQL_DSN")
	if dsn == "" {
		return map[string]string{"CATALOG_DRIVER": "sqlite", "CATALOG_SQLITE_PATH": filepath.Join(dir, "catalog.db")}
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "imgpipe_e2e_" + hex.EncodeToString(b)
	db, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Exec("DROP DATABASE " + name); db.Close() })
	base, _, _ := strings.Cut(dsn, ")/")
	return map[string]string{"CATALOG_DRIVER": "mysql", "CATALOG_DSN": base + ")/" + name}
}

// forward invokes the resize function with every notification MinIO has sent since the last call, exactly as
// the record arrived, and waits up to timeout for at least want new ones.
func (p *pipeline) forward(t *testing.T, want int, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	for got := 0; got < want; got++ {
		select {
		case <-p.webhook.Events():
		case <-deadline:
			t.Fatalf("got %d of %d S3 notifications", got, want)
		}
	}
	raw := p.webhook.RawRecords()
	for _, rec := range raw[p.seen:] {
		if _, err := p.resize.Invoke(t.Context(), rec); err != nil {
			t.Fatalf("resize invocation: %v", err)
		}
	}
	p.seen = len(raw)
}

// api invokes the upload function with an API Gateway event and decodes its response.
func (p *pipeline) api(t *testing.T, ev any) (int, map[string]any) {
	t.Helper()
	payload, _ := json.Marshal(ev)
	out, err := p.upload.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("upload invocation: %v", err)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.Unmarshal([]byte(resp.Body), &body)
	return resp.StatusCode, body
}

func (p *pipeline) exists(t *testing.T, key string) bool {
	t.Helper()
	_, err := p.s3.HeadObject(t.Context(), &s3.HeadObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	return err == nil
}

// restUpload is a REST API (payload 1.0) multipart upload with a base64 body, as API Gateway sends it when
// multipart/form-data is a binary media type.
func restUpload(body []byte, contentType string) map[string]any {
	return map[string]any{
		"resource": "/images", "path": "/images", "httpMethod": "POST",
		"headers":           map[string]string{"Content-Type": contentType, "Host": "api.example"},
		"multiValueHeaders": map[string][]string{"Content-Type": {contentType}, "Host": {"api.example"}},
		"requestContext": map[string]any{"stage": "v1", "httpMethod": "POST", "path": "/v1/images", "requestId": "e2e",
			// What the REST API's Cognito user pool authorizer passes on for a signed-in user.
			"authorizer": map[string]any{"claims": map[string]any{"sub": e2eUser, "cognito:groups": "admin"}}},
		"body": base64.StdEncoding.EncodeToString(body), "isBase64Encoded": true,
	}
}

// httpGet is an HTTP API (payload 2.0) GET.
func httpGet(path, query string) map[string]any {
	return map[string]any{
		"version": "2.0", "routeKey": "GET " + path, "rawPath": path, "rawQueryString": query,
		"headers": map[string]string{"host": "api.example"},
		"requestContext": map[string]any{"http": map[string]any{"method": "GET", "path": path}, "stage": "$default",
			// What an HTTP API's JWT authorizer passes on.
			"authorizer": map[string]any{"jwt": map[string]any{"claims": map[string]string{"sub": e2eUser, "cognito:groups": "[admin]"}}}},
		"isBase64Encoded": false,
	}
}

// checkReady fetches the image through the API and every derivative through its presigned URL.
func (p *pipeline) checkReady(t *testing.T, id string, want ...image.Point) map[string]any {
	t.Helper()
	status, img := p.api(t, httpGet("/images/"+id, ""))
	if status != 200 || img["status"] != "ready" {
		t.Fatalf("GET /images/%s: %d %v", id, status, img)
	}
	ds := img["derivatives"].([]any)
	if len(ds) != len(want) {
		t.Fatalf("derivatives %v", ds)
	}
	for i, d := range ds {
		u := d.(map[string]any)["url"].(string)
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		dec, _, err := image.Decode(bytes.NewReader(data))
		if resp.StatusCode != 200 || err != nil || dec.Bounds().Size() != want[i] {
			t.Fatalf("derivative %d via presigned URL: %d %v %v", i, resp.StatusCode, err, dec)
		}
	}
	return img
}

func TestMultipartUploadThroughBinaries(t *testing.T) {
	p := start(t)
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "IMG_0042.JPG", Data: testimage.WithOrientation(testimage.JPEG(2400, 1800), 6)},
		testimage.Part{Field: "caption", Data: []byte("from the e2e test")})
	status, up := p.api(t, restUpload(body, ct))
	if status != 201 {
		t.Fatalf("upload: %d %v", status, up)
	}
	id, key := up["id"].(string), up["stagingKey"].(string)
	p.forward(t, 1, 30*time.Second)
	p.checkReady(t, id, image.Pt(1800, 2400), image.Pt(640, 853), image.Pt(320, 427))
	if p.exists(t, key) {
		t.Error("staging copy not deleted")
	}
	if !p.exists(t, "originals/"+id+".jpg") {
		t.Error("original not archived")
	}
	// The outputs and the delete must not have triggered anything. A marker put into staging afterwards is a
	// barrier: once its notification is in, any notification the outputs caused would be in too.
	p.barrier(t)
	if recs := p.webhook.RawRecords(); len(recs) != 2 {
		t.Errorf("%d notifications; only the staging upload (and the barrier) should notify", len(recs))
	}
	// A redelivered event is harmless.
	if _, err := p.resize.Invoke(t.Context(), p.webhook.RawRecords()[0]); err != nil {
		t.Fatalf("duplicate delivery: %v", err)
	}
	checkLogs(t, p)
}

func TestConsolePutObjectThroughBinaries(t *testing.T) {
	p := start(t)
	key := "staging/Holiday 2026/Straße ü+1.jpg" // spaces, '+', non-ASCII: MinIO sends %2F, + and %C3%BC
	_, err := p.s3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(testimage.JPEG(1000, 750)), ContentType: aws.String("image/jpeg")})
	if err != nil {
		t.Fatal(err)
	}
	p.forward(t, 1, 30*time.Second)
	if p.exists(t, key) {
		t.Fatal("staging copy not deleted")
	}
	status, list := p.api(t, httpGet("/images", "limit=10"))
	images, _ := list["images"].([]any)
	if status != 200 || len(images) != 1 {
		t.Fatalf("list: %d %v", status, list)
	}
	img := images[0].(map[string]any)
	if img["filename"] != "Straße ü+1.jpg" {
		t.Fatalf("filename %v", img["filename"])
	}
	p.checkReady(t, img["id"].(string), image.Pt(1000, 750), image.Pt(640, 480), image.Pt(320, 240))
}

func TestCorruptPhotoIsQuarantinedNotRetried(t *testing.T) {
	p := start(t)
	key := "staging/broken.jpg"
	_, err := p.s3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader([]byte("\xFF\xD8\xFF\xE0 definitely not a JPEG"))})
	if err != nil {
		t.Fatal(err)
	}
	// Over MAX_SOURCE_BYTES: quarantined by a server-side copy, never read into memory, and never lost.
	huge := bytes.Repeat([]byte{0xAB}, 9<<20)
	_, err = p.s3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("staging/huge file.jpg"),
		Body: bytes.NewReader(huge)})
	if err != nil {
		t.Fatal(err)
	}
	p.forward(t, 2, 30*time.Second) // forward fails the test if the function returns an error
	out, err := p.s3.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String("failed/")})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 2 || p.exists(t, key) || p.exists(t, "staging/huge file.jpg") {
		t.Fatalf("quarantine: failed/ has %d objects; staging copies left: %v", len(out.Contents), p.exists(t, key))
	}
	var sizes []int64
	for _, o := range out.Contents {
		sizes = append(sizes, aws.ToInt64(o.Size))
	}
	if !slices.Contains(sizes, int64(len(huge))) {
		t.Fatalf("the oversized photo was not kept whole: sizes %v", sizes)
	}
}

// barrier puts a marker into staging and waits for its notification, which MinIO sends after those of every
// earlier write.
func (p *pipeline) barrier(t *testing.T) {
	t.Helper()
	_, err := p.s3.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String("staging/zz-barrier"),
		Body: bytes.NewReader([]byte("x"))})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.webhook.Events():
	case <-time.After(30 * time.Second):
		t.Fatal("no notification for the barrier")
	}
	recs := p.webhook.RawRecords()
	if !bytes.Contains(recs[len(recs)-1], []byte("zz-barrier")) {
		t.Fatalf("the last notification is not the barrier: %s", recs[len(recs)-1])
	}
}

// checkLogs requires every line both functions printed to be JSON, and the resize function to have emitted an
// EMF record CloudWatch can read. Output arrives through a pipe, so it waits, up to a deadline, for the EMF record.
func checkLogs(t *testing.T, p *pipeline) {
	t.Helper()
	hasEMF := func(l string) bool {
		var rec map[string]any
		return json.Unmarshal([]byte(l), &rec) == nil && rec["_aws"] != nil && rec["TotalMs"] != nil
	}
	for deadline := time.Now().Add(10 * time.Second); !slices.ContainsFunc(p.resize.Logs(), hasEMF); {
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	var emf bool
	for name, lines := range map[string][]string{"upload": p.upload.Logs(), "resize": p.resize.Logs()} {
		if len(lines) == 0 {
			t.Errorf("%s printed nothing", name)
		}
		for _, l := range lines {
			var rec map[string]any
			if err := json.Unmarshal([]byte(l), &rec); err != nil {
				t.Errorf("%s: not JSON: %q", name, l)
				continue
			}
			if aws, ok := rec["_aws"].(map[string]any); ok && aws["CloudWatchMetrics"] != nil && rec["TotalMs"] != nil {
				emf = true
			}
		}
	}
	if !emf {
		t.Error("no EMF record from the resize function")
	}
}

// TestDatabaseDownAtColdStart starts the upload binary with an unreachable MySQL: it must still start, and answer
// a readable 503 (not an init failure, which API Gateway turns into an opaque 502), storing nothing.
func TestDatabaseDownAtColdStart(t *testing.T) {
	p := start(t)
	uploadBin, _ := binaries(t)
	down, err := lambdaruntime.Start(t.Context(), uploadBin, lambdaruntime.Options{FunctionName: "imgpipe-upload-dbdown",
		Timeout: 30 * time.Second, Env: map[string]string{
			"BUCKET": bucket, "AWS_REGION": p.minio.Region, "S3_ENDPOINT": p.minio.Endpoint,
			"S3_ACCESS_KEY_ID": p.minio.AccessKey, "S3_SECRET_ACCESS_KEY": p.minio.SecretKey,
			"CATALOG_DRIVER": "mysql", "DB_HOST": "127.0.0.1", "DB_PORT": "1", "DB_USER": "u", "DB_NAME": "d",
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer down.Close()
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(100, 80)})
	payload, _ := json.Marshal(restUpload(body, ct))
	out, err := down.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatalf("invocation failed instead of answering 503: %v", err)
	}
	var resp struct {
		StatusCode int    `json:"statusCode"`
		Body       string `json:"body"`
	}
	json.Unmarshal(out, &resp)
	if resp.StatusCode != 503 || !strings.Contains(resp.Body, `"unavailable"`) {
		t.Fatalf("got %d %s", resp.StatusCode, resp.Body)
	}
	list, err := p.s3.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("stored %v objects (%v)", len(list.Contents), err)
	}
}

// TestUnauthenticatedRefusedByTheBinary: an event without verified claims (an API deployed without its
// authorizer) is refused by the function itself, with a challenge, and stores nothing.
func TestUnauthenticatedRefusedByTheBinary(t *testing.T) {
	p := start(t)
	body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(100, 80)})
	ev := restUpload(body, ct)
	delete(ev["requestContext"].(map[string]any), "authorizer")
	payload, _ := json.Marshal(ev)
	out, err := p.upload.Invoke(t.Context(), payload)
	if err != nil {
		t.Fatal(err)
	}
	var resp struct {
		StatusCode int               `json:"statusCode"`
		Headers    map[string]string `json:"headers"`
		Body       string            `json:"body"`
	}
	json.Unmarshal(out, &resp)
	if resp.StatusCode != 401 || resp.Headers["Www-Authenticate"] == "" || !strings.Contains(resp.Body, `"unauthorized"`) {
		t.Fatalf("got %d %v %s", resp.StatusCode, resp.Headers, resp.Body)
	}
	list, err := p.s3.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
	if err != nil || len(list.Contents) != 0 {
		t.Fatalf("stored %v objects (%v)", len(list.Contents), err)
	}
}
