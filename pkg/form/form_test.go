package form

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/internal/testimage"
)

var limits = Limits{FileField: "file", MaxFileBytes: 100, MaxFields: 2, MaxFieldBytes: 20}

func TestParse(t *testing.T) {
	body, ct := testimage.Multipart(
		testimage.Part{Field: "title", Data: []byte("über")},
		testimage.Part{Field: "file", Filename: `C:\Users\me\IMG_0001.JPG`, Data: []byte("pixels")},
	)
	f, err := Parse(bytes.NewReader(body), ct, limits)
	if err != nil {
		t.Fatal(err)
	}
	if string(f.File) != "pixels" || f.Filename != "IMG_0001.JPG" || f.Fields["title"] != "über" || len(f.Fields) != 1 {
		t.Fatalf("%+v", f)
	}
}

func TestParseLimits(t *testing.T) {
	file := testimage.Part{Field: "file", Filename: "a.jpg", Data: []byte("x")}
	cases := map[string]struct {
		parts []testimage.Part
		want  error
	}{
		"file at the limit": {[]testimage.Part{{Field: "file", Filename: "a", Data: make([]byte, 100)}}, nil},
		"file over":         {[]testimage.Part{{Field: "file", Filename: "a", Data: make([]byte, 101)}}, ErrFileTooLarge},
		"fields over bytes": {[]testimage.Part{{Field: "a", Data: make([]byte, 20)}, file}, ErrFieldsInvalid},
		"too many fields":   {[]testimage.Part{{Field: "a"}, {Field: "b"}, {Field: "c"}, file}, ErrFieldsInvalid},
		"invalid utf-8":     {[]testimage.Part{{Field: "a", Data: []byte{0xff}}, file}, ErrFieldsInvalid},
		"no file":           {[]testimage.Part{{Field: "a", Data: []byte("x")}}, ErrNoFile},
		"empty file":        {[]testimage.Part{{Field: "file", Filename: "a"}}, ErrEmptyFile},
		"two files":         {[]testimage.Part{file, file}, ErrTooManyFiles},
		"file without name": {[]testimage.Part{{Field: "file", Data: []byte("x")}}, nil},
		"other file field":  {[]testimage.Part{{Field: "photo", Filename: "a", Data: []byte("x")}}, ErrNoFile},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			body, ct := testimage.Multipart(c.parts...)
			_, err := Parse(bytes.NewReader(body), ct, limits)
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestParseEnvelope(t *testing.T) {
	for ct, want := range map[string]error{
		"application/json":                            ErrNotMultipart,
		"":                                            ErrNotMultipart,
		"multipart/form-data":                         ErrNoBoundary,
		"multipart/mixed; boundary=x":                 ErrNotMultipart,
		"multipart/form-data; boundary=x":             ErrMalformed,
		`multipart/form-data; boundary=""`:            ErrNoBoundary,
		"Multipart/Form-Data; boundary=x":             ErrMalformed,
		"multipart/form-data; boundary=a; boundary=b": ErrBadParams,
		`multipart/form-data; boundary="abc`:          ErrBadParams,
		"multipart/form-data; boundary=":              ErrBadParams,
	} {
		if _, err := Parse(strings.NewReader("garbage"), ct, limits); !errors.Is(err, want) {
			t.Errorf("%q: got %v, want %v", ct, err, want)
		}
	}
}

// FuzzParse: no body makes Parse panic or accept more than the limits allow.
func FuzzParse(f *testing.F) {
	body, _ := testimage.Multipart(testimage.Part{Field: "t", Data: []byte("v")},
		testimage.Part{Field: "file", Filename: "a.jpg", Data: []byte("pixels")})
	f.Add(body)
	f.Add([]byte("--b\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x\"\r\n\r\nabc\r\n--b--\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ct := "multipart/form-data; boundary=b"
		if i := bytes.Index(data, []byte("\r\n")); i > 2 && data[0] == '-' {
			ct = "multipart/form-data; boundary=" + string(bytes.TrimPrefix(data[:i], []byte("--")))
		}
		f, err := Parse(bytes.NewReader(data), ct, limits)
		if err == nil && (len(f.File) == 0 || len(f.File) > 100 || len(f.Fields) > 2) {
			t.Fatalf("accepted %d bytes, %d fields", len(f.File), len(f.Fields))
		}
	})
}

func TestCleanFilename(t *testing.T) {
	for in, want := range map[string]string{
		`C:\Users\me\a.jpg`:             "a.jpg",
		"../../etc/passwd":              "passwd",
		"a\x00b\x1fc.jpg":               "abc.jpg",
		"/":                             "",
		strings.Repeat("é", 200) + ".j": strings.Repeat("é", 127),
	} {
		if got := cleanFilename(in); got != want {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}
