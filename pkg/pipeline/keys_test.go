package pipeline

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/layout"
)

// processKey delivers one ObjectCreated record for key and fails the test on a transient error.
func (e *env) processKey(t *testing.T, key string) Outcome {
	t.Helper()
	out, err := e.r.HandleRecord(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, key).Records[0])
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return out
}

// snapshot is everything that belongs to one image: its row and the bytes of its outputs.
func (e *env) snapshot(t *testing.T, id string) (catalog.Image, map[string][]byte) {
	t.Helper()
	img, err := e.store.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("get %s: %v", id, err)
	}
	objs := map[string][]byte{}
	keys := []string{img.OriginalKey}
	for _, d := range img.Derivatives {
		keys = append(keys, d.Key)
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		obj, err := e.s3.Bucket.Get(t.Context(), k, 0)
		if err != nil {
			t.Fatalf("get %s: %v", k, err)
		}
		objs[k] = obj.Body
	}
	return *img, objs
}

func (e *env) assertUnchanged(t *testing.T, id string, row catalog.Image, objs map[string][]byte) {
	t.Helper()
	got, gotObjs := e.snapshot(t, id)
	if !got.UpdatedAt.Equal(row.UpdatedAt) || got.Status != row.Status || got.SourceETag != row.SourceETag ||
		got.StagingKey != row.StagingKey || len(got.Derivatives) != len(row.Derivatives) {
		t.Errorf("the victim's row changed:\n %+v\nwas\n %+v", got, row)
	}
	for k, b := range objs {
		if !bytes.Equal(gotObjs[k], b) {
			t.Errorf("the victim's %s changed", k)
		}
	}
}

// TestKeysReachOnlyTheirOwnImage puts hostile objects under the victim's id in every way a key can name it, and
// checks that the victim is untouched and that each object became an image of its own (nothing deleted unsaid).
func TestKeysReachOnlyTheirOwnImage(t *testing.T) {
	attacks := map[string]func(e *env) string{
		"another extension":                 func(e *env) string { return "staging/" + id + ".png" },
		"nested folder":                     func(e *env) string { return "staging/anything/" + id + ".jpg" },
		"the same key again, another photo": func(e *env) string { return "staging/" + id + ".jpg" },
	}
	for name, attack := range attacks {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			key := "staging/" + id + ".jpg"
			e.stage(t, key, testimage.JPEG(800, 600))
			if out := e.processKey(t, key); out != Processed {
				t.Fatalf("victim: %s", out)
			}
			row, objs := e.snapshot(t, id)

			hostile := attack(e)
			e.put(t, hostile, testimage.PNG(300, 300, false), map[string]string{"image-id": id})
			if out := e.processKey(t, hostile); out != Processed {
				t.Fatalf("hostile object: %s", out)
			}
			e.assertUnchanged(t, id, row, objs)
			imgs := e.images(t)
			if len(imgs) != 2 {
				t.Fatalf("%d rows, want the victim and the hostile object's own", len(imgs))
			}
			for _, img := range imgs {
				if img.ID != id && (img.Origin != catalog.OriginConsole || img.Owner != "" || img.StagingKey != hostile ||
					img.Status != catalog.StatusReady) {
					t.Errorf("the hostile object's row %+v", img)
				}
			}
		})
	}
}

// TestPendingUploadKeepsItsObject: while an upload is pending, an object under another extension of its id does
// not complete it, and the upload's own object still does.
func TestPendingUploadKeepsItsObject(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.JPEG(800, 600))
	e.put(t, "staging/"+id+".gif", testimage.GIF(40, 40), nil)
	if out := e.processKey(t, "staging/"+id+".gif"); out != Processed {
		t.Fatalf("stray: %s", out)
	}
	if img, _ := e.store.Get(t.Context(), id); img.Status != catalog.StatusPending {
		t.Fatalf("a stray object completed the upload: %+v", img)
	}
	if out := e.processKey(t, key); out != Processed {
		t.Fatalf("own object: %s", out)
	}
	if img, _ := e.store.Get(t.Context(), id); img.Status != catalog.StatusReady || img.Width != 800 || img.Owner != "alice" {
		t.Fatalf("upload %+v", img)
	}
}

