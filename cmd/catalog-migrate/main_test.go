package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/dynamostore"
	"github.com/imgpipe/imgpipe/pkg/catalog/sqlstore"
)

// testEndpoint returns CATALOG_TEST_DYNAMODB_ENDPOINT, skipping without it, except in CI where that fails.
func testEndpoint(t *testing.T) string {
	t.Helper()
	ep := os.Getenv("CATALOG_TEST_DYNAMODB_ENDPOINT")
	if ep == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(`CATALOG_TEST_DYNAMODB_ENDPOINT is empty but CI=true; run eval "$(scripts/dynalite.sh start)" before go test`)
		}
		t.Skip(`CATALOG_TEST_DYNAMODB_ENDPOINT is not set; run eval "$(scripts/dynalite.sh start)"`)
	}
	return ep
}

// target is a table name for one test, deleted when it ends; the tool creates the table itself.
func target(t *testing.T, ep string) (string, *dynamodb.Client) {
	t.Helper()
	client, err := dynamostore.NewClient(t.Context(), dynamostore.Config{Table: "unused", Endpoint: ep})
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	name := "migrate_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name, client
}

// seed makes a SQLite catalog with rows in every status and from every origin, through the store's own methods as
// the functions write them, plus filler rows whose times pair up so that the copy's paging meets ties.
func seed(t *testing.T) (path string, rows int) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "catalog.db")
	s, err := sqlstore.OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	result := func(id, key, etag string) *catalog.Image {
		return &catalog.Image{ID: id, Origin: catalog.OriginUpload, StagingKey: key, SourceETag: etag, ContentType: "image/jpeg",
			Bytes: 1234, Width: 400, Height: 300, OriginalKey: "original/" + id + ".jpg",
			Derivatives: []catalog.Derivative{{Width: 320, Height: 240, Bytes: 99, Key: "derived/320/" + id + ".jpg", ContentType: "image/jpeg"}}}
	}
	created := time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC)
	for i, st := range []string{"pending", "ready", "failed", "expired"} {
		img := &catalog.Image{ID: fmt.Sprintf("0190a8f4-0000-7000-8000-00000000000%d", i), Owner: "alice", Origin: catalog.OriginDirect,
			Filename: "Café " + st + ".jpg", StagingKey: fmt.Sprintf("staging/%d.jpg", i), Fields: map[string]string{"status": st, "": "odd"},
			ExpiresAt: created.Add(15 * time.Minute), CreatedAt: created.Add(time.Duration(i) * time.Second)}
		must(s.Create(ctx, img))
		switch st {
		case "ready":
			must(s.MarkReady(ctx, result(img.ID, img.StagingKey, "e1")))
		case "failed":
			r := result(img.ID, img.StagingKey, "e1")
			r.FailureReason, r.Derivatives = "decode: unexpected EOF", nil
			must(s.MarkFailed(ctx, r))
		case "expired":
			must(s.Expire(ctx, img.ID, "the upload URL expired"))
		}
	}
	console := result("5b3e1f0a-6f43-5c1e-9f7e-3c9a7d2b8e10", "staging/holiday/a.jpg", "e")
	console.Origin = catalog.OriginConsole
	must(s.MarkReady(ctx, console))
	failed := &catalog.Image{ID: "5b3e1f0a-6f43-5c1e-9f7e-3c9a7d2b8e11", Origin: catalog.OriginConsole, StagingKey: "staging/x.gif",
		SourceETag: "e", FailureReason: "not an image", OriginalKey: "failed/x.gif"}
	must(s.MarkFailed(ctx, failed))
	for i := range 30 {
		must(s.Create(ctx, &catalog.Image{ID: fmt.Sprintf("0190a8f4-0000-7000-8000-1000000000%02d", i), Owner: []string{"bob", ""}[i%2],
			StagingKey: fmt.Sprintf("staging/f%d.jpg", i), CreatedAt: created.Add(-time.Duration(i/2) * time.Minute)}))
	}
	return path, 36
}

