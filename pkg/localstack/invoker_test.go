package localstack

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgpipe/imgpipe/pkg/s3local"
)

// TestAsyncRetriesThenDeadLetter checks Lambda's asynchronous semantics: two retries, then the event is kept in
// the dead-letter folder rather than dropped.
func TestAsyncRetriesThenDeadLetter(t *testing.T) {
	dlq := filepath.Join(t.TempDir(), "dlq")
	var calls atomic.Int32
	fail := func(_ context.Context, ev events.S3Event) error {
		calls.Add(1)
		if ev.Records[0].S3.Object.URLDecodedKey != "staging/a b.jpg" {
			t.Errorf("handler saw key %q", ev.Records[0].S3.Object.URLDecodedKey)
		}
		return errors.New("s3 down")
	}
	inv := newAsyncInvoker(fail, 1, dlq, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	inv.backoff = time.Millisecond
	created := s3local.ObjectCreated{EventName: "ObjectCreated:Put", Bucket: "images", Key: "staging/a b.jpg", Size: 10, ETag: `"etag"`}
	inv.deliver(created.S3Event("us-east-1"))
	inv.shutdown(time.Minute)
	if calls.Load() != 3 {
		t.Fatalf("%d invocations, want 3", calls.Load())
	}
	files, err := os.ReadDir(dlq)
	if err != nil || len(files) != 1 {
		t.Fatalf("dead letters: %v %v", files, err)
	}
}

func TestAsyncSucceedsOnRetry(t *testing.T) {
	var calls atomic.Int32
	flaky := func(context.Context, events.S3Event) error {
		if calls.Add(1) == 1 {
			return errors.New("transient")
		}
		return nil
	}
	dlq := filepath.Join(t.TempDir(), "dlq")
	inv := newAsyncInvoker(flaky, 1, dlq, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	inv.backoff = time.Millisecond
	inv.deliver(events.S3Event{Records: []events.S3EventRecord{{}}})
	inv.shutdown(time.Minute)
	if _, err := os.Stat(dlq); calls.Load() != 2 || !os.IsNotExist(err) {
		t.Fatalf("%d calls, dlq %v", calls.Load(), err)
	}
}
