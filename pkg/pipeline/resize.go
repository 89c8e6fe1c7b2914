package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
	"github.com/imgpipe/imgpipe/pkg/layout"
	"github.com/imgpipe/imgpipe/pkg/metrics"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Objects is the part of the bucket the resize job uses.
type Objects interface {
	Get(ctx context.Context, key string, maxBytes int64) (*storage.Object, error)
	Put(ctx context.Context, key string, data []byte, contentType string, meta map[string]string) error
	Copy(ctx context.Context, src, dst, contentType string, meta map[string]string) error
	DeleteIf(ctx context.Context, key, etag string) error
}

// Catalog is the part of the image catalog the resize job uses.
type Catalog interface {
	Get(ctx context.Context, id string) (*catalog.Image, error)
	MarkReady(ctx context.Context, img *catalog.Image) error
	MarkFailed(ctx context.Context, img *catalog.Image) error
}

var (
	_ Objects = (*storage.Bucket)(nil)
	_ Catalog = (catalog.Store)(nil)
)

// Config configures the resize job.
type Config struct {
	Bucket           string // records for any other bucket are ignored
	Layout           layout.Layout
	ArchiveOriginals bool
	MaxSourceBytes   int64 // larger staged objects are quarantined unread
	Process          imageproc.Options
}

// Resizer runs the resize job. Its fields are its dependencies; it holds no per-invocation state.
type Resizer struct {
	Objects Objects
	Catalog Catalog
	Config  Config
	Log     *slog.Logger
	Metrics *metrics.Emitter
}

// Outcome says what happened to one record.
type Outcome string

// The outcomes of one record.
const (
	Processed   Outcome = "processed"
	Quarantined Outcome = "quarantined"
	Duplicate   Outcome = "duplicate" // the staging copy was already gone: an earlier delivery finished the job
	Discarded   Outcome = "discarded" // an upload whose row is gone: rolled back by the upload function, or deleted
	Ignored     Outcome = "ignored"   // not an ObjectCreated event for our bucket's staging prefix
)

// HandleEvent processes every record of an S3 event. It returns an error only for transient failures (S3 or the
// database), after trying every record, so Lambda retries the event; records that already succeeded are no-ops on
// the retry because their staging copies are gone.
func (r *Resizer) HandleEvent(ctx context.Context, ev events.S3Event) error {
	var errs []error
	for _, rec := range ev.Records {
		if _, err := r.HandleRecord(ctx, rec); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// HandleRecord processes one record.
func (r *Resizer) HandleRecord(ctx context.Context, rec events.S3EventRecord) (Outcome, error) {
	key := rec.S3.Object.URLDecodedKey
	if key == "" && rec.S3.Object.Key != "" { // a record built in code rather than unmarshalled from JSON
		k, err := url.QueryUnescape(rec.S3.Object.Key)
		if err != nil {
			k = rec.S3.Object.Key
		}
		key = k
	}
	log := r.Log.With("key", key, "bucket", rec.S3.Bucket.Name)
	// MinIO prefixes event names with "s3:"; AWS does not.
	if name := strings.TrimPrefix(rec.EventName, "s3:"); !strings.HasPrefix(name, "ObjectCreated:") {
		log.Warn("ignored record", "outcome", Ignored, "reason", "not an ObjectCreated event", "event", rec.EventName)
		return Ignored, nil
	}
	if rec.S3.Bucket.Name != r.Config.Bucket || !r.Config.Layout.InStaging(key) {
		// Defence in depth: only a misconfigured trigger delivers these, and acting on them could loop on our own
		// outputs.
		log.Warn("ignored record", "outcome", Ignored, "reason", "outside the staging prefix of the configured bucket")
		return Ignored, nil
	}
	j := &job{r: r, key: key, etag: rec.S3.Object.ETag, log: log, start: time.Now()}
	return j.run(ctx)
}

// job is one record's work; its methods are the named steps.
type job struct {
	r      *Resizer
	key    string
	etag   string
	id     string
	upload bool // the key is one the upload function wrote, so a catalog row must exist
	log    *slog.Logger
	start  time.Time
	stages map[string]time.Duration
	obj    *storage.Object
	result *imageproc.Result
}

func (j *job) run(ctx context.Context) (Outcome, error) {
	j.stages = map[string]time.Duration{}
	if err := j.timed("fetch", func() error { return j.fetch(ctx) }); err != nil {
		switch {
		case errors.Is(err, storage.ErrNotFound):
			j.log.Info("staging copy already gone; an earlier delivery did the job", "outcome", Duplicate)
			return Duplicate, nil
		case errors.Is(err, storage.ErrTooLarge):
			return j.quarantine(ctx, failure{code: "too_large",
				why: fmt.Sprintf("the file is %d bytes; the limit is %d", j.obj.Size, j.r.Config.MaxSourceBytes)})
		}
		return j.fail(err)
	}
	var perr error
	j.timed("process", func() error { j.result, perr = imageproc.Process(j.obj.Body, j.r.Config.Process); return perr })
	// Checked after processing, right before the first write, to keep the window for a concurrent DELETE short.
	if gone, err := j.rowGone(ctx); err != nil {
		return j.fail(err)
	} else if gone {
		return j.discard(ctx)
	}
	if perr != nil {
		return j.quarantine(ctx, classify(perr))
	}
	steps := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"write", j.writeDerivatives},
		{"archive", j.archiveOriginal},
		{"record", j.recordReady},
		{"cleanup", j.deleteStaging}, // last: until here a retry can redo everything
	}
	for _, s := range steps {
		err := j.timed(s.name, func() error { return s.fn(ctx) })
		if errors.Is(err, catalog.ErrInvalid) { // a row the schema refuses: no retry can fix it
			return j.quarantine(ctx, failure{code: "invalid_metadata", why: err.Error()})
		}
		if err != nil {
			return j.fail(err)
		}
	}
	j.logDone()
	return Processed, nil
}

