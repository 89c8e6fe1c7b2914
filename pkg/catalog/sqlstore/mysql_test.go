package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/catalogtest"
)

// TestMySQLContract runs the contract against a real server named by
// CATALOG_TEST_MYSQL_DSN, e.g. "root@tcp(127.0.0.1:3307)/" (the database part
// is ignored). scripts/mariadb.sh start prints a suitable export line. In CI
// a missing DSN fails the test rather than skipping it, so the MySQL backend
// cannot silently go untested.
func TestMySQLContract(t *testing.T) {
	admin := mysqlAdmin(t)
	catalogtest.Run(t, mysqlOpener(admin))

	t.Run("concurrent first open", func(t *testing.T) {
		cfg := mysqlTestConfig(t, admin, createTestDatabase(t, admin))
		const openers = 4
		stores := make([]*MySQL, openers)
		errs := make([]error, openers)
		var wg sync.WaitGroup
		for i := range openers {
			wg.Go(func() { stores[i], errs[i] = OpenMySQL(t.Context(), cfg) })
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("OpenMySQL #%d: %v", i+1, err)
			}
			defer stores[i].Close()
		}
		var n int
		if err := stores[0].db.QueryRowContext(t.Context(), "SELECT COUNT(*) FROM schema_version").Scan(&n); err != nil {
			t.Fatalf("count versions: %v", err)
		}
		if n != len(mysqlMigrations) {
			t.Errorf("schema_version has %d rows, want %d", n, len(mysqlMigrations))
		}
	})

	t.Run("migration steps rerun", func(t *testing.T) {
		s := mysqlOpener(admin)(t).(*MySQL)
		conn, err := s.db.Conn(t.Context())
		if err != nil {
			t.Fatalf("conn: %v", err)
		}
		defer conn.Close()
		if err := applyMigrations(t.Context(), conn, mysqlVersionTable, mysqlMigrations); err != nil {
			t.Fatalf("applyMigrations again: %v", err)
		}
	})

	t.Run("version 1 rows migrate", func(t *testing.T) {
		cfg := mysqlTestConfig(t, admin, createTestDatabase(t, admin))
		db, err := sql.Open("mysql", cfg.DSN)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if err := applyMigrations(t.Context(), db, mysqlVersionTable, mysqlMigrations[:1]); err != nil {
			t.Fatalf("version 1: %v", err)
		}
		upload, console := "0190a8f4-0000-7000-8000-000000000001", "5b3e1f0a-6f43-5c1e-9f7e-3c9a7d2b8e10"
		for _, r := range [][]string{{upload, "staging/" + upload + ".jpg"}, {console, "staging/holiday.jpg"}} {
			if _, err := db.ExecContext(t.Context(), `INSERT INTO images (id, status, staging_key, form_fields, failure_reason,
				derivatives, created_at, updated_at) VALUES (?, 'ready', ?, '{}', '', '[]', '2025-01-01', '2025-01-01')`, r[0], r[1]); err != nil {
				t.Fatal(err)
			}
		}
		s, err := OpenMySQL(t.Context(), cfg)
		if err != nil {
			t.Fatalf("OpenMySQL: %v", err)
		}
		defer s.Close()
		for id, want := range map[string]catalog.Origin{upload: catalog.OriginUpload, console: catalog.OriginConsole} {
			img, err := s.Get(t.Context(), id)
			if err != nil || img.Origin != want || img.Owner != "" {
				t.Errorf("migrated row %+v, %v; want origin %s", img, err, want)
			}
		}
	})

	t.Run("connections use utf8mb4 and no prepared statements", func(t *testing.T) {
		s := mysqlOpener(admin)(t).(*MySQL)
		var charset string
		if err := s.db.QueryRowContext(t.Context(), "SELECT @@character_set_client").Scan(&charset); err != nil {
			t.Fatalf("read charset: %v", err)
		}
		if charset != "utf8mb4" {
			t.Errorf("character_set_client = %q, want utf8mb4", charset)
		}
		// Server-side prepared statements would pin connections behind RDS
		// Proxy; with interpolateParams a parameterised query prepares none.
		before := preparedCount(t, s.db)
		if _, err := s.Get(t.Context(), "0190a8f4-0000-7000-8000-00000000dead"); err == nil {
			t.Fatal("Get of a random id succeeded")
		}
		if after := preparedCount(t, s.db); after != before {
			t.Errorf("Com_stmt_prepare went from %d to %d: a statement was prepared on the server", before, after)
		}
	})
}

