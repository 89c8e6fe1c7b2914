package pipeline

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	_ "image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	_ "golang.org/x/image/webp"

	"github.com/imgpipe/imgpipe/internal/s3test"
	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/catalog/sqlstore"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/metrics"
)

const bucket = "images"

type env struct {
	s3      *s3test.Server
	store   catalog.Store
	r       *Resizer
	metrics *bytes.Buffer
}

// newEnv wires a Resizer to an S3 protocol server over HTTP and a real SQLite catalog.
func newEnv(t *testing.T) *env {
	t.Helper()
	srv := s3test.Start(t, bucket)
	store, err := sqlstore.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "catalog.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	var emf bytes.Buffer
	r := &Resizer{
		Objects: srv.Bucket,
		Catalog: store,
		Config: Config{
			Bucket: bucket, Layout: layout.New("staging/", "derivatives/", "originals/", "failed/"),
			ArchiveOriginals: true, MaxSourceBytes: 8 << 20,
			Widths: []int{1920, 640, 320}, Quality: 82, Limits: budget.Limits{MaxPixels: 50_000_000, MaxSide: 20000, Memory: 648 << 20},
		},
		Log:     slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Metrics: metrics.New(&emf, "ImagePipeline"),
	}
	return &env{s3: srv, store: store, r: r, metrics: &emf}
}

// s3Event builds an event the way S3 sends it (key form-encoded) and passes it through JSON, as Lambda does.
func s3Event(t *testing.T, eventName, bucketName string, keys ...string) events.S3Event {
	t.Helper()
	var recs []map[string]any
	for _, k := range keys {
		recs = append(recs, map[string]any{
			"eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": "us-east-1", "eventName": eventName,
			"s3": map[string]any{"bucket": map[string]any{"name": bucketName},
				"object": map[string]any{"key": encodeKey(k), "size": 1}},
		})
	}
	raw, _ := json.Marshal(map[string]any{"Records": recs})
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	return ev
}

