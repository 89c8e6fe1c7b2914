package catalog

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// dialect is what differs between the backends. Everything else, the
// queries included, is shared by sqlStore.
type dialect struct {
	name   string
	upsert upsertSyntax
	// isDuplicate reports a primary-key violation.
	isDuplicate func(error) bool
	// isRetryable reports an error after which the same statement may
	// simply be run again, such as an InnoDB deadlock.
	isRetryable func(error) bool
}

// sqlStore implements Store over database/sql for either dialect.
type sqlStore struct {
	db *sql.DB
	d  dialect

	createSQL, readySQL, failedSQL string
}

func newSQLStore(db *sql.DB, d dialect) *sqlStore {
	return &sqlStore{
		db:        db,
		d:         d,
		createSQL: insertSQL(),
		readySQL:  markReadySQL(d.upsert),
		failedSQL: markFailedSQL(d.upsert),
	}
}

// writeArgs are the values of insertColumns for img.
func writeArgs(img *Image, status Status, reason string, created, updated time.Time) ([]any, error) {
	fields, err := encodeFields(img.Fields)
	if err != nil {
		return nil, err
	}
	derivatives, err := encodeDerivatives(img.Derivatives)
	if err != nil {
		return nil, err
	}
	return []any{
		img.ID, string(status), img.Filename, img.ContentType, img.Bytes, img.Width, img.Height, fields,
		img.StagingKey, img.OriginalKey, reason, derivatives, timeArg(created), timeArg(updated),
	}, nil
}

// written is what a write stores besides img's own fields.
type written struct {
	reason           string
	created, updated time.Time
}

// prepareWrite validates img and builds the arguments of a write with the given status: the creation time is
// img's when set (else now), the failure reason is kept only for failed rows and cut to MaxFailureReason.
func prepareWrite(img *Image, status Status) ([]any, written, error) {
	if err := validate(img); err != nil {
		return nil, written{}, err
	}
	w := written{updated: now()}
	w.created = w.updated
	if !img.CreatedAt.IsZero() {
		w.created = normTime(img.CreatedAt)
	}
	if status != StatusReady {
		w.reason = truncateUTF8(img.FailureReason, MaxFailureReason)
	}
	args, err := writeArgs(img, status, w.reason, w.created, w.updated)
	return args, w, err
}

// Create implements Store.Create.
func (s *sqlStore) Create(ctx context.Context, img *Image) error {
	args, w, err := prepareWrite(img, StatusPending)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, s.createSQL, args...); err != nil {
		if s.d.isDuplicate(err) {
			return fmt.Errorf("create %s: %w", img.ID, ErrExists)
		}
		return fmt.Errorf("create %s: %w", img.ID, err)
	}
	img.Status, img.FailureReason, img.CreatedAt, img.UpdatedAt = StatusPending, w.reason, w.created, w.updated
	return nil
}

// Get implements Store.Get.
func (s *sqlStore) Get(ctx context.Context, id string) (*Image, error) {
	if !validID(id) {
		// No such row can exist, and MySQL would reject comparing a
		// non-ASCII string with the ASCII id column.
		return nil, fmt.Errorf("get %q: %w", id, ErrNotFound)
	}
	row := s.db.QueryRowContext(ctx, "SELECT "+imageColumns+" FROM images WHERE id = ?", id)
	img, err := scanImage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return img, nil
}

// List implements Store.List.
func (s *sqlStore) List(ctx context.Context, limit int, cursor string) ([]Image, string, error) {
	n, err := pageSize(limit)
	if err != nil {
		return nil, "", err
	}
	query := "SELECT " + imageColumns + " FROM images"
	args := []any{}
	if cursor != "" {
		c, err := decodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		// Spelled out rather than as the row comparison
		// (created_at, id) < (?, ?), for which MySQL has not always used
		// the index.
		query += " WHERE created_at < ? OR (created_at = ? AND id < ?)"
		args = append(args, timeArg(c.createdAt), timeArg(c.createdAt), c.id)
	}
	query += " ORDER BY created_at DESC, id DESC LIMIT ?"
	// One extra row tells whether there is a next page without a COUNT.
	args = append(args, n+1)

	rows, err := s.db.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, "", fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	page := make([]Image, 0, n+1)
	for rows.Next() {
		img, err := scanImage(rows)
		if err != nil {
			return nil, "", fmt.Errorf("list: %w", err)
		}
		page = append(page, *img)
	}
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("list: %w", err)
	}
	if len(page) <= n {
		return page, "", nil
	}
	page = page[:n]
	last := page[n-1]
	return page, listCursor{createdAt: last.CreatedAt, id: last.ID}.encode(), nil
}

// MarkReady implements Store.MarkReady.
func (s *sqlStore) MarkReady(ctx context.Context, img *Image) error {
	args, _, err := prepareWrite(img, StatusReady)
	if err != nil {
		return err
	}
	if err := s.exec(ctx, s.readySQL, args...); err != nil {
		return fmt.Errorf("mark %s ready: %w", img.ID, err)
	}
	return nil
}

// MarkFailed implements Store.MarkFailed.
func (s *sqlStore) MarkFailed(ctx context.Context, img *Image) error {
	args, _, err := prepareWrite(img, StatusFailed)
	if err != nil {
		return err
	}
	if err := s.exec(ctx, s.failedSQL, args...); err != nil {
		return fmt.Errorf("mark %s failed: %w", img.ID, err)
	}
	return nil
}

// Delete implements Store.Delete.
func (s *sqlStore) Delete(ctx context.Context, id string) error {
	if !validID(id) {
		return fmt.Errorf("delete %q: %w", id, ErrNotFound)
	}
	res, err := s.db.ExecContext(ctx, "DELETE FROM images WHERE id = ?", id)
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("delete %s: %w", id, ErrNotFound)
	}
	return nil
}

// Ping implements Store.Ping.
func (s *sqlStore) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("catalog: ping %s: %w", s.d.name, err)
	}
	return nil
}

// Close implements Store.Close.
func (s *sqlStore) Close() error { return s.db.Close() }

// SchemaVersion returns the schema version recorded in the database, which
// Open has brought up to the latest this code knows.
func (s *sqlStore) SchemaVersion(ctx context.Context) (int, error) {
	return readVersion(ctx, s.db)
}

// exec runs a single-statement write, again if the dialect says the failure
// was transient. Each statement is atomic on its own, so rerunning it after a
// deadlock rollback cannot apply it twice.
func (s *sqlStore) exec(ctx context.Context, query string, args ...any) error {
	const attempts = 4
	var err error
	for i := range attempts {
		if _, err = s.db.ExecContext(ctx, query, args...); err == nil || !s.d.isRetryable(err) {
			return err
		}
		if i == attempts-1 {
			break
		}
		// Jitter keeps the colliding writers from meeting again in step.
		wait := time.Duration(i+1)*10*time.Millisecond + rand.N(10*time.Millisecond)
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(wait):
		}
	}
	return err
}