func (j *job) timed(name string, fn func() error) error {
	t := time.Now()
	err := fn()
	j.stages[name] = time.Since(t)
	return err
}

// fetch downloads the staged photo and works out its id.
func (j *job) fetch(ctx context.Context) error {
	obj, err := j.r.Objects.Get(ctx, j.key, j.r.Config.MaxSourceBytes)
	j.obj = obj
	if obj != nil {
		if obj.ETag != "" {
			j.etag = obj.ETag
		}
		j.id, j.upload = j.r.Config.Layout.IDFor(j.key, j.etag)
		j.log = j.log.With("id", j.id)
	}
	return err
}

// rowGone reports whether this is an upload whose catalog row no longer exists. The upload function writes the
// row before the object and removes both when the put fails, and DELETE removes the row: processing such a photo
// would bring back an image the client was told does not exist. A photo that arrived by other means (the console)
// has no row yet, and gets one.
func (j *job) rowGone(ctx context.Context) (bool, error) {
	if !j.upload {
		return false, nil
	}
	_, err := j.r.Catalog.Get(ctx, j.id)
	if errors.Is(err, catalog.ErrNotFound) {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("catalog: get %s: %w", j.id, err)
	}
	return false, nil
}

// discard removes the staging copy of an upload whose row is gone, and succeeds.
func (j *job) discard(ctx context.Context) (Outcome, error) {
	if err := j.deleteStaging(ctx); err != nil {
		return j.fail(err)
	}
	j.log.Warn("discarded: the upload's catalog row is gone (rolled back or deleted)", "outcome", Discarded)
	return Discarded, nil
}

// writeDerivatives writes every derivative; a retry overwrites the same keys with the same bytes.
func (j *job) writeDerivatives(ctx context.Context) error {
	for _, d := range j.result.Derivatives {
		k := j.r.Config.Layout.DerivativeKey(j.id, d.TargetWidth, d.Format.Ext)
		if err := j.r.Objects.Put(ctx, k, d.Data, d.Format.ContentType, map[string]string{"image-id": j.id}); err != nil {
			return err
		}
	}
	return nil
}