// encodeKey encodes like S3's notifications: form encoding, so a space is "+" and "+" is "%2B".
func encodeKey(k string) string {
	var b strings.Builder
	for _, c := range []byte(k) {
		switch {
		case c == ' ':
			b.WriteByte('+')
		case c == '/' || c == '-' || c == '_' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			b.WriteByte(c)
		default:
			b.WriteString("%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15])))
		}
	}
	return b.String()
}

// stage puts data at key as an upload would: a key the upload function writes also gets its pending row first, and
// the object the metadata the upload function writes.
func (e *env) stage(t *testing.T, key string, data []byte) {
	t.Helper()
	meta := map[string]string{"original-filename": "IMG_0001.JPG"}
	if id, upload := e.r.Config.Layout.UploadID(key); upload {
		err := e.store.Create(t.Context(), &catalog.Image{ID: id, Owner: "alice", StagingKey: key, Filename: "IMG_0001.JPG"})
		if err != nil && !errors.Is(err, catalog.ErrExists) {
			t.Fatal(err)
		}
		meta["image-id"] = id
	}
	e.put(t, key, data, meta)
}

// put puts an object at key with no row, as the console or the CLI would.
func (e *env) put(t *testing.T, key string, data []byte, meta map[string]string) {
	t.Helper()
	if err := e.s3.Bucket.Put(t.Context(), key, data, "application/octet-stream", meta); err != nil {
		t.Fatal(err)
	}
}

// images lists every row.
func (e *env) images(t *testing.T) []catalog.Image {
	t.Helper()
	page, _, err := e.store.List(t.Context(), catalog.Query{All: true, Limit: catalog.MaxListLimit})
	if err != nil {
		t.Fatal(err)
	}
	return page
}

func (e *env) exists(t *testing.T, key string) bool {
	t.Helper()
	ok, err := e.s3.Bucket.Exists(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func (e *env) decode(t *testing.T, key string) image.Image {
	t.Helper()
	obj, err := e.s3.Bucket.Get(t.Context(), key, 0)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	img, _, err := image.Decode(bytes.NewReader(obj.Body))
	if err != nil {
		t.Fatalf("decode %s: %v", key, err)
	}
	return img
}

const id = "0190a8f4-1111-7000-8000-000000000001"

func TestResizeWritesDerivativesArchivesAndCleansUp(t *testing.T) {
	e := newEnv(t)
	src := testimage.WithOrientation(testimage.JPEG(2400, 1600), 6) // stored landscape, shown portrait 1600x2400
	key := "staging/" + id + ".jpg"
	e.stage(t, key, src)
	if err := e.r.HandleEvent(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, key)); err != nil {
		t.Fatal(err)
	}
	want := map[int]image.Point{1920: {1600, 2400}, 640: {640, 960}, 320: {320, 480}} // 1920 is never upscaled
	for w, size := range want {
		img := e.decode(t, layout.New("staging", "derivatives", "originals", "failed").DerivativeKey(id, w, ".jpg"))
		if img.Bounds().Size() != size {
			t.Errorf("%d: got %v, want %v", w, img.Bounds().Size(), size)
		}
	}
	if e.exists(t, key) {
		t.Error("staging copy still there")
	}
	orig, err := e.s3.Bucket.Get(t.Context(), "originals/"+id+".jpg", 0)
	if err != nil || !bytes.Equal(orig.Body, src) || orig.ContentType != "image/jpeg" {
		t.Fatalf("archived original: %v", err)
	}
	img, err := e.store.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	if img.Status != catalog.StatusReady || img.Width != 1600 || img.Height != 2400 || len(img.Derivatives) != 3 ||
		img.OriginalKey != "originals/"+id+".jpg" || img.Filename != "IMG_0001.JPG" {
		t.Fatalf("row %+v", img)
	}
}

// TestWebPNextToEachDerivative: FORMATS=jpeg,webp writes a WebP of the same size beside each JPEG, and the row
// lists both.
func TestWebPNextToEachDerivative(t *testing.T) {
	e := newEnv(t)
	e.r.Config.AlsoWebP, e.r.Config.WebPQuality = true, 80
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.WithOrientation(testimage.JPEG(2400, 1600), 6))
	if err := e.r.HandleEvent(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, key)); err != nil {
		t.Fatal(err)
	}
	row, err := e.store.Get(t.Context(), id)
	if err != nil || len(row.Derivatives) != 6 {
		t.Fatalf("row %+v %v", row, err)
	}
	for _, w := range []int{1920, 640, 320} {
		j, errJ := e.s3.Bucket.Get(t.Context(), "derivatives/"+id+"/"+strconv.Itoa(w)+".jpg", 0)
		wp, errW := e.s3.Bucket.Get(t.Context(), "derivatives/"+id+"/"+strconv.Itoa(w)+".webp", 0)
		if errJ != nil || errW != nil || wp.ContentType != "image/webp" {
			t.Fatalf("%d: %v %v", w, errJ, errW)
		}
		jc, _, err1 := image.DecodeConfig(bytes.NewReader(j.Body))
		wc, f, err2 := image.DecodeConfig(bytes.NewReader(wp.Body))
		if err1 != nil || err2 != nil || f != "webp" || jc != wc {
			t.Fatalf("%d: jpeg %+v, %s %+v (%v %v)", w, jc, f, wc, err1, err2)
		}
	}
	var types []string
	for _, d := range row.Derivatives {
		types = append(types, strconv.Itoa(d.Width)+" "+d.ContentType)
	}
	if got := strings.Join(types, ","); got != "1600 image/jpeg,1600 image/webp,640 image/jpeg,640 image/webp,320 image/jpeg,320 image/webp" {
		t.Fatalf("derivatives %s", got)
	}
}

func TestResizeNeverUpscalesAndKeepsAlpha(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".png"
	e.stage(t, key, testimage.PNG(200, 100, true))
	if err := e.r.HandleEvent(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, key)); err != nil {
		t.Fatal(err)
	}
	for _, w := range []int{1920, 640, 320} {
		k := "derivatives/" + id + "/" + strconv.Itoa(w) + ".png"
		obj, err := e.s3.Bucket.Get(t.Context(), k, 0)
		if err != nil {
			t.Fatalf("%s: %v", k, err)
		}
		img, err := png.Decode(bytes.NewReader(obj.Body))
		if err != nil || img.Bounds().Dx() != 200 || img.Bounds().Dy() != 100 || obj.ContentType != "image/png" {
			t.Fatalf("%s: %v %v %s", k, err, img.Bounds(), obj.ContentType)
		}
		if _, _, _, a := img.At(150, 50).RGBA(); a == 0xffff {
			t.Errorf("%s: transparency lost", k)
		}
	}
}

