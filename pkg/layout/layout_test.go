package layout

import "testing"

func TestKeys(t *testing.T) {
	l := New("staging", "derivatives//", "/originals/", "failed/")
	if l.StagingKey("id", ".jpg") != "staging/id.jpg" || l.DerivativeKey("id", 640, ".png") != "derivatives/id/640.png" ||
		l.Failed != "failed/" {
		t.Fatalf("%+v", l)
	}
	for key, want := range map[string]bool{"staging/a.jpg": true, "staging/": false, "staging/dir/": false,
		"stagingx/a.jpg": false, "derivatives/a/640.jpg": false, "staging/dir/a b.jpg": true} {
		if l.InStaging(key) != want {
			t.Errorf("InStaging(%q) != %v", key, want)
		}
	}
}

func TestUploadID(t *testing.T) {
	l := New("staging/", "d/", "o/", "f/")
	const u = "0190a8f4-1111-7000-8000-000000000001"
	for key, want := range map[string]bool{
		"staging/" + u + ".jpg":                            true,
		"staging/" + u + ".heic":                           true,
		"staging/" + u:                                     false, // the upload function always writes an extension
		"staging/x/" + u + ".jpg":                          false, // nested: a console folder
		"staging/" + u + ".jpg.png":                        false,
		"staging/" + u + ".JPG":                            false,
		"staging/0190A8F4-1111-7000-8000-000000000001.jpg": false, // upper case is not what the upload function writes
		"staging/IMG 1.jpg":                                false,
		"derivatives/" + u + ".jpg":                        false,
	} {
		if id, ok := l.UploadID(key); ok != want || ok && id != u {
			t.Errorf("UploadID(%q) = %q, %v; want %v", key, id, ok, want)
		}
	}
}

func TestConsoleID(t *testing.T) {
	a := ConsoleID("staging/IMG 1.jpg", `"e1"`)
	b := ConsoleID("staging/IMG 1.jpg", "e1") // quoted or not, the same ETag
	c := ConsoleID("staging/IMG 1.jpg", `"e2"`)
	d := ConsoleID("staging/IMG 2.jpg", `"e1"`)
	if a != b || a == c || a == d || len(a) != 36 || a[14] != '5' {
		t.Fatalf("console ids: %s %s %s %s", a, b, c, d)
	}
}
