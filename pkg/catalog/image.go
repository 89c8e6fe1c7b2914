package catalog

import (
	"errors"
	"time"
)

// Status is where an image is in the pipeline.
type Status string

// The statuses an image moves through. A row starts pending when the upload
// function stores the photo, and the resize function moves it to ready or
// failed. Ready is final: see Store.MarkFailed.
const (
	StatusPending Status = "pending"
	StatusReady   Status = "ready"
	StatusFailed  Status = "failed"
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
// Empty Fields and Derivatives are returned as nil, never as empty non-nil
// values, so that a round trip through the store compares equal.
type Image struct {
	// ID identifies the image; the upload function uses a UUID string.
	// It must be 1 to 64 printable ASCII bytes.
	ID     string `json:"id"`
	Status Status `json:"status"`
	// Filename is the client's original filename, UTF-8, at most 255 bytes;
	// it may be empty.
	Filename string `json:"filename,omitempty"`
	// ContentType is the sniffed type of the source, e.g. image/jpeg.
	ContentType string `json:"contentType,omitempty"`
	// Bytes is the size of the source object.
	Bytes int64 `json:"bytes"`
	// Width and Height are the source dimensions, 0 while unknown.
	Width  int `json:"width"`
	Height int `json:"height"`
	// Fields holds the client's text form fields.
	Fields map[string]string `json:"fields,omitempty"`
	// StagingKey is the S3 key the photo was uploaded to.
	StagingKey string `json:"stagingKey,omitempty"`
	// OriginalKey is where the original was archived once ready, or its
	// failed/ key once failed.
	OriginalKey   string       `json:"originalKey,omitempty"`
	FailureReason string       `json:"failureReason,omitempty"`
	Derivatives   []Derivative `json:"derivatives,omitempty"`
	// CreatedAt and UpdatedAt are UTC with microsecond precision, the finest
	// that MySQL's DATETIME(6) keeps.
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Sentinel errors that callers branch on. Each is wrapped with detail, so
// test for them with errors.Is.
var (
	// ErrNotFound is returned by Get and Delete for an unknown id.
	ErrNotFound = errors.New("catalog: image not found")
	// ErrExists is returned by Create when the id is already taken.
	ErrExists = errors.New("catalog: image already exists")
	// ErrInvalid is returned when an Image breaks a limit of the schema, such
	// as an empty id or a filename over 255 bytes, before anything is written.
	ErrInvalid = errors.New("catalog: invalid image")
	// ErrBadCursor is returned by List for a cursor it did not issue.
	ErrBadCursor = errors.New("catalog: malformed cursor")
	// ErrBadLimit is returned by List for a limit outside 0..MaxListLimit.
	ErrBadLimit = errors.New("catalog: limit out of range")
)