// TestUUIDNamedConsolePhotoIsKept: a console photo whose name happens to be a UUID has no row and was not written by
// the upload function; it is processed, not discarded.
func TestUUIDNamedConsolePhotoIsKept(t *testing.T) {
	e := newEnv(t)
	key := "staging/7d3e61c2-52a4-4a5e-9d36-2f0c2b9d6f11.jpg"
	e.put(t, key, testimage.JPEG(500, 400), nil)
	if out := e.processKey(t, key); out != Processed {
		t.Fatalf("%s", out)
	}
	imgs := e.images(t)
	if len(imgs) != 1 || imgs[0].Origin != catalog.OriginConsole || imgs[0].ID == "7d3e61c2-52a4-4a5e-9d36-2f0c2b9d6f11" {
		t.Fatalf("rows %+v", imgs)
	}
}

// TestConsoleOwner: console photos belong to the configured owner.
func TestConsoleOwner(t *testing.T) {
	e := newEnv(t)
	e.r.Config.ConsoleOwner = "ops"
	e.put(t, "staging/x/a.jpg", testimage.JPEG(50, 40), nil)
	e.processKey(t, "staging/x/a.jpg")
	if imgs := e.images(t); len(imgs) != 1 || imgs[0].Owner != "ops" {
		t.Fatalf("rows %+v", imgs)
	}
}

// deleting deletes the upload's row while its outputs are being written, as a client's DELETE could.
type deleting struct {
	Objects
	store catalog.Store
	id    string
	done  bool
}

func (d *deleting) Put(ctx context.Context, key string, data []byte, ct string, meta map[string]string) error {
	if !d.done && strings.HasPrefix(key, "originals/") {
		d.done = true
		if err := d.store.Delete(ctx, d.id); err != nil {
			return err
		}
	}
	return d.Objects.Put(ctx, key, data, ct, meta)
}

// TestDeletedDuringProcessingStaysDeleted: the result of an upload deleted mid-way is withdrawn, so the image does
// not come back and no output is left behind.
func TestDeletedDuringProcessingStaysDeleted(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.JPEG(700, 500))
	e.r.Objects = &deleting{Objects: e.s3.Bucket, store: e.store, id: id}
	if out := e.processKey(t, key); out != Discarded {
		t.Fatalf("%s", out)
	}
	if _, err := e.store.Get(t.Context(), id); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("the row came back: %v", err)
	}
	l := layout.New("staging/", "derivatives/", "originals/", "failed/")
	for _, k := range []string{key, l.OriginalKey(id, ".jpg"), l.DerivativeKey(id, 1920, ".jpg"), l.DerivativeKey(id, 320, ".jpg")} {
		if e.exists(t, k) {
			t.Errorf("%s left behind", k)
		}
	}
}

// TestMetadataFitsS3sLimit: whatever the key and the filename, the metadata of an archived or quarantined original
// stays under S3's 2 KB of user metadata.
func TestMetadataFitsS3sLimit(t *testing.T) {
	e := newEnv(t)
	long := "staging/" + strings.Repeat("ü/€ ", 170)[:1000] + ".jpg" // ~1 KB of key, tripled by percent-encoding
	name := strings.Repeat("東京", 100)
	for _, data := range [][]byte{testimage.JPEG(64, 48), []byte("not a photo")} {
		e.put(t, long, data, map[string]string{"original-filename": name})
		e.processKey(t, long)
	}
	for _, prefix := range []string{"originals/", "failed/"} {
		list, err := e.s3.Bucket.List(t.Context(), prefix)
		if err != nil || len(list) != 1 {
			t.Fatalf("%s: %v %v", prefix, list, err)
		}
		keys := []string{list[0].Key}
		obj, err := e.s3.Bucket.Get(t.Context(), keys[0], 0)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for k, v := range obj.Metadata {
			n += len("x-amz-meta-") + len(k) + len(v)
		}
		if n > 2048 || obj.Metadata["image-id"] == "" {
			t.Errorf("%s: %d bytes of metadata %v", keys[0], n, obj.Metadata)
		}
	}
}
