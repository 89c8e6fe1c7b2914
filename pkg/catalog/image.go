package catalog

import (
	"errors"
	"time"
)

// Status is where an image is in the pipeline.
type Status string

// The statuses an image moves through. A row starts pending when the upload function accepts a photo (or hands out
// a direct-upload URL), and the resize function moves it to ready or failed. Ready is final: see Store.MarkFailed.
// A pending direct upload whose photo never arrives becomes expired (Store.Expire).
const (
	StatusPending Status = "pending"
	StatusReady   Status = "ready"
	StatusFailed  Status = "failed"
	StatusExpired Status = "expired"
)

// Origin says how a photo reached the staging prefix. It is recorded when the row is created and never changes.
type Origin string

// The origins. Rows of uploads (multipart or direct) are created by the upload function before their object
// exists, so the resize function may only complete such a row, never create it; rows of console photos are created
// by the resize function itself.
const (
	OriginUpload  Origin = "upload"  // POST /images: the upload function stored the photo
	OriginDirect  Origin = "direct"  // POST /uploads: the client sent it straight to S3 with a presigned POST
	OriginConsole Origin = "console" // put into staging by other means (the S3 console, the CLI)
)

// Derivative is one resized output.
type Derivative struct {
	Width       int    `json:"width"`
	Height      int    `json:"height"`
	Bytes       int64  `json:"bytes"`
	Key         string `json:"key"`
	ContentType string `json:"contentType"`
}

// Image is one catalog row.
//
// Empty Fields and Derivatives are returned as nil, never as empty non-nil values, so that a round trip through the
// store compares equal.
type Image struct {
	// ID identifies the image: a UUIDv7 for uploads, a name-based UUIDv5 for console photos. It must be 1 to
	// MaxIDBytes printable ASCII bytes.
	ID     string `json:"id"`
	Status Status `json:"status"`
	// Owner is the subject (the token's sub claim) of the caller who uploaded the image, or empty for a photo that
	// has none (the console path), which only administrators see.
	Owner string `json:"owner,omitempty"`
	// Origin says how the photo arrived; Create defaults it to OriginUpload.
	Origin Origin `json:"origin,omitempty"`
	// Filename is the client's original filename, UTF-8, at most MaxFilenameBytes; it may be empty.
	Filename string `json:"filename,omitempty"`
	// ContentType is the sniffed type of the source, e.g. image/jpeg.
	ContentType string `json:"contentType,omitempty"`
	// Bytes is the size of the source object.
	Bytes int64 `json:"bytes"`
	// Width and Height are the upright source dimensions, 0 while unknown.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Fields holds the client's text form fields.
	Fields map[string]string `json:"fields,omitempty"`
	// StagingKey is the S3 key the photo was (or is to be) uploaded to. Only the object at this key may complete
	// the row.
	StagingKey string `json:"stagingKey,omitempty"`
	// SourceETag is the ETag of the staged object that was processed, so that a redelivered event for the same
	// object can be told from a different object put under the same key later.
	SourceETag string `json:"sourceEtag,omitempty"`
	// OriginalKey is where the original was archived once ready, or its failed/ key once failed.
	OriginalKey   string       `json:"originalKey,omitempty"`
	FailureReason string       `json:"failureReason,omitempty"`
	Derivatives   []Derivative `json:"derivatives,omitempty"`
	// ExpiresAt is, for a pending direct upload, when its upload URL stops working; zero otherwise.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	// CreatedAt and UpdatedAt are UTC with microsecond precision, the finest that MySQL's DATETIME(6) keeps.
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Sentinel errors that callers branch on. Each is wrapped with detail, so test for them with errors.Is.
var (
	// ErrNotFound is returned for an unknown id, and by MarkReady and MarkFailed when an upload's row is gone.
	ErrNotFound = errors.New("catalog: image not found")
	// ErrExists is returned by Create when the id is already taken.
	ErrExists = errors.New("catalog: image already exists")
	// ErrConflict is returned when a write's condition does not hold: MarkReady or MarkFailed for an object that is
	// not the row's (another staging key, another ETag once ready, an expired row), or Expire of a row that is no
	// longer pending. Nothing was written.
	ErrConflict = errors.New("catalog: the row belongs to another object or state")
	// ErrInvalid is returned when an Image breaks a limit of the schema, such as an empty id or a filename over
	// MaxFilenameBytes, before anything is written.
	ErrInvalid = errors.New("catalog: invalid image")
	// ErrBadCursor is returned by List and ListPending for a cursor they did not issue.
	ErrBadCursor = errors.New("catalog: malformed cursor")
	// ErrBadLimit is returned for a page size outside 0..MaxListLimit.
	ErrBadLimit = errors.New("catalog: limit out of range")
)