func TestDuplicateEventIsNoop(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.JPEG(800, 600))
	ev := s3Event(t, "ObjectCreated:Put", bucket, key)
	if err := e.r.HandleEvent(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	before, _ := e.store.Get(t.Context(), id)
	out, err := e.r.HandleRecord(t.Context(), ev.Records[0])
	if err != nil || out != Duplicate {
		t.Fatalf("second delivery: %v %v", out, err)
	}
	after, _ := e.store.Get(t.Context(), id)
	if !after.UpdatedAt.Equal(before.UpdatedAt) || after.Status != catalog.StatusReady {
		t.Fatalf("row changed: %+v", after)
	}
}

func TestConcurrentDuplicateEvents(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.JPEG(800, 600))
	ev := s3Event(t, "ObjectCreated:Put", bucket, key)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Go(func() { errs[i] = e.r.HandleEvent(context.Background(), ev) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	img, err := e.store.Get(t.Context(), id)
	if err != nil || img.Status != catalog.StatusReady || len(img.Derivatives) != 3 {
		t.Fatalf("row %+v %v", img, err)
	}
	for _, d := range img.Derivatives {
		if !e.exists(t, d.Key) {
			t.Fatalf("%s missing", d.Key)
		}
	}
}

func TestUnprocessablePhotosAreQuarantined(t *testing.T) {
	jpg := testimage.JPEG(300, 200)
	corrupt := append([]byte{}, jpg...)
	for i := len(corrupt) / 2; i < len(corrupt)-2; i++ { // keep the header and EOI, ruin the entropy-coded data
		corrupt[i] = 0xFF
	}
	cases := map[string]struct {
		key, failedKey string
		data           []byte
		reason         string
	}{
		"corrupt jpeg":    {"staging/" + id + ".jpg", "failed/" + id + ".jpg", corrupt, "corrupt"},
		"not an image":    {"staging/" + id + ".txt", "failed/" + id + ".txt", []byte("hello"), "not an image"},
		"unsupported":     {"staging/" + id + ".bmp", "failed/" + id + ".bmp", []byte("BM\x00\x00\x00\x00"), "BMP"},
		"truncated":       {"staging/" + id + ".jpg", "failed/" + id + ".jpg", jpg[:len(jpg)/2], "truncated"},
		"too many pixels": {"staging/" + id + ".png", "failed/" + id + ".png", testimage.BlankPNG(8000, 7000), "limit is 50.0 MP"},
		"too many bytes":  {"staging/" + id + ".jpg", "failed/" + id + ".jpg", make([]byte, 9<<20), "the limit is"},
		"too wide":        {"staging/" + id + ".png", "failed/" + id + ".png", testimage.BlankPNG(25000, 8), "no side may exceed 20000"},
		"scan bomb":       {"staging/" + id + ".jpg", "failed/" + id + ".jpg", testimage.ScanBomb(640, 480, 40000), "40000 progressive scans"},
		"over budget":     {"staging/" + id + ".png", "failed/" + id + ".png", testimage.BlankPNG(7000, 7000), "needs about"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			if name == "over budget" {
				e.r.Config.Limits.Memory = 128 << 20 // a 49 MP RGBA frame is 196 MB
			}
			e.stage(t, c.key, c.data)
			e.metrics.Reset()
			if err := e.r.HandleEvent(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, c.key)); err != nil {
				t.Fatalf("a bad photo must not be retried: %v", err)
			}
			if e.exists(t, c.key) {
				t.Error("staging copy still there")
			}
			obj, err := e.s3.Bucket.Get(t.Context(), c.failedKey, 0)
			if err != nil {
				t.Fatalf("quarantined copy: %v", err)
			}
			if !bytes.Equal(obj.Body, c.data) {
				t.Error("quarantined copy differs from the upload")
			}
			if !strings.Contains(obj.Metadata["failure-reason"], strings.ReplaceAll(c.reason, " ", "%20")) {
				t.Errorf("metadata %v", obj.Metadata)
			}
			img, err := e.store.Get(t.Context(), id)
			if err != nil || img.Status != catalog.StatusFailed || !strings.Contains(img.FailureReason, c.reason) {
				t.Fatalf("row %+v %v", img, err)
			}
			if e.exists(t, "derivatives/"+id+"/320.jpg") {
				t.Error("derivative written for a bad photo")
			}
			if !strings.Contains(e.metrics.String(), `"Failures":1`) {
				t.Errorf("no Failures metric: %s", e.metrics.String())
			}
		})
	}
}

