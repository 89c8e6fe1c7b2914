package catalog

import (
	"context"
	"errors"
	"testing"
)

// openedStore is a Store that records what reached it.
type openedStore struct {
	Store
	created []string
	closed  bool
}

func (s *openedStore) Create(_ context.Context, img *Image) error {
	s.created = append(s.created, img.ID)
	return nil
}

func (s *openedStore) Close() error { s.closed = true; return nil }

// TestLazyRetriesTheOpen: a failed open is not remembered, so the container recovers when the database comes back,
// and every call after a successful open reuses that one backend.
func TestLazyRetriesTheOpen(t *testing.T) {
	down := errors.New("connection refused")
	backend := &openedStore{}
	opens := 0
	l := NewLazy(func(context.Context) (Store, error) {
		opens++
		if opens == 1 {
			return nil, down
		}
		return backend, nil
	})
	if err := l.Close(); err != nil {
		t.Fatalf("Close before any open: %v", err)
	}
	if err := l.Create(t.Context(), &Image{ID: "a"}); !errors.Is(err, down) {
		t.Fatalf("first call: got %v, want the open error", err)
	}
	for _, id := range []string{"b", "c"} {
		if err := l.Create(t.Context(), &Image{ID: id}); err != nil {
			t.Fatalf("after recovery: %v", err)
		}
	}
	if opens != 2 || len(backend.created) != 2 {
		t.Fatalf("%d opens, %v created; want 2 opens and b, c", opens, backend.created)
	}
	if err := l.Close(); err != nil || !backend.closed {
		t.Fatalf("Close: %v, backend closed %v", err, backend.closed)
	}
}
