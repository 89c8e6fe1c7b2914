package catalog_test

import (
	"errors"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/catalogtest"
	"strings"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	for name, c := range map[string]catalog.Cursor{
		"uuid":        {CreatedAt: time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC), ID: "0190a8f4-0000-7000-8000-000000000001"},
		"epoch":       {CreatedAt: time.Unix(0, 0).UTC(), ID: "a"},
		"tilde in id": {CreatedAt: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), ID: "x~y~z"},
	} {
		text := c.Encode()
		if strings.ContainsAny(text, "+/=") {
			t.Errorf("%s: cursor %q is not URL-safe", name, text)
		}
		got, err := catalog.DecodeCursor(text)
		if err != nil {
			t.Errorf("%s: decode: %v", name, err)
			continue
		}
		if !got.CreatedAt.Equal(c.CreatedAt) || got.ID != c.ID {
			t.Errorf("%s: got (%v, %q), want (%v, %q)", name, got.CreatedAt, got.ID, c.CreatedAt, c.ID)
		}
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	for _, c := range catalogtest.MalformedCursors() {
		if _, err := catalog.DecodeCursor(c); !errors.Is(err, catalog.ErrBadCursor) {
			t.Errorf("catalog.DecodeCursor(%q): got %v, want catalog.ErrBadCursor", c, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	for limit, want := range map[int]int{0: catalog.DefaultListLimit, 1: 1, 57: 57, catalog.MaxListLimit: catalog.MaxListLimit} {
		if got, err := catalog.PageSize(limit); err != nil || got != want {
			t.Errorf("catalog.PageSize(%d) = %d, %v; want %d", limit, got, err, want)
		}
	}
	for _, limit := range []int{-1, catalog.MaxListLimit + 1, 1 << 30} {
		if _, err := catalog.PageSize(limit); !errors.Is(err, catalog.ErrBadLimit) {
			t.Errorf("catalog.PageSize(%d): got %v, want catalog.ErrBadLimit", limit, err)
		}
	}
}

func TestTruncateUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"short", 10, "short"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes; cutting inside it drops it
		{"日本", 4, "日"}, // three-byte characters
		{"🎉🎉", 7, "🎉"}, // four-byte characters
	} {
		if got := catalog.TruncateUTF8(tc.in, tc.max); got != tc.want {
			t.Errorf("catalog.TruncateUTF8(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