// failingCatalog is a catalog whose database goes down after the row check.
type failingCatalog struct{ Catalog }

func (failingCatalog) MarkReady(context.Context, *catalog.Image) error  { return errors.New("db down") }
func (failingCatalog) MarkFailed(context.Context, *catalog.Image) error { return errors.New("db down") }

// downCatalog is a catalog whose database is down from the start.
type downCatalog struct{ failingCatalog }

func (downCatalog) Get(context.Context, string) (*catalog.Image, error) {
	return nil, errors.New("db down")
}

// TestFaultAtEachStepLosesNothing injects a failure at every S3 step and at the database, then checks that the
// photo still exists somewhere a retry can finish from, and that the retry does finish.
func TestFaultAtEachStepLosesNothing(t *testing.T) {
	key := "staging/" + id + ".jpg"
	faults := map[string]s3test.Fault{
		"download":          {Method: "GET", KeyPrefix: "staging/"},
		"first derivative":  {Method: "PUT", KeyPrefix: "derivatives/" + id + "/1920"},
		"last derivative":   {Method: "PUT", KeyPrefix: "derivatives/" + id + "/320"},
		"archive":           {Method: "PUT", KeyPrefix: "originals/"},
		"delete staging":    {Method: "DELETE", KeyPrefix: "staging/"},
		"database":          {},
		"database at start": {},
	}
	for name, f := range faults {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.stage(t, key, testimage.JPEG(1000, 700))
			store := e.r.Catalog
			switch name {
			case "database":
				e.r.Catalog = failingCatalog{store}
			case "database at start":
				e.r.Catalog = downCatalog{failingCatalog{store}}
			default:
				e.s3.Inject(f)
			}
			ev := s3Event(t, "ObjectCreated:Put", bucket, key)
			if err := e.r.HandleEvent(t.Context(), ev); err == nil {
				t.Fatal("a transient failure must return an error so Lambda retries")
			}
			e.s3.Clear()
			if !e.exists(t, key) {
				t.Fatal("the staging copy is gone after a failed run: the photo could be lost")
			}
			e.r.Catalog = store
			if err := e.r.HandleEvent(t.Context(), ev); err != nil {
				t.Fatalf("retry: %v", err)
			}
			for _, k := range []string{"originals/" + id + ".jpg", "derivatives/" + id + "/1920.jpg",
				"derivatives/" + id + "/640.jpg", "derivatives/" + id + "/320.jpg"} {
				if !e.exists(t, k) {
					t.Errorf("%s missing after retry", k)
				}
			}
			if e.exists(t, key) {
				t.Error("staging copy left after retry")
			}
		})
	}
}

func TestQuarantineFaultLosesNothing(t *testing.T) {
	for name, f := range map[string]s3test.Fault{
		"put failed copy": {Method: "PUT", KeyPrefix: "failed/"},
		"delete staging":  {Method: "DELETE", KeyPrefix: "staging/"},
	} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			key := "staging/" + id + ".jpg"
			e.stage(t, key, []byte("not a photo"))
			e.s3.Inject(f)
			if err := e.r.HandleEvent(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, key)); err == nil {
				t.Fatal("want an error")
			}
			if !e.exists(t, key) {
				t.Fatal("staging copy lost")
			}
		})
	}
}

