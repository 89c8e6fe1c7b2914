// Package layout says where every object lives in the bucket. The upload function, the resize function and the
// image API all derive keys here, so the prefixes that the S3 trigger, the IAM policies and the code agree on are
// written down once.
package layout

import (
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Layout holds the prefixes, each ending in "/".
type Layout struct {
	Staging   string // uploads land here; the only prefix that triggers the resize function
	Output    string // derivatives: <Output><id>/<width><ext>
	Originals string // archived originals: <Originals><id><ext>
	Failed    string // quarantined photos: <Failed><id><ext>
	Cache     string // the serve function's renders: <Cache><id>/<request>.<ext>; "" when there is none
}

// New normalises each prefix to end in exactly one "/".
func New(staging, output, originals, failed string) Layout {
	return Layout{Staging: dir(staging), Output: dir(output), Originals: dir(originals), Failed: dir(failed)}
}

func dir(p string) string { return strings.TrimRight(p, "/") + "/" }

// WithCache returns l with the render cache under prefix.
func (l Layout) WithCache(prefix string) Layout {
	l.Cache = dir(prefix)
	return l
}

// RenderDir is the folder of an image's renders, which deleting the image empties; "" when l has no cache.
func (l Layout) RenderDir(id string) string {
	if l.Cache == "" {
		return ""
	}
	return l.Cache + id + "/"
}

// StagingKey is where an upload is stored.
func (l Layout) StagingKey(id, ext string) string { return l.Staging + id + ext }

// DerivativeKey is where the derivative for a configured width is written.
func (l Layout) DerivativeKey(id string, width int, ext string) string {
	return l.Output + id + "/" + strconv.Itoa(width) + ext
}

// OriginalKey is where a processed original is archived.
func (l Layout) OriginalKey(id, ext string) string { return l.Originals + id + ext }

// FailedKey is where a photo that can never be processed is quarantined.
func (l Layout) FailedKey(id, ext string) string { return l.Failed + id + ext }

// InStaging reports whether key is under the staging prefix (and is not the prefix itself, a "folder" the S3
// console creates as an empty object).
func (l Layout) InStaging(key string) bool {
	return strings.HasPrefix(key, l.Staging) && len(key) > len(l.Staging) && !strings.HasSuffix(key, "/")
}

// consoleNamespace seeds the name-based ids of photos that arrive without one.
var consoleNamespace = uuid.MustParse("5b3e1f0a-6f43-4c1e-9f7e-3c9a7d2b8e10")

// UploadID returns the id in a key the upload function writes: "<Staging><uuid><ext>", directly under the staging
// prefix, with a lower-case UUID and a short extension. Only such a key can belong to an upload; a UUID-named file
// in a nested folder, or any other name, is a console photo.
func (l Layout) UploadID(key string) (string, bool) {
	name, ok := strings.CutPrefix(key, l.Staging)
	if !ok || strings.Contains(name, "/") {
		return "", false
	}
	id, ext, _ := strings.Cut(name, ".")
	if u, err := uuid.Parse(id); err != nil || u.String() != id || !shortExt(ext) {
		return "", false
	}
	return id, true
}

// shortExt reports whether ext (without its dot) is 1-5 lower-case letters and digits.
func shortExt(ext string) bool {
	if len(ext) < 1 || len(ext) > 5 {
		return false
	}
	for _, c := range ext {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// ConsoleID returns the id of a photo that arrived by other means (the S3 console, the CLI): a name-based UUID
// (version 5) of its key and ETag. A redelivered event for the same object maps to the same id, so a retry
// overwrites its own partial work instead of leaving orphans, while a new photo uploaded under the same name gets a
// new id. Upload ids are version 7, so the two can never collide.
func ConsoleID(key, etag string) string {
	return uuid.NewSHA1(consoleNamespace, []byte(key+"\x00"+strings.Trim(etag, `"`))).String()
}

// IsID reports whether s is an image id as the pipeline makes them: a lower-case UUID.
func IsID(s string) bool {
	u, err := uuid.Parse(s)
	return err == nil && len(s) == 36 && u.String() == s
}
