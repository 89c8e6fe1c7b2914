package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// timeLayout is how times are passed to both databases: MySQL reads it into DATETIME(6), and SQLite stores it as
// TEXT, where its fixed width makes string order equal time order, which the indexes and the cursor comparisons
// rely on.
const timeLayout = "2006-01-02 15:04:05.000000"

func timeArg(t time.Time) string { return catalog.NormTime(t).Format(timeLayout) }

// nullTimeArg is NULL for the zero time, which is how an absent ExpiresAt is stored.
func nullTimeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return timeArg(t)
}

// dbTime scans a timestamp column. MySQL returns time.Time with parseTime and bytes without it; SQLite returns the
// TEXT that timeArg wrote. NULL scans as the zero time.
type dbTime struct{ t time.Time }

func (d *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		d.t = time.Time{}
		return nil
	case time.Time:
		d.t = catalog.NormTime(v)
		return nil
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	}
	return fmt.Errorf("sqlstore: cannot scan %T into a time", src)
}

func (d *dbTime) parse(s string) error {
	// The .999999 layout also accepts values with fewer or no fraction digits.
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.UTC)
	if err != nil {
		return fmt.Errorf("sqlstore: parse time %q: %w", s, err)
	}
	d.t = t
	return nil
}

// Empty JSON documents, written for no fields and no derivatives.
const (
	emptyFields      = "{}"
	emptyDerivatives = "[]"
)

func encodeJSON(v any, empty string, isEmpty bool) (string, error) {
	if isEmpty {
		return empty, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// columns are the columns of the images table in the order of rowArgs and scanImage.
const columns = "id, status, owner, origin, filename, content_type, bytes, width, height, form_fields, " +
	"staging_key, source_etag, original_key, failure_reason, derivatives, expires_at, created_at, updated_at"

// rowArgs are the values of columns for img.
func rowArgs(img *catalog.Image) ([]any, error) {
	fields, err := encodeJSON(img.Fields, emptyFields, len(img.Fields) == 0)
	if err != nil {
		return nil, fmt.Errorf("encode fields: %w", err)
	}
	derivatives, err := encodeJSON(img.Derivatives, emptyDerivatives, len(img.Derivatives) == 0)
	if err != nil {
		return nil, fmt.Errorf("encode derivatives: %w", err)
	}
	return []any{
		img.ID, string(img.Status), img.Owner, string(img.Origin), img.Filename, img.ContentType, img.Bytes, img.Width,
		img.Height, fields, img.StagingKey, img.SourceETag, img.OriginalKey, img.FailureReason, derivatives,
		nullTimeArg(img.ExpiresAt), timeArg(img.CreatedAt), timeArg(img.UpdatedAt),
	}, nil
}

type rowScanner interface{ Scan(dest ...any) error }

func scanImage(r rowScanner) (*catalog.Image, error) {
	var (
		img                       catalog.Image
		status, origin, owner     string
		fields, derivatives       string
		expires, created, updated dbTime
	)
	err := r.Scan(&img.ID, &status, &owner, &origin, &img.Filename, &img.ContentType, &img.Bytes, &img.Width, &img.Height,
		&fields, &img.StagingKey, &img.SourceETag, &img.OriginalKey, &img.FailureReason, &derivatives, &expires, &created, &updated)
	if err != nil {
		return nil, err
	}
	img.Status, img.Origin, img.Owner = catalog.Status(status), catalog.Origin(origin), owner
	img.ExpiresAt, img.CreatedAt, img.UpdatedAt = expires.t, created.t, updated.t
	if fields != emptyFields && fields != "" {
		if err := json.Unmarshal([]byte(fields), &img.Fields); err != nil {
			return nil, fmt.Errorf("decode fields of %s: %w", img.ID, err)
		}
		if len(img.Fields) == 0 {
			img.Fields = nil
		}
	}
	if derivatives != emptyDerivatives && derivatives != "" {
		if err := json.Unmarshal([]byte(derivatives), &img.Derivatives); err != nil {
			return nil, fmt.Errorf("decode derivatives of %s: %w", img.ID, err)
		}
		if len(img.Derivatives) == 0 {
			img.Derivatives = nil
		}
	}
	return &img, nil
}

// queryer is what reads need; *sql.DB and *sql.Tx have it.
type queryer interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}
