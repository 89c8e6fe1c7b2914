package pipeline

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"unicode/utf8"
)

// metaValueBytes caps each free-form metadata value. S3 allows 2 KB of user metadata in all (names and values,
// as sent), and each of these three could otherwise fill it: percent-encoding can triple a 1,024-byte key.
const metaValueBytes = 512

// meta is the metadata stored with an archived or quarantined original: the id, where it was staged, its original
// filename and why it failed, each cut to fit. A staging key too long to keep whole is recorded by its SHA-256.
func (j *job) meta(src *source, why string) map[string]string {
	m := map[string]string{"image-id": src.id}
	if k := url.PathEscape(j.key); len(k) <= metaValueBytes {
		m["staging-key"] = k
	} else {
		m["staging-key-sha256"] = sha256Hex(j.key)
	}
	if name := src.obj.Metadata["original-filename"]; name != "" {
		m["original-filename"] = escapeCapped(name, metaValueBytes, url.PathUnescape)
	}
	if why != "" {
		m["failure-reason"] = escapeCapped(why, metaValueBytes, func(s string) (string, error) { return s, nil })
	}
	return m
}

// escapeCapped percent-encodes s, after decoding it with unescape when it arrives encoded, cutting it at a character
// boundary so that the encoded form fits in limit bytes.
func escapeCapped(s string, limit int, unescape func(string) (string, error)) string {
	if raw, err := unescape(s); err == nil {
		s = raw
	}
	for len(url.PathEscape(s)) > limit {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-max(size, 1)]
	}
	return url.PathEscape(s)
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// sanitizeExt keeps a short alphanumeric extension from an untrusted key, or none.
func sanitizeExt(ext string) string {
	if len(ext) < 2 || len(ext) > 6 {
		return ""
	}
	for _, c := range ext[1:] {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return ""
		}
	}
	return ext
}
