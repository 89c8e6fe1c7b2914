package catalog

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// A cursor is the sort key of the last row of a page, (created_at, id), as
// "<unix microseconds>~<id>" in unpadded URL-safe base64 so it can sit in a
// query string. It is opaque to clients; only its shape is checked here.
// Keyset paging on that pair, rather than OFFSET, is what keeps pages free of
// duplicates and gaps while rows are inserted: a new row sorts either before
// the cursor, where the client has already been, or after it, where the client
// will see it once.
type listCursor struct {
	createdAt time.Time
	id        string
}

func (c listCursor) encode() string {
	raw := strconv.FormatInt(c.createdAt.UnixMicro(), 10) + "~" + c.id
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

func decodeCursor(s string) (listCursor, error) {
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return listCursor{}, fmt.Errorf("%w: %v", ErrBadCursor, err)
	}
	micros, id, ok := strings.Cut(string(raw), "~")
	if !ok {
		return listCursor{}, fmt.Errorf("%w: no separator", ErrBadCursor)
	}
	us, err := strconv.ParseInt(micros, 10, 64)
	if err != nil || us < 0 {
		return listCursor{}, fmt.Errorf("%w: bad time", ErrBadCursor)
	}
	t := time.UnixMicro(us).UTC()
	if t.Year() > 9999 || !validID(id) {
		return listCursor{}, fmt.Errorf("%w: bad key", ErrBadCursor)
	}
	return listCursor{createdAt: t, id: id}, nil
}

// pageSize turns List's limit into a page size: 0 means the default, and a
// limit out of range is an error rather than silently clamped, so a client
// asking for 1000 learns that it gets at most MaxListLimit.
func pageSize(limit int) (int, error) {
	switch {
	case limit == 0:
		return DefaultListLimit, nil
	case limit < 0 || limit > MaxListLimit:
		return 0, fmt.Errorf("%w: %d is not in 1..%d", ErrBadLimit, limit, MaxListLimit)
	}
	return limit, nil
}
