package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Defaults shared by both functions.
const (
	// DefaultMaxUploadBytes fits through API Gateway and Lambda: a synchronous invocation carries at most 6 MB, and
	// the base64 encoding API Gateway applies to a binary body adds a third, so a multipart body much over 4.4 MB
	// can never arrive. 4 MiB of file leaves room for the multipart framing and the text fields.
	DefaultMaxUploadBytes = 4 << 20
	// DefaultMaxPixels bounds the decoded frame: 50 MP is 200 MB as RGBA, within a 1024 MB function.
	DefaultMaxPixels = 50_000_000
	// DefaultWidths are the derivative widths.
	DefaultWidths = "1920,640,320"
)

// Common holds the settings both functions read.
type Common struct {
	Storage storage.Config // BUCKET (required), AWS_REGION (us-east-1), S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY
	Layout  layout.Layout  // STAGING_PREFIX (staging/), OUTPUT_PREFIX (derivatives/), ORIGINALS_PREFIX (originals/), FAILED_PREFIX (failed/), CACHE_PREFIX (cache/)
	// CatalogDriver is CATALOG_DRIVER (sqlite): sqlite, mysql or dynamodb. Each catalog backend reads its own
	// variables (package sqlstore, package dynamostore), so this package links none of them.
	CatalogDriver string
	LogLevel      slog.Level // LOG_LEVEL (info)
	Widths        []int      // WIDTHS (1920,640,320)
	// Limits are what one image may cost, checked from its header before decoding (package budget): MAX_PIXELS
	// (50000000), MAX_SIDE (20000) and MEMORY_BUDGET_MB (from the function's memory:
	// AWS_LAMBDA_FUNCTION_MEMORY_SIZE, or 1024 MB, less a reserve, times 3/4).
	Limits budget.Limits
}

// Upload configures the upload function (the image API).
type Upload struct {
	Common
	FileField     string        // FILE_FIELD (file): the multipart field that carries the photo
	MaxFileBytes  int64         // MAX_UPLOAD_BYTES (4194304)
	MaxFields     int           // MAX_FIELDS (32): text fields per upload
	MaxFieldBytes int           // MAX_FIELD_BYTES (8192): total size of text field names and values
	CORSOrigins   []string      // CORS_ALLOWED_ORIGINS (empty: no CORS headers; "*" allows any origin)
	URLTTL        time.Duration // URL_TTL (1h): lifetime of presigned derivative URLs
	PublicBaseURL string        // PUBLIC_BASE_URL: when set (a CDN), derivative URLs are this plus the key, unsigned
	// AuthMode is AUTH_MODE (cognito): cognito or jwt (API Gateway verifies a bearer token and the function reads the
	// verified claims) or none (an open API: every caller may see and delete everything).
	AuthMode    string
	GroupsClaim string // AUTH_GROUPS_CLAIM (cognito:groups): the claim listing the caller's groups
	AdminGroup  string // AUTH_ADMIN_GROUP (admin): members see and delete every image
	// DirectMaxBytes is MAX_DIRECT_UPLOAD_BYTES (52428800): the largest photo POST /uploads hands out a URL for.
	DirectMaxBytes int64
	// DirectTTL is DIRECT_UPLOAD_TTL (15m): how long a direct upload's POST works.
	DirectTTL time.Duration
	// PendingDeleteAfter is SWEEP_STALE_AFTER (1h): a pending image older than this may be deleted, since nothing is
	// processing it any more.
	PendingDeleteAfter time.Duration
	// AlsoWebP is FORMATS listing webp, as for the resize function: the upload's budget check counts the WebPs.
	AlsoWebP bool
}

// Resize configures the resize function.
type Resize struct {
	Common
	JPEGQuality      int    // JPEG_QUALITY (82)
	MaxSourceBytes   int64  // MAX_SOURCE_BYTES (104857600): larger staged objects are quarantined unread
	ArchiveOriginals bool   // ARCHIVE_ORIGINALS (true): keep the original at originals/<id><ext>
	ConsoleOwner     string // CONSOLE_OWNER (none): the owner of photos put straight into staging; none means admins only
	// AlsoWebP is FORMATS (jpeg) listing webp, as in FORMATS=jpeg,webp: a WebP next to each derivative.
	AlsoWebP    bool
	WebPQuality int // WEBP_QUALITY (80)
	// MaxRedrives is MAX_REDRIVES (3): a staging object the sweep has re-driven this often is quarantined
	// ("gave_up") instead of being tried again.
	MaxRedrives int
}

