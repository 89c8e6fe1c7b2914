package catalog

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"
)

// TestLazyRecoversWhenTheDatabaseComesBack starts with an unreachable MySQL, then points the same Lazy store at
// a working backend, as a container would see the database come back.
func TestLazyRecoversWhenTheDatabaseComesBack(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close() // nothing listens on port now
	l, err := NewLazy(Config{Driver: DriverMySQL, MySQL: MySQLConfig{Host: "127.0.0.1", Port: port, User: "u", Database: "d",
		DialTimeout: time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := l.Get(ctx, "0190a8f4-0000-7000-8000-000000000000"); err == nil {
		t.Fatal("want an error while the database is down")
	}
	l.cfg = Config{Driver: DriverSQLite, SQLitePath: filepath.Join(t.TempDir(), "c.db")}
	defer l.Close()
	if err := l.Create(ctx, &Image{ID: "0190a8f4-0000-7000-8000-000000000000"}); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
	if _, err := NewLazy(Config{Driver: "oracle"}); err == nil {
		t.Fatal("a configuration mistake must still be reported at start-up")
	}
}
