// Package form parses the multipart/form-data body of an upload: exactly one file part and any number of text
// fields, with every limit checked while reading, so an oversized body is refused without being buffered.
package form

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// Sentinel errors. Each wraps a message that is safe to show to the client.
var (
	ErrNotMultipart  = errors.New("form: the request must be multipart/form-data")
	ErrNoBoundary    = errors.New("form: the multipart Content-Type has no boundary")
	ErrMalformed     = errors.New("form: the multipart body is malformed")
	ErrNoFile        = errors.New("form: no file part")
	ErrTooManyFiles  = errors.New("form: more than one file part")
	ErrEmptyFile     = errors.New("form: the file is empty")
	ErrFileTooLarge  = errors.New("form: the file is too large")
	ErrFieldsInvalid = errors.New("form: the text fields are invalid")
)

// Limits bounds what Parse accepts.
type Limits struct {
	FileField     string // name of the file part, "file" by default
	MaxFileBytes  int64
	MaxFields     int // number of text fields
	MaxFieldBytes int // total bytes of text field names and values
}

// Form is a parsed upload.
type Form struct {
	File     []byte
	Filename string            // the client's filename, reduced to a base name; informational only
	Fields   map[string]string // text fields
}

// Parse reads a multipart body. contentType is the request's Content-Type header.
func Parse(body io.Reader, contentType string, lim Limits) (*Form, error) {
	// ParseMediaType returns the media type even when a parameter is malformed, so an empty or unterminated
	// boundary is reported as such rather than as "not multipart".
	mediaType, params, err := mime.ParseMediaType(contentType)
	if mediaType != "multipart/form-data" {
		return nil, ErrNotMultipart
	}
	boundary := params["boundary"]
	if err != nil || boundary == "" {
		return nil, ErrNoBoundary
	}
	if lim.FileField == "" {
		lim.FileField = "file"
	}
	f := &Form{Fields: map[string]string{}}
	var fieldBytes int
	haveFile := false
	mr := multipart.NewReader(body, boundary)
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		name := part.FormName()
		if part.FileName() != "" || name == lim.FileField {
			if haveFile {
				return nil, ErrTooManyFiles
			}
			if name != lim.FileField {
				return nil, fmt.Errorf("%w: the file must be sent in the field %q, not %q", ErrNoFile, lim.FileField, name)
			}
			haveFile = true
			if err := f.readFile(part, lim.MaxFileBytes); err != nil {
				return nil, err
			}
			continue
		}
		if name == "" {
			return nil, fmt.Errorf("%w: a part has no field name", ErrMalformed)
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(lim.MaxFieldBytes-fieldBytes+1)))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
		}
		fieldBytes += len(name) + len(v)
		switch {
		case fieldBytes > lim.MaxFieldBytes:
			return nil, fmt.Errorf("%w: the text fields exceed %d bytes in total", ErrFieldsInvalid, lim.MaxFieldBytes)
		case len(f.Fields) >= lim.MaxFields:
			return nil, fmt.Errorf("%w: more than %d text fields", ErrFieldsInvalid, lim.MaxFields)
		case !utf8.ValidString(name) || !utf8.Valid(v):
			return nil, fmt.Errorf("%w: field %q is not valid UTF-8", ErrFieldsInvalid, name)
		}
		if _, dup := f.Fields[name]; dup {
			return nil, fmt.Errorf("%w: field %q appears more than once", ErrFieldsInvalid, name)
		}
		f.Fields[name] = string(v)
	}
	if !haveFile {
		return nil, fmt.Errorf("%w: send the photo in the field %q", ErrNoFile, lim.FileField)
	}
	return f, nil
}

// readFile reads the file part, stopping one byte past the limit so an oversized file is detected without being
// read whole.
func (f *Form) readFile(part *multipart.Part, maxBytes int64) error {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(part, maxBytes+1))
	if err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if n > maxBytes {
		return ErrFileTooLarge
	}
	if n == 0 {
		return ErrEmptyFile
	}
	f.File = buf.Bytes()
	f.Filename = cleanFilename(part.FileName())
	return nil
}

// cleanFilename keeps the base name of a client-supplied filename (Windows clients send full paths) and makes it
// storable (catalog.FitFilename). It is recorded, never used as a key.
func cleanFilename(name string) string {
	name = path.Base(strings.ReplaceAll(name, `\`, "/"))
	if name == "." || name == "/" {
		return ""
	}
	return catalog.FitFilename(name)
}