func TestEveryRecordIsHandled(t *testing.T) {
	e := newEnv(t)
	k1, k2 := "staging/"+id+".jpg", "staging/0190a8f4-1111-7000-8000-000000000002.jpg"
	e.stage(t, k1, testimage.JPEG(400, 300))
	e.stage(t, k2, testimage.JPEG(300, 400))
	e.stage(t, "derivatives/x/1920.jpg", testimage.JPEG(30, 30))
	ev := s3Event(t, "ObjectCreated:Put", bucket, k1, "derivatives/x/1920.jpg", k2)
	if err := e.r.HandleEvent(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	if e.exists(t, k1) || e.exists(t, k2) || !e.exists(t, "derivatives/x/1920.jpg") {
		t.Fatal("records not all handled, or an output was touched")
	}
	if !e.exists(t, "derivatives/0190a8f4-1111-7000-8000-000000000002/320.jpg") {
		t.Fatal("second record not processed")
	}
}

func TestConsoleUploadsAndEventVariants(t *testing.T) {
	cases := map[string]struct {
		eventName, key, encoded string
	}{
		"aws, spaces and unicode": {"ObjectCreated:Put", "staging/Holiday 2026/Straße 1+2.jpg", ""},
		"minio, s3: prefix, %2F":  {"s3:ObjectCreated:Put", "staging/a b/ü+x.jpg", "staging%2Fa+b%2F%C3%BC%2Bx.jpg"},
		"copy":                    {"ObjectCreated:Copy", "staging/copied.jpg", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t)
			e.stage(t, c.key, testimage.JPEG(700, 500))
			ev := s3Event(t, c.eventName, bucket, c.key)
			if c.encoded != "" {
				raw, _ := json.Marshal(ev)
				raw = bytes.Replace(raw, []byte(`"key":"`+encodeKey(c.key)+`"`), []byte(`"key":"`+c.encoded+`"`), 1)
				ev = events.S3Event{}
				json.Unmarshal(raw, &ev)
			}
			out, err := e.r.HandleRecord(t.Context(), ev.Records[0])
			if err != nil || out != Processed {
				t.Fatalf("%v %v", out, err)
			}
			if e.exists(t, c.key) {
				t.Fatal("staging copy left")
			}
			page := e.images(t)
			if len(page) != 1 || page[0].Status != catalog.StatusReady || page[0].Filename != "IMG_0001.JPG" {
				t.Fatalf("rows %+v", page)
			}
			if !e.exists(t, "derivatives/"+page[0].ID+"/640.jpg") || !e.exists(t, "originals/"+page[0].ID+".jpg") {
				t.Fatal("outputs missing")
			}
		})
	}
}

func TestIgnoredRecords(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.JPEG(100, 100))
	for name, ev := range map[string]events.S3Event{
		"other bucket":   s3Event(t, "ObjectCreated:Put", "someone-elses", key),
		"removed event":  s3Event(t, "ObjectRemoved:Delete", bucket, key),
		"outside prefix": s3Event(t, "ObjectCreated:Put", bucket, "originals/"+id+".jpg"),
		"folder marker":  s3Event(t, "ObjectCreated:Put", bucket, "staging/"),
	} {
		out, err := e.r.HandleRecord(t.Context(), ev.Records[0])
		if err != nil || out != Ignored {
			t.Errorf("%s: %v %v", name, out, err)
		}
	}
	if !e.exists(t, key) {
		t.Fatal("an ignored record touched the staging copy")
	}
}

