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
	"net/http"
	"path"
	"strings"
	"unicode/utf8"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Errors callers branch on. Each carries the status and message a client gets.
var (
	ErrNotMultipart  = publicerr.New(http.StatusUnsupportedMediaType, "not_multipart", "the request must be multipart/form-data")
	ErrNoBoundary    = publicerr.New(http.StatusBadRequest, "no_boundary", "the multipart Content-Type header has no boundary parameter")
	ErrBadParams     = publicerr.New(http.StatusBadRequest, "bad_content_type", "the multipart Content-Type header is malformed")
	ErrMalformed     = publicerr.New(http.StatusBadRequest, "malformed", "the multipart body is malformed or incomplete")
	ErrNoFile        = publicerr.New(http.StatusBadRequest, "no_file", "no file part")
	ErrTooManyFiles  = publicerr.New(http.StatusBadRequest, "too_many_files", "send exactly one file per upload")
	ErrEmptyFile     = publicerr.New(http.StatusBadRequest, "empty_file", "the file is empty")
	ErrFileTooLarge  = publicerr.New(http.StatusRequestEntityTooLarge, "file_too_large", "the file is too large")
	ErrFieldsInvalid = publicerr.New(http.StatusBadRequest, "invalid_fields", "the text fields are invalid")
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
	// The media type is read on its own first, so that a header whose parameters are broken (repeated, an
	// unterminated quote) is reported as such rather than as "not multipart".
	base, _, _ := strings.Cut(contentType, ";")
	if strings.ToLower(strings.TrimSpace(base)) != "multipart/form-data" {
		return nil, ErrNotMultipart
	}
	_, params, err := mime.ParseMediaType(contentType)
	switch {
	case err != nil && !errors.Is(err, mime.ErrInvalidMediaParameter):
		return nil, ErrBadParams.Withf("the Content-Type header repeats a parameter with different values").Wrap(err)
	case err != nil:
		return nil, ErrBadParams.Wrap(err)
	case params["boundary"] == "":
		return nil, ErrNoBoundary
	}
	boundary := params["boundary"]
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
			return nil, ErrMalformed.Wrap(err)
		}
		name := part.FormName()
		if part.FileName() != "" || name == lim.FileField {
			if haveFile {
				return nil, ErrTooManyFiles
			}
			if name != lim.FileField {
				return nil, ErrNoFile.Withf("the file must be sent in the field %q, not %q", lim.FileField, name)
			}
			haveFile = true
			if err := f.readFile(part, lim.MaxFileBytes); err != nil {
				return nil, err
			}
			continue
		}
		if name == "" {
			return nil, ErrMalformed.Withf("a part of the multipart body has no field name")
		}
		v, err := io.ReadAll(io.LimitReader(part, int64(lim.MaxFieldBytes-fieldBytes+1)))
		if err != nil {
			return nil, ErrMalformed.Wrap(err)
		}
		fieldBytes += len(name) + len(v)
		if err := checkField(name, string(v), len(f.Fields), fieldBytes, lim); err != nil {
			return nil, err
		}
		if _, dup := f.Fields[name]; dup {
			return nil, ErrFieldsInvalid.Withf("field %q appears more than once", name)
		}
		f.Fields[name] = string(v)
	}
	if !haveFile {
		return nil, ErrNoFile.Withf("no file part: send the photo in the field %q", lim.FileField)
	}
	return f, nil
}

// checkField checks one more field against the limits: n fields are already kept, and total is the size of all
// names and values so far, this one included.
func checkField(name, value string, n, total int, lim Limits) error {
	switch {
	case total > lim.MaxFieldBytes:
		return ErrFieldsInvalid.Withf("the text fields exceed %d bytes in total", lim.MaxFieldBytes)
	case n >= lim.MaxFields:
		return ErrFieldsInvalid.Withf("more than %d text fields", lim.MaxFields)
	case name == "":
		return ErrFieldsInvalid.Withf("a text field has no name")
	case !utf8.ValidString(name) || !utf8.ValidString(value):
		return ErrFieldsInvalid.Withf("field %q is not valid UTF-8", name)
	}
	return nil
}

// CheckFields checks text fields that arrived another way (the JSON of a direct upload) against the same limits
// as the fields of a multipart upload.
func CheckFields(fields map[string]string, lim Limits) error {
	total, n := 0, 0
	for name, v := range fields {
		total += len(name) + len(v)
		if err := checkField(name, v, n, total, lim); err != nil {
			return err
		}
		n++
	}
	return nil
}

// CleanFilename reduces a client-supplied filename to a storable base name (see cleanFilename).
func CleanFilename(name string) string { return cleanFilename(name) }

// readFile reads the file part, stopping one byte past the limit so an oversized file is detected without being
// read whole.
func (f *Form) readFile(part *multipart.Part, maxBytes int64) error {
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(part, maxBytes+1))
	if err != nil {
		return ErrMalformed.Wrap(err)
	}
	if n > maxBytes {
		return ErrFileTooLarge.Withf("the file is larger than the limit of %s", HumanBytes(maxBytes))
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

// HumanBytes writes a byte limit the way a client reads it: 4 MiB, 8 KiB, 100 bytes.
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
