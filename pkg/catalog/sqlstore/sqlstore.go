package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// dialect is what differs between the backends. Everything else, the queries included, is shared by store.
type dialect struct {
	name string
	// forUpdate locks the row a transaction reads: " FOR UPDATE" in MySQL. SQLite needs none, because its
	// transactions take the database's write lock at BEGIN (_txlock=immediate).
	forUpdate string
	// isDuplicate reports a primary-key violation.
	isDuplicate func(error) bool
	// isRetryable reports an error after which the same transaction may simply be run again, such as an InnoDB
	// deadlock between two writers of one new id.
	isRetryable func(error) bool
}

// store implements catalog.Store over database/sql for either dialect.
type store struct {
	db *sql.DB
	d  dialect
}

var insertSQL = "INSERT INTO images (" + columns + ") VALUES (?" + repeat(", ?", 17) + ")"

// updateSQL rewrites every column but the key; the merged row comes from catalog.Settle.
var updateSQL = "UPDATE images SET status = ?, owner = ?, origin = ?, filename = ?, content_type = ?, bytes = ?, " +
	"width = ?, height = ?, form_fields = ?, staging_key = ?, source_etag = ?, original_key = ?, failure_reason = ?, " +
	"derivatives = ?, expires_at = ?, created_at = ?, updated_at = ? WHERE id = ?"

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

// Create implements catalog.Store.
func (s *store) Create(ctx context.Context, img *catalog.Image) error {
	if err := catalog.Validate(img); err != nil {
		return err
	}
	row := *img
	row.Status, row.FailureReason, row.SourceETag = catalog.StatusPending, "", ""
	if row.Origin == "" {
		row.Origin = catalog.OriginUpload
	}
	row.UpdatedAt = catalog.Now()
	row.CreatedAt = catalog.NormTime(img.CreatedAt)
	if row.CreatedAt.IsZero() {
		row.CreatedAt = row.UpdatedAt
	}
	args, err := rowArgs(&row)
	if err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, insertSQL, args...); err != nil {
		if s.d.isDuplicate(err) {
			return fmt.Errorf("create %s: %w", img.ID, catalog.ErrExists)
		}
		return fmt.Errorf("create %s: %w", img.ID, err)
	}
	img.Status, img.Origin, img.FailureReason, img.SourceETag = row.Status, row.Origin, "", ""
	img.CreatedAt, img.UpdatedAt = row.CreatedAt, row.UpdatedAt
	return nil
}

// Get implements catalog.Store.
func (s *store) Get(ctx context.Context, id string) (*catalog.Image, error) {
	return s.get(ctx, s.db, id, "")
}