func preparedCount(t *testing.T, db *sql.DB) int {
	t.Helper()
	var name string
	var n int
	if err := db.QueryRowContext(t.Context(), "SHOW SESSION STATUS LIKE 'Com_stmt_prepare'").Scan(&name, &n); err != nil {
		t.Fatalf("read Com_stmt_prepare: %v", err)
	}
	return n
}

// mysqlAdmin returns the parsed CATALOG_TEST_MYSQL_DSN, skipping the test when
// it is unset, except in CI where that is a failure.
func mysqlAdmin(t *testing.T) *mysql.Config {
	t.Helper()
	dsn := os.Getenv("CATALOG_TEST_MYSQL_DSN")
	if dsn == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("CATALOG_TEST_MYSQL_DSN is empty but CI=true: the MySQL backend must be tested in CI; " +
				`run eval "$(scripts/mariadb.sh start)" before go test`)
		}
		t.Skip(`CATALOG_TEST_MYSQL_DSN is not set; run eval "$(scripts/mariadb.sh start)" to test the MySQL backend`)
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatalf("CATALOG_TEST_MYSQL_DSN: %v", err)
	}
	return cfg
}

// createTestDatabase creates an empty database with a random name and drops
// it when t ends.
func createTestDatabase(t *testing.T, admin *mysql.Config) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	name := "imgpipe_test_" + hex.EncodeToString(b[:])

	cfg := admin.Clone()
	cfg.DBName = ""
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatalf("admin connector: %v", err)
	}
	db := sql.OpenDB(connector)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4"); err != nil {
		db.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		// t.Context is already cancelled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if _, err := db.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	return name
}

// mysqlTestConfig points at database on the admin server, with a larger pool
// than the Lambda default so that the concurrency tests really overlap.
func mysqlTestConfig(t *testing.T, admin *mysql.Config, database string) MySQLConfig {
	t.Helper()
	cfg := admin.Clone()
	cfg.DBName = database
	return MySQLConfig{DSN: cfg.FormatDSN(), MaxOpenConns: 8}
}

// mysqlOpener gives each test its own database and reopens it on later calls
// with the same t.
func mysqlOpener(admin *mysql.Config) func(t *testing.T) catalog.Store {
	var mu sync.Mutex
	names := map[*testing.T]string{}
	return func(t *testing.T) catalog.Store {
		t.Helper()
		mu.Lock()
		name, ok := names[t]
		mu.Unlock()
		if !ok {
			name = createTestDatabase(t, admin)
			mu.Lock()
			names[t] = name
			mu.Unlock()
		}
		s, err := OpenMySQL(t.Context(), mysqlTestConfig(t, admin, name))
		if err != nil {
			t.Fatalf("OpenMySQL: %v", err)
		}
		// Registered after the database's drop, so it runs before it.
		t.Cleanup(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
		return s
	}
}

// TestMySQLUnreachable needs no server: a database that is down must make
// OpenMySQL fail within its timeouts rather than hang a Lambda invocation.
func TestMySQLUnreachable(t *testing.T) {
	const timeout = 500 * time.Millisecond
	cases := map[string]func(t *testing.T) string{
		// Nothing listens: the dial is refused at once.
		"closed port": func(t *testing.T) string {
			return fmt.Sprintf("127.0.0.1:%d", closedPort(t))
		},
		// Accepts the connection but never sends the handshake, like a
		// server that is stuck or a proxy that cannot reach it.
		"silent server": silentServer,
	}
	for name, addr := range cases {
		t.Run(name, func(t *testing.T) {
			host, port, err := net.SplitHostPort(addr(t))
			if err != nil {
				t.Fatal(err)
			}
			portNum, err := strconv.Atoi(port)
			if err != nil {
				t.Fatal(err)
			}
			cfg := MySQLConfig{Host: host, Port: portNum, User: "imgpipe", Password: "x", Database: "imgpipe",
				DialTimeout: timeout, ReadTimeout: timeout, WriteTimeout: timeout}
			start := time.Now()
			s, err := OpenMySQL(t.Context(), cfg)
			elapsed := time.Since(start)
			if err == nil {
				s.Close()
				t.Fatal("OpenMySQL succeeded against a dead server")
			}
			// database/sql retries a bad connection twice, so allow a few
			// timeouts but nowhere near a Lambda timeout.
			if limit := 5 * timeout; elapsed > limit {
				t.Errorf("OpenMySQL took %v to fail, want under %v", elapsed, limit)
			}
			t.Logf("failed after %v: %v", elapsed.Round(time.Millisecond), err)
		})
	}
}

// closedPort returns a loopback port that nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// silentServer listens on loopback, accepts connections and never writes.
func silentServer(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}
