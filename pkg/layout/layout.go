// Package layout says where every object lives in the bucket. The upload function, the resize function and the
// image API all derive keys here, so the prefixes that the S3 trigger, the IAM policies and the code agree on are
// written down once.
package layout

import (
	"path"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// Layout holds the four prefixes, each ending in "/".
type Layout struct {
	Staging   string // uploads land here; the only prefix that triggers the resize function
	Output    string // derivatives: <Output><id>/<width><ext>
	Originals string // archived originals: <Originals><id><ext>
	Failed    string // quarantined photos: <Failed><id><ext>
}

// New normalises each prefix to end in exactly one "/".
func New(staging, output, originals, failed string) Layout {
	return Layout{Staging: dir(staging), Output: dir(output), Originals: dir(originals), Failed: dir(failed)}
}

func dir(p string) string { return strings.TrimRight(p, "/") + "/" }

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

// IDFor returns the image id for a staging key. Keys written by the upload function are "<uuid><ext>" and carry
// their id. Any other key (a photo dropped in through the S3 console or the CLI) gets a name-based UUID from the
// key and the object's ETag: a redelivered event for the same object maps to the same id, so a retry overwrites
// its own partial work instead of leaving orphans, while a new photo uploaded under the same name gets a new id.
func (l Layout) IDFor(key, etag string) (id string, fromUpload bool) {
	base := path.Base(key)
	name := strings.TrimSuffix(base, path.Ext(base))
	if u, err := uuid.Parse(name); err == nil && u.String() == name {
		return u.String(), true
	}
	return uuid.NewSHA1(consoleNamespace, []byte(key+"\x00"+strings.Trim(etag, `"`))).String(), false
}
