package miniotest

import (
	"errors"
	"os"
	"testing"
)

// Require returns the MinIO binary for t. When it is not installed, t is
// skipped with instructions, unless MINIO_REQUIRED=1, which CI sets so that
// a missing binary fails instead of silently dropping coverage.
func Require(t testing.TB) string {
	t.Helper()
	p, err := Lookup()
	switch {
	case err == nil:
		return p
	case errors.Is(err, ErrNotInstalled) && os.Getenv("MINIO_REQUIRED") != "1":
		t.Skipf("%v; set MINIO_REQUIRED=1 to make this a failure", err)
	default:
		t.Fatal(err)
	}
	return ""
}

// ForTest starts a Server for t, with MinIO's output in the test log when t
// fails, and closes it when t ends. It skips or fails t as Require does.
func ForTest(t testing.TB, opts Options) *Server {
	t.Helper()
	if opts.Binary == "" {
		opts.Binary = Require(t)
	}
	s, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("minio output:\n%s", s.Logs())
		}
		if err := s.Close(); err != nil {
			t.Errorf("miniotest: close: %v", err)
		}
	})
	return s
}