func TestMetricsAreEmbeddedMetricFormat(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	src := testimage.JPEG(1000, 800)
	e.stage(t, key, src)
	if err := e.r.HandleEvent(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, key)); err != nil {
		t.Fatal(err)
	}
	var rec map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(e.metrics.Bytes()), &rec); err != nil {
		t.Fatalf("not one JSON line: %q", e.metrics.String())
	}
	aws := rec["_aws"].(map[string]any)
	if _, ok := aws["Timestamp"].(float64); !ok {
		t.Fatal("no Timestamp")
	}
	cwm := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
	if cwm["Namespace"] != "ImagePipeline" {
		t.Fatalf("namespace %v", cwm["Namespace"])
	}
	for _, d := range cwm["Dimensions"].([]any)[0].([]any) {
		if _, ok := rec[d.(string)]; !ok {
			t.Fatalf("dimension %v has no value", d)
		}
	}
	for _, m := range cwm["Metrics"].([]any) {
		name := m.(map[string]any)["Name"].(string)
		if _, ok := rec[name].(float64); !ok {
			t.Fatalf("metric %s has no numeric value", name)
		}
	}
	if rec["BytesIn"] != float64(len(src)) || rec["Pixels"] != float64(800_000) || rec["Function"] != "resize" {
		t.Fatalf("values %v", rec)
	}
}

// TestRolledBackUploadIsDiscarded: an upload whose row is gone (the upload function rolled it back after a put
// that reported failure but landed, or the client deleted it) must not come back as a ready image.
func TestRolledBackUploadIsDiscarded(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.JPEG(300, 200))
	if err := e.store.Delete(t.Context(), id); err != nil {
		t.Fatal(err)
	}
	out, err := e.r.HandleRecord(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, key).Records[0])
	if err != nil || out != Discarded {
		t.Fatalf("%v %v", out, err)
	}
	if e.exists(t, key) || e.exists(t, "derivatives/"+id+"/320.jpg") {
		t.Fatal("discarded upload left objects behind")
	}
	if _, err := e.store.Get(t.Context(), id); !errors.Is(err, catalog.ErrNotFound) {
		t.Fatalf("row came back: %v", err)
	}
}

// overwriting puts a new photo at the staging key while the job is writing its derivatives, as a user uploading
// again under the same name through the console would.
type overwriting struct {
	Objects
	key  string
	with []byte
	done bool
}

func (o *overwriting) Put(ctx context.Context, key string, data []byte, ct string, meta map[string]string) error {
	if !o.done {
		o.done = true
		if err := o.Objects.Put(ctx, o.key, o.with, "image/jpeg", nil); err != nil {
			return err
		}
	}
	return o.Objects.Put(ctx, key, data, ct, meta)
}

// TestOverwrittenDuringProcessingIsKept: the staging delete is conditional on the processed ETag, so a photo
// uploaded again under the same key is left for its own event instead of being deleted unprocessed.
func TestOverwrittenDuringProcessingIsKept(t *testing.T) {
	e := newEnv(t)
	key := "staging/holiday.jpg"
	e.stage(t, key, testimage.JPEG(400, 300))
	e.r.Objects = &overwriting{Objects: e.s3.Bucket, key: key, with: testimage.JPEG(300, 400)}
	ev := s3Event(t, "ObjectCreated:Put", bucket, key)
	if out, err := e.r.HandleRecord(t.Context(), ev.Records[0]); err != nil || out != Processed {
		t.Fatalf("first photo: %v %v", out, err)
	}
	if !e.exists(t, key) {
		t.Fatal("the second photo was deleted unprocessed")
	}
	if out, err := e.r.HandleRecord(t.Context(), ev.Records[0]); err != nil || out != Processed {
		t.Fatalf("second photo: %v %v", out, err)
	}
	page := e.images(t)
	if len(page) != 2 || e.exists(t, key) {
		t.Fatalf("%d rows; staging left %v", len(page), e.exists(t, key))
	}
}

// TestOddNamesNeverBlockTheCatalog: a console key or a metadata filename the catalog could not store must not
// turn into an endless retry.
func TestOddNamesNeverBlockTheCatalog(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + strings.Repeat("a", 300) + ".jpg"
	if err := e.s3.Bucket.Put(t.Context(), key, testimage.JPEG(100, 80), "x/"+strings.Repeat("y", 300),
		map[string]string{"original-filename": "%ff%fe"}); err != nil {
		t.Fatal(err)
	}
	if out, err := e.r.HandleRecord(t.Context(), s3Event(t, "ObjectCreated:Put", bucket, key).Records[0]); err != nil || out != Processed {
		t.Fatalf("%v %v", out, err)
	}
}
