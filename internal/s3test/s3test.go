// Package s3test serves the S3 HTTP protocol in-process for tests (gofakes3 with an in-memory backend) and can
// make chosen requests fail, so tests exercise the real SDK, signing and XML error paths rather than an
// interface fake.
package s3test

import (
	"context"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

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
	backend := s3mem.New()
	if err := backend.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	s := &Server{}
	fake := gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodDelete && r.Header.Get("If-Match") != "" && !s.etagMatches(backend, bucket, r) {
			// gofakes3 ignores If-Match on DELETE; AWS S3 answers 412, so the test server does too.
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusPreconditionFailed)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>PreconditionFailed</Code><Message>At least one of the pre-conditions you specified did not hold</Message></Error>`))
			return
		}
		if s.faulty(r, bucket) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected</Message></Error>`))
			return
		}
		fake.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
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

// etagMatches reports whether the object a conditional DELETE names still has the ETag it expects.
func (s *Server) etagMatches(backend gofakes3.Backend, bucket string, r *http.Request) bool {
	key := strings.TrimPrefix(strings.TrimPrefix(r.URL.Path, "/"+bucket), "/")
	obj, err := backend.HeadObject(bucket, key)
	if err != nil {
		return false
	}
	return strings.Trim(r.Header.Get("If-Match"), `"`) == hex.EncodeToString(obj.Hash)
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
