package imagefile

import (
	"mime"
	"strings"
)

// byContentType maps the content types a client may declare for a direct upload to the formats the pipeline
// accepts. The declaration only names the staged object's key and content type: the resize function still checks
// the photo by its bytes.
var byContentType = map[string]Format{
	"image/jpeg": JPEG, "image/jpg": JPEG, "image/pjpeg": JPEG,
	"image/png":  PNG,
	"image/gif":  GIF,
	"image/webp": WebP,
	"image/heic": HEIC, "image/heif": HEIC, "image/heic-sequence": HEIC, "image/heif-sequence": HEIC,
	"image/avif": AVIF,
}

// ForContentType returns the accepted format a declared content type names.
func ForContentType(contentType string) (Format, bool) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		mt = strings.ToLower(strings.TrimSpace(contentType))
	}
	f, ok := byContentType[mt]
	return f, ok
}
