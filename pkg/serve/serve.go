package serve

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/cors"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
	"github.com/imgpipe/imgpipe/pkg/imgurl"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/metrics"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Objects is the part of the bucket the serve function uses.
type Objects interface {
	Get(ctx context.Context, key string, maxBytes int64) (*storage.Object, error)
	Head(ctx context.Context, key string) (*storage.Object, error)
	Put(ctx context.Context, key string, data []byte, contentType string, meta map[string]string) error
	PresignGet(ctx context.Context, key string, ttl time.Duration) (string, error)
}

// Catalog is the part of the catalog the serve function uses.
type Catalog interface {
	Get(ctx context.Context, id string) (*catalog.Image, error)
}

var (
	_ Objects = (*storage.Bucket)(nil)
	_ Catalog = (catalog.Store)(nil)
)

// Size is one allowed size; 0 on a side leaves it free.
type Size struct{ Width, Height int }

func (s Size) String() string { return strconv.Itoa(s.Width) + "x" + strconv.Itoa(s.Height) }

// Config configures the serve function.
type Config struct {
	Layout       layout.Layout // renders are stored under Layout.Cache (CACHE_PREFIX, cache/)
	SourcePrefix string        // SOURCE_PREFIX (off): a prefix whose objects may be rendered by key, under /src/
	AllowedSizes []Size        // ALLOWED_SIZES: what an unsigned URL may ask
	SigningKey   []byte        // SIGNING_KEY: the HMAC key of signed URLs; none means no URL is signed
	// MaxResultPixels caps any render (MAX_RESULT_PIXELS): what a signed URL, or a request for the original size,
	// may produce.
	MaxResultPixels int64
	Limits          budget.Limits // MAX_PIXELS, MAX_SIDE, MEMORY_BUDGET_MB: what a source may cost
	MaxSourceBytes  int64         // MAX_SOURCE_BYTES
	JPEGQuality     int           // JPEG_QUALITY
	WebPQuality     int           // WEBP_QUALITY
	URLTTL          time.Duration
	Auth            auth.Config // for GET /images/{id}/content, behind the API's authorizer
	CORSOrigins     []string    // CORS_ALLOWED_ORIGINS, for GET /images/{id}/content
	// BufferedLimit is the largest image the API Gateway route returns in its (base64, 6 MB) payload; above it
	// the route answers 302 to the stored render.
	BufferedLimit int
}

// Server serves renders.
type Server struct {
	Objects Objects
	Catalog Catalog
	Config  Config
	Log     *slog.Logger
	Metrics *metrics.Emitter
	Now     func() time.Time // time.Now when nil
}

// Errors of the serve function.
var (
	errNotFound   = publicerr.New(http.StatusNotFound, "not_found", "no such image")
	errNotReady   = publicerr.New(http.StatusNotFound, "not_ready", "the image is not ready yet")
	errBadPath    = publicerr.New(http.StatusBadRequest, "bad_path", "the path is not an image this server renders")
	errSize       = publicerr.New(http.StatusBadRequest, "size_not_allowed", "this size is not allowed")
	errTooLarge   = publicerr.New(http.StatusBadRequest, "too_large", "the render would be too large")
	errNoOriginal = publicerr.New(http.StatusNotFound, "no_original", "the image has no archived original to render from")
)