func (s *store) get(ctx context.Context, q queryer, id, lock string) (*catalog.Image, error) {
	if !catalog.ValidID(id) {
		// No such row can exist, and MySQL would reject comparing a non-ASCII string with the ASCII id column.
		return nil, fmt.Errorf("get %q: %w", id, catalog.ErrNotFound)
	}
	img, err := scanImage(q.QueryRowContext(ctx, "SELECT "+columns+" FROM images WHERE id = ?"+lock, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("get %s: %w", id, catalog.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("get %s: %w", id, err)
	}
	return img, nil
}

// List implements catalog.Store.
func (s *store) List(ctx context.Context, q catalog.Query) ([]catalog.Image, string, error) {
	n, cur, err := q.Check()
	if err != nil {
		return nil, "", err
	}
	query, args := "SELECT "+columns+" FROM images WHERE 1 = 1", []any{}
	if !q.All {
		query += " AND owner = ?"
		args = append(args, q.Owner)
	}
	if cur != nil {
		// Spelled out rather than as the row comparison (created_at, id) < (?, ?), for which MySQL has not
		// always used the index.
		query += " AND (created_at < ? OR (created_at = ? AND id < ?))"
		args = append(args, timeArg(cur.CreatedAt), timeArg(cur.CreatedAt), cur.ID)
	}
	return s.page(ctx, query+" ORDER BY created_at DESC, id DESC LIMIT ?", args, n)
}

// ListPending implements catalog.Store.
func (s *store) ListPending(ctx context.Context, before time.Time, limit int, cursor string) ([]catalog.Image, string, error) {
	n, err := catalog.PageSize(limit)
	if err != nil {
		return nil, "", err
	}
	query := "SELECT " + columns + " FROM images WHERE status = '" + string(catalog.StatusPending) + "' AND created_at < ?"
	args := []any{timeArg(before)}
	if cursor != "" {
		cur, err := catalog.DecodeCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		query += " AND (created_at > ? OR (created_at = ? AND id > ?))"
		args = append(args, timeArg(cur.CreatedAt), timeArg(cur.CreatedAt), cur.ID)
	}
	return s.page(ctx, query+" ORDER BY created_at, id LIMIT ?", args, n)
}

// page runs a listing query with n+1 as its limit: the extra row tells whether there is a next page without a
// COUNT.
func (s *store) page(ctx context.Context, query string, args []any, n int) ([]catalog.Image, string, error) {
	rows, err := s.db.QueryContext(ctx, query, append(args, n+1)...)
	if err != nil {
		return nil, "", fmt.Errorf("list: %w", err)
	}
	defer rows.Close()
	page := make([]catalog.Image, 0, n+1)
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
	return page, catalog.CursorAt(&page[n-1]), nil
}

// MarkReady implements catalog.Store.
func (s *store) MarkReady(ctx context.Context, img *catalog.Image) error {
	if err := s.settle(ctx, img, catalog.StatusReady); err != nil {
		return fmt.Errorf("mark %s ready: %w", idOf(img), err)
	}
	return nil
}

// MarkFailed implements catalog.Store.
func (s *store) MarkFailed(ctx context.Context, img *catalog.Image) error {
	if err := s.settle(ctx, img, catalog.StatusFailed); err != nil {
		return fmt.Errorf("mark %s failed: %w", idOf(img), err)
	}
	return nil
}

func idOf(img *catalog.Image) string {
	if img == nil {
		return "<nil>"
	}
	return img.ID
}

// settle records a result in one transaction: read the row under a lock, apply catalog.Settle, write the row it
// returns. Two writers of one id therefore take turns, and each sees the other's row whole.
func (s *store) settle(ctx context.Context, in *catalog.Image, status catalog.Status) error {
	if err := catalog.CheckResult(in); err != nil {
		return err
	}
	return s.retry(ctx, func() error {
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		stored, err := s.get(ctx, tx, in.ID, s.d.forUpdate)
		if errors.Is(err, catalog.ErrNotFound) {
			stored, err = nil, nil
		}
		if err != nil {
			return err
		}
		row, err := catalog.Settle(stored, in, status, catalog.Now())
		if err != nil || row == nil {
			return err
		}
		args, err := rowArgs(row)
		if err != nil {
			return err
		}
		if stored == nil {
			_, err = tx.ExecContext(ctx, insertSQL, args...)
		} else {
			_, err = tx.ExecContext(ctx, updateSQL, append(args[1:], row.ID)...)
		}
		if err != nil {
			return err
		}
		return tx.Commit()
	})
}

// Expire implements catalog.Store.
func (s *store) Expire(ctx context.Context, id, reason string) error {
	if !catalog.ValidID(id) {
		return fmt.Errorf("expire %q: %w", id, catalog.ErrNotFound)
	}
	res, err := s.db.ExecContext(ctx,
		"UPDATE images SET status = ?, failure_reason = ?, updated_at = ? WHERE id = ? AND status = ?",
		string(catalog.StatusExpired), catalog.TruncateUTF8(reason, catalog.MaxFailureReason), timeArg(catalog.Now()), id,
		string(catalog.StatusPending))
	if err != nil {
		return fmt.Errorf("expire %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 1 {
		return err
	}
	if _, err := s.Get(ctx, id); err != nil {
		return fmt.Errorf("expire: %w", err)
	}
	return fmt.Errorf("expire %s: %w: not pending", id, catalog.ErrConflict)
}

// Delete implements catalog.Store.
func (s *store) Delete(ctx context.Context, id string) error {
	if !catalog.ValidID(id) {
		return fmt.Errorf("delete %q: %w", id, catalog.ErrNotFound)
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
		return fmt.Errorf("delete %s: %w", id, catalog.ErrNotFound)
	}
	return nil
}

// Ping implements catalog.Store.
func (s *store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("sqlstore: ping %s: %w", s.d.name, err)
	}
	return nil
}

// Close implements catalog.Store.
func (s *store) Close() error { return s.db.Close() }

// SchemaVersion returns the schema version recorded in the database, which Open has brought up to the latest this
// code knows.
func (s *store) SchemaVersion(ctx context.Context) (int, error) { return readVersion(ctx, s.db) }

// retry runs fn again while the dialect calls its failure transient. A transaction that failed was rolled back
// whole, so running it again cannot apply it twice.
func (s *store) retry(ctx context.Context, fn func() error) error {
	const attempts = 5
	var err error
	for i := range attempts {
		if err = fn(); err == nil || !s.d.isRetryable(err) {
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
