package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// execQuerier is what applyMigrations needs; *sql.Tx and *sql.Conn have it.
type execQuerier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type queryRower interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// readVersion returns the highest recorded schema version, or an error if the
// version table does not exist yet.
func readVersion(ctx context.Context, q queryRower) (int, error) {
	var v int
	if err := q.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("sqlstore: read schema version: %w", err)
	}
	return v, nil
}

// latest is the version the steps bring a database to.
func latest(steps []migration) int {
	if len(steps) == 0 {
		return 0
	}
	return steps[len(steps)-1].version
}

// upToDate is the fast path of every cold start after the first: one read,
// and no lock, transaction or DDL.
func upToDate(ctx context.Context, db *sql.DB, steps []migration) bool {
	v, err := readVersion(ctx, db)
	return err == nil && v >= latest(steps)
}

// applyMigrations creates the version table and applies the steps newer than
// the recorded version, recording each. The caller makes it exclusive: a
// transaction holding SQLite's write lock, or a MySQL named lock. A database
// whose version is newer than these steps is left alone, so an older
// function version still running during a deploy keeps working against
// additive changes.
func applyMigrations(ctx context.Context, q execQuerier, versionTable string, steps []migration) error {
	if _, err := q.ExecContext(ctx, versionTable); err != nil {
		return fmt.Errorf("sqlstore: create schema_version: %w", err)
	}
	current, err := readVersion(ctx, q)
	if err != nil {
		return err
	}
	for _, m := range steps {
		if m.version <= current {
			continue
		}
		for i, stmt := range m.stmts {
			if _, err := q.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("sqlstore: migration %d statement %d: %w", m.version, i+1, err)
			}
		}
		if _, err := q.ExecContext(ctx, "INSERT INTO schema_version (version, applied_at) VALUES (?, ?)",
			m.version, timeArg(catalog.Now())); err != nil {
			return fmt.Errorf("sqlstore: record migration %d: %w", m.version, err)
		}
	}
	return nil
}
