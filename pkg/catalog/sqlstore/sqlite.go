package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// SQLite is the embedded catalog.Store, on modernc.org/sqlite (pure Go, so the Lambda build stays CGO_ENABLED=0). It
// suits local runs, tests and a single container; a file under /tmp in Lambda is per container and lost on
// recycling, so production uses DynamoDB or MySQL.
type SQLite struct {
	*store
}

var _ catalog.Store = (*SQLite)(nil)

// sqliteBusyTimeoutMS is how long a connection waits for another process's
// write lock (another container on a shared file, or the sqlite3 shell)
// before failing with SQLITE_BUSY.
const sqliteBusyTimeoutMS = 5000

// OpenSQLite opens or creates the database at path, a file path or
// ":memory:", and brings its schema up to date.
//
// The handle has a single connection. SQLite allows one writer at a time, and
// funnelling every statement of this process through one connection means
// concurrent callers queue in database/sql instead of failing with
// SQLITE_BUSY; it also keeps a ":memory:" database alive, since each new
// connection would get an empty one of its own. WAL lets other processes read
// while this one writes, and busy_timeout covers writers in other processes.
func OpenSQLite(ctx context.Context, path string) (*SQLite, error) {
	if path == "" {
		return nil, errors.New("sqlstore: empty SQLite path")
	}
	if strings.Contains(path, "?") {
		// The driver would read the rest as connection parameters.
		return nil, fmt.Errorf("sqlstore: SQLite path %q contains '?'", path)
	}
	params := url.Values{}
	params.Set("_busy_timeout", fmt.Sprint(sqliteBusyTimeoutMS))
	params.Set("_journal_mode", "WAL")
	// NORMAL is durable across process crashes in WAL mode; only a power
	// loss can lose the last commits, which a re-sent S3 event repairs.
	params.Set("_synchronous", "NORMAL")
	// Transactions (migrations and MarkReady/MarkFailed) take the write lock
	// at BEGIN, so two processes writing at once queue instead of deadlocking
	// on a read-to-write upgrade.
	params.Set("_txlock", "immediate")

	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlstore: open SQLite %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)

	s := &SQLite{&store{db: db, d: dialect{
		name:        "sqlite",
		isDuplicate: sqliteIsDuplicate,
		isRetryable: func(error) bool { return false },
	}}}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlstore: open SQLite %s: %w", path, err)
	}
	if err := migrateSQLite(ctx, db); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func sqliteIsDuplicate(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// migrateSQLite runs the steps in one immediate transaction: SQLite's DDL is
// transactional, so a second process starting at the same moment waits on
// the write lock and then finds the work done.
func migrateSQLite(ctx context.Context, db *sql.DB) error {
	if upToDate(ctx, db, sqliteMigrations) {
		return nil
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlstore: begin migration: %w", err)
	}
	if err := applyMigrations(ctx, tx, sqliteVersionTable, sqliteMigrations); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlstore: commit migration: %w", err)
	}
	return nil
}
