package catalog

import (
	"errors"
	"testing"
	"time"
)

// TestSettle covers the rule MarkReady and MarkFailed share, case by case; the contract suite then holds every
// backend, including the one that states the rule as DynamoDB conditions, to the same outcomes.
func TestSettle(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	created := now.Add(-time.Hour)
	row := func(status Status, etag string) *Image {
		return &Image{ID: "id", Status: status, Owner: "alice", Origin: OriginUpload, Filename: "a.jpg", StagingKey: "staging/id.jpg",
			SourceETag: etag, Fields: map[string]string{"caption": "hi"}, CreatedAt: created, UpdatedAt: created}
	}
	result := func(origin Origin, key, etag string) *Image {
		return &Image{ID: "id", Origin: origin, StagingKey: key, SourceETag: etag, Width: 640, Height: 480,
			Owner: "mallory", FailureReason: "why"}
	}
	cases := map[string]struct {
		stored *Image
		in     *Image
		status Status
		want   error
		write  bool
	}{
		"ready over pending":               {row(StatusPending, ""), result(OriginUpload, "staging/id.jpg", "e1"), StatusReady, nil, true},
		"ready over failed":                {row(StatusFailed, "e1"), result(OriginUpload, "staging/id.jpg", "e2"), StatusReady, nil, true},
		"redelivery over ready":            {row(StatusReady, "e1"), result(OriginUpload, "staging/id.jpg", "e1"), StatusReady, nil, true},
		"another object over ready":        {row(StatusReady, "e1"), result(OriginUpload, "staging/id.jpg", "e2"), StatusReady, ErrConflict, false},
		"another key":                      {row(StatusPending, ""), result(OriginUpload, "staging/id.png", "e1"), StatusReady, ErrConflict, false},
		"expired":                          {row(StatusExpired, ""), result(OriginUpload, "staging/id.jpg", "e1"), StatusReady, ErrConflict, false},
		"upload row gone":                  {nil, result(OriginUpload, "staging/id.jpg", "e1"), StatusReady, ErrNotFound, false},
		"direct row gone":                  {nil, result(OriginDirect, "staging/id.jpg", "e1"), StatusFailed, ErrNotFound, false},
		"console row created":              {nil, result(OriginConsole, "staging/x/a.jpg", "e1"), StatusReady, nil, true},
		"failure over pending":             {row(StatusPending, ""), result(OriginUpload, "staging/id.jpg", "e1"), StatusFailed, nil, true},
		"late failure over ready":          {row(StatusReady, "e1"), result(OriginUpload, "staging/id.jpg", "e1"), StatusFailed, nil, false},
		"failure from another key":         {row(StatusPending, ""), result(OriginUpload, "staging/id.gif", "e1"), StatusFailed, ErrConflict, false},
		"failure of another object, ready": {row(StatusReady, "e1"), result(OriginUpload, "staging/id.jpg", "e2"), StatusFailed, ErrConflict, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := Settle(c.stored, c.in, c.status, now)
			if !errors.Is(err, c.want) || (got != nil) != c.write {
				t.Fatalf("got %+v, %v; want write %v, error %v", got, err, c.write, c.want)
			}
			if got == nil {
				return
			}
			if got.Status != c.status || !got.UpdatedAt.Equal(now) || got.Width != 640 || got.SourceETag != c.in.SourceETag {
				t.Errorf("row %+v", got)
			}
			if (c.status == StatusReady) != (got.FailureReason == "") {
				t.Errorf("failure reason %q with status %s", got.FailureReason, c.status)
			}
			if c.stored != nil {
				// What the creation recorded stays: the owner, the origin, the fields, the filename, the time.
				if got.Owner != "alice" || got.Origin != OriginUpload || got.Fields["caption"] != "hi" || got.Filename != "a.jpg" ||
					!got.CreatedAt.Equal(created) {
					t.Errorf("merged row lost what was stored: %+v", got)
				}
			} else if got.Owner != "mallory" || !got.CreatedAt.Equal(now) {
				t.Errorf("created row %+v", got)
			}
		})
	}
}

func TestCheckResult(t *testing.T) {
	for name, img := range map[string]*Image{
		"no staging key": {ID: "a", SourceETag: "e"},
		"no etag":        {ID: "a", StagingKey: "staging/a.jpg"},
		"bad origin":     {ID: "a", StagingKey: "k", SourceETag: "e", Origin: "fax"},
		"long owner":     {ID: "a", StagingKey: "k", SourceETag: "e", Owner: string(make([]byte, MaxOwnerBytes+1))},
	} {
		if err := CheckResult(img); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: got %v, want ErrInvalid", name, err)
		}
	}
	if err := CheckResult(&Image{ID: "a", StagingKey: "k", SourceETag: "e"}); err != nil {
		t.Errorf("valid result: %v", err)
	}
}