// archiveOriginal keeps the untouched upload. The bytes are already in memory, and a PUT stores them with the
// sniffed content type whatever the uploader claimed.
func (j *job) archiveOriginal(ctx context.Context) error {
	if !j.r.Config.ArchiveOriginals {
		return nil
	}
	f := j.result.Source.Format
	return j.r.Objects.Put(ctx, j.r.Config.Layout.OriginalKey(j.id, f.Ext), j.obj.Body, f.ContentType, j.meta(""))
}

// recordReady marks the catalog row ready, creating it for a photo that arrived without one.
func (j *job) recordReady(ctx context.Context) error {
	res := j.result
	img := j.catalogImage()
	img.Status = catalog.StatusReady
	img.ContentType = res.Source.Format.ContentType
	img.Width, img.Height = res.Width, res.Height
	if j.r.Config.ArchiveOriginals {
		img.OriginalKey = j.r.Config.Layout.OriginalKey(j.id, res.Source.Format.Ext)
	}
	for _, d := range res.Derivatives {
		img.Derivatives = append(img.Derivatives, catalog.Derivative{
			Width: d.Width, Height: d.Height, Bytes: int64(len(d.Data)), ContentType: d.Format.ContentType,
			Key: j.r.Config.Layout.DerivativeKey(j.id, d.TargetWidth, d.Format.Ext),
		})
	}
	if err := j.r.Catalog.MarkReady(ctx, img); err != nil {
		return fmt.Errorf("catalog: mark %s ready: %w", j.id, err)
	}
	return nil
}

// deleteStaging removes the staging copy, which also stops it from triggering again. The delete is conditional on
// the ETag that was processed: if someone uploaded a new photo under the same key meanwhile, that photo stays for
// its own event.
func (j *job) deleteStaging(ctx context.Context) error {
	err := j.r.Objects.DeleteIf(ctx, j.key, j.etag)
	if errors.Is(err, storage.ErrChanged) {
		j.log.Info("staging key was overwritten during processing; the new object is left for its own event")
		return nil
	}
	return err
}

// quarantine moves a photo that can never be processed to the failed prefix with the reason in its metadata and
// in the catalog, then deletes the staging copy. It returns success so that Lambda does not retry a bad file.
func (j *job) quarantine(ctx context.Context, f failure) (Outcome, error) {
	why := f.why
	ext := strings.ToLower(path.Ext(j.key))
	if info, err := imagefile.Sniff(j.obj.Body); err == nil {
		ext = info.Ext
	}
	failedKey := j.r.Config.Layout.FailedKey(j.id, sanitizeExt(ext))
	steps := []func() error{
		func() error {
			if j.obj.Body == nil { // too large to read into memory: the server copies it
				return j.r.Objects.Copy(ctx, j.key, failedKey, j.obj.ContentType, j.meta(why))
			}
			return j.r.Objects.Put(ctx, failedKey, j.obj.Body, j.obj.ContentType, j.meta(why))
		},
		func() error {
			img := j.catalogImage()
			img.Status, img.FailureReason, img.OriginalKey = catalog.StatusFailed, why, failedKey
			err := j.r.Catalog.MarkFailed(ctx, img)
			if errors.Is(err, catalog.ErrInvalid) {
				// Retrying cannot fix a row the schema refuses, and the photo is already safe in failed/.
				j.log.Error("catalog refused the failed row", "error", err.Error())
				return nil
			}
			if err != nil {
				return fmt.Errorf("catalog: mark %s failed: %w", j.id, err)
			}
			return nil
		},
		func() error { return j.deleteStaging(ctx) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return j.fail(err)
		}
	}
	j.log.Warn("quarantined", "outcome", Quarantined, "reason", why, "failed_key", failedKey, "ms", ms(time.Since(j.start)))
	j.r.Metrics.Emit(map[string]string{"Function": "resize", "Reason": f.code}, map[string]any{"id": j.id},
		metrics.Metric{Name: "Failures", Unit: metrics.Count, Value: 1})
	return Quarantined, nil
}

