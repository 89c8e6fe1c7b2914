package catalog

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCursorRoundTrip(t *testing.T) {
	for name, c := range map[string]listCursor{
		"uuid":        {createdAt: time.Date(2025, 6, 1, 12, 0, 0, 123456000, time.UTC), id: newID()},
		"epoch":       {createdAt: time.Unix(0, 0).UTC(), id: "a"},
		"tilde in id": {createdAt: time.Date(9999, 12, 31, 23, 59, 59, 999999000, time.UTC), id: "x~y~z"},
	} {
		text := c.encode()
		if strings.ContainsAny(text, "+/=") {
			t.Errorf("%s: cursor %q is not URL-safe", name, text)
		}
		got, err := decodeCursor(text)
		if err != nil {
			t.Errorf("%s: decode: %v", name, err)
			continue
		}
		if !got.createdAt.Equal(c.createdAt) || got.id != c.id {
			t.Errorf("%s: got (%v, %q), want (%v, %q)", name, got.createdAt, got.id, c.createdAt, c.id)
		}
	}
}

// malformedCursors are cursors List never issues; each must be ErrBadCursor.
func malformedCursors() []string {
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
		enc([]byte("1700000000000000~" + strings.Repeat("a", MaxIDBytes+1))), // id too long
	}
}

func TestDecodeCursorRejects(t *testing.T) {
	for _, c := range malformedCursors() {
		if _, err := decodeCursor(c); !errors.Is(err, ErrBadCursor) {
			t.Errorf("decodeCursor(%q): got %v, want ErrBadCursor", c, err)
		}
	}
}

func TestPageSize(t *testing.T) {
	for limit, want := range map[int]int{0: DefaultListLimit, 1: 1, 57: 57, MaxListLimit: MaxListLimit} {
		if got, err := pageSize(limit); err != nil || got != want {
			t.Errorf("pageSize(%d) = %d, %v; want %d", limit, got, err, want)
		}
	}
	for _, limit := range []int{-1, MaxListLimit + 1, 1 << 30} {
		if _, err := pageSize(limit); !errors.Is(err, ErrBadLimit) {
			t.Errorf("pageSize(%d): got %v, want ErrBadLimit", limit, err)
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
		if got := truncateUTF8(tc.in, tc.max); got != tc.want {
			t.Errorf("truncateUTF8(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}
