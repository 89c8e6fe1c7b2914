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

func TestIDFor(t *testing.T) {
	l := New("staging/", "d/", "o/", "f/")
	const u = "0190a8f4-1111-7000-8000-000000000001"
	if id, ok := l.IDFor("staging/"+u+".jpg", `"etag"`); id != u || !ok {
		t.Fatalf("upload key: %s %v", id, ok)
	}
	a, ok := l.IDFor("staging/IMG 1.jpg", `"e1"`)
	b, _ := l.IDFor("staging/IMG 1.jpg", "e1") // quoted or not, the same ETag
	c, _ := l.IDFor("staging/IMG 1.jpg", `"e2"`)
	if ok || a != b || a == c || len(a) != 36 {
		t.Fatalf("console ids: %s %s %s", a, b, c)
	}
	if id, ok := l.IDFor("staging/"+"0190A8F4-1111-7000-8000-000000000001.jpg", ""); ok || id == u {
		t.Fatal("an upper-case uuid is not one the upload function wrote")
	}
}