func loadCommon(e *env) Common {
	var c Common
	c.Storage = storage.Config{
		Bucket:          e.str("BUCKET", ""),
		Region:          e.str("AWS_REGION", "us-east-1"),
		Endpoint:        e.str("S3_ENDPOINT", ""),
		AccessKeyID:     e.str("S3_ACCESS_KEY_ID", ""),
		SecretAccessKey: e.str("S3_SECRET_ACCESS_KEY", ""),
	}
	if c.Storage.Bucket == "" {
		e.errs = append(e.errs, errors.New("BUCKET is required"))
	}
	c.Layout = layout.New(e.str("STAGING_PREFIX", "staging/"), e.str("OUTPUT_PREFIX", "derivatives/"),
		e.str("ORIGINALS_PREFIX", "originals/"), e.str("FAILED_PREFIX", "failed/")).WithCache(e.str("CACHE_PREFIX", "cache/"))
	for _, p := range []string{c.Layout.Output, c.Layout.Originals, c.Layout.Failed, c.Layout.Cache} {
		// Writing outputs under the prefix that triggers the function would invoke it on its own outputs forever,
		// and so would staging nested inside an output prefix or the other way round.
		if strings.HasPrefix(p, c.Layout.Staging) || strings.HasPrefix(c.Layout.Staging, p) {
			e.errs = append(e.errs, errors.New("STAGING_PREFIX must not equal or contain OUTPUT_PREFIX, ORIGINALS_PREFIX, FAILED_PREFIX or CACHE_PREFIX, nor lie inside one"))
			break
		}
	}
	c.CatalogDriver = strings.ToLower(e.str("CATALOG_DRIVER", "sqlite"))
	if err := c.LogLevel.UnmarshalText([]byte(e.str("LOG_LEVEL", "info"))); err != nil {
		e.errs = append(e.errs, errors.New("LOG_LEVEL: want debug, info, warn or error"))
	}
	c.Widths = e.widths("WIDTHS", DefaultWidths)
	c.Limits.MaxPixels = e.int64("MAX_PIXELS", DefaultMaxPixels, 1, 1<<40)
	c.Limits.MaxSide = int(e.int64("MAX_SIDE", budget.DefaultMaxSide, 1, 1<<31-1))
	memory := e.int64("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", budget.DefaultFunctionMB, 128, 10240)
	c.Limits.Memory = e.int64("MEMORY_BUDGET_MB", budget.ForMemory(int(memory))>>20, 16, 1<<20) << 20
	return c
}

// LoadUpload reads the upload function's configuration.
func LoadUpload(getenv func(string) string) (Upload, error) {
	e := &env{getenv: getenv}
	u := Upload{Common: loadCommon(e)}
	// The upload function refuses what the resize function could not process, so its budget is the resize
	// function's (RESIZE_MEMORY_MB), not its own.
	if e.getenv("MEMORY_BUDGET_MB") == "" {
		u.Limits.Memory = budget.ForMemory(int(e.int64("RESIZE_MEMORY_MB", budget.DefaultFunctionMB, 128, 10240)))
	}
	u.FileField = e.str("FILE_FIELD", "file")
	u.MaxFileBytes = e.int64("MAX_UPLOAD_BYTES", DefaultMaxUploadBytes, 1, 1<<40)
	u.MaxFields = int(e.int64("MAX_FIELDS", 32, 0, 1000))
	u.MaxFieldBytes = int(e.int64("MAX_FIELD_BYTES", 8192, 0, 1<<20))
	u.CORSOrigins = e.list("CORS_ALLOWED_ORIGINS")
	u.URLTTL = e.duration("URL_TTL", time.Hour)
	u.PublicBaseURL = e.str("PUBLIC_BASE_URL", "")
	u.AuthMode = e.authMode("AUTH_MODE")
	u.GroupsClaim = e.str("AUTH_GROUPS_CLAIM", "cognito:groups")
	u.AdminGroup = e.str("AUTH_ADMIN_GROUP", "admin")
	u.DirectMaxBytes = e.int64("MAX_DIRECT_UPLOAD_BYTES", 50<<20, 1, 5<<30) // S3's POST limit is 5 GB
	u.DirectTTL = e.duration("DIRECT_UPLOAD_TTL", 15*time.Minute)
	u.PendingDeleteAfter = e.duration("SWEEP_STALE_AFTER", time.Hour)
	u.AlsoWebP = e.alsoWebP("FORMATS")
	if u.DirectTTL > 7*24*time.Hour {
		e.errs = append(e.errs, errors.New("DIRECT_UPLOAD_TTL: at most 168h, SigV4's limit"))
	}
	return u, errors.Join(e.errs...)
}

// LoadResize reads the resize function's configuration.
func LoadResize(getenv func(string) string) (Resize, error) {
	e := &env{getenv: getenv}
	r := Resize{Common: loadCommon(e)}
	r.JPEGQuality = int(e.int64("JPEG_QUALITY", 82, 1, 100))
	r.MaxSourceBytes = e.int64("MAX_SOURCE_BYTES", 100<<20, 1, 1<<40)
	r.ArchiveOriginals = e.bool("ARCHIVE_ORIGINALS", true)
	r.ConsoleOwner = e.str("CONSOLE_OWNER", "")
	r.AlsoWebP = e.alsoWebP("FORMATS")
	r.WebPQuality = int(e.int64("WEBP_QUALITY", 80, 1, 100))
	r.MaxRedrives = int(e.int64("MAX_REDRIVES", 3, 1, 1000))
	return r, errors.Join(e.errs...)
}

