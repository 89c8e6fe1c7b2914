package catalog

import (
	"context"
	"sync"
	"time"
)

// Lazy is a Store that opens its backend on first use and, if that fails, again on the next call. A Lambda
// container that cold-starts while the database is unreachable must still answer: the upload function with a
// readable 503, the resize function with an error Lambda retries. Failing in main instead would make API Gateway
// answer an opaque 502 and would not recover until the container is recycled.
type Lazy struct {
	open  func(context.Context) (Store, error)
	mu    sync.Mutex
	store Store
}

var _ Store = (*Lazy)(nil)

// NewLazy returns a Store that calls open on first use. Validate the configuration before, so that a mistake is
// still reported at start-up.
func NewLazy(open func(context.Context) (Store, error)) *Lazy { return &Lazy{open: open} }

// get returns the open backend, opening it if needed. Concurrent callers wait for one attempt.
func (l *Lazy) get(ctx context.Context) (Store, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store == nil {
		s, err := l.open(ctx)
		if err != nil {
			return nil, err
		}
		l.store = s
	}
	return l.store, nil
}

// Create implements Store.
func (l *Lazy) Create(ctx context.Context, img *Image) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.Create(ctx, img)
}

// Get implements Store.
func (l *Lazy) Get(ctx context.Context, id string) (*Image, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, err
	}
	return s.Get(ctx, id)
}

// List implements Store.
func (l *Lazy) List(ctx context.Context, q Query) ([]Image, string, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, "", err
	}
	return s.List(ctx, q)
}

// ListPending implements Store.
func (l *Lazy) ListPending(ctx context.Context, before time.Time, limit int, cursor string) ([]Image, string, error) {
	s, err := l.get(ctx)
	if err != nil {
		return nil, "", err
	}
	return s.ListPending(ctx, before, limit, cursor)
}

// MarkReady implements Store.
func (l *Lazy) MarkReady(ctx context.Context, img *Image) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.MarkReady(ctx, img)
}

// MarkFailed implements Store.
func (l *Lazy) MarkFailed(ctx context.Context, img *Image) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.MarkFailed(ctx, img)
}

// Expire implements Store.
func (l *Lazy) Expire(ctx context.Context, id, reason string) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.Expire(ctx, id, reason)
}

// Delete implements Store.
func (l *Lazy) Delete(ctx context.Context, id string) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.Delete(ctx, id)
}

// Ping implements Store; it opens the backend if it is not open yet.
func (l *Lazy) Ping(ctx context.Context) error {
	s, err := l.get(ctx)
	if err != nil {
		return err
	}
	return s.Ping(ctx)
}

// Close implements Store.
func (l *Lazy) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.store == nil {
		return nil
	}
	return l.store.Close()
}
