package imagefile

import (
	"bytes"
	"net/http"

	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Format is an accepted image format.
type Format struct {
	Name        string // short name: jpeg, png, gif, webp, heic, avif
	Ext         string // extension with dot, used for S3 keys
	ContentType string // MIME type stored with the object
}

// The formats the pipeline accepts.
var (
	JPEG = Format{Name: "jpeg", Ext: ".jpg", ContentType: "image/jpeg"}
	PNG  = Format{Name: "png", Ext: ".png", ContentType: "image/png"}
	GIF  = Format{Name: "gif", Ext: ".gif", ContentType: "image/gif"}
	WebP = Format{Name: "webp", Ext: ".webp", ContentType: "image/webp"}
	HEIC = Format{Name: "heic", Ext: ".heic", ContentType: "image/heic"} // HEVC in HEIF, iPhones' default
	AVIF = Format{Name: "avif", Ext: ".avif", ContentType: "image/avif"} // AV1 in HEIF
)

// accepted names what a client may send, for the messages below.
const accepted = "send JPEG, PNG, GIF, WebP, HEIC or AVIF"

// Errors callers branch on. Each carries the status and message a client gets.
var (
	ErrEmpty         = publicerr.New(http.StatusBadRequest, "empty_file", "the file is empty")
	ErrNotImage      = publicerr.New(http.StatusUnsupportedMediaType, "not_an_image", "the file is not an image; "+accepted)
	ErrUnsupported   = publicerr.New(http.StatusUnsupportedMediaType, "unsupported_format", "unsupported image format; "+accepted)
	ErrTruncated     = publicerr.New(http.StatusUnprocessableEntity, "truncated", "the image is truncated or corrupt")
	ErrTooManyPixels = publicerr.New(http.StatusUnprocessableEntity, "too_many_pixels", "the image has too many pixels")
)

// unsupportedFormat names a recognised but refused format.
func unsupportedFormat(name string) error {
	return ErrUnsupported.Withf("%s images are not supported; %s", name, accepted)
}

// known maps magic numbers to accepted formats. WebP needs a second check at offset 8.
var known = []struct {
	magic  []byte
	format Format
}{
	{[]byte("\xFF\xD8\xFF"), JPEG},
	{[]byte("\x89PNG\r\n\x1A\n"), PNG},
	{[]byte("GIF87a"), GIF},
	{[]byte("GIF89a"), GIF},
}

// unsupported recognises image formats we deliberately refuse, so the client is told "unsupported" rather than
// "not an image".
var unsupported = []struct {
	offset int
	magic  []byte
	name   string
}{
	{0, []byte("II*\x00"), "TIFF"},
	{0, []byte("MM\x00*"), "TIFF"},
	{0, []byte("BM"), "BMP"},
	{0, []byte("\x00\x00\x01\x00"), "ICO"},
	{0, []byte("\xFF\x0A"), "JPEG XL"},
	{0, []byte("\x00\x00\x00\x0CJXL "), "JPEG XL"},
	{0, []byte("8BPS"), "PSD"},
}

// Sniff identifies the format from the first bytes of the file.
func Sniff(head []byte) (Format, error) {
	if len(head) == 0 {
		return Format{}, ErrEmpty
	}
	for _, k := range known {
		if bytes.HasPrefix(head, k.magic) {
			return k.format, nil
		}
	}
	if len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")) {
		return WebP, nil
	}
	if f, ok := sniffHEIF(head); ok {
		return f, nil
	}
	for _, u := range unsupported {
		if len(head) >= u.offset+len(u.magic) && bytes.Equal(head[u.offset:u.offset+len(u.magic)], u.magic) {
			return Format{}, unsupportedFormat(u.name)
		}
	}
	return Format{}, ErrNotImage
}
