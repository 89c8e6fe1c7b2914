package api

import (
	"context"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/form"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Objects is the part of the bucket the API uses.
type Objects interface {
	Put(ctx context.Context, key string, data []byte, contentType string, meta map[string]string) error
	Delete(ctx context.Context, key string) error
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// Catalog is the part of the image catalog the API uses.
type Catalog interface {
	Create(ctx context.Context, img *catalog.Image) error
	Get(ctx context.Context, id string) (*catalog.Image, error)
	List(ctx context.Context, limit int, cursor string) ([]catalog.Image, string, error)
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
	MaxPixels     int64
	Widths        []int
	CORSOrigins   []string
	URLTTL        time.Duration
	PublicBaseURL string
}

// Service serves the image API.
type Service struct {
	Objects Objects
	Catalog Catalog
	Config  Config
	Log     *slog.Logger
	NewID   func() string // a new image id; UUIDv7 in production so ids sort by time
}

// Handle routes one request by method and path. The path may carry a stage prefix ("/v1/images/…"), so routing
// looks for the "images" segment rather than matching the whole path.
func (s *Service) Handle(ctx context.Context, req *apigw.Request) (resp *apigw.Response) {
	defer func() {
		if p := recover(); p != nil {
			s.Log.Error("panic in handler", "panic", p, "method", req.Method, "path", req.Path)
			resp = errorResponse(http.StatusInternalServerError, "internal", "internal error")
		}
		s.cors(req, resp)
	}()
	id, hasID, ok := route(req.Path)
	if !ok {
		return errorResponse(http.StatusNotFound, "not_found", "no such route; the API serves /images and /images/{id}")
	}
	switch {
	case req.Method == http.MethodOptions:
		return s.preflight(req)
	case !hasID && req.Method == http.MethodPost:
		return s.upload(ctx, req)
	case !hasID && req.Method == http.MethodGet:
		return s.list(ctx, req)
	case hasID && req.Method == http.MethodGet:
		return s.get(ctx, id)
	case hasID && req.Method == http.MethodDelete:
		return s.delete(ctx, id)
	}
	allow := "GET, POST, OPTIONS"
	if hasID {
		allow = "GET, DELETE, OPTIONS"
	}
	resp = errorResponse(http.StatusMethodNotAllowed, "method_not_allowed", req.Method+" is not allowed here; use "+allow)
	resp.Header.Set("Allow", allow)
	return resp
}

// route finds "images" or "images/{id}" at the end of path.
func route(path string) (id string, hasID, ok bool) {
	segs := strings.Split(strings.Trim(path, "/"), "/")
	n := len(segs)
	switch {
	case n >= 1 && segs[n-1] == "images":
		return "", false, true
	case n >= 2 && segs[n-2] == "images" && segs[n-1] != "":
		return segs[n-1], true, true
	}
	return "", false, false
}

// ConfigFrom takes the API's settings from the upload function's configuration.
func ConfigFrom(u config.Upload) Config {
	return Config{
		Layout:        u.Layout,
		Form:          form.Limits{FileField: u.FileField, MaxFileBytes: u.MaxFileBytes, MaxFields: u.MaxFields, MaxFieldBytes: u.MaxFieldBytes},
		MaxPixels:     u.MaxPixels,
		Widths:        u.Widths,
		CORSOrigins:   u.CORSOrigins,
		URLTTL:        u.URLTTL,
		PublicBaseURL: u.PublicBaseURL,
	}
}

// NewID returns a UUIDv7: unguessable enough for a public id, and time-ordered so new catalog rows append to the
// primary key index instead of splitting pages all over it.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }
