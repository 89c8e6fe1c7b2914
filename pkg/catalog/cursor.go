package catalog

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Cursor is a position in a listing: the sort key (CreatedAt, ID) of the last row of a page. It travels as
// "<unix microseconds>~<id>" in unpadded URL-safe base64 so it can sit in a query string; clients treat it as
// opaque. Keyset paging on that pair, rather than an offset, is what keeps pages free of duplicates and gaps while
// rows are inserted: a new row sorts either before the cursor, where the client has already been, or after it,
// where the client will see it once. Every backend pages on this same key, so a cursor means the same thing on all
// of them.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// CursorAt is the cursor that continues after img.
func CursorAt(img *Image) string { return Cursor{CreatedAt: img.CreatedAt, ID: img.ID}.Encode() }

// Encode returns the cursor's text form.
func (c Cursor) Encode() string {
	raw := strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "~" + c.ID
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

// DecodeCursor parses a cursor's text form, or returns ErrBadCursor.
func DecodeCursor(s string) (Cursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return Cursor{}, fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	micros, id, ok := strings.Cut(string(raw), "~")
	if !ok {
		return Cursor{}, fmt.Errorf("%w: no separator", ErrBadCursor)
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || us < 0 {
		return Cursor{}, fmt.Errorf("%w: bad time", ErrBadCursor)
	}
	t := time.UnixMicro(us).UTC()
	if t.Year() > 9999 || !ValidID(id) {
		return Cursor{}, fmt.Errorf("%w: bad key", ErrBadCursor)
	}
	return Cursor{CreatedAt: t, ID: id}, nil
}

// PageSize turns a page limit into a page size: 0 means the default, and a limit out of range is an error rather
// than silently clamped, so a client asking for 1000 learns that it gets at most MaxListLimit.
func PageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultListLimit, nil
	case limit < 0 || limit > MaxListLimit:
		return 0, fmt.Errorf("%w: %d is not in 1..%d", ErrBadLimit, limit, MaxListLimit)
	}
	return limit, nil
}

// Check validates a query's shape, so that every backend refuses the same ones.
func (q Query) Check() (pageSize int, c *Cursor, err error) {
	if q.Owner == "" && !q.All {
		return 0, nil, fmt.Errorf("%w: a listing needs an owner, or All", ErrInvalid)
	}
	if err := checkText("owner", q.Owner, MaxOwnerBytes); err != nil {
		return 0, nil, err
	}
	if pageSize, err = PageSize(q.Limit); err != nil {
		return 0, nil, err
	}
	if q.Cursor != "" {
		cur, err := DecodeCursor(q.Cursor)
		if err != nil {
			return 0, nil, err
		}
		c = &cur
	}
	return pageSize, c, nil
}