// all lists every row of s, newest first.
func all(t *testing.T, s catalog.Store) []catalog.Image {
	t.Helper()
	var rows []catalog.Image
	cursor := ""
	for {
		page, next, err := s.List(t.Context(), catalog.Query{All: true, Limit: catalog.MaxListLimit, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, page...)
		if next == "" {
			return rows
		}
		cursor = next
	}
}

// assertSameCatalog checks that the DynamoDB table holds exactly the SQLite catalog's rows, in the same order, each
// identical through Get too.
func assertSameCatalog(t *testing.T, sqlitePath string, client *dynamodb.Client, table string) {
	t.Helper()
	src, err := sqlstore.OpenSQLite(t.Context(), sqlitePath)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := dynamostore.New(client, table)
	want, got := all(t, src), all(t, dst)
	if len(got) != len(want) {
		t.Fatalf("DynamoDB has %d rows, the source %d", len(got), len(want))
	}
	for i := range want {
		stored, err := dst.Get(t.Context(), want[i].ID)
		if err != nil {
			t.Fatalf("Get %s: %v", want[i].ID, err)
		}
		for _, g := range []*catalog.Image{&got[i], stored} {
			if !sameImage(g, &want[i]) {
				t.Errorf("row %d:\n got %+v\nwant %+v", i, *g, want[i])
			}
		}
	}
}

func sameImage(a, b *catalog.Image) bool {
	x, y := *a, *b
	if !x.CreatedAt.Equal(y.CreatedAt) || !x.UpdatedAt.Equal(y.UpdatedAt) || !x.ExpiresAt.Equal(y.ExpiresAt) {
		return false
	}
	x.CreatedAt, x.UpdatedAt, x.ExpiresAt, y.CreatedAt, y.UpdatedAt, y.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return reflect.DeepEqual(x, y)
}

// migrate runs the command and returns its exit code and summary.
func migrate(t *testing.T, args ...string) (int, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), args, func(string) string { return "" }, &stdout, &stderr)
	t.Logf("catalog-migrate %s: exit %d\n%s%s", strings.Join(args, " "), code, stdout.String(), stderr.String())
	return code, stdout.String()
}

func TestMigrate(t *testing.T) {
	ep := testEndpoint(t)
	path, rows := seed(t)
	table, client := target(t, ep)
	checkpoint := filepath.Join(t.TempDir(), "checkpoint")
	args := []string{"-from", "sqlite:" + path, "-table", table, "-endpoint", ep, "-create-table", "-checkpoint", checkpoint, "-quiet"}

	code, out := migrate(t, args...)
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("complete: %d rows read: %d written, 0 already there", rows, rows)) {
		t.Fatalf("first run: exit %d, %q", code, out)
	}
	assertSameCatalog(t, path, client, table)
	if _, err := os.Stat(checkpoint); !os.IsNotExist(err) {
		t.Errorf("a complete copy left its checkpoint: %v", err)
	}

	// Again: everything is there already, so nothing is written.
	code, out = migrate(t, args...)
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("%d rows read: 0 written, %d already there", rows, rows)) {
		t.Fatalf("second run: exit %d, %q", code, out)
	}

	// A row completed in the source after the copy is copied again; the others are not.
	src, err := sqlstore.OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.MarkReady(t.Context(), &catalog.Image{ID: "0190a8f4-0000-7000-8000-000000000000", Origin: catalog.OriginDirect,
		StagingKey: "staging/0.jpg", SourceETag: "late", Width: 10}); err != nil {
		t.Fatal(err)
	}
	src.Close()
	code, out = migrate(t, args...)
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("%d rows read: 1 written, %d already there", rows, rows-1)) {
		t.Fatalf("run after a change: exit %d, %q", code, out)
	}
	assertSameCatalog(t, path, client, table)
}

