package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/cors"
	"github.com/imgpipe/imgpipe/pkg/form"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Objects is the part of the bucket the API uses.
type Objects interface {
	Put(ctx context.Context, key string, data []byte, contentType string, meta map[string]string) error
	Delete(ctx context.Context, key string) error
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
	PresignPost(ctx context.Context, p storage.PostPolicy) (*storage.PresignedPost, error)
	List(ctx context.Context, prefix string) ([]storage.ObjectInfo, error)
}

// Catalog is the part of the image catalog the API uses.
type Catalog interface {
	Create(ctx context.Context, img *catalog.Image) error
	Get(ctx context.Context, id string) (*catalog.Image, error)
	List(ctx context.Context, q catalog.Query) ([]catalog.Image, string, error)
	Delete(ctx context.Context, id string) error
}

var (
	_ Objects = (*storage.Bucket)(nil)
	_ Catalog = (catalog.Store)(nil)
)

// Config configures the API.
type Config struct {
	Layout        layout.Layout
	Form          form.Limits
	Limits        budget.Limits // pixels, sides, scans and memory, from the header (the resize function's)
	AlsoWebP      bool          // the resize function also writes WebP derivatives (FORMATS=jpeg,webp)
	Widths        []int         // the derivative widths, to name the keys in the upload's answer
	CORSOrigins   []string      // origins allowed by CORS; "*" allows any; none sends no CORS headers
	URLTTL        time.Duration // lifetime of presigned derivative URLs
	PublicBaseURL string        // when set (a CDN), derivative URLs are this plus the key, unsigned
	Auth          auth.Config   // how callers are identified
	// DirectMaxBytes and DirectTTL bound a direct upload (POST /uploads): its size, and how long its POST works.
	DirectMaxBytes int64
	DirectTTL      time.Duration
	// PendingDeleteAfter is how long an image must have been pending before DELETE removes it anyway.
	PendingDeleteAfter time.Duration
}

// Service serves the image API. Its fields are its dependencies; it holds no per-request state.
type Service struct {
	Objects Objects
	Catalog Catalog
	Config  Config
	Log     *slog.Logger
	NewID   func() string // a new image id; UUIDv7 in production so ids sort by time
}

// Handler returns the API's routes. ServeMux matches methods, so a wrong method gets 405 with an Allow header; the
// middleware turns the mux's own plain-text 404 and 405 into the API's JSON errors, adds CORS headers to every
// answer, errors included, and recovers from panics.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /images", s.authenticated(s.upload))
	mux.Handle("POST /uploads", s.authenticated(s.direct))
	mux.HandleFunc("OPTIONS /uploads", cors.Preflight)
	mux.Handle("GET /images", s.authenticated(s.list))
	mux.Handle("GET /images/{id}", s.authenticated(s.get))
	mux.Handle("DELETE /images/{id}", s.authenticated(s.delete))
	// A preflight carries no credentials, so it is answered without them.
	mux.HandleFunc("OPTIONS /images", cors.Preflight)
	mux.HandleFunc("OPTIONS /images/{id}", cors.Preflight)
	// GET /images/{id}/content is the serve function's, but API Gateway sends its preflight here with the rest.
	mux.HandleFunc("OPTIONS /images/{id}/content", cors.Preflight)
	return s.recoverPanics(cors.Policy{Origins: s.Config.CORSOrigins}.Wrap(unmatchedAsJSON(mux)))
}

// NewID returns a UUIDv7: unguessable enough for a public id, and time-ordered so new catalog rows append to the
// primary key index instead of splitting pages all over it.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
