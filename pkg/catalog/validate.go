package catalog

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits of an Image, matching the column sizes of the SQL schema and keeping a DynamoDB item far under its 400 KB
// limit. They are checked before anything is written, because MySQL in strict mode rejects an oversized value while
// SQLite stores it, and the backends must agree.
const (
	// MaxIDBytes is the longest ID; a UUID string is 36.
	MaxIDBytes = 64
	// MaxOwnerBytes is the longest Owner; OpenID Connect caps sub at 255 ASCII characters.
	MaxOwnerBytes = 255
	// MaxFilenameBytes is the longest Filename, in bytes of UTF-8.
	MaxFilenameBytes = 255
	// MaxContentTypeBytes is the longest ContentType of an image or derivative.
	MaxContentTypeBytes = 255
	// MaxKeyBytes is the longest S3 key, which is also S3's own limit.
	MaxKeyBytes = 1024
	// MaxETagBytes is the longest SourceETag; S3's are 32 hex digits, quoted, with a part count for multipart.
	MaxETagBytes = 128
	// MaxFailureReason is how many bytes of FailureReason are kept; the rest is cut at a character boundary,
	// since recording that an image failed matters more than the full text of why.
	MaxFailureReason = 1024
	// MaxDerivatives bounds the derivatives of one image.
	MaxDerivatives = 64
)

// ValidID reports whether id can be stored and put in a cursor: 1 to MaxIDBytes of printable ASCII. The SQL column
// is ASCII with a binary collation so that MySQL and SQLite order ids the same way, which keyset pagination relies
// on.
func ValidID(id string) bool {
	if id == "" || len(id) > MaxIDBytes {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < 0x21 || id[i] > 0x7e {
			return false
		}
	}
	return true
}

// Validate checks img against the schema's limits. It does not check Status: each Store method sets the status it
// writes.
func Validate(img *Image) error {
	if img == nil {
		return fmt.Errorf("%w: nil image", ErrInvalid)
	}
	if !ValidID(img.ID) {
		return fmt.Errorf("%w: id %q is not 1-%d printable ASCII bytes", ErrInvalid, img.ID, MaxIDBytes)
	}
	switch img.Origin {
	case "", OriginUpload, OriginDirect, OriginConsole:
	default:
		return fmt.Errorf("%w: unknown origin %q", ErrInvalid, img.Origin)
	}
	for _, f := range []struct {
		what, s string
		max     int
	}{
		{"owner", img.Owner, MaxOwnerBytes},
		{"filename", img.Filename, MaxFilenameBytes},
		{"content type", img.ContentType, MaxContentTypeBytes},
		{"staging key", img.StagingKey, MaxKeyBytes},
		{"original key", img.OriginalKey, MaxKeyBytes},
		{"source ETag", img.SourceETag, MaxETagBytes},
	} {
		if err := checkText(f.what, f.s, f.max); err != nil {
			return err
		}
	}
	if img.Bytes < 0 || img.Width < 0 || img.Height < 0 {
		return fmt.Errorf("%w: negative size %d or dimensions %dx%d", ErrInvalid, img.Bytes, img.Width, img.Height)
	}
	if len(img.Derivatives) > MaxDerivatives {
		return fmt.Errorf("%w: %d derivatives, more than %d", ErrInvalid, len(img.Derivatives), MaxDerivatives)
	}
	for i, d := range img.Derivatives {
		if err := checkText(fmt.Sprintf("derivative %d key", i), d.Key, MaxKeyBytes); err != nil {
			return err
		}
		if err := checkText(fmt.Sprintf("derivative %d content type", i), d.ContentType, MaxContentTypeBytes); err != nil {
			return err
		}
		if d.Bytes < 0 || d.Width < 0 || d.Height < 0 {
			return fmt.Errorf("%w: derivative %d has a negative size or dimension", ErrInvalid, i)
		}
	}
	for _, t := range []time.Time{img.CreatedAt, img.UpdatedAt, img.ExpiresAt} {
		if !t.IsZero() && (t.Year() < 1970 || t.Year() > 9999) {
			// The stored text form has a four-digit year and MySQL's DATETIME stops at 9999.
			return fmt.Errorf("%w: time %s is outside 1970-9999", ErrInvalid, t)
		}
	}
	return nil
}

func checkText(what, s string, max int) error {
	if len(s) > max {
		return fmt.Errorf("%w: %s is %d bytes, more than %d", ErrInvalid, what, len(s), max)
	}
	if !utf8.ValidString(s) {
		return fmt.Errorf("%w: %s is not valid UTF-8", ErrInvalid, what)
	}
	return nil
}

// TruncateUTF8 cuts s to at most max bytes without splitting a character.
func TruncateUTF8(s string, max int) string {
	if len(s) <= max {
		return s
	}
	s = s[:max]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}

// FitFilename makes a client- or key-supplied name storable: invalid UTF-8 and control characters are dropped and
// the result is cut to MaxFilenameBytes on a character boundary. Callers use it on names they did not choose, so
// that an odd name can never make a write fail with ErrInvalid.
func FitFilename(name string) string {
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7F || r == utf8.RuneError {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	return TruncateUTF8(name, MaxFilenameBytes)
}
