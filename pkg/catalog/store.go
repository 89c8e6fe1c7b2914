package catalog

import "context"

// Store is what the functions need from the catalog. SQLite and MySQL
// implement it with the same behaviour, checked by one contract test suite.
type Store interface {
	// Create inserts img as a pending row, whatever img.Status says, and
	// writes the stored Status, CreatedAt (now, unless set) and UpdatedAt back
	// into img. It returns ErrExists if the id is taken.
	Create(ctx context.Context, img *Image) error

	// Get returns the row for id, or ErrNotFound.
	Get(ctx context.Context, id string) (*Image, error)

	// List returns up to limit images, newest first, starting after cursor
	// ("" for the first page). next is the cursor for the following page, or
	// "" on the last one. limit 0 means DefaultListLimit; anything outside
	// 0..MaxListLimit is ErrBadLimit, and a cursor List did not issue is
	// ErrBadCursor. Rows created while a client pages through never make it
	// see a row twice or skip one that existed when it started.
	List(ctx context.Context, limit int, cursor string) (page []Image, next string, err error)

	// MarkReady records that img.ID was processed: status ready, the source
	// info, OriginalKey and Derivatives, and an empty FailureReason. It is an
	// upsert, because a photo put straight into S3 has no row: a missing row
	// is created ready. On an existing row a zero value in img (empty string,
	// 0, no fields, no derivatives) keeps what is stored, so the resize
	// function need not know the filename or form fields the upload recorded.
	// Ready wins over failed. It is idempotent, and concurrent calls for one
	// id leave one row, each call applied whole, one after another.
	// img is not modified; Get returns the merged row.
	MarkReady(ctx context.Context, img *Image) error

	// MarkFailed records that img.ID could not be processed: status failed,
	// FailureReason, and OriginalKey set to the failed/ key. It upserts like
	// MarkReady, with one exception: a row that is already ready is left
	// untouched and MarkFailed returns nil, because S3 events arrive at least
	// once and a late duplicate that failed (the staging object was already
	// moved, say) must not downgrade a photo that was processed.
	// FailureReason is cut to MaxFailureReason bytes.
	MarkFailed(ctx context.Context, img *Image) error

	// Delete removes the row for id, or returns ErrNotFound.
	Delete(ctx context.Context, id string) error

	// Ping checks that the database answers.
	Ping(ctx context.Context) error

	// Close releases the database handle.
	Close() error
}

// Limits of List.
const (
	// DefaultListLimit is the page size List uses when limit is 0.
	DefaultListLimit = 20
	// MaxListLimit is the largest page List returns.
	MaxListLimit = 100
)
