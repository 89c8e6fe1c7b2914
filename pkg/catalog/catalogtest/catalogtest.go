// Package catalogtest is the contract every catalog.Store backend must meet. A backend's test calls Run with a
// function that opens the backend on a database of its own; the suite is the same for SQLite, MySQL and DynamoDB,
// so the backends cannot drift apart in what they keep, overwrite or refuse.
package catalogtest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// Opener returns a Store on the database that belongs to the t it is given: an empty database on the first call for
// that t, the same database again on later calls (to test reopening). It closes the Store in t.Cleanup and fails t
// if it cannot open.
type Opener func(t *testing.T) catalog.Store

// Run runs the whole contract against the backend open returns.
func Run(t *testing.T, open Opener) {
	t.Run("create and get round trip", func(t *testing.T) {
		s := open(t)
		ctx := t.Context()
		img := fullImage(newID())
		img.Status = catalog.StatusReady // Create must ignore this and write pending.
		img.Origin = ""                  // and default this to an upload
		img.CreatedAt = time.Date(2024, 2, 29, 13, 14, 15, 123456789, time.FixedZone("CET", 3600))
		want := *img
		if err := s.Create(ctx, img); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if img.Status != catalog.StatusPending || img.Origin != catalog.OriginUpload {
			t.Errorf("Create set Status %q, Origin %q; want pending, upload", img.Status, img.Origin)
		}
		wantCreated := time.Date(2024, 2, 29, 12, 14, 15, 123456000, time.UTC)
		if !img.CreatedAt.Equal(wantCreated) || img.CreatedAt.Location() != time.UTC {
			t.Errorf("Create set CreatedAt %v, want %v in UTC", img.CreatedAt, wantCreated)
		}
		if img.UpdatedAt.IsZero() {
			t.Error("Create left UpdatedAt zero")
		}
		want.Status, want.Origin, want.CreatedAt, want.UpdatedAt = catalog.StatusPending, catalog.OriginUpload, wantCreated, img.UpdatedAt
		got, err := s.Get(ctx, img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		assertImage(t, got, &want)
	})

	t.Run("empty optional values round trip as nil", func(t *testing.T) {
		s := open(t)
		img := &catalog.Image{ID: newID(), Fields: map[string]string{}, Derivatives: []catalog.Derivative{}}
		if err := s.Create(t.Context(), img); err != nil {
			t.Fatalf("Create: %v", err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Fields != nil || got.Derivatives != nil || got.Filename != "" || got.Owner != "" || !got.ExpiresAt.IsZero() {
			t.Errorf("got %+v; want nil Fields and Derivatives, empty Filename and Owner, zero ExpiresAt", got)
		}
	})

	t.Run("create duplicate id is ErrExists", func(t *testing.T) {
		s := open(t)
		img := fullImage(newID())
		if err := s.Create(t.Context(), img); err != nil {
			t.Fatalf("Create: %v", err)
		}
		dup := &catalog.Image{ID: img.ID, Filename: "other.png"}
		if err := s.Create(t.Context(), dup); !errors.Is(err, catalog.ErrExists) {
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
		for _, id := range []string{newID(), "", "Ünïcødé", strings.Repeat("a", catalog.MaxIDBytes+1)} {
			if _, err := s.Get(t.Context(), id); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("Get(%q): got %v, want ErrNotFound", id, err)
			}
			if err := s.Delete(t.Context(), id); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("Delete(%q): got %v, want ErrNotFound", id, err)
			}
			if err := s.Expire(t.Context(), id, "gone"); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("Expire(%q): got %v, want ErrNotFound", id, err)
			}
		}
	})

	t.Run("schema limits", func(t *testing.T) {
		s := open(t)
		// 127 two-byte characters and one ASCII: exactly 255 bytes, the column's limit, which MySQL counts in
		// characters.
		longest := strings.Repeat("é", 127) + "a"
		img := &catalog.Image{ID: newID(), Filename: longest, Owner: longest, StagingKey: "staging/" + strings.Repeat("k", catalog.MaxKeyBytes-8)}
		if err := s.Create(t.Context(), img); err != nil {
			t.Fatalf("Create with a %d-byte filename and owner: %v", len(longest), err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Filename != longest || got.Owner != longest || got.StagingKey != img.StagingKey {
			t.Errorf("long values did not round trip")
		}
		bad := map[string]*catalog.Image{
			"nil":               nil,
			"empty id":          {},
			"id with space":     {ID: "a b"},
			"long filename":     {ID: newID(), Filename: longest + "b"},
			"long owner":        {ID: newID(), Owner: longest + "b"},
			"invalid utf-8":     {ID: newID(), Filename: "\xff.jpg"},
			"long key":          {ID: newID(), OriginalKey: strings.Repeat("k", catalog.MaxKeyBytes+1)},
			"negative bytes":    {ID: newID(), Bytes: -1},
			"unknown origin":    {ID: newID(), Origin: "fax"},
			"year out of range": {ID: newID(), CreatedAt: time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)},
			"too many outputs":  {ID: newID(), Derivatives: make([]catalog.Derivative, catalog.MaxDerivatives+1)},
		}
		for name, img := range bad {
			result := img
			if img != nil {
				r := *img
				r.Origin, r.StagingKey, r.SourceETag = cmp(img.Origin, catalog.OriginConsole), "staging/"+name, "etag"
				result = &r
			}
			for op, f := range map[string]func(context.Context, *catalog.Image) error{
				"Create": s.Create, "MarkReady": s.MarkReady, "MarkFailed": s.MarkFailed,
			} {
				arg := img
				if op != "Create" {
					arg = result
				}
				if err := f(t.Context(), arg); !errors.Is(err, catalog.ErrInvalid) {
					t.Errorf("%s(%s): got %v, want ErrInvalid", op, name, err)
				}
			}
		}
		// A result must say which object it is about.
		for name, r := range map[string]*catalog.Image{
			"no staging key": {ID: newID(), Origin: catalog.OriginConsole, SourceETag: "e"},
			"no etag":        {ID: newID(), Origin: catalog.OriginConsole, StagingKey: "staging/x.jpg"},
		} {
			if err := s.MarkReady(t.Context(), r); !errors.Is(err, catalog.ErrInvalid) {
				t.Errorf("MarkReady(%s): got %v, want ErrInvalid", name, err)
			}
		}
		assertCount(t, s, 1)
	})

	t.Run("mark ready merges into the pending row", func(t *testing.T) {
		s := open(t)
		created := fullImage(newID())
		created.Derivatives, created.OriginalKey = nil, ""
		created.ExpiresAt = time.Now().Add(15 * time.Minute)
		if err := s.Create(t.Context(), created); err != nil {
			t.Fatalf("Create: %v", err)
		}
		// What the resize function knows: the object it processed, not the filename, fields or owner; and its
		// owner claim, if it made one, does not count.
		ready := resultImage(created.ID, created.StagingKey, "etag-1", 1)
		ready.Origin, ready.Owner, ready.Filename, ready.Fields = catalog.OriginUpload, "intruder", "", nil
		if err := s.MarkReady(t.Context(), ready); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		got, err := s.Get(t.Context(), created.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *created
		want.Status, want.SourceETag = catalog.StatusReady, "etag-1"
		want.ContentType, want.Bytes, want.Width, want.Height = ready.ContentType, ready.Bytes, ready.Width, ready.Height
		want.OriginalKey, want.Derivatives, want.FailureReason = ready.OriginalKey, ready.Derivatives, ""
		want.ExpiresAt = catalog.NormTime(created.ExpiresAt)
		want.UpdatedAt = got.UpdatedAt
		assertImage(t, got, &want)
		if got.UpdatedAt.Before(created.UpdatedAt) {
			t.Errorf("UpdatedAt went back from %v to %v", created.UpdatedAt, got.UpdatedAt)
		}
	})

	t.Run("mark ready creates a missing console row", func(t *testing.T) {
		s := open(t)
		img := resultImage(newID(), "staging/holiday/a.jpg", "etag", 2)
		if err := s.MarkReady(t.Context(), img); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *img
		want.Status, want.CreatedAt, want.UpdatedAt = catalog.StatusReady, got.CreatedAt, got.UpdatedAt
		assertImage(t, got, &want)
		if time.Since(got.CreatedAt) > time.Minute || time.Since(got.CreatedAt) < 0 || got.UpdatedAt.IsZero() {
			t.Errorf("times %v, %v are not now", got.CreatedAt, got.UpdatedAt)
		}
	})

	t.Run("results for a gone upload are ErrNotFound and write nothing", func(t *testing.T) {
		s := open(t)
		for _, origin := range []catalog.Origin{catalog.OriginUpload, catalog.OriginDirect, ""} {
			r := resultImage(newID(), "staging/x.jpg", "etag", 3)
			r.Origin = origin
			if err := s.MarkReady(t.Context(), r); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("MarkReady, origin %q: got %v, want ErrNotFound", origin, err)
			}
			r.FailureReason = "corrupt"
			if err := s.MarkFailed(t.Context(), r); !errors.Is(err, catalog.ErrNotFound) {
				t.Errorf("MarkFailed, origin %q: got %v, want ErrNotFound", origin, err)
			}
		}
		assertCount(t, s, 0)
	})

	t.Run("only the row's own object completes it", func(t *testing.T) {
		s := open(t)
		pending := fullImage(newID())
		pending.Derivatives, pending.OriginalKey = nil, ""
		if err := s.Create(t.Context(), pending); err != nil {
			t.Fatalf("Create: %v", err)
		}
		before, _ := s.Get(t.Context(), pending.ID)
		stray := resultImage(pending.ID, "staging/"+pending.ID+".png", "etag-x", 4)
		stray.Origin = catalog.OriginUpload
		if err := s.MarkReady(t.Context(), stray); !errors.Is(err, catalog.ErrConflict) {
			t.Fatalf("MarkReady from another key: got %v, want ErrConflict", err)
		}
		stray.FailureReason = "not an image"
		if err := s.MarkFailed(t.Context(), stray); !errors.Is(err, catalog.ErrConflict) {
			t.Fatalf("MarkFailed from another key: got %v, want ErrConflict", err)
		}
		assertUnchanged(t, s, before)

		own := resultImage(pending.ID, pending.StagingKey, "etag-1", 5)
		own.Origin = catalog.OriginUpload
		if err := s.MarkReady(t.Context(), own); err != nil {
			t.Fatalf("MarkReady from its own object: %v", err)
		}
		ready, _ := s.Get(t.Context(), pending.ID)
		// The same key with another object once ready (someone put a new photo there) is not a redelivery.
		again := resultImage(pending.ID, pending.StagingKey, "etag-2", 6)
		again.Origin = catalog.OriginUpload
		if err := s.MarkReady(t.Context(), again); !errors.Is(err, catalog.ErrConflict) {
			t.Fatalf("MarkReady from a new object at the same key: got %v, want ErrConflict", err)
		}
		again.FailureReason = "corrupt"
		if err := s.MarkFailed(t.Context(), again); !errors.Is(err, catalog.ErrConflict) {
			t.Fatalf("MarkFailed from a new object at the same key: got %v, want ErrConflict", err)
		}
		assertUnchanged(t, s, ready)
		// A redelivery of the same object succeeds and writes the same result.
		if err := s.MarkReady(t.Context(), own); err != nil {
			t.Fatalf("redelivered MarkReady: %v", err)
		}
		got, _ := s.Get(t.Context(), pending.ID)
		if got.Width != own.Width || got.SourceETag != "etag-1" || got.Status != catalog.StatusReady {
			t.Errorf("after the redelivery: %+v", got)
		}
	})

	t.Run("a claim reserves the upload for one object", func(t *testing.T) {
		s := open(t)
		pending := &catalog.Image{ID: newID(), Owner: "alice", StagingKey: "staging/a.jpg"}
		if err := s.Create(t.Context(), pending); err != nil {
			t.Fatalf("Create: %v", err)
		}
		claim := func(key, etag string) error {
			return s.Claim(t.Context(), &catalog.Image{ID: pending.ID, Origin: catalog.OriginUpload, StagingKey: key, SourceETag: etag})
		}
		// In this order: the first claim decides which object the upload belongs to.
		for _, c := range []struct {
			name, key, etag string
			want            error
		}{
			{"first object claims", "staging/a.jpg", "e1", nil},
			{"same object again", "staging/a.jpg", "e1", nil},
			{"another object", "staging/a.jpg", "e2", catalog.ErrConflict},
			{"another key", "staging/a.png", "e1", catalog.ErrConflict},
			{"the first object still", "staging/a.jpg", "e1", nil},
		} {
			if err := claim(c.key, c.etag); !errors.Is(err, c.want) && (c.want != nil || err != nil) {
				t.Errorf("%s: got %v, want %v", c.name, err, c.want)
			}
		}
		got, _ := s.Get(t.Context(), pending.ID)
		if got.Status != catalog.StatusPending || got.SourceETag != "e1" || got.Owner != "alice" {
			t.Errorf("claimed row %+v", got)
		}
		other := resultImage(pending.ID, pending.StagingKey, "e2", 1)
		other.Origin = catalog.OriginUpload
		if err := s.MarkReady(t.Context(), other); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("MarkReady by another object than the claimant: got %v, want ErrConflict", err)
		}
		other.FailureReason = "x"
		if err := s.MarkFailed(t.Context(), other); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("MarkFailed by another object than the claimant: got %v, want ErrConflict", err)
		}
		if err := s.Expire(t.Context(), pending.ID, "x"); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("Expire of a claimed row: got %v, want ErrConflict", err)
		}
		own := resultImage(pending.ID, pending.StagingKey, "e1", 2)
		own.Origin = catalog.OriginUpload
		if err := s.MarkReady(t.Context(), own); err != nil {
			t.Fatalf("MarkReady by the claimant: %v", err)
		}
		if err := claim("staging/a.jpg", "e1"); err != nil {
			t.Errorf("a redelivery's claim on its own ready row: %v", err)
		}
		if err := claim("staging/a.jpg", "e3"); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("a new object's claim on a ready row: got %v, want ErrConflict", err)
		}
		if err := s.Claim(t.Context(), &catalog.Image{ID: newID(), StagingKey: "k", SourceETag: "e"}); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("claim on a missing row: got %v, want ErrNotFound", err)
		}
		if err := s.Claim(t.Context(), &catalog.Image{ID: pending.ID, StagingKey: pending.StagingKey}); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("claim without an ETag: got %v, want ErrInvalid", err)
		}
	})

	t.Run("a failed upload can be claimed by a new object", func(t *testing.T) {
		s := open(t)
		pending := &catalog.Image{ID: newID(), StagingKey: "staging/b.jpg"}
		if err := s.Create(t.Context(), pending); err != nil {
			t.Fatalf("Create: %v", err)
		}
		first := &catalog.Image{ID: pending.ID, Origin: catalog.OriginDirect, StagingKey: pending.StagingKey, SourceETag: "e1",
			FailureReason: "not an image", OriginalKey: "failed/b"}
		if err := s.Claim(t.Context(), first); err != nil {
			t.Fatalf("Claim: %v", err)
		}
		if err := s.MarkFailed(t.Context(), first); err != nil {
			t.Fatalf("MarkFailed: %v", err)
		}
		retry := resultImage(pending.ID, pending.StagingKey, "e2", 3)
		retry.Origin = catalog.OriginDirect
		if err := s.Claim(t.Context(), retry); err != nil {
			t.Fatalf("Claim of the failed row by the client's retry: %v", err)
		}
		if err := s.MarkReady(t.Context(), retry); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		if got, _ := s.Get(t.Context(), pending.ID); got.Status != catalog.StatusReady || got.SourceETag != "e2" {
			t.Errorf("row %+v", got)
		}
	})

	t.Run("concurrent claims: one object wins", func(t *testing.T) {
		s := open(t)
		pending := &catalog.Image{ID: newID(), StagingKey: "staging/c.jpg"}
		if err := s.Create(t.Context(), pending); err != nil {
			t.Fatalf("Create: %v", err)
		}
		var won sync.Map
		concurrently(t, 10, func(i int) error {
			etag := fmt.Sprint("etag-", i)
			err := s.Claim(t.Context(), &catalog.Image{ID: pending.ID, StagingKey: pending.StagingKey, SourceETag: etag})
			if err == nil {
				won.Store(etag, true)
				return nil
			}
			if errors.Is(err, catalog.ErrConflict) {
				return nil
			}
			return err
		})
		n := 0
		won.Range(func(any, any) bool { n++; return true })
		got, _ := s.Get(t.Context(), pending.ID)
		if _, ok := won.Load(got.SourceETag); n != 1 || !ok {
			t.Errorf("%d claims won, row claimed by %q", n, got.SourceETag)
		}
	})

	t.Run("mark ready is idempotent", func(t *testing.T) {
		s := open(t)
		img := resultImage(newID(), "staging/a.jpg", "etag", 3)
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
		want.Status, want.CreatedAt, want.UpdatedAt = catalog.StatusReady, got.CreatedAt, got.UpdatedAt
		assertImage(t, got, &want)
		assertCount(t, s, 1)
	})

	t.Run("mark failed on pending and on missing console rows", func(t *testing.T) {
		s := open(t)
		pending := fullImage(newID())
		pending.Derivatives, pending.OriginalKey = nil, ""
		if err := s.Create(t.Context(), pending); err != nil {
			t.Fatalf("Create: %v", err)
		}
		fail := &catalog.Image{ID: pending.ID, Origin: catalog.OriginUpload, StagingKey: pending.StagingKey, SourceETag: "e",
			FailureReason: "decode: unexpected EOF", OriginalKey: "failed/" + pending.ID + ".jpg"}
		if err := s.MarkFailed(t.Context(), fail); err != nil {
			t.Fatalf("MarkFailed: %v", err)
		}
		got, err := s.Get(t.Context(), pending.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *pending
		want.Status, want.FailureReason, want.OriginalKey, want.SourceETag = catalog.StatusFailed, fail.FailureReason, fail.OriginalKey, "e"
		want.UpdatedAt = got.UpdatedAt
		assertImage(t, got, &want)

		missing := &catalog.Image{ID: newID(), Origin: catalog.OriginConsole, StagingKey: "staging/x.gif", SourceETag: "e",
			FailureReason: "not an image", OriginalKey: "failed/x.gif"}
		if err := s.MarkFailed(t.Context(), missing); err != nil {
			t.Fatalf("MarkFailed on a missing row: %v", err)
		}
		got, err = s.Get(t.Context(), missing.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Status != catalog.StatusFailed || got.FailureReason != missing.FailureReason || got.OriginalKey != missing.OriginalKey ||
			got.StagingKey != missing.StagingKey || got.Origin != catalog.OriginConsole {
			t.Errorf("got %+v, want a failed row from %+v", got, missing)
		}
	})

	t.Run("failure reason is cut at a character boundary", func(t *testing.T) {
		s := open(t)
		img := &catalog.Image{ID: newID(), Origin: catalog.OriginConsole, StagingKey: "staging/a", SourceETag: "e",
			FailureReason: strings.Repeat("ö", catalog.MaxFailureReason)} // 2048 bytes
		if err := s.MarkFailed(t.Context(), img); err != nil {
			t.Fatalf("MarkFailed: %v", err)
		}
		got, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if len(got.FailureReason) != catalog.MaxFailureReason || !utf8.ValidString(got.FailureReason) || !strings.HasPrefix(img.FailureReason, got.FailureReason) {
			t.Errorf("stored reason is %d bytes (valid UTF-8: %v), want a %d-byte prefix",
				len(got.FailureReason), utf8.ValidString(got.FailureReason), catalog.MaxFailureReason)
		}
	})

	t.Run("ready wins over a late failure", func(t *testing.T) {
		s := open(t)
		img := resultImage(newID(), "staging/a.jpg", "etag", 4)
		if err := s.MarkReady(t.Context(), img); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		before, err := s.Get(t.Context(), img.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		late := &catalog.Image{ID: img.ID, Origin: catalog.OriginConsole, StagingKey: img.StagingKey, SourceETag: "etag",
			FailureReason: "staging object gone", OriginalKey: "failed/late.jpg", Filename: "late.jpg", Bytes: 1,
			Fields: map[string]string{"late": "yes"}}
		if err := s.MarkFailed(t.Context(), late); err != nil {
			t.Fatalf("MarkFailed over ready: %v", err)
		}
		assertUnchanged(t, s, before)
	})

	t.Run("ready replaces failed", func(t *testing.T) {
		s := open(t)
		id := newID()
		if err := s.MarkFailed(t.Context(), &catalog.Image{ID: id, Origin: catalog.OriginConsole, StagingKey: "staging/a.jpg",
			SourceETag: "etag-0", FailureReason: "timeout", OriginalKey: "failed/a.jpg"}); err != nil {
			t.Fatalf("MarkFailed: %v", err)
		}
		img := resultImage(id, "staging/a.jpg", "etag-1", 5)
		if err := s.MarkReady(t.Context(), img); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		got, err := s.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		want := *img
		want.Status, want.CreatedAt, want.UpdatedAt = catalog.StatusReady, got.CreatedAt, got.UpdatedAt
		assertImage(t, got, &want)
	})

	t.Run("expire turns only a pending row expired", func(t *testing.T) {
		s := open(t)
		pending := &catalog.Image{ID: newID(), Origin: catalog.OriginDirect, StagingKey: "staging/p.jpg", Owner: "alice",
			ExpiresAt: time.Now().Add(-time.Minute)}
		if err := s.Create(t.Context(), pending); err != nil {
			t.Fatalf("Create: %v", err)
		}
		if err := s.Expire(t.Context(), pending.ID, "the upload URL expired before a photo arrived"); err != nil {
			t.Fatalf("Expire: %v", err)
		}
		got, err := s.Get(t.Context(), pending.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Status != catalog.StatusExpired || got.FailureReason == "" || got.Owner != "alice" || !got.UpdatedAt.After(pending.UpdatedAt.Add(-time.Microsecond)) {
			t.Errorf("expired row %+v", got)
		}
		if err := s.Expire(t.Context(), pending.ID, "again"); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("second Expire: got %v, want ErrConflict", err)
		}
		// A photo arriving after expiry cannot complete the row.
		late := resultImage(pending.ID, pending.StagingKey, "etag", 1)
		late.Origin = catalog.OriginDirect
		if err := s.MarkReady(t.Context(), late); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("MarkReady on an expired row: got %v, want ErrConflict", err)
		}
		ready := resultImage(newID(), "staging/r.jpg", "etag", 2)
		if err := s.MarkReady(t.Context(), ready); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		if err := s.Expire(t.Context(), ready.ID, "x"); !errors.Is(err, catalog.ErrConflict) {
			t.Errorf("Expire of a ready row: got %v, want ErrConflict", err)
		}
		if got, _ := s.Get(t.Context(), ready.ID); got.Status != catalog.StatusReady {
			t.Errorf("Expire changed a ready row to %s", got.Status)
		}
	})

	t.Run("delete", func(t *testing.T) {
		s := open(t)
		keep, gone := fullImage(newID()), fullImage(newID())
		for _, img := range []*catalog.Image{keep, gone} {
			if err := s.Create(t.Context(), img); err != nil {
				t.Fatalf("Create: %v", err)
			}
		}
		if err := s.Delete(t.Context(), gone.ID); err != nil {
			t.Fatalf("Delete: %v", err)
		}
		if _, err := s.Get(t.Context(), gone.ID); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("Get after Delete: got %v, want ErrNotFound", err)
		}
		if err := s.Delete(t.Context(), gone.ID); !errors.Is(err, catalog.ErrNotFound) {
			t.Errorf("second Delete: got %v, want ErrNotFound", err)
		}
		if _, err := s.Get(t.Context(), keep.ID); err != nil {
			t.Errorf("Delete removed another row: %v", err)
		}
	})

	t.Run("list is newest first with bounded limits", func(t *testing.T) {
		s := open(t)
		page, next, err := s.List(t.Context(), catalog.Query{All: true})
		if err != nil || len(page) != 0 || next != "" {
			t.Fatalf("List on empty store: %d rows, next %q, err %v", len(page), next, err)
		}
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		var ids []string // newest first
		for i := range catalog.DefaultListLimit + 5 {
			img := &catalog.Image{ID: newID(), Owner: "alice", CreatedAt: base.Add(time.Duration(i) * time.Minute)}
			if err := s.Create(t.Context(), img); err != nil {
				t.Fatalf("Create: %v", err)
			}
			ids = append([]string{img.ID}, ids...)
		}
		for _, q := range []catalog.Query{{All: true}, {Owner: "alice"}} {
			page, next, err = s.List(t.Context(), q)
			if err != nil {
				t.Fatalf("List(%+v): %v", q, err)
			}
			if len(page) != catalog.DefaultListLimit || next == "" {
				t.Fatalf("List(%+v): %d rows, next %q; want %d rows and a cursor", q, len(page), next, catalog.DefaultListLimit)
			}
			for i, img := range page {
				if img.ID != ids[i] {
					t.Fatalf("List(%+v): row %d is %s (created %v), want %s", q, i, img.ID, img.CreatedAt, ids[i])
				}
			}
			q.Limit = catalog.MaxListLimit
			page, next, err = s.List(t.Context(), q)
			if err != nil || len(page) != len(ids) || next != "" {
				t.Errorf("List(%+v): %d rows, next %q, err %v; want all %d and no cursor", q, len(page), next, err, len(ids))
			}
		}
		for _, limit := range []int{-1, catalog.MaxListLimit + 1} {
			if _, _, err := s.List(t.Context(), catalog.Query{All: true, Limit: limit}); !errors.Is(err, catalog.ErrBadLimit) {
				t.Errorf("List(limit %d): got %v, want ErrBadLimit", limit, err)
			}
		}
		if _, _, err := s.List(t.Context(), catalog.Query{}); !errors.Is(err, catalog.ErrInvalid) {
			t.Errorf("List with neither owner nor All: got %v, want ErrInvalid", err)
		}
	})

	t.Run("owners list only their own images", func(t *testing.T) {
		s := open(t)
		owners := map[string][]string{"alice": nil, "bob": nil, "": nil}
		base := time.Now().Add(-time.Hour)
		for i := range 30 {
			owner := []string{"alice", "bob", ""}[i%3]
			img := &catalog.Image{ID: newID(), Owner: owner, CreatedAt: base.Add(time.Duration(i) * time.Second)}
			if i%3 == 2 { // a console photo: created by the resize function, owned by nobody
				img.Origin, img.StagingKey, img.SourceETag = catalog.OriginConsole, "staging/c/"+img.ID, "e"
				if err := s.MarkReady(t.Context(), img); err != nil {
					t.Fatalf("MarkReady: %v", err)
				}
			} else if err := s.Create(t.Context(), img); err != nil {
				t.Fatalf("Create: %v", err)
			}
			owners[owner] = append(owners[owner], img.ID)
		}
		for owner, ids := range owners {
			if owner == "" {
				continue
			}
			got := walk(t, s, catalog.Query{Owner: owner, Limit: 3})
			if len(got) != len(ids) {
				t.Errorf("%s sees %d images, want %d", owner, len(got), len(ids))
			}
			for _, img := range got {
				if img.Owner != owner {
					t.Errorf("%s's listing shows %s, owned by %q", owner, img.ID, img.Owner)
				}
			}
		}
		if got := walk(t, s, catalog.Query{All: true, Limit: 7}); len(got) != 30 {
			t.Errorf("All lists %d images, want 30 (unowned ones included)", len(got))
		}
		if got := walk(t, s, catalog.Query{Owner: "carol"}); len(got) != 0 {
			t.Errorf("an owner with no images sees %d", len(got))
		}
	})

	t.Run("pagination has no duplicates or gaps under concurrent inserts", func(t *testing.T) {
		for _, q := range []catalog.Query{{All: true, Limit: 10}, {Owner: "alice", Limit: 10}} {
			paginateUnderInserts(t, open(t), q)
		}
	})

	t.Run("malformed cursor is ErrBadCursor", func(t *testing.T) {
		s := open(t)
		for _, c := range MalformedCursors() {
			if _, _, err := s.List(t.Context(), catalog.Query{All: true, Limit: 10, Cursor: c}); !errors.Is(err, catalog.ErrBadCursor) {
				t.Errorf("List(cursor %q): got %v, want ErrBadCursor", c, err)
			}
			if _, _, err := s.ListPending(t.Context(), time.Now(), 10, c); !errors.Is(err, catalog.ErrBadCursor) {
				t.Errorf("ListPending(cursor %q): got %v, want ErrBadCursor", c, err)
			}
		}
	})

	t.Run("list pending: old pending rows, oldest first", func(t *testing.T) {
		s := open(t)
		now := time.Now().UTC()
		var old []catalog.Image
		for i := range 25 {
			img := &catalog.Image{ID: newID(), Owner: "alice", StagingKey: fmt.Sprintf("staging/%d.jpg", i),
				CreatedAt: now.Add(-time.Hour + time.Duration(i/2)*time.Second)}
			if err := s.Create(t.Context(), img); err != nil {
				t.Fatalf("Create: %v", err)
			}
			old = append(old, *img)
		}
		// Oldest first; pairs share a time, and the id breaks the tie.
		slices.SortFunc(old, func(a, b catalog.Image) int { return cmpKey(&a, &b) })
		var want []string
		for _, img := range old {
			want = append(want, img.ID)
		}
		// Not pending any more, or too new: never listed.
		done := &catalog.Image{ID: newID(), StagingKey: "staging/done.jpg", CreatedAt: now.Add(-2 * time.Hour)}
		expired := &catalog.Image{ID: newID(), StagingKey: "staging/exp.jpg", CreatedAt: now.Add(-2 * time.Hour)}
		fresh := &catalog.Image{ID: newID(), StagingKey: "staging/fresh.jpg"}
		for _, img := range []*catalog.Image{done, expired, fresh} {
			if err := s.Create(t.Context(), img); err != nil {
				t.Fatalf("Create: %v", err)
			}
		}
		r := resultImage(done.ID, done.StagingKey, "e", 1)
		r.Origin = catalog.OriginUpload
		if err := s.MarkReady(t.Context(), r); err != nil {
			t.Fatalf("MarkReady: %v", err)
		}
		if err := s.Expire(t.Context(), expired.ID, "x"); err != nil {
			t.Fatalf("Expire: %v", err)
		}
		var got []string
		cursor := ""
		for pages := 0; ; pages++ {
			if pages > 10 {
				t.Fatal("ListPending does not end")
			}
			page, next, err := s.ListPending(t.Context(), now.Add(-time.Minute), 10, cursor)
			if err != nil {
				t.Fatalf("ListPending: %v", err)
			}
			for _, img := range page {
				if img.Status != catalog.StatusPending {
					t.Errorf("ListPending returned a %s row", img.Status)
				}
				got = append(got, img.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("ListPending walked\n %v\nwant (oldest first)\n %v", got, want)
		}
		if _, _, err := s.ListPending(t.Context(), now, catalog.MaxListLimit+1, ""); !errors.Is(err, catalog.ErrBadLimit) {
			t.Errorf("ListPending over the limit: got %v, want ErrBadLimit", err)
		}
	})

	t.Run("concurrent mark ready leaves one consistent row", func(t *testing.T) {
		s := open(t)
		id := newID()
		const writers = 20
		concurrently(t, writers, func(i int) error { return s.MarkReady(t.Context(), resultImage(id, "staging/a.jpg", "etag", i)) })
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
				return s.MarkFailed(t.Context(), &catalog.Image{ID: id, Origin: catalog.OriginConsole, StagingKey: "staging/a.jpg",
					SourceETag: "etag", FailureReason: fmt.Sprint("fail ", i), OriginalKey: fmt.Sprintf("failed/%d.jpg", i)})
			}
			return s.MarkReady(t.Context(), resultImage(id, "staging/a.jpg", "etag", i))
		})
		got, err := s.Get(t.Context(), id)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		assertFromOneWriter(t, got, writers)
		assertCount(t, s, 1)
	})

	t.Run("concurrent results for one upload from two objects: the first one wins", func(t *testing.T) {
		s := open(t)
		pending := &catalog.Image{ID: newID(), Owner: "alice", StagingKey: "staging/a.jpg"}
		if err := s.Create(t.Context(), pending); err != nil {
			t.Fatalf("Create: %v", err)
		}
		var conflicts atomic.Int32
		concurrently(t, 10, func(i int) error {
			r := resultImage(pending.ID, pending.StagingKey, fmt.Sprint("etag-", i%2), i)
			r.Origin = catalog.OriginUpload
			err := s.MarkReady(t.Context(), r)
			if errors.Is(err, catalog.ErrConflict) {
				conflicts.Add(1)
				return nil
			}
			return err
		})
		got, err := s.Get(t.Context(), pending.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		// Every writer of the other ETag lost; none of the winner's did.
		if got.Status != catalog.StatusReady || conflicts.Load() != 5 || fmt.Sprint("etag-", (got.Width-2000)%2) != got.SourceETag {
			t.Errorf("row %+v after %d conflicts; want ready from one ETag, 5 conflicts", got, conflicts.Load())
		}
	})

	t.Run("reopening sees the same rows", func(t *testing.T) {
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
		if err := s2.Ping(t.Context()); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
}

// paginateUnderInserts walks q's listing while a writer inserts rows both newer than everything (as uploads do) and
// inside the walked range (a late row from a skewed clock), and checks that no row is seen twice, none that existed
// at the start is skipped, and the order holds.
func paginateUnderInserts(t *testing.T, s catalog.Store, q catalog.Query) {
	t.Helper()
	ctx := t.Context()
	owner := q.Owner
	base := time.Now().UTC().Add(-time.Hour).Truncate(time.Microsecond)
	seeded := map[string]bool{}
	for i := range 57 {
		// Pairs share a timestamp so the id tie-break is exercised.
		img := &catalog.Image{ID: newID(), Owner: owner, CreatedAt: base.Add(-time.Duration(i/2) * time.Second)}
		if err := s.Create(ctx, img); err != nil {
			t.Fatalf("Create: %v", err)
		}
		seeded[img.ID] = true
	}
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
			img := &catalog.Image{ID: newID(), Owner: owner}
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
	var prev *catalog.Image
	pages := 0
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
		page, next, err := s.List(ctx, q)
		if err != nil {
			t.Fatalf("List page %d: %v", pages, err)
		}
		if len(page) > q.Limit || (next != "" && len(page) != q.Limit) {
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
		q.Cursor = next
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
	t.Logf("%+v: %d pages, %d rows seen, %d inserted concurrently", q, pages, len(seen), inserted.Load())
}

// walk lists every page of q.
func walk(t *testing.T, s catalog.Store, q catalog.Query) []catalog.Image {
	t.Helper()
	var all []catalog.Image
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("List does not end")
		}
		page, next, err := s.List(t.Context(), q)
		if err != nil {
			t.Fatalf("List(%+v): %v", q, err)
		}
		all = append(all, page...)
		if next == "" {
			return all
		}
		q.Cursor = next
	}
}

// MalformedCursors are cursors no listing ever issues; each must be ErrBadCursor.
func MalformedCursors() []string {
	enc := base64.RawURLEncoding.EncodeToString
	return []string{
		"!!!",                                     // not base64
		"AAAA=",                                   // padded
		enc([]byte("1700000000000000")),           // no separator
		enc([]byte("1700000000000000~")),          // empty id
		enc([]byte("yesterday~abc")),              // time not a number
		enc([]byte("-5~abc")),                     // before 1970
		enc([]byte("1700000000000000~has space")), // id not printable ASCII
		enc([]byte("1700000000000000~Ünïcødé")),   // id not ASCII
		enc([]byte("999999999999999999~abc")),     // after 9999
		enc([]byte("1700000000000000~" + strings.Repeat("a", catalog.MaxIDBytes+1))), // id too long
	}
}

func cmp[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// newID returns a random (version 4) UUID string.
func newID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// fullImage is a pending upload with every field set, with non-ASCII text where it is allowed.
func fullImage(id string) *catalog.Image {
	return &catalog.Image{
		ID:          id,
		Owner:       "us-east-1:5f2c…-äöü",
		Origin:      catalog.OriginUpload,
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
		StagingKey:  "staging/" + id + ".jpg",
		OriginalKey: "original/" + id + ".jpg",
		Derivatives: []catalog.Derivative{
			{Width: 1920, Height: 1440, Bytes: 400_000, Key: "derived/1920/" + id + ".jpg", ContentType: "image/jpeg"},
			{Width: 320, Height: 240, Bytes: 12_000, Key: "derived/320/" + id + ".jpg", ContentType: "image/jpeg"},
		},
	}
}

// resultImage is what writer n of a test sends as the result for the object at key with etag, as a console photo:
// every other column it sets carries n, so a row mixing two writers is detectable.
func resultImage(id, key, etag string, n int) *catalog.Image {
	return &catalog.Image{
		ID:          id,
		Origin:      catalog.OriginConsole,
		StagingKey:  key,
		SourceETag:  etag,
		Filename:    fmt.Sprintf("photo-%d.jpg", n),
		ContentType: "image/jpeg",
		Bytes:       int64(1000 + n),
		Width:       2000 + n,
		Height:      1000 + n,
		Fields:      map[string]string{"writer": fmt.Sprint(n)},
		OriginalKey: fmt.Sprintf("original/%d.jpg", n),
		Derivatives: []catalog.Derivative{
			{Width: 1920, Height: 960, Bytes: int64(500 + n), Key: fmt.Sprintf("derived/1920/%d.jpg", n), ContentType: "image/jpeg"},
			{Width: 640, Height: 320, Bytes: int64(100 + n), Key: fmt.Sprintf("derived/640/%d.jpg", n), ContentType: "image/jpeg"},
			{Width: 320, Height: 160, Bytes: int64(50 + n), Key: fmt.Sprintf("derived/320/%d.jpg", n), ContentType: "image/jpeg"},
		},
	}
}

// assertFromOneWriter checks that got is ready and that all its columns came from the same resultImage.
func assertFromOneWriter(t *testing.T, got *catalog.Image, writers int) {
	t.Helper()
	n := got.Width - 2000
	if got.Status != catalog.StatusReady || n < 0 || n >= writers {
		t.Fatalf("got status %q, width %d; want a ready row from one of %d writers", got.Status, got.Width, writers)
	}
	want := *resultImage(got.ID, got.StagingKey, got.SourceETag, n)
	want.Status, want.CreatedAt, want.UpdatedAt = catalog.StatusReady, got.CreatedAt, got.UpdatedAt
	assertImage(t, got, &want)
}

func assertCount(t *testing.T, s catalog.Store, want int) {
	t.Helper()
	page, _, err := s.List(t.Context(), catalog.Query{All: true, Limit: catalog.MaxListLimit})
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(page) != want {
		t.Errorf("store has %d rows, want %d", len(page), want)
	}
}

// assertUnchanged checks that the stored row is still exactly before.
func assertUnchanged(t *testing.T, s catalog.Store, before *catalog.Image) {
	t.Helper()
	after, err := s.Get(t.Context(), before.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	assertImage(t, after, before)
}

// sortsBefore reports whether a comes before b in List's order, newest first.
func sortsBefore(a, b *catalog.Image) bool { return cmpKey(a, b) > 0 }

// cmpKey compares the listing keys (CreatedAt, ID) of a and b.
func cmpKey(a, b *catalog.Image) int {
	if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
		return c
	}
	return strings.Compare(a.ID, b.ID)
}

// assertImage compares every field, times with Equal.
func assertImage(t *testing.T, got, want *catalog.Image) {
	t.Helper()
	for _, tm := range []struct {
		name      string
		got, want time.Time
	}{{"CreatedAt", got.CreatedAt, want.CreatedAt}, {"UpdatedAt", got.UpdatedAt, want.UpdatedAt}, {"ExpiresAt", got.ExpiresAt, want.ExpiresAt}} {
		if !tm.got.Equal(tm.want) {
			t.Errorf("%s = %v, want %v", tm.name, tm.got, tm.want)
		}
	}
	g, w := *got, *want
	g.CreatedAt, g.UpdatedAt, g.ExpiresAt, w.CreatedAt, w.UpdatedAt, w.ExpiresAt = time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}
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
