package catalog

import (
	"path/filepath"
	"sync"
	"testing"
)

func TestSQLiteContract(t *testing.T) {
	runContract(t, sqliteOpener())
}

// sqliteOpener gives each test its own database file and reopens it on later
// calls with the same t.
func sqliteOpener() func(t *testing.T) Store {
	var mu sync.Mutex
	paths := map[*testing.T]string{}
	return func(t *testing.T) Store {
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
	img := fullImage(newID())
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

// exec reruns a statement while the dialect calls its error transient, up to
// a bound, and returns the last error.
func TestExecRetries(t *testing.T) {
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
		"always transient": {transient: 100, wantCalls: 4},
	} {
		calls := 0
		s.d.isRetryable = func(error) bool { calls++; return calls <= tc.transient }
		if err := s.exec(t.Context(), "INSERT INTO no_such_table VALUES (1)"); err == nil {
			t.Errorf("%s: exec on a missing table succeeded", name)
		}
		if calls != tc.wantCalls {
			t.Errorf("%s: statement ran %d times, want %d", name, calls, tc.wantCalls)
		}
	}
}
