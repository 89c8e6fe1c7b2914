package catalog

import (
	"fmt"
	"time"
)

// CheckResult validates the image of a MarkReady or MarkFailed call before anything is read or written: the schema's
// limits, plus the staging key and ETag that say which object the result is about.
func CheckResult(in *Image) error {
	if err := Validate(in); err != nil {
		return err
	}
	if in.StagingKey == "" || in.SourceETag == "" {
		return fmt.Errorf("%w: a result needs the StagingKey and SourceETag of the object processed", ErrInvalid)
	}
	return nil
}

// Settle is the rule of MarkReady (status ready) and MarkFailed (status failed), written once for the backends that
// read and write a row under one lock (a SQL transaction). stored is the row as it is now, nil when there is none.
// It returns the whole row to write, nil when nothing is to be written (a failure over a ready row), or ErrNotFound
// or ErrConflict when the result may not be recorded. See Store.MarkReady for the rule in words; the DynamoDB
// backend states the same rule as condition expressions, and the contract suite holds both to it.
func Settle(stored, in *Image, status Status, now time.Time) (*Image, error) {
	if stored == nil {
		if in.Origin != OriginConsole {
			return nil, fmt.Errorf("%s: %w: an upload's row is gone", in.ID, ErrNotFound)
		}
		row := *in
		row.Status, row.UpdatedAt = status, now
		row.CreatedAt = now
		if !in.CreatedAt.IsZero() {
			row.CreatedAt = NormTime(in.CreatedAt)
		}
		row.FailureReason = reasonFor(status, in.FailureReason)
		return &row, nil
	}
	if err := Belongs(stored, in); err != nil {
		return nil, err
	}
	if status == StatusFailed && stored.Status == StatusReady {
		return nil, nil // ready wins
	}
	row := merge(stored, in)
	row.Status, row.UpdatedAt = status, now
	row.FailureReason = reasonFor(status, in.FailureReason)
	return row, nil
}

// Belongs reports, as ErrConflict, whether in (a result for the object at in.StagingKey with in.SourceETag) may not
// be recorded on the stored row: another staging key, an expired row, or a row already made ready from another
// object.
func Belongs(stored, in *Image) error {
	switch {
	case stored.StagingKey != in.StagingKey:
		return fmt.Errorf("%s: %w: staging key %q is not the row's %q", in.ID, ErrConflict, in.StagingKey, stored.StagingKey)
	case stored.Status == StatusExpired:
		return fmt.Errorf("%s: %w: the upload expired", in.ID, ErrConflict)
	case stored.Status == StatusReady && stored.SourceETag != in.SourceETag:
		return fmt.Errorf("%s: %w: already ready from ETag %s", in.ID, ErrConflict, stored.SourceETag)
	}
	return nil
}

// merge overlays the set values of in on stored. Owner, Origin, CreatedAt and ExpiresAt belong to the row's creation
// and are kept.
func merge(stored, in *Image) *Image {
	row := *stored
	setString := func(dst *string, v string) {
		if v != "" {
			*dst = v
		}
	}
	setString(&row.Filename, in.Filename)
	setString(&row.ContentType, in.ContentType)
	setString(&row.OriginalKey, in.OriginalKey)
	setString(&row.SourceETag, in.SourceETag)
	if in.Bytes != 0 {
		row.Bytes = in.Bytes
	}
	if in.Width != 0 {
		row.Width = in.Width
	}
	if in.Height != 0 {
		row.Height = in.Height
	}
	if len(in.Fields) > 0 {
		row.Fields = in.Fields
	}
	if len(in.Derivatives) > 0 {
		row.Derivatives = in.Derivatives
	}
	return &row
}

// reasonFor is the FailureReason a row with status keeps: none once ready, the given one cut to MaxFailureReason
// otherwise.
func reasonFor(status Status, reason string) string {
	if status == StatusReady {
		return ""
	}
	return TruncateUTF8(reason, MaxFailureReason)
}

// Now is the stores' clock, truncated to what MySQL's DATETIME(6) keeps so that a value written and read back
// compares equal.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// NormTime is t in UTC at microsecond precision, as every backend stores it.
func NormTime(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(time.Microsecond)
}
