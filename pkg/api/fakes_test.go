package api

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/sqlstore"
	"github.com/imgpipe/imgpipe/pkg/form"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

var errInjected = errors.New("injected failure")

// memObjects is an in-memory bucket whose Put can be made to fail. The S3 protocol itself is exercised by the
// pipeline and local stack tests; here only the handler's decisions are under test.
//
// A failing Put stores the object and then reports the failure, as a put whose answer timed out after it landed
// does: the handler cannot tell, so its clean-up must delete the object either way.
type memObjects struct {
	mu      sync.Mutex
	objects map[string]memObject
	failPut bool

	posts       []storage.PostPolicy
	failPresign bool
}

type memObject struct {
	data        []byte
	contentType string
	meta        map[string]string
}

func (m *memObjects) Put(_ context.Context, key string, data []byte, contentType string, meta map[string]string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.objects[key] = memObject{data: append([]byte(nil), data...), contentType: contentType, meta: meta}
	if m.failPut {
		return errInjected
	}
	return nil
}

func (m *memObjects) Delete(_ context.Context, key string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.objects, key)
	return nil
}

func (m *memObjects) List(_ context.Context, prefix string) ([]storage.ObjectInfo, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []storage.ObjectInfo
	for k, o := range m.objects {
		if strings.HasPrefix(k, prefix) {
			out = append(out, storage.ObjectInfo{Key: k, Size: int64(len(o.data))})
		}
	}
	return out, nil
}

func (m *memObjects) PresignGet(_ context.Context, key string, ttl time.Duration) (string, error) {
	return "https://bucket.example/" + key + "?ttl=" + ttl.String(), nil
}

// PresignPost records the policy it was asked for and answers with fields that name it.
func (m *memObjects) PresignPost(_ context.Context, p storage.PostPolicy) (*storage.PresignedPost, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.failPresign {
		return nil, errInjected
	}
	m.posts = append(m.posts, p)
	fields := map[string]string{"key": p.Key, "Content-Type": p.ContentType, "policy": "eyJ…", "x-amz-signature": "sig"}
	for k, v := range p.Metadata {
		fields["x-amz-meta-"+k] = v
	}
	return &storage.PresignedPost{URL: "https://bucket.example/", Fields: fields, Expires: time.Now().Add(p.TTL)}, nil
}

func (m *memObjects) keys() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.objects {
		out = append(out, k)
	}
	return out
}

// downCatalog is a catalog whose database is unreachable.
type downCatalog struct{ catalog.Store }

func (downCatalog) Create(context.Context, *catalog.Image) error { return errInjected }
func (downCatalog) Get(context.Context, string) (*catalog.Image, error) {
	return nil, errInjected
}
func (downCatalog) List(context.Context, catalog.Query) ([]catalog.Image, string, error) {
	return nil, "", errInjected
}

// testConfig is small enough that the limits can be hit with small images.
func testConfig() Config {
	return Config{
		Layout:             layout.New("staging/", "derivatives/", "originals/", "failed/").WithCache("cache/"),
		Form:               form.Limits{FileField: "file", MaxFileBytes: 64 << 10, MaxFields: 4, MaxFieldBytes: 256},
		Limits:             budget.Limits{MaxPixels: 1_000_000, MaxSide: 20000, Memory: 648 << 20},
		Widths:             []int{1920, 640, 320},
		CORSOrigins:        []string{"https://app.example"},
		URLTTL:             time.Hour,
		DirectMaxBytes:     50 << 20,
		DirectTTL:          15 * time.Minute,
		PendingDeleteAfter: time.Hour,
	}
}

type testEnv struct {
	svc     *Service
	objects *memObjects
	store   catalog.Store
}

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	store, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	objs := &memObjects{objects: map[string]memObject{}}
	svc := &Service{Objects: objs, Catalog: store, Config: testConfig(),
		Log: slog.New(slog.NewJSONHandler(io.Discard, nil)), NewID: NewID}
	return &testEnv{svc: svc, objects: objs, store: store}
}

// rows counts catalog rows.
func (e *testEnv) rows(t *testing.T) int {
	t.Helper()
	page, _, err := e.store.List(t.Context(), catalog.Query{All: true, Limit: catalog.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	return len(page)
}
