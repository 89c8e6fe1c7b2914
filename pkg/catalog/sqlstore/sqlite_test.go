package sqlstore

import (
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/catalogtest"
)

func TestSQLiteContract(t *testing.T) {
	catalogtest.Run(t, sqliteOpener())
}

// sqliteOpener gives each test its own database file and reopens it on later
// calls with the same t.
func sqliteOpener() func(t *testing.T) catalog.Store {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	return func(t *testing.T) catalog.Store {
		t.Helper()
		mu.Lock()
		path, ok := paths[t]
		if !ok {
			path = filepath.Join(t.TempDir(), "catalog.db")
			paths[t] = path
		}
		mu.Unlock()
		s, err := OpenSQLite(t.Context(), path)
		if err != nil {
			t.Fatalf("OpenSQLite: %v", err)
		}
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
}

// Two containers (processes, here handles) opening a fresh file at once must
// both succeed and record the schema once.
func TestSQLiteConcurrentFirstOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	const openers = 4
	stores := make([]*SQLite, openers)
	errs := make([]error, openers)
	var wg sync.WaitGroup
	for i := range openers {
		wg.Go(func() { stores[i], errs[i] = OpenSQLite(t.Context(), path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("OpenSQLite #%d: %v", i+1, err)
		}
		defer stores[i].Close()
	}
	var n int
	if err := stores[0].db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_version").Scan(&n); err != nil {
		t.Fatalf("count versions: %v", err)
	}
	if n != len(sqliteMigrations) {
		t.Errorf("schema_version has %d rows, want %d", n, len(sqliteMigrations))
	}
}

// The migration steps themselves must be safe to run again: the fast path
// skips them, so this calls them directly.
func TestSQLiteMigrationsRerun(t *testing.T) {
	s, err := OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()
	tx, err := s.db.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatalf("begin: %v", err)
	}
	defer tx.Rollback()
	if err := applyMigrations(t.Context(), tx, sqliteVersionTable, sqliteMigrations); err != nil {
		t.Fatalf("applyMigrations again: %v", err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatalf("commit: %v", err)
	}
	v, err := s.SchemaVersion(t.Context())
	if err != nil || v != latest(sqliteMigrations) {
		t.Errorf("SchemaVersion = %d, %v; want %d", v, err, latest(sqliteMigrations))
	}
}

// ":memory:" must survive between calls: a pool with more than one
// connection would give each its own empty database.
func TestSQLiteMemory(t *testing.T) {
	s, err := OpenSQLite(t.Context(), ":memory:")
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()
	img := &catalog.Image{ID: "0190a8f4-0000-7000-8000-000000000001"}
	if err := s.Create(t.Context(), img); err != nil {
		t.Fatalf("Create: %v", err)
	}
	for range 3 {
		if _, err := s.Get(t.Context(), img.ID); err != nil {
			t.Fatalf("Get: %v", err)
		}
	}
}

func TestSQLiteBadPath(t *testing.T) {
	for name, path := range map[string]string{
		"empty":        "",
		"query string": filepath.Join(t.TempDir(), "x.db?mode=ro"),
		"missing dir":  filepath.Join(t.TempDir(), "no", "such", "dir", "x.db"),
	} {
		if s, err := OpenSQLite(t.Context(), path); err == nil {
			s.Close()
			t.Errorf("%s: OpenSQLite(%q) succeeded", name, path)
		}
	}
}

func TestOpen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	s, err := Open(t.Context(), Config{Driver: DriverSQLite, SQLitePath: path})
	if err != nil {
		t.Fatalf("Open sqlite: %v", err)
	}
	defer s.Close()
	if _, ok := s.(*SQLite); !ok {
		t.Errorf("Open returned %T, want *SQLite", s)
	}

	s, err = Open(t.Context(), Config{Driver: DriverMySQL})
	if err == nil || s != nil {
		t.Errorf("Open mysql without settings: got %v, %v; want a nil Store and an error", s, err)
	}
	// Unreachable MySQL: the error path must also return a nil interface,
	// not a typed nil pointer.
	s, err = Open(t.Context(), Config{Driver: DriverMySQL, MySQL: MySQLConfig{Host: "127.0.0.1", Port: closedPort(t), User: "u", Database: "d"}})
	if err == nil || s != nil {
		t.Errorf("Open unreachable mysql: got %v, %v; want a nil Store and an error", s, err)
	}
	if _, err := Open(t.Context(), Config{Driver: "postgres"}); err == nil {
		t.Error("Open with an unknown driver succeeded")
	}
}

