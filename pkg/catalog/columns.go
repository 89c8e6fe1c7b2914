package catalog

import (
	"encoding/json"
	"fmt"
	"time"
)

// timeLayout is how times are passed to both databases: MySQL reads it into
// DATETIME(6), and SQLite stores it as TEXT, where its fixed width makes
// string order equal time order, which the (created_at, id) index and the
// cursor comparison rely on.
const timeLayout = "2006-01-02 15:04:05.000000"

// now is the store's clock, truncated to what DATETIME(6) keeps so that a
// value written and read back compares equal.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func timeArg(t time.Time) string { return normTime(t).Format(timeLayout) }

// dbTime scans a timestamp column. MySQL returns time.Time with parseTime and
// bytes without it; SQLite returns the TEXT that timeArg wrote.
type dbTime struct{ t time.Time }

func (d *dbTime) Scan(src any) error {
	switch v := src.(type) {
	case time.Time:
		d.t = normTime(v)
		return nil
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	}
	return fmt.Errorf("catalog: cannot scan %T into a time", src)
}

func (d *dbTime) parse(s string) error {
	// The .999999 layout also accepts values with fewer or no fraction digits.
	t, err := time.ParseInLocation("2006-01-02 15:04:05.999999", s, time.UTC)
	if err != nil {
		return fmt.Errorf("catalog: parse time %q: %w", s, err)
	}
	d.t = t
	return nil
}

// Empty JSON documents. The upserts compare against these literals to tell
// "no fields given" from new fields, so encodeFields and encodeDerivatives
// must produce exactly them for empty input.
const (
	emptyFields      = "{}"
	emptyDerivatives = "[]"
)

func encodeFields(m map[string]string) (string, error) {
	if len(m) == 0 {
		return emptyFields, nil
	}
	b, err := json.Marshal(m)
	if err != nil {
		return "", fmt.Errorf("encode fields: %w", err)
	}
	return string(b), nil
}

func encodeDerivatives(ds []Derivative) (string, error) {
	if len(ds) == 0 {
		return emptyDerivatives, nil
	}
	b, err := json.Marshal(ds)
	if err != nil {
		return "", fmt.Errorf("encode derivatives: %w", err)
	}
	return string(b), nil
}

// imageColumns is the select list that scanImage reads, in order.
const imageColumns = "id, status, filename, content_type, bytes, width, height, form_fields, " +
	"staging_key, original_key, failure_reason, derivatives, created_at, updated_at"

type rowScanner interface{ Scan(dest ...any) error }

func scanImage(r rowScanner) (*Image, error) {
	var (
		img                 Image
		status              string
		fields, derivatives string
		created, updated    dbTime
	)
	err := r.Scan(&img.ID, &status, &img.Filename, &img.ContentType, &img.Bytes, &img.Width, &img.Height,
		&fields, &img.StagingKey, &img.OriginalKey, &img.FailureReason, &derivatives, &created, &updated)
	if err != nil {
		return nil, err
	}
	img.Status = Status(status)
	img.CreatedAt, img.UpdatedAt = created.t, updated.t
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