// fail reports a transient error. The staging copy is still there, so the retry redoes the job. The error is
// logged here as well as returned because the log line is the job's one JSON outcome record, with its key and id;
// the Lambda runtime only reports the returned error to the invoker.
func (j *job) fail(err error) (Outcome, error) {
	j.log.Error("resize failed; will be retried", "error", err.Error(), "ms", ms(time.Since(j.start)))
	j.r.Metrics.Emit(map[string]string{"Function": "resize", "Reason": "transient"}, map[string]any{"id": j.id},
		metrics.Metric{Name: "Failures", Unit: metrics.Count, Value: 1})
	return "", fmt.Errorf("resize %s: %w", j.key, err)
}

// catalogImage builds the row fields known from the staged object: the metadata the upload function wrote, or
// the key's own name for a photo uploaded by other means.
func (j *job) catalogImage() *catalog.Image {
	img := &catalog.Image{ID: j.id, StagingKey: j.key, Filename: catalog.FitFilename(path.Base(j.key))}
	if j.obj != nil {
		img.Bytes = j.obj.Size
		if f, err := imagefile.Sniff(j.obj.Body); err == nil {
			img.ContentType = f.ContentType // never the uploader's claim, which may be anything
		}
		if name, err := url.PathUnescape(j.obj.Metadata["original-filename"]); err == nil && name != "" {
			img.Filename = catalog.FitFilename(name)
		}
	}
	return img
}

// meta is the metadata stored with an archived or quarantined original.
func (j *job) meta(why string) map[string]string {
	m := map[string]string{"image-id": j.id, "staging-key": url.PathEscape(j.key)}
	if name := j.obj.Metadata["original-filename"]; name != "" {
		m["original-filename"] = name
	}
	if why != "" {
		m["failure-reason"] = url.PathEscape(why)
	}
	return m
}

func (j *job) logDone() {
	res := j.result
	attrs := []any{"outcome", Processed, "source", fmt.Sprintf("%dx%d", res.Width, res.Height),
		"bytes_in", len(j.obj.Body), "format", res.Source.Format.Name, "orientation", res.Source.Orientation,
		"decode_ms", ms(res.Stages.Decode), "resize_ms", ms(res.Stages.Resize), "encode_ms", ms(res.Stages.Encode)}
	var out int
	ds := make([]string, 0, len(res.Derivatives))
	for _, d := range res.Derivatives {
		out += len(d.Data)
		ds = append(ds, fmt.Sprintf("%dx%d:%d", d.Width, d.Height, len(d.Data)))
	}
	attrs = append(attrs, "derivatives", ds, "bytes_out", out)
	for name, d := range j.stages {
		attrs = append(attrs, name+"_ms", ms(d))
	}
	attrs = append(attrs, "total_ms", ms(time.Since(j.start)))
	j.log.Info("processed", attrs...)

	ems := []metrics.Metric{
		{Name: "BytesIn", Unit: metrics.Bytes, Value: float64(len(j.obj.Body))},
		{Name: "BytesOut", Unit: metrics.Bytes, Value: float64(out)},
		{Name: "Pixels", Unit: metrics.Count, Value: float64(res.Source.Pixels())},
		{Name: "DecodeMs", Unit: metrics.Milliseconds, Value: ms(res.Stages.Decode)},
		{Name: "ResizeMs", Unit: metrics.Milliseconds, Value: ms(res.Stages.Resize)},
		{Name: "EncodeMs", Unit: metrics.Milliseconds, Value: ms(res.Stages.Encode)},
		{Name: "TotalMs", Unit: metrics.Milliseconds, Value: ms(time.Since(j.start))},
	}
	for _, s := range []string{"fetch", "write", "archive", "record", "cleanup"} {
		ems = append(ems, metrics.Metric{Name: strings.ToUpper(s[:1]) + s[1:] + "Ms", Unit: metrics.Milliseconds, Value: ms(j.stages[s])})
	}
	j.r.Metrics.Emit(map[string]string{"Function": "resize"}, map[string]any{"id": j.id, "key": j.key}, ems...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

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
