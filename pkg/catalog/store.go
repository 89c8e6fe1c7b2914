package catalog

import (
	"context"
	"time"
)

// Store is what the functions need from the catalog. Every backend (SQLite and MySQL in package sqlstore, DynamoDB
// in package dynamostore) implements it with the same behaviour, checked by one contract suite (package
// catalogtest).
type Store interface {
	// Create inserts img as a pending row, whatever img.Status says, with Origin OriginUpload when it is empty,
	// and writes the stored Status, Origin, CreatedAt (now, unless set) and UpdatedAt back into img. It returns
	// ErrExists if the id is taken.
	Create(ctx context.Context, img *Image) error

	// Get returns the row for id, or ErrNotFound.
	Get(ctx context.Context, id string) (*Image, error)

	// List returns one page of images, newest first (by CreatedAt, then ID), starting after q.Cursor, and the
	// cursor of the next page ("" on the last one). Rows created while a client pages through never make it see a
	// row twice or skip one that existed when it started. A cursor List did not issue is ErrBadCursor.
	List(ctx context.Context, q Query) (page []Image, next string, err error)

	// ListPending returns pending rows created before before, oldest first, a page of up to limit (0 means
	// DefaultListLimit) after cursor. The sweep uses it to find uploads that never arrived or were never
	// processed.
	ListPending(ctx context.Context, before time.Time, limit int, cursor string) (page []Image, next string, err error)

	// MarkReady records that the object at img.StagingKey (with img.SourceETag) was processed: status ready, the
	// source info, OriginalKey and Derivatives, and an empty FailureReason. Both StagingKey and SourceETag are
	// required.
	//
	// Only that object may complete the row. When a row exists, its StagingKey must equal img.StagingKey and it must
	// be pending or failed, or ready from the same SourceETag (a redelivery); anything else is ErrConflict and
	// writes nothing. A missing row is created ready only when img.Origin is OriginConsole; for uploads it is
	// ErrNotFound (rolled back or deleted), so a late event can never resurrect a deleted image.
	//
	// On an existing row a zero value in img (empty string, 0, no fields, no derivatives, zero time) keeps what is
	// stored, and Owner, Origin and CreatedAt never change. It is idempotent, and concurrent calls for one id
	// leave one row, each call applied whole, one after another. img is not modified; Get returns the merged row.
	MarkReady(ctx context.Context, img *Image) error

	// MarkFailed records that the object at img.StagingKey could not be processed: status failed, FailureReason
	// (cut to MaxFailureReason bytes) and OriginalKey set to the failed/ key. It has MarkReady's conditions and
	// merging, with one exception: a row that is already ready is left untouched and MarkFailed returns nil,
	// because S3 events arrive at least once and a late duplicate that failed must not downgrade a photo that was
	// processed ("ready wins").
	MarkFailed(ctx context.Context, img *Image) error

	// Expire turns a pending row into an expired one with reason as its FailureReason: a direct upload whose URL
	// ran out before the photo arrived. It returns ErrNotFound for a missing row and ErrConflict for one that is no
	// longer pending.
	Expire(ctx context.Context, id, reason string) error

	// Delete removes the row for id, or returns ErrNotFound.
	Delete(ctx context.Context, id string) error

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// Close releases the database handle.
	Close() error
}

// Query selects a page of List.
type Query struct {
	// Owner lists this owner's images. It must be set unless All is.
	Owner string
	// All lists every image, of every owner and of none (administrators).
	All bool
	// Limit is the page size: 0 means DefaultListLimit; outside 0..MaxListLimit is ErrBadLimit.
	Limit int
	// Cursor is "" for the first page, then the next cursor of the previous one.
	Cursor string
}

// Limits of List and ListPending.
const (
	// DefaultListLimit is the page size when limit is 0.
	DefaultListLimit = 20
	// MaxListLimit is the largest page.
	MaxListLimit = 100
)