func TestMigrateResumes(t *testing.T) {
	ep := testEndpoint(t)
	path, rows := seed(t)
	table, client := target(t, ep)
	checkpoint := filepath.Join(t.TempDir(), "checkpoint")
	args := []string{"-from", "sqlite:" + path, "-table", table, "-endpoint", ep, "-create-table", "-checkpoint", checkpoint,
		"-page", "5", "-quiet"}

	// Stop after 7 rows, in the middle of the second page of 5.
	code, out := migrate(t, append(args, "-limit", "7")...)
	if code != exitOK || !strings.Contains(out, "stopped after 7 rows") || !strings.Contains(out, "7 written") {
		t.Fatalf("limited run: exit %d, %q", code, out)
	}
	saved, err := readCheckpoint(checkpoint)
	if err != nil || saved == "" {
		t.Fatalf("checkpoint after the limited run: %q, %v", saved, err)
	}
	if !strings.Contains(out, saved) {
		t.Errorf("the summary %q does not print the checkpoint %s", out, saved)
	}
	// The rest, from the checkpoint: nothing twice.
	code, out = migrate(t, args...)
	if code != exitOK || !strings.Contains(out, fmt.Sprintf("complete: %d rows read: %d written, 0 already there", rows-7, rows-7)) {
		t.Fatalf("resumed run: exit %d, %q", code, out)
	}
	assertSameCatalog(t, path, client, table)
}

// An interruption (SIGINT cancels the context) in the middle of a page leaves the checkpoint at the start of that
// page; the next run imports that page again, which writes only the rows the interrupted run had not written.
func TestCopyInterrupted(t *testing.T) {
	ep := testEndpoint(t)
	path, rows := seed(t)
	table, client := target(t, ep)
	if err := dynamostore.CreateTable(t.Context(), client, table); err != nil {
		t.Fatal(err)
	}
	src, err := sqlstore.OpenSQLite(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := dynamostore.New(client, table)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var checkpoints []string
	imported := 0
	job := &copyJob{src: src, dst: dst, pageSize: 5, workers: 1,
		checkpoint: func(c string) error { checkpoints = append(checkpoints, c); return nil },
		progress: func(bool) {
			if imported++; imported == 8 { // three rows into the second page
				cancel()
			}
		}}
	st, err := job.run(ctx)
	if err == nil || ctx.Err() == nil {
		t.Fatalf("interrupted copy: %v", err)
	}
	if len(checkpoints) != 1 || st.cursor != checkpoints[0] || st.read != 8 || st.written != 8 {
		t.Fatalf("interrupted at %+v with checkpoints %v; want the first page's cursor after 8 rows", st, checkpoints)
	}
	job = &copyJob{src: src, dst: dst, start: st.cursor, pageSize: 5, workers: 3}
	st, err = job.run(t.Context())
	if err != nil || st.read != rows-5 || st.written != rows-8 || st.skipped != 3 || st.cursor != "" {
		t.Fatalf("resumed copy: %+v, %v; want %d read, %d written, 3 already there", st, err, rows-5, rows-8)
	}
	assertSameCatalog(t, path, client, table)
}

func TestUsage(t *testing.T) {
	for name, args := range map[string][]string{
		"no source":       {"-table", "t12"},
		"unknown source":  {"-from", "postgres:x", "-table", "t12", "-region", "r"},
		"no table":        {"-from", "sqlite:x.db", "-region", "r"},
		"bad page":        {"-from", "sqlite:x.db", "-table", "t12", "-region", "r", "-page", "1000"},
		"unknown flag":    {"-frm", "sqlite:x.db"},
		"static key, AWS": {"-from", "sqlite:x.db", "-table", "t12", "-region", "r"},
	} {
		env := map[string]string{}
		if name == "static key, AWS" {
			env["DYNAMODB_ACCESS_KEY_ID"] = "AKIA"
		}
		var stdout, stderr bytes.Buffer
		if code := run(t.Context(), args, func(k string) string { return env[k] }, &stdout, &stderr); code != exitUsage {
			t.Errorf("%s: exit %d, want %d; %s", name, code, exitUsage, stderr.String())
		}
	}
	var stdout, stderr bytes.Buffer
	missing := filepath.Join(t.TempDir(), "nope.db")
	code := run(t.Context(), []string{"-from", "sqlite:" + missing, "-table", "t12", "-endpoint", "http://127.0.0.1:1"},
		func(string) string { return "" }, &stdout, &stderr)
	if _, err := os.Stat(missing); code != exitFailed || !os.IsNotExist(err) {
		t.Errorf("a missing SQLite file: exit %d, file %v; want a failure that creates nothing", code, err)
	}
}