// Handler returns the routes: the CDN form /<id>[.<ext>], /src/<key> when a source prefix is set, and the API's
// /images/{id}/content. Requests whose raw path holds "..", "." or empty segments, or encoded slashes, are refused
// before routing, since the mux would otherwise clean them into another path.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	// The image API's route answers CORS as the rest of the API does; the CDN's routes never vary by Origin, which
	// is not in CloudFront's cache key.
	mux.Handle("GET /images/{id}/content", cors.Policy{Origins: s.Config.CORSOrigins}.Wrap(http.HandlerFunc(s.content)))
	mux.HandleFunc("GET /src/{key...}", s.source)
	mux.HandleFunc("GET /{name}", s.image)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { s.fail(w, r, errBadPath) })
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic in handler", "path", r.URL.Path, "panic", p)
				s.fail(w, r, publicerr.Internal)
			}
		}()
		if !cleanPath(r.URL.EscapedPath()) {
			s.fail(w, r, errBadPath.Withf("the path may not hold \"..\", \".\", empty segments or encoded slashes"))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// cleanPath reports whether an escaped path has only plain segments.
func cleanPath(p string) bool {
	if strings.Contains(strings.ToLower(p), "%2f") || strings.Contains(p, "%5C") || strings.Contains(p, "%5c") ||
		strings.Contains(p, `\`) {
		return false
	}
	for _, seg := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
		if seg == "" || seg == "." || seg == ".." || strings.EqualFold(seg, "%2e") || strings.EqualFold(seg, "%2e%2e") {
			return false
		}
	}
	return true
}

// formats maps a path extension to its format.
var formats = map[string]imagefile.Format{
	".jpg": imagefile.JPEG, ".jpeg": imagefile.JPEG, ".png": imagefile.PNG, ".webp": imagefile.WebP,
}

// image serves /<id>[.<ext>]: a catalogued, ready image, public within the allow-list or with a signature.
func (s *Server) image(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	ext := strings.ToLower(path.Ext(name))
	id := strings.TrimSuffix(name, path.Ext(name))
	f, known := formats[ext]
	if ext != "" && !known {
		s.fail(w, r, errBadPath.Withf("%s is not a format this server writes; use .jpg, .png or .webp", ext))
		return
	}
	img, err := s.lookup(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, renderSource{key: img.OriginalKey, cacheDir: id}, f, false)
}

// content serves GET /images/{id}/content behind the API's authorizer: the caller's own image (someone else's is a
// 404, as for the image API), in the size asked, the format from f or Accept.
func (s *Server) content(w http.ResponseWriter, r *http.Request) {
	caller, err := s.Config.Auth.CallerFrom(r.Context())
	if err != nil {
		w.Header().Set("WWW-Authenticate", auth.Challenge)
		s.fail(w, r, err)
		return
	}
	img, err := s.lookup(r.Context(), r.PathValue("id"))
	if err == nil && !caller.Admin && img.Owner != caller.Subject {
		err = errNotFound
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, renderSource{key: img.OriginalKey, cacheDir: img.ID, owned: true}, imagefile.Format{}, true)
}

// source serves /src/<key>: an object under the configured source prefix, by key.
func (s *Server) source(w http.ResponseWriter, r *http.Request) {
	rest := r.PathValue("key")
	key := s.Config.SourcePrefix + rest
	if s.Config.SourcePrefix == "" || rest == "" || !s.sourceAllowed(key) {
		s.fail(w, r, errNotFound)
		return
	}
	sum := sha256.Sum256([]byte(key))
	s.render(w, r, renderSource{key: key, cacheDir: "src/" + hex.EncodeToString(sum[:16]), versioned: true}, imagefile.Format{}, false)
}

// sourceAllowed keeps /src/ away from the pipeline's own prefixes, whatever the source prefix is set to.
func (s *Server) sourceAllowed(key string) bool {
	l := s.Config.Layout
	for _, p := range []string{l.Staging, l.Failed, s.Config.Layout.Cache} {
		if strings.HasPrefix(key, p) {
			return false
		}
	}
	return strings.HasPrefix(key, s.Config.SourcePrefix)
}

// lookup finds a ready image with an archived original.
func (s *Server) lookup(ctx context.Context, id string) (*catalog.Image, error) {
	if !layout.IsID(id) {
		return nil, errNotFound
	}
	img, err := s.Catalog.Get(ctx, id)
	switch {
	case errors.Is(err, catalog.ErrNotFound):
		return nil, errNotFound
	case err != nil:
		return nil, fmt.Errorf("catalog get %s: %w", id, err)
	case img.Status != catalog.StatusReady:
		return nil, errNotReady
	case img.OriginalKey == "" || !strings.HasPrefix(img.OriginalKey, s.Config.Layout.Originals):
		return nil, errNoOriginal
	}
	return img, nil
}

// renderSource is what a request renders from and where its renders are kept.
type renderSource struct {
	key       string
	cacheDir  string // under CachePrefix
	versioned bool   // the object may be replaced (a source-prefix object): its ETag names the renders
	owned     bool   // asked by its signed-in owner through the API: any size up to MaxResultPixels
}

// render answers one render request: check it, look in the cache, render on a miss, store, answer.
func (s *Server) render(w http.ResponseWriter, r *http.Request, src renderSource, pathFormat imagefile.Format, buffered bool) {
	ctx := r.Context()
	if _, ok := apigw.EventFrom(ctx); ok {
		buffered = true // any API Gateway event is a buffered response
	}
	req, err := imgurl.Parse(r.URL.Query())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !src.owned {
		if err := s.authorize(r, req); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	format, negotiated := s.format(r, req, pathFormat)
	if negotiated {
		w.Header().Add("Vary", "Accept")
	}
	quality := req.Quality
	if quality == 0 {
		quality = s.defaultQuality(format)
	}
	cacheKey := s.Config.Layout.Cache + src.cacheDir + "/"
	if src.versioned {
		// The object's current ETag keeps the renders of a replaced object apart from the new one's.
		head, err := s.Objects.Head(ctx, src.key)
		if err != nil {
			s.fail(w, r, s.sourceError(err))
			return
		}
		etag := strings.Trim(head.ETag, `"`)
		cacheKey += etag[:min(12, len(etag))] + "-"
	}
	cacheKey += req.Key(formatName(format), quality)

	t0 := time.Now()
	if cached, err := s.Objects.Get(ctx, cacheKey, 0); err == nil {
		s.respond(w, r, cached.Body, cached.ContentType, cached.ETag, cacheKey, buffered)
		s.emit("hit", time.Since(t0), len(cached.Body))
		return
	} else if !errors.Is(err, storage.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	source, err := s.Objects.Get(ctx, src.key, s.Config.MaxSourceBytes)
	if err != nil {
		s.fail(w, r, s.sourceError(err))
		return
	}
	target := imageproc.Target{Width: req.Width, Height: req.Height, Fit: imageproc.Fit(req.Fit), Format: format, Quality: quality}
	res, err := imageproc.Process(ctx, source.Body, imageproc.Request{Targets: []imageproc.Target{target}, Limits: s.Config.Limits})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	out := res.Outputs[0]
	if s.Config.MaxResultPixels > 0 && int64(out.Width)*int64(out.Height) > s.Config.MaxResultPixels {
		s.fail(w, r, errTooLarge.Withf("the render would be %dx%d; the limit is %.1f MP, so ask for a size",
			out.Width, out.Height, float64(s.Config.MaxResultPixels)/1e6))
		return
	}
	sum := md5.Sum(out.Data)
	etag := `"` + hex.EncodeToString(sum[:]) + `"` // what S3 gives the stored render, so a hit answers the same
	if err := s.Objects.Put(ctx, cacheKey, out.Data, out.Format.ContentType, map[string]string{"source-key": url.PathEscape(src.key)}); err != nil {
		// The render is good; a failed store only costs the next miss a render.
		s.Log.Warn("store render", "key", cacheKey, "error", err.Error())
	}
	s.respond(w, r, out.Data, out.Format.ContentType, etag, cacheKey, buffered)
	s.emit("render", time.Since(t0), len(out.Data))
}

// authorize lets a request through when its size is on the allow-list or its URL is signed. A URL that carries a
// signature must carry a good one, whatever it asks.
func (s *Server) authorize(r *http.Request, req imgurl.Request) error {
	if req.Signature != "" {
		now := time.Now()
		if s.Now != nil {
			now = s.Now()
		}
		return imgurl.Verify(s.Config.SigningKey, r.URL.EscapedPath(), r.URL.Query(), req, now)
	}
	if !req.Sized() {
		return nil // the original size: bounded by MaxResultPixels
	}
	want := Size{req.Width, req.Height}
	if slices.Contains(s.Config.AllowedSizes, want) {
		return nil
	}
	names := make([]string, len(s.Config.AllowedSizes))
	for i, a := range s.Config.AllowedSizes {
		names[i] = a.String()
	}
	return errSize.Withf("%s is not an allowed size; use one of %s, or a signed URL", want, strings.Join(names, ", "))
}

// format decides the output format: the path's extension, else f, else Accept (WebP when the client lists it, else
// the source's own derivative format), in which case the answer varies with Accept.
func (s *Server) format(r *http.Request, req imgurl.Request, pathFormat imagefile.Format) (imagefile.Format, bool) {
	if pathFormat != (imagefile.Format{}) {
		return pathFormat, false
	}
	switch req.Format {
	case "jpeg":
		return imagefile.JPEG, false
	case "png":
		return imagefile.PNG, false
	case "webp":
		return imagefile.WebP, false
	case "auto":
		return imagefile.Format{}, false
	}
	if imgurl.Accepts(strings.Join(r.Header.Values("Accept"), ","), "image/webp") {
		return imagefile.WebP, true
	}
	return imagefile.Format{}, true
}

func formatName(f imagefile.Format) string {
	if f == (imagefile.Format{}) {
		return "auto"
	}
	return f.Name
}

func (s *Server) defaultQuality(f imagefile.Format) int {
	if f == imagefile.WebP {
		return s.Config.WebPQuality
	}
	return s.Config.JPEGQuality
}

// sourceError maps a failure to read the source.
func (s *Server) sourceError(err error) error {
	switch {
	case errors.Is(err, storage.ErrNotFound):
		return errNotFound
	case errors.Is(err, storage.ErrTooLarge):
		return errTooLarge.Withf("the source is over the size limit")
	}
	return err
}

// respond answers a render: 304 when the client holds it, 302 to the stored render when a buffered answer cannot
// carry it, the bytes otherwise.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, body []byte, contentType, etag, cacheKey string, buffered bool) {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Set("ETag", etag)
	if match := r.Header.Get("If-None-Match"); match != "" && etagMatch(match, etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	if buffered && len(body) > s.Config.BufferedLimit {
		u, err := s.Objects.PresignGet(r.Context(), cacheKey, s.Config.URLTTL)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		// The presigned URL expires, so this answer must not be cached longer than it works.
		h.Set("Cache-Control", "private, max-age="+strconv.Itoa(int(s.Config.URLTTL.Seconds()/2)))
		h.Del("ETag")
		h.Set("Location", u)
		w.WriteHeader(http.StatusFound)
		return
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
}

// etagMatch reports whether an If-None-Match list holds etag (or is *).
func etagMatch(header, etag string) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// fail answers an error: a public one as itself, anything else as a generic 503 with the cause logged. Client
// mistakes are cached for a minute, so a flood of the same bad URL is answered by the CDN; failures are not.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	h := w.Header()
	h.Del("ETag")
	h.Del("Vary")
	p := publicerr.From(err)
	if p == nil {
		if errors.Is(r.Context().Err(), context.Canceled) {
			s.Log.Info("client went away", "path", r.URL.Path, "error", err.Error())
			return
		}
		s.Log.Error("render failed", "path", r.URL.Path, "error", err.Error())
		p = publicerr.Internal
	}
	if p.Status >= 500 {
		h.Set("Cache-Control", "no-store")
	} else {
		h.Set("Cache-Control", "public, max-age=60")
	}
	publicerr.Write(w, p)
}

func (s *Server) emit(outcome string, d time.Duration, bytes int) {
	s.Metrics.Emit(map[string]string{"Function": "serve", "Outcome": outcome}, nil,
		metrics.Metric{Name: "Renders", Unit: metrics.Count, Value: 1},
		metrics.Metric{Name: "ServeMs", Unit: metrics.Milliseconds, Value: float64(d.Microseconds()) / 1000},
		metrics.Metric{Name: "BytesOut", Unit: metrics.Bytes, Value: float64(bytes)})
}
