package dynamostore

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// faultServer answers every request with DynamoDB's error body for code (as a real endpoint sends it: the
// x-amz-json-1.0 content type and __type naming the error), and counts the requests.
func faultServer(t *testing.T, status int, code string) (url string, requests *atomic.Int32) {
	t.Helper()
	requests = &atomic.Int32{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.Header().Set("Content-Type", "application/x-amz-json-1.0")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"__type":"com.amazonaws.dynamodb.v20120810#%s","message":"injected %s"}`, code, code)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, requests
}

// storeOps calls every Store method once; each is a single request to the server when it fails at once.
func storeOps(s *Store) map[string]func(context.Context) error {
	result := &catalog.Image{ID: "0190a8f4-0000-7000-8000-000000000001", Origin: catalog.OriginUpload, StagingKey: "staging/a.jpg", SourceETag: "e"}
	return map[string]func(context.Context) error{
		"Create":      func(ctx context.Context) error { return s.Create(ctx, &catalog.Image{ID: result.ID}) },
		"Get":         func(ctx context.Context) error { _, err := s.Get(ctx, result.ID); return err },
		"List":        func(ctx context.Context) error { _, _, err := s.List(ctx, catalog.Query{All: true}); return err },
		"ListOwner":   func(ctx context.Context) error { _, _, err := s.List(ctx, catalog.Query{Owner: "alice"}); return err },
		"ListPending": func(ctx context.Context) error { _, _, err := s.ListPending(ctx, time.Now(), 10, ""); return err },
		"MarkReady":   func(ctx context.Context) error { return s.MarkReady(ctx, result) },
		"MarkFailed":  func(ctx context.Context) error { return s.MarkFailed(ctx, result) },
		"Expire":      func(ctx context.Context) error { return s.Expire(ctx, result.ID, "x") },
		"Delete":      func(ctx context.Context) error { return s.Delete(ctx, result.ID) },
		"Ping":        func(ctx context.Context) error { return s.Ping(ctx) },
		"Import": func(ctx context.Context) error {
			_, err := s.Import(ctx, &catalog.Image{ID: result.ID, Status: catalog.StatusReady, Origin: catalog.OriginUpload,
				CreatedAt: time.Now(), UpdatedAt: time.Now()})
			return err
		},
	}
}

// Throttling and server errors are retried by the SDK, a bounded number of times with short backoffs, and then come
// back as ErrUnavailable with the SDK's error inside: never as a catalog sentinel, which would tell the caller
// something about the row that nobody checked.
func TestUnavailableAfterRetries(t *testing.T) {
	cases := map[string]struct {
		status int
		code   string
		as     func(error) bool
	}{
		"provisioned throughput": {400, "ProvisionedThroughputExceededException", func(err error) bool {
			var e *types.ProvisionedThroughputExceededException
			return errors.As(err, &e)
		}},
		"throttling":    {400, "ThrottlingException", func(err error) bool { var e *types.ThrottlingException; return errors.As(err, &e) }},
		"request limit": {400, "RequestLimitExceeded", func(err error) bool { var e *types.RequestLimitExceeded; return errors.As(err, &e) }},
		"internal":      {500, "InternalServerError", func(err error) bool { var e *types.InternalServerError; return errors.As(err, &e) }},
		"unavailable":   {503, "ServiceUnavailable", func(err error) bool { return strings.Contains(err.Error(), "ServiceUnavailable") }},
	}
	const attempts = 3
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			url, requests := faultServer(t, tc.status, tc.code)
			client, err := NewClient(t.Context(), Config{Table: "catalog", Endpoint: url, MaxAttempts: attempts, MaxBackoff: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			for op, call := range storeOps(New(client, "catalog")) {
				requests.Store(0)
				err := call(t.Context())
				if !errors.Is(err, ErrUnavailable) || !tc.as(err) {
					t.Errorf("%s: got %v, want ErrUnavailable around %s", op, err, tc.code)
				}
				for _, sentinel := range []error{catalog.ErrNotFound, catalog.ErrConflict, catalog.ErrExists, catalog.ErrInvalid} {
					if errors.Is(err, sentinel) {
						t.Errorf("%s: %v is also %v", op, err, sentinel)
					}
				}
				if n := requests.Load(); n != attempts {
					t.Errorf("%s: %d requests, want %d (the first and %d retries)", op, n, attempts, attempts-1)
				}
			}
		})
	}
}

// A request that DynamoDB refuses as invalid is not retried and is not "unavailable": it would fail again.
func TestValidationErrorsAreNotRetried(t *testing.T) {
	url, requests := faultServer(t, 400, "ValidationException")
	client, err := NewClient(t.Context(), Config{Table: "catalog", Endpoint: url, MaxAttempts: 3, MaxBackoff: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	err = New(client, "catalog").Create(t.Context(), &catalog.Image{ID: "a"})
	if err == nil || errors.Is(err, ErrUnavailable) || requests.Load() != 1 {
		t.Errorf("got %v after %d requests; want a plain error after 1", err, requests.Load())
	}
}

// The network: nothing listening, and a server that accepts and never answers. Both end as ErrUnavailable, the
// second within the attempt timeouts, and a caller's deadline shorter than those ends it sooner.
func TestNetworkFailures(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()

	hang := make(chan struct{})
	silent := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(hang); silent.Close() })

	const timeout = 200 * time.Millisecond
	for name, tc := range map[string]struct {
		url      string
		deadline time.Duration // the caller's; 0 for none
		max      time.Duration
	}{
		"connection refused":       {closed, 0, 2 * time.Second},
		"no answer":                {silent.URL, 0, 2*timeout + time.Second},
		"no answer, short context": {silent.URL, timeout / 4, timeout},
	} {
		t.Run(name, func(t *testing.T) {
			client, err := NewClient(t.Context(), Config{Table: "catalog", Endpoint: tc.url, MaxAttempts: 2, MaxBackoff: 10 * time.Millisecond,
				AttemptTimeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			ctx := t.Context()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			start := time.Now()
			_, err = New(client, "catalog").Get(ctx, "0190a8f4-0000-7000-8000-000000000001")
			elapsed := time.Since(start)
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("got %v, want ErrUnavailable", err)
			}
			if elapsed > tc.max {
				t.Errorf("took %v, want under %v", elapsed, tc.max)
			}
			t.Logf("failed after %v: %v", elapsed.Round(time.Millisecond), err)
		})
	}
}
