package catalog

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"
)

// runContract is the behaviour every Store must have. open returns a Store on
// the database that belongs to the t it is given: an empty database on the
// first call for that t, the same database again on later calls (to test
// reopening). It closes the Store in t.Cleanup and fails t if it cannot open.
func runContract(t *testing.T, open func(t *testing.T) Store) {
	t.Run("create and get round trip", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		img := fullImage(newID())
		img.Status = StatusReady // Create must ignore this and write pending.
		img.CreatedAt = time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.FixedZone("CET", 3600))
		want := *img
		if err := s.Create(ctx, img); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if img.Status != StatusPending {
			t.Errorf("Create set Status %q, want pending", img.Status)
		}
		wantCreated := time.Date(2024, 2, 29, 12, 14, 15, 123456000, time.UTC)
		if !img.CreatedAt.Equal(wantCreated) || img.CreatedAt.Location() != time.UTC {
			t.Errorf("Create set CreatedAt %v, want %v in UTC", img.CreatedAt, wantCreated)
		}
		if img.UpdatedAt.IsZero() {
			t.Error("Create left UpdatedAt zero")
		}
		want.Status, want.CreatedAt, want.UpdatedAt = StatusPending, wantCreated, img.UpdatedAt
		got, err := s.Get(ctx, img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		assertImage(t, got, &want)
	})

	t.Run("empty optional values round trip as nil", func(t *testing.T) {
		s := open(t)
		img := &Image{ID: newID(), Fields: map[string]string{}, Derivatives: []Derivative{}}
		if err := s.Create(t.Context(), img); err != nil {
			t.Fatalf("Create: %v", err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Fields != nil || got.Derivatives != nil || got.Filename != "" {
			t.Errorf("got Fields %#v, Derivatives %#v, Filename %q; want nil, nil, empty", got.Fields, got.Derivatives, got.Filename)
		}
	})

	t.Run("create duplicate id is ErrExists", func(t *testing.T) {
		s := open(t)
		img := fullImage(newID())
		if err := s.Create(t.Context(), img); err != nil {
			t.Fatalf("Create: %v", err)
		}
		dup := &Image{ID: img.ID, Filename: "other.png"}
		if err := s.Create(t.Context(), dup); !errors.Is(err, ErrExists) {
			t.Fatalf("second Create: got %v, want ErrExists", err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Filename != img.Filename {
			t.Errorf("duplicate Create changed Filename to %q", got.Filename)
		}
	})

	t.Run("missing and impossible ids are ErrNotFound", func(t *testing.T) {
		s := open(t)
		for _, id := range []string{newID(), "", "Ünïcødé", strings.Repeat("a", MaxIDBytes+1)} {
			if _, err := s.Get(t.Context(), id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Get(%q): got %v, want ErrNotFound", id, err)
			}
			if err := s.Delete(t.Context(), id); !errors.Is(err, ErrNotFound) {
				t.Errorf("Delete(%q): got %v, want ErrNotFound", id, err)
			}
		}
	})

	t.Run("schema limits", func(t *testing.T) {
		s := open(t)
		// 127 two-byte characters and one ASCII: exactly 255 bytes, the
		// column's limit, which MySQL counts in characters.
		longest := strings.Repeat("é", 127) + "a"
		img := &Image{ID: newID(), Filename: longest, StagingKey: "staging/" + strings.Repeat("k", MaxKeyBytes-8)}
		if err := s.Create(t.Context(), img); err != nil {
			t.Fatalf("Create with a %d-byte filename: %v", len(longest), err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Filename != longest || got.StagingKey != img.StagingKey {
			t.Errorf("long values did not round trip")
		}
		bad := map[string]*Image{
			"nil":               nil,
			"empty id":          {},
			"id with space":     {ID: "a b"},
			"long filename":     {ID: newID(), Filename: longest + "b"},
			"invalid utf-8":     {ID: newID(), Filename: "\xff.jpg"},
			"long key":          {ID: newID(), OriginalKey: strings.Repeat("k", MaxKeyBytes+1)},
			"negative bytes":    {ID: newID(), Bytes: -1},
			"year out of range": {ID: newID(), CreatedAt: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
		}
		for name, img := range bad {
			for op, f := range map[string]func(context.Context, *Image) error{
				"Create": s.Create, "MarkReady": s.MarkReady, "MarkFailed": s.MarkFailed,
			} {
				if err := f(t.Context(), img); !errors.Is(err, ErrInvalid) {
					t.Errorf("%s(%s): got %v, want ErrInvalid", op, name, err)
				}
			}
		}
		page, _, err := s.List(t.Context(), 0, "")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(page) != 1 {
			t.Errorf("invalid images wrote rows: %d rows, want 1", len(page))
		}
	})

	t.Run("mark ready merges into the pending row", func(t *testing.T) {
		s := open(t)
		created := fullImage(newID())
		created.Derivatives = nil
		if err := s.Create(t.Context(), created); err != nil {
			t.Fatalf("Create: %v", err)
		}
		// What the resize function knows: no filename, fields or staging key.
		ready := readyImage(created.ID, 1)
		ready.Filename, ready.Fields, ready.StagingKey = "", nil, ""
		if err := s.MarkReady(t.Context(), ready); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		got, err := s.Get(t.Context(), created.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *created
		want.Status = StatusReady
		want.ContentType, want.Bytes, want.Width, want.Height = ready.ContentType, ready.Bytes, ready.Width, ready.Height
		want.OriginalKey, want.Derivatives, want.FailureReason = ready.OriginalKey, ready.Derivatives, ""
		want.UpdatedAt = got.UpdatedAt
		assertImage(t, got, &want)
		if got.UpdatedAt.Before(created.UpdatedAt) {
			t.Errorf("UpdatedAt went back from %v to %v", created.UpdatedAt, got.UpdatedAt)
		}
	})

	t.Run("mark ready creates a missing row", func(t *testing.T) {
		s := open(t)
		img := readyImage(newID(), 2)
		if err := s.MarkReady(t.Context(), img); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *img
		want.Status, want.CreatedAt, want.UpdatedAt = StatusReady, got.CreatedAt, got.UpdatedAt
		assertImage(t, got, &want)
		if got.CreatedAt.IsZero() || got.UpdatedAt.IsZero() {
			t.Errorf("times not set: %v %v", got.CreatedAt, got.UpdatedAt)
		}
		if time.Since(got.CreatedAt) > time.Minute || time.Since(got.CreatedAt) < 0 {
			t.Errorf("CreatedAt %v is not now", got.CreatedAt)
		}
	})

	t.Run("mark ready is idempotent", func(t *testing.T) {
		s := open(t)
		img := readyImage(newID(), 3)
		for i := range 3 {
			if err := s.MarkReady(t.Context(), img); err != nil {
				t.Fatalf("MarkReady #%d: %v", i+1, err)
			}
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *img
		want.Status, want.CreatedAt, want.UpdatedAt = StatusReady, got.CreatedAt, got.UpdatedAt
		assertImage(t, got, &want)
		assertCount(t, s, 1)
	})

	t.Run("mark failed on pending and on missing rows", func(t *testing.T) {
		s := open(t)
		pending := fullImage(newID())
		pending.Derivatives = nil
		if err := s.Create(t.Context(), pending); err != nil {
			t.Fatalf("Create: %v", err)
		}
		fail := &Image{ID: pending.ID, FailureReason: "decode: unexpected EOF", OriginalKey: "failed/" + pending.ID + ".jpg"}
		if err := s.MarkFailed(t.Context(), fail); err != nil {
			t.Fatalf("MarkFailed: %v", err)
		}
		got, err := s.Get(t.Context(), pending.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *pending
		want.Status, want.FailureReason, want.OriginalKey, want.UpdatedAt = StatusFailed, fail.FailureReason, fail.OriginalKey, got.UpdatedAt
		assertImage(t, got, &want)

		missing := &Image{ID: newID(), StagingKey: "staging/x.gif", FailureReason: "not an image", OriginalKey: "failed/x.gif"}
		if err := s.MarkFailed(t.Context(), missing); err != nil {
			t.Fatalf("MarkFailed on a missing row: %v", err)
		}
		got, err = s.Get(t.Context(), missing.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Status != StatusFailed || got.FailureReason != missing.FailureReason || got.OriginalKey != missing.OriginalKey || got.StagingKey != missing.StagingKey {
			t.Errorf("got %+v, want a failed row from %+v", got, missing)
		}
	})

	t.Run("failure reason is cut at a character boundary", func(t *testing.T) {
		s := open(t)
		img := &Image{ID: newID(), FailureReason: strings.Repeat("ö", MaxFailureReason)} // 2048 bytes
		if err := s.MarkFailed(t.Context(), img); err != nil {
			t.Fatalf("MarkFailed: %v", err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if len(got.FailureReason) != MaxFailureReason || !utf8.ValidString(got.FailureReason) || !strings.HasPrefix(img.FailureReason, got.FailureReason) {
			t.Errorf("stored reason is %d bytes (valid UTF-8: %v), want a %d-byte prefix",
				len(got.FailureReason), utf8.ValidString(got.FailureReason), MaxFailureReason)
		}
	})

	t.Run("ready wins over a late failure", func(t *testing.T) {
		s := open(t)
		img := readyImage(newID(), 4)
		if err := s.MarkReady(t.Context(), img); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		before, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		late := &Image{ID: img.ID, FailureReason: "staging object gone", OriginalKey: "failed/late.jpg",
			Filename: "late.jpg", Bytes: 1, Fields: map[string]string{"late": "yes"}}
		if err := s.MarkFailed(t.Context(), late); err != nil {
			t.Fatalf("MarkFailed over ready: %v", err)
		}
		after, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		assertImage(t, after, before)
	})

	t.Run("ready replaces failed", func(t *testing.T) {
		s := open(t)
		id := newID()
		if err := s.MarkFailed(t.Context(), &Image{ID: id, FailureReason: "timeout", OriginalKey: "failed/a.jpg"}); err != nil {
			t.Fatalf("MarkFailed: %v", err)
		}
		img := readyImage(id, 5)
		if err := s.MarkReady(t.Context(), img); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		got, err := s.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *img
		want.Status, want.CreatedAt, want.UpdatedAt = StatusReady, got.CreatedAt, got.UpdatedAt
		assertImage(t, got, &want)
	})

	t.Run("delete", func(t *testing.T) {
		s := open(t)
		keep, gone := fullImage(newID()), fullImage(newID())
		for _, img := range []*Image{keep, gone} {
			if err := s.Create(t.Context(), img); err != nil {
				t.Fatalf("Create: %v", err)
			}
		}
		if err := s.Delete(t.Context(), gone.ID); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Get(t.Context(), gone.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Get after Delete: got %v, want ErrNotFound", err)
		}
		if err := s.Delete(t.Context(), gone.ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("second Delete: got %v, want ErrNotFound", err)
		}
		if _, err := s.Get(t.Context(), keep.ID); err != nil {
			t.Errorf("Delete removed another row: %v", err)
		}
	})

	t.Run("list is newest first with bounded limits", func(t *testing.T) {
		s := open(t)
		page, next, err := s.List(t.Context(), 0, "")
		if err != nil || len(page) != 0 || next != "" {
			t.Fatalf("List on empty store: %d rows, next %q, err %v", len(page), next, err)
		}
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var ids []string // newest first
		for i := range DefaultListLimit + 5 {
			img := &Image{ID: newID(), CreatedAt: base.Add(time.Duration(i) * time.Minute)}
			if err := s.Create(t.Context(), img); err != nil {
				t.Fatalf("Create: %v", err)
			}
			ids = append([]string{img.ID}, ids...)
		}
		page, next, err = s.List(t.Context(), 0, "")
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		if len(page) != DefaultListLimit || next == "" {
			t.Fatalf("List(0): %d rows, next %q; want %d rows and a cursor", len(page), next, DefaultListLimit)
		}
		for i, img := range page {
			if img.ID != ids[i] {
				t.Fatalf("row %d is %s (created %v), want %s", i, img.ID, img.CreatedAt, ids[i])
			}
		}
		page, next, err = s.List(t.Context(), MaxListLimit, "")
		if err != nil || len(page) != len(ids) || next != "" {
			t.Errorf("List(%d): %d rows, next %q, err %v; want all %d and no cursor", MaxListLimit, len(page), next, err, len(ids))
		}
		for _, limit := range []int{-1, MaxListLimit + 1} {
			if _, _, err := s.List(t.Context(), limit, ""); !errors.Is(err, ErrBadLimit) {
				t.Errorf("List(%d): got %v, want ErrBadLimit", limit, err)
			}
		}
	})

	t.Run("pagination has no duplicates or gaps under concurrent inserts", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		base := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
		seeded := map[string]bool{}
		for i := range 57 {
			// Pairs share a timestamp so the id tie-break is exercised.
			img := &Image{ID: newID(), CreatedAt: base.Add(-time.Duration(i/2) * time.Second)}
			if err := s.Create(ctx, img); err != nil {
				t.Fatalf("Create: %v", err)
			}
			seeded[img.ID] = true
		}

		// The writer inserts rows both newer than everything (as uploads do)
		// and inside the seeded range (a late row from a skewed clock), until
		// the walk is over or it has written 400.
		var inserted atomic.Int64
		stop, writerDone := make(chan struct{}), make(chan error, 1)
		go func() {
			for n := range 400 {
				select {
				case <-stop:
					writerDone <- nil
					return
				default:
				}
				img := &Image{ID: newID()}
				if n%2 == 1 {
					img.CreatedAt = base.Add(-time.Duration(n%29) * time.Second)
				}
				if err := s.Create(ctx, img); err != nil {
					writerDone <- err
					return
				}
				inserted.Add(1)
			}
			writerDone <- nil
		}()

		seen := map[string]bool{}
		var prev *Image
		cursor, pages := "", 0
		for {
			pages++
			if pages > 200 {
				t.Fatal("more than 200 pages: the walk does not end")
			}
			// Make sure at least one insert lands between consecutive pages.
			for want, deadline := inserted.Load()+1, time.Now().Add(5*time.Second); inserted.Load() < want && inserted.Load() < 400; {
				if time.Now().After(deadline) {
					t.Fatal("writer made no progress in 5s")
				}
				time.Sleep(time.Millisecond)
			}
			page, next, err := s.List(ctx, 10, cursor)
			if err != nil {
				t.Fatalf("List page %d: %v", pages, err)
			}
			if len(page) > 10 || (next != "" && len(page) != 10) {
				t.Fatalf("page %d has %d rows with next %q", pages, len(page), next)
			}
			for i := range page {
				img := &page[i]
				if seen[img.ID] {
					t.Fatalf("page %d: %s seen twice", pages, img.ID)
				}
				seen[img.ID] = true
				if prev != nil && !sortsBefore(prev, img) {
					t.Fatalf("page %d: (%v, %s) does not sort after (%v, %s)", pages, img.CreatedAt, img.ID, prev.CreatedAt, prev.ID)
				}
				prev = img
			}
			if next == "" {
				break
			}
			cursor = next
		}
		close(stop)
		if err := <-writerDone; err != nil {
			t.Fatalf("concurrent Create: %v", err)
		}
		for id := range seeded {
			if !seen[id] {
				t.Errorf("seeded row %s was skipped", id)
			}
		}
		if pages < 6 {
			t.Errorf("walked %d pages, want at least 6 for 57 rows of 10", pages)
		}
		t.Logf("%d pages, %d rows seen, %d inserted concurrently", pages, len(seen), inserted.Load())
	})

	t.Run("malformed cursor is ErrBadCursor", func(t *testing.T) {
		s := open(t)
		for _, c := range malformedCursors() {
			if _, _, err := s.List(t.Context(), 10, c); !errors.Is(err, ErrBadCursor) {
				t.Errorf("List(cursor %q): got %v, want ErrBadCursor", c, err)
			}
		}
	})

	t.Run("concurrent mark ready leaves one consistent row", func(t *testing.T) {
		s := open(t)
		id := newID()
		const writers = 20
		concurrently(t, writers, func(i int) error { return s.MarkReady(t.Context(), readyImage(id, i)) })
		got, err := s.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		assertFromOneWriter(t, got, writers)
		assertCount(t, s, 1)
	})

	t.Run("concurrent ready and failed: ready wins", func(t *testing.T) {
		s := open(t)
		id := newID()
		const writers = 20
		concurrently(t, writers, func(i int) error {
			if i%2 == 0 {
				return s.MarkFailed(t.Context(), &Image{ID: id, FailureReason: fmt.Sprint("fail ", i), OriginalKey: fmt.Sprintf("failed/%d.jpg", i)})
			}
			return s.MarkReady(t.Context(), readyImage(id, i))
		})
		got, err := s.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		assertFromOneWriter(t, got, writers)
		assertCount(t, s, 1)
	})

	t.Run("reopening migrates idempotently", func(t *testing.T) {
		s1 := open(t)
		img := fullImage(newID())
		if err := s1.Create(t.Context(), img); err != nil {
			t.Fatalf("Create: %v", err)
		}
		// A second container starting while the first still runs.
		s2 := open(t)
		if _, err := s2.Get(t.Context(), img.ID); err != nil {
			t.Fatalf("Get through the reopened store: %v", err)
		}
		s3 := open(t)
		if err := s3.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
		for i, s := range []Store{s1, s2, s3} {
			v, err := s.(interface {
				SchemaVersion(context.Context) (int, error)
			}).SchemaVersion(t.Context())
			if err != nil {
				t.Fatalf("SchemaVersion #%d: %v", i+1, err)
			}
			if want := latestVersion(s); v != want || want < 1 {
				t.Errorf("store #%d: schema version %d, want %d", i+1, v, want)
			}
		}
	})
}

// latestVersion is the version the backend of s migrates to.
func latestVersion(s Store) int {
	switch s.(type) {
	case *SQLite:
		return latest(sqliteMigrations)
	case *MySQL:
		return latest(mysqlMigrations)
	}
	return -1
}

// newID returns a random (version 4) UUID string, as the upload function uses.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fullImage has every field set, with non-ASCII text where it is allowed.
func fullImage(id string) *Image {
	return &Image{
		ID:          id,
		Filename:    "Café – 東京 🌅 (1).jpg",
		ContentType: "image/jpeg",
		Bytes:       2_345_678,
		Width:       4032,
		Height:      3024,
		Fields: map[string]string{
			"caption": "Ünïcødé «quotes» 'single' \"double\" \\ 🎉",
			"album":   "",
			"tags":    "a,b\nc",
		},
		StagingKey:    "staging/" + id + ".jpg",
		OriginalKey:   "original/" + id + ".jpg",
		FailureReason: "",
		Derivatives: []Derivative{
			{Width: 1920, Height: 1440, Bytes: 400_000, Key: "derived/1920/" + id + ".jpg", ContentType: "image/jpeg"},
			{Width: 320, Height: 240, Bytes: 12_000, Key: "derived/320/" + id + ".jpg", ContentType: "image/jpeg"},
		},
	}
}

// readyImage is what writer n of a concurrent test sends: every column it
// sets carries n, so a row mixing two writers is detectable.
func readyImage(id string, n int) *Image {
	return &Image{
		ID:          id,
		Filename:    fmt.Sprintf("photo-%d.jpg", n),
		ContentType: "image/jpeg",
		Bytes:       int64(1000 + n),
		Width:       2000 + n,
		Height:      1000 + n,
		Fields:      map[string]string{"writer": fmt.Sprint(n)},
		StagingKey:  fmt.Sprintf("staging/%d.jpg", n),
		OriginalKey: fmt.Sprintf("original/%d.jpg", n),
		Derivatives: []Derivative{
			{Width: 1920, Height: 960, Bytes: int64(500 + n), Key: fmt.Sprintf("derived/1920/%d.jpg", n), ContentType: "image/jpeg"},
			{Width: 640, Height: 320, Bytes: int64(100 + n), Key: fmt.Sprintf("derived/640/%d.jpg", n), ContentType: "image/jpeg"},
			{Width: 320, Height: 160, Bytes: int64(50 + n), Key: fmt.Sprintf("derived/320/%d.jpg", n), ContentType: "image/jpeg"},
		},
	}
}

// assertFromOneWriter checks that got is ready and that all its columns came
// from the same readyImage.
func assertFromOneWriter(t *testing.T, got *Image, writers int) {
	t.Helper()
	n := got.Width - 2000
	if got.Status != StatusReady || n < 0 || n >= writers {
		t.Fatalf("got status %q, width %d; want a ready row from one of %d writers", got.Status, got.Width, writers)
	}
	want := *readyImage(got.ID, n)
	want.Status, want.CreatedAt, want.UpdatedAt = StatusReady, got.CreatedAt, got.UpdatedAt
	assertImage(t, got, &want)
}

func assertCount(t *testing.T, s Store, want int) {
	t.Helper()
	page, _, err := s.List(t.Context(), MaxListLimit, "")
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(page) != want {
		t.Errorf("store has %d rows, want %d", len(page), want)
	}
}

// sortsBefore reports whether a comes before b in List's order.
func sortsBefore(a, b *Image) bool {
	if !a.CreatedAt.Equal(b.CreatedAt) {
		return a.CreatedAt.After(b.CreatedAt)
	}
	return a.ID > b.ID
}

// assertImage compares every field, times with Equal.
func assertImage(t *testing.T, got, want *Image) {
	t.Helper()
	if !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, want.CreatedAt)
	}
	if !got.UpdatedAt.Equal(want.UpdatedAt) {
		t.Errorf("UpdatedAt = %v, want %v", got.UpdatedAt, want.UpdatedAt)
	}
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, w.CreatedAt, w.UpdatedAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("image mismatch:\n got %+v\nwant %+v", g, w)
	}
}

// concurrently runs fn(0) … fn(n-1) at once, as duplicate deliveries would, and reports every error.
func concurrently(t *testing.T, n int, fn func(i int) error) {
	t.Helper()
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = fn(i) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
}
