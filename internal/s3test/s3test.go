// Package s3test serves the S3 HTTP protocol in-process for tests (the project's own S3 server, pkg/s3local, which
// checks signatures and conditional requests as S3 does) and can make chosen requests fail, so tests exercise the
// real SDK, signing and XML error paths rather than an interface fake.
package s3test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/s3local"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Server is a running S3 server with one bucket.
type Server struct {
	URL    string
	Bucket *storage.Bucket

	mu     sync.Mutex
	faults []Fault
}

// Fault makes every request with Method whose key starts with KeyPrefix fail with a 500 InternalError.
type Fault struct {
	Method    string
	KeyPrefix string
}

// Start starts a server with bucket and returns a storage.Bucket for it that does not retry, so an injected fault
// surfaces at once.
func Start(t testing.TB, bucket string) *Server {
	t.Helper()
	srv, err := s3local.New(s3local.Options{Dir: t.TempDir(), AccessKey: "test", SecretKey: "test", Buckets: []string{bucket},
		NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{}
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.faulty(r, bucket) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`))
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() { hs.Close(); srv.Close() })
	s.URL = hs.URL
	client, err := storage.NewClient(context.Background(), storage.Config{Bucket: bucket, Region: "us-east-1",
		Endpoint: hs.URL, AccessKeyID: "test", SecretAccessKey: "test", MaxAttempts: 1})
	if err != nil {
		t.Fatal(err)
	}
	s.Bucket = storage.NewBucket(client, bucket)
	return s
}

// Inject adds a fault; Clear removes them all.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, f)
}

// Clear removes every fault.
func (s *Server) Clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

func (s *Server) faulty(r *http.Request, bucket string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/"+bucket), "/")
	for _, f := range s.faults {
		if r.Method == f.Method && strings.HasPrefix(key, f.KeyPrefix) {
			return true
		}
	}
	return false
}