// Sweep configures the sweep function (the reconcile job).
type Sweep struct {
	Common
	StaleAfter  time.Duration // SWEEP_STALE_AFTER (1h): re-drive staging objects, and give up on uploads, older than this
	ExpiryGrace time.Duration // SWEEP_EXPIRY_GRACE (15m): how long an expired direct upload may still arrive
	DLQURL      string        // DLQ_URL: the resize function's on-failure SQS queue, drained by every sweep
}

// LoadSweep reads the sweep function's configuration.
func LoadSweep(getenv func(string) string) (Sweep, error) {
	e := &env{getenv: getenv}
	s := Sweep{Common: loadCommon(e)}
	s.StaleAfter = e.duration("SWEEP_STALE_AFTER", time.Hour)
	s.ExpiryGrace = e.duration("SWEEP_EXPIRY_GRACE", 15*time.Minute)
	s.DLQURL = e.str("DLQ_URL", "")
	return s, errors.Join(e.errs...)
}

// Serve configures the serve function (on-demand delivery).
type Serve struct {
	Common
	SourcePrefix string // SOURCE_PREFIX (off): a prefix whose objects may be rendered by key under /src/
	// AllowedSizes is ALLOWED_SIZES (each WIDTHS as Wx0, and DefaultExtraSizes): what an unsigned URL may ask,
	// as WxH pairs where 0 leaves a side free.
	AllowedSizes    [][2]int
	SigningKey      string        // SIGNING_KEY (none): the HMAC-SHA256 key of signed URLs; without it no URL is signed
	MaxResultPixels int64         // MAX_RESULT_PIXELS (25000000): the cap on any render
	MaxSourceBytes  int64         // MAX_SOURCE_BYTES (104857600)
	JPEGQuality     int           // JPEG_QUALITY (82)
	WebPQuality     int           // WEBP_QUALITY (80)
	URLTTL          time.Duration // URL_TTL (1h): lifetime of the presigned URL an over-limit buffered response redirects to
	AuthMode        string        // AUTH_MODE (cognito), as for the upload function: GET /images/{id}/content
	GroupsClaim     string        // AUTH_GROUPS_CLAIM (cognito:groups)
	AdminGroup      string        // AUTH_ADMIN_GROUP (admin)
	CORSOrigins     []string      // CORS_ALLOWED_ORIGINS (none), as for the upload function: GET /images/{id}/content
}

// DefaultExtraSizes are the fixed crops the default allow-list adds to the derivative widths: square avatars at
// 1x, 2x and 4x, and a 4:3 thumbnail at 1x and 2x.
const DefaultExtraSizes = "100x100,200x200,400x400,320x240,640x480"

// LoadServe reads the serve function's configuration.
func LoadServe(getenv func(string) string) (Serve, error) {
	e := &env{getenv: getenv}
	s := Serve{Common: loadCommon(e)}
	s.SourcePrefix = e.str("SOURCE_PREFIX", "")
	var def []string
	for _, w := range s.Widths {
		def = append(def, fmt.Sprintf("%dx0", w))
	}
	s.AllowedSizes = e.sizes("ALLOWED_SIZES", strings.Join(append(def, DefaultExtraSizes), ","))
	s.SigningKey = e.str("SIGNING_KEY", "")
	if s.SigningKey != "" && len(s.SigningKey) < 16 {
		e.errs = append(e.errs, errors.New("SIGNING_KEY: use at least 16 characters (32 random bytes, base64, is the intent)"))
	}
	s.MaxResultPixels = e.int64("MAX_RESULT_PIXELS", 25_000_000, 1, 1<<40)
	s.MaxSourceBytes = e.int64("MAX_SOURCE_BYTES", 100<<20, 1, 1<<40)
	s.JPEGQuality = int(e.int64("JPEG_QUALITY", 82, 1, 100))
	s.WebPQuality = int(e.int64("WEBP_QUALITY", 80, 1, 100))
	s.URLTTL = e.duration("URL_TTL", time.Hour)
	s.AuthMode = e.authMode("AUTH_MODE")
	s.GroupsClaim = e.str("AUTH_GROUPS_CLAIM", "cognito:groups")
	s.AdminGroup = e.str("AUTH_ADMIN_GROUP", "admin")
	s.CORSOrigins = e.list("CORS_ALLOWED_ORIGINS")
	for _, p := range []string{s.Layout.Staging, s.Layout.Failed} {
		if s.SourcePrefix != "" && (strings.HasPrefix(s.SourcePrefix, p) || strings.HasPrefix(p, s.SourcePrefix)) {
			e.errs = append(e.errs, errors.New("SOURCE_PREFIX must not equal, contain or lie inside STAGING_PREFIX or FAILED_PREFIX"))
		}
	}
	if s.SourcePrefix != "" && strings.HasPrefix(s.SourcePrefix, s.Layout.Cache) {
		e.errs = append(e.errs, errors.New("SOURCE_PREFIX must not lie inside CACHE_PREFIX"))
	}
	return s, errors.Join(e.errs...)
}
