package miniotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

const targetID = "IMGPIPE"

// startWithWebhook starts the receiver before MinIO, because MinIO probes
// webhook endpoints at startup.
func startWithWebhook(t *testing.T, opts Options) (*Server, *Webhook) {
	t.Helper()
	hook := NewWebhook()
	t.Cleanup(hook.Close)
	opts.Webhooks = map[string]string{targetID: hook.URL()}
	began := time.Now()
	srv := ForTest(t, opts)
	t.Logf("minio healthy after %s", time.Since(began).Round(time.Millisecond))
	return srv, hook
}

func put(t *testing.T, client *s3.Client, bucket, key string) {
	t.Helper()
	_, err := client.PutObject(t.Context(), &s3.PutObjectInput{
		Bucket:      aws.String(bucket),
		Key:         aws.String(key),
		Body:        strings.NewReader("jpeg bytes"),
		ContentType: aws.String("image/jpeg"),
	})
	if err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func TestObjectCreatedNotification(t *testing.T) {
	// SyncEvents makes MinIO deliver before PutObject returns, so that
	// "exactly one event" can be checked without sleeping.
	srv, hook := startWithWebhook(t, Options{SyncEvents: true})
	client := srv.S3Client()
	const bucket = "photos"
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if err := ConfigureNotification(t.Context(), client, bucket, targetID, "staging/"); err != nil {
		t.Fatal(err)
	}

	const key = "staging/a b/ü+x.jpg"
	put(t, client, bucket, "other/x.jpg")
	put(t, client, bucket, key)

	if n := len(hook.Events()); n != 1 {
		t.Fatalf("got %d notifications, want 1 (only the staging/ key)", n)
	}
	ev := <-hook.Events()
	if len(ev.Records) != 1 {
		t.Fatalf("got %d records, want 1", len(ev.Records))
	}
	rec := ev.Records[0]
	if !strings.HasPrefix(rec.EventName, "s3:ObjectCreated:") {
		t.Errorf("eventName = %q, want prefix s3:ObjectCreated:", rec.EventName)
	}
	if rec.S3.Bucket.Name != bucket || rec.AWSRegion != Region {
		t.Errorf("bucket %q region %q, want %q %q", rec.S3.Bucket.Name, rec.AWSRegion, bucket, Region)
	}
	// MinIO escapes the key with url.QueryEscape: space as "+", "+" as
	// "%2B", UTF-8 bytes as %XX and, unlike AWS, "/" as "%2F".
	if want := "staging%2Fa+b%2F%C3%BC%2Bx.jpg"; rec.S3.Object.Key != want {
		t.Errorf("raw key = %q, want %q", rec.S3.Object.Key, want)
	}
	if got := rec.S3.Object.URLDecodedKey; got != key {
		t.Errorf("URLDecodedKey = %q, want %q", got, key)
	}
	if rec.S3.Object.Size != int64(len("jpeg bytes")) {
		t.Errorf("size = %d, want %d", rec.S3.Object.Size, len("jpeg bytes"))
	}

	raw := hook.RawRecords()
	if len(raw) != 1 {
		t.Fatalf("RawRecords has %d documents, want 1", len(raw))
	}
	var again events.S3Event
	if err := json.Unmarshal(raw[0], &again); err != nil {
		t.Fatalf("RawRecords[0] is not an S3 event: %v\n%s", err, raw[0])
	}
	if len(again.Records) != 1 || again.Records[0].S3.Object.URLDecodedKey != key {
		t.Errorf("RawRecords[0] decodes to %+v, want the record for %q", again.Records, key)
	}
	t.Logf("notification: %s", raw[0])
}

// TestAsyncDelivery checks the default, AWS-like asynchronous delivery.
func TestAsyncDelivery(t *testing.T) {
	srv, hook := startWithWebhook(t, Options{})
	client := srv.S3Client()
	const bucket = "async"
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(bucket)}); err != nil {
		t.Fatal(err)
	}
	if err := ConfigureNotification(t.Context(), client, bucket, targetID, ""); err != nil {
		t.Fatal(err)
	}
	put(t, client, bucket, "x.jpg")
	select {
	case ev := <-hook.Events():
		if got := ev.Records[0].S3.Object.URLDecodedKey; got != "x.jpg" {
			t.Errorf("key = %q, want x.jpg", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no notification within 10s")
	}
}

func TestConfigureNotificationUnknownTarget(t *testing.T) {
	srv, _ := startWithWebhook(t, Options{})
	client := srv.S3Client()
	if _, err := client.CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String("bucket")}); err != nil {
		t.Fatal(err)
	}
	if err := ConfigureNotification(t.Context(), client, "bucket", "NOPE", "staging/"); err == nil {
		t.Error("ConfigureNotification with an unknown target succeeded, want an error")
	}
}

func TestStartFailureReportsOutput(t *testing.T) {
	bin := Require(t)
	// MinIO refuses a secret key shorter than 8 characters.
	_, err := Start(t.Context(), Options{Binary: bin, SecretKey: "short"})
	if err == nil {
		t.Fatal("Start with an invalid secret key succeeded")
	}
	if !strings.Contains(err.Error(), "exited during startup") {
		t.Errorf("error %q does not say MinIO exited", err)
	}
}

func TestLookupMinioBin(t *testing.T) {
	t.Setenv("MINIO_BIN", "/nonexistent/minio")
	if _, err := Lookup(); err == nil || errors.Is(err, ErrNotInstalled) {
		t.Errorf("Lookup with a missing MINIO_BIN = %v, want a non-ErrNotInstalled error", err)
	}
	t.Setenv("MINIO_BIN", "")
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	if _, err := Lookup(); !errors.Is(err, ErrNotInstalled) {
		t.Errorf("Lookup with an empty cache = %v, want ErrNotInstalled", err)
	}
}

func TestWebhookIgnoresNonNotifications(t *testing.T) {
	hook := NewWebhook()
	defer hook.Close()
	resp, err := hook.srv.Client().Post(hook.URL(), "application/json", bytes.NewBufferString(`{"hello":"world"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || len(hook.Events()) != 0 {
		t.Errorf("status %d, %d events; want 200 and none", resp.StatusCode, len(hook.Events()))
	}
}