// retry reruns a transaction while the dialect calls its failure transient, up to a bound, and returns the last
// error.
func TestRetry(t *testing.T) {
	s, err := OpenSQLite(t.Context(), ":memory:")
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()
	for name, tc := range map[string]struct {
		transient, wantCalls int
	}{
		"permanent":        {transient: 0, wantCalls: 1},
		"transient twice":  {transient: 2, wantCalls: 3},
		"always transient": {transient: 100, wantCalls: 5},
	} {
		checks := 0
		s.d.isRetryable = func(error) bool { checks++; return checks <= tc.transient }
		runs := 0
		err := s.retry(t.Context(), func() error {
			runs++
			_, err := s.db.ExecContext(t.Context(), "INSERT INTO no_such_table VALUES (1)")
			return err
		})
		if err == nil {
			t.Errorf("%s: insert into a missing table succeeded", name)
		}
		if runs != tc.wantCalls {
			t.Errorf("%s: ran %d times, want %d", name, runs, tc.wantCalls)
		}
	}
}

// TestSchemaVersion: every open, the first and the ones that find the work done, ends at the latest version.
func TestSchemaVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	for i := range 2 {
		s, err := OpenSQLite(t.Context(), path)
		if err != nil {
			t.Fatalf("OpenSQLite #%d: %v", i+1, err)
		}
		v, err := s.SchemaVersion(t.Context())
		s.Close()
		if err != nil || v != latest(sqliteMigrations) || v < 2 {
			t.Fatalf("open #%d: schema version %d, %v; want %d", i+1, v, err, latest(sqliteMigrations))
		}
	}
}

// TestSQLiteMigratesVersion1Rows: a catalog written before owners existed keeps its rows, which get no owner and an
// origin guessed from their staging key.
func TestSQLiteMigratesVersion1Rows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "catalog.db")
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := applyMigrations(t.Context(), db, sqliteVersionTable, sqliteMigrations[:1]); err != nil {
		t.Fatalf("version 1: %v", err)
	}
	upload, console := "0190a8f4-0000-7000-8000-000000000001", "5b3e1f0a-6f43-5c1e-9f7e-3c9a7d2b8e10"
	for _, r := range [][]string{{upload, "staging/" + upload + ".jpg", "ready"}, {console, "staging/holiday.jpg", "failed"}} {
		if _, err := db.ExecContext(t.Context(), `INSERT INTO images (id, status, filename, staging_key, created_at, updated_at)
			VALUES (?, ?, 'a.jpg', ?, '2025-01-01 00:00:00.000000', '2025-01-01 00:00:00.000000')`, r[0], r[2], r[1]); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	s, err := OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	defer s.Close()
	for id, want := range map[string]catalog.Origin{upload: catalog.OriginUpload, console: catalog.OriginConsole} {
		img, err := s.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get %s: %v", id, err)
		}
		if img.Origin != want || img.Owner != "" || img.Filename != "a.jpg" || img.CreatedAt.Year() != 2025 {
			t.Errorf("migrated row %+v, want origin %s", img, want)
		}
	}
	if err := s.Expire(t.Context(), upload, "x"); !errors.Is(err, catalog.ErrConflict) {
		t.Errorf("the new status column's rules apply to old rows: %v", err)
	}
}
