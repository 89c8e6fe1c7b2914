package dynamostore

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// The condition expressions are catalog.Settle restated for DynamoDB. This holds them to it: for every kind of
// stored row (none, and each status) and every kind of result (own or another staging key, same or another ETag,
// upload or console, ready or failed), the outcome through the server must be what Settle decides: the same
// error, or the same row written, or nothing written. The rows are put in place with Import, which writes them as
// they are. It runs directly against the server and through the ALL_OLD proxy, the two ways a failed condition is
// explained.
func TestConditionsAgreeWithSettle(t *testing.T) {
	ep := testEndpoint(t)
	_, proxied := newAllOldProxy(t, ep)
	for name, url := range map[string]string{"read back": ep, "ALL_OLD": proxied} {
		t.Run(name, func(t *testing.T) { checkAgainstSettle(t, New(testClient(t, url), newTable(t, testClient(t, ep)))) })
	}
}

func checkAgainstSettle(t *testing.T, s *Store) {
	ctx := t.Context()
	created := time.Date(2025, 5, 1, 8, 0, 0, 0, time.UTC)
	stored := map[string]*catalog.Image{"none": nil}
	for _, st := range []catalog.Status{catalog.StatusPending, catalog.StatusReady, catalog.StatusFailed, catalog.StatusExpired} {
		row := &catalog.Image{Status: st, Owner: "alice", Origin: catalog.OriginUpload, Filename: "stored.jpg", StagingKey: "staging/own.jpg",
			Fields: map[string]string{"stored": "yes"}, Width: 1, ExpiresAt: created.Add(time.Hour), CreatedAt: created, UpdatedAt: created}
		switch st {
		case catalog.StatusReady:
			row.SourceETag, row.OriginalKey = "e1", "original/stored.jpg"
			row.Derivatives = []catalog.Derivative{{Width: 1, Key: "derived/stored.jpg"}}
		case catalog.StatusFailed, catalog.StatusExpired:
			row.SourceETag, row.FailureReason = "e1", "stored reason"
		}
		stored[string(st)] = row
		if st == catalog.StatusPending {
			claimed := *row
			claimed.SourceETag = "e1"
			stored["claimed pending"] = &claimed
		}
	}
	n := 0
	for storedName, before := range stored {
		for _, stagingKey := range []string{"staging/own.jpg", "staging/other.jpg"} {
			for _, etag := range []string{"e1", "e2"} {
				for _, origin := range []catalog.Origin{catalog.OriginUpload, catalog.OriginConsole} {
					for _, status := range []catalog.Status{catalog.StatusReady, catalog.StatusFailed} {
						n++
						id := fmt.Sprintf("case-%03d", n)
						in := &catalog.Image{ID: id, Origin: origin, StagingKey: stagingKey, SourceETag: etag, Width: 100 + n,
							OriginalKey: "original/new.jpg", Derivatives: []catalog.Derivative{{Width: 100, Key: "derived/new.jpg"}}}
						if status == catalog.StatusFailed {
							in.FailureReason, in.Derivatives, in.OriginalKey = "new reason", nil, "failed/new.jpg"
						}
						desc := fmt.Sprintf("%s over %s row, key %s, etag %s, %s", status, storedName, stagingKey, etag, origin)
						var prev *catalog.Image
						if before != nil {
							row := *before
							row.ID = id
							if _, err := s.Import(ctx, &row); err != nil {
								t.Fatalf("%s: Import: %v", desc, err)
							}
							prev = &row
						}
						want, wantErr := catalog.Settle(prev, in, status, catalog.Now())
						var err error
						if status == catalog.StatusReady {
							err = s.MarkReady(ctx, in)
						} else {
							err = s.MarkFailed(ctx, in)
						}
						switch {
						case wantErr != nil:
							if errors.Is(err, catalog.ErrNotFound) != errors.Is(wantErr, catalog.ErrNotFound) ||
								errors.Is(err, catalog.ErrConflict) != errors.Is(wantErr, catalog.ErrConflict) {
								t.Errorf("%s: got %v, want %v", desc, err, wantErr)
							}
						case err != nil:
							t.Errorf("%s: got %v, want success", desc, err)
						}
						got, getErr := s.Get(ctx, id)
						if errors.Is(getErr, catalog.ErrNotFound) {
							got = nil
						} else if getErr != nil {
							t.Fatalf("%s: Get: %v", desc, getErr)
						}
						if want == nil { // nothing to write: the row must be as it was
							want = prev
						}
						if !sameRow(got, want) {
							t.Errorf("%s:\n got %+v\nwant %+v", desc, got, want)
						}
					}
				}
			}
		}
	}
	t.Logf("%d cases", n)
	// Claims, the same way against catalog.ClaimRow.
	for storedName, before := range stored {
		for _, stagingKey := range []string{"staging/own.jpg", "staging/other.jpg"} {
			for _, etag := range []string{"e1", "e2"} {
				n++
				id := fmt.Sprintf("claim-%03d", n)
				in := &catalog.Image{ID: id, Origin: catalog.OriginUpload, StagingKey: stagingKey, SourceETag: etag}
				desc := fmt.Sprintf("claim of %s row, key %s, etag %s", storedName, stagingKey, etag)
				var prev *catalog.Image
				if before != nil {
					row := *before
					row.ID = id
					if _, err := s.Import(ctx, &row); err != nil {
						t.Fatalf("%s: Import: %v", desc, err)
					}
					prev = &row
				}
				want, wantErr := catalog.ClaimRow(prev, in, catalog.Now())
				err := s.Claim(ctx, in)
				if errors.Is(err, catalog.ErrNotFound) != errors.Is(wantErr, catalog.ErrNotFound) ||
					errors.Is(err, catalog.ErrConflict) != errors.Is(wantErr, catalog.ErrConflict) || (err == nil) != (wantErr == nil) {
					t.Errorf("%s: got %v, want %v", desc, err, wantErr)
				}
				got, getErr := s.Get(ctx, id)
				if errors.Is(getErr, catalog.ErrNotFound) {
					got = nil
				} else if getErr != nil {
					t.Fatalf("%s: Get: %v", desc, getErr)
				}
				if want == nil {
					want = prev
				}
				if !sameRow(got, want) {
					t.Errorf("%s:\n got %+v\nwant %+v", desc, got, want)
				}
			}
		}
	}
}

// sameRow compares rows, times included, except the UpdatedAt of a written row (set by the store's clock) and
// the CreatedAt of a row created now.
func sameRow(got, want *catalog.Image) bool {
	if got == nil || want == nil {
		return got == want
	}
	g, w := *got, *want
	if !g.UpdatedAt.Equal(w.UpdatedAt) && time.Since(g.UpdatedAt) < time.Minute && time.Since(w.UpdatedAt) < time.Minute {
		g.UpdatedAt = w.UpdatedAt
	}
	if !g.CreatedAt.Equal(w.CreatedAt) && time.Since(g.CreatedAt) < time.Minute && time.Since(w.CreatedAt) < time.Minute {
		g.CreatedAt = w.CreatedAt
	}
	return reflect.DeepEqual(g, w)
}
