package pipeline

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgpipe/imgpipe/pkg/budget"
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
	Delete(ctx context.Context, key string) error
	DeleteIf(ctx context.Context, key, etag string) error
}

// Catalog is the part of the image catalog the resize job uses.
type Catalog interface {
	Get(ctx context.Context, id string) (*catalog.Image, error)
	Claim(ctx context.Context, img *catalog.Image) error
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
	MaxSourceBytes   int64         // larger staged objects are quarantined unread
	Widths           []int         // the derivative widths
	Quality          int           // JPEG quality, 1-100
	AlsoWebP         bool          // a WebP next to each derivative (FORMATS=jpeg,webp)
	WebPQuality      int           // its quality, 1-100
	Limits           budget.Limits // checked from the header before decoding: over them, the photo is quarantined
	// MaxRedrives is how many re-drives by the sweep an object gets before it is quarantined (0: no limit).
	MaxRedrives int
	// ConsoleOwner owns the photos that arrive without an upload (the console path); empty means nobody, and
	// only administrators see them.
	ConsoleOwner string
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
	key := recordKey(rec)
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
	j := &job{r: r, key: key, log: log, start: time.Now()}
	return j.run(ctx)
}

// recordKey is the record's object key, decoded.
func recordKey(rec events.S3EventRecord) string {
	if k := rec.S3.Object.URLDecodedKey; k != "" || rec.S3.Object.Key == "" {
		return k
	}
	// A record built in code rather than unmarshalled from JSON has only the encoded key.
	if k, err := url.QueryUnescape(rec.S3.Object.Key); err == nil {
		return k
	}
	return rec.S3.Object.Key
}

// source is the staged object and the image it is.
type source struct {
	obj    *storage.Object // Body is nil when the object was too large to read
	id     string
	origin catalog.Origin
	owner  string
}

// job is one record's work. Its methods are the named steps; each returns what it produced.
type job struct {
	r      *Resizer
	key    string
	log    *slog.Logger
	start  time.Time
	stages []stage
	// processBudget is the time processing was given, when the invocation has a deadline.
	processBudget time.Duration
}

// stage is how long a named step took.
type stage struct {
	name string
	d    time.Duration
}

func (j *job) run(ctx context.Context) (Outcome, error) {
	var obj *storage.Object
	var tooLarge *storage.TooLargeError
	err := j.timed("fetch", func() (err error) { obj, err = j.fetch(ctx); return err })
	switch {
	case errors.Is(err, storage.ErrNotFound):
		j.log.Info("staging copy already gone; an earlier delivery did the job", "outcome", Duplicate)
		return Duplicate, nil
	case errors.As(err, &tooLarge):
		obj = tooLarge.Object
	case err != nil:
		return j.fail(err)
	}
	src, err := j.identify(ctx, obj)
	if errors.Is(err, errOrphan) {
		id, _ := j.r.Config.Layout.UploadID(j.key)
		return j.discard(ctx, id, obj)
	}
	if err != nil {
		return j.fail(err)
	}
	j.log = j.log.With("id", src.id)
	if tooLarge != nil {
		return j.quarantine(ctx, src, failure{code: "too_large",
			why: fmt.Sprintf("the file is %d bytes; the limit is %d", tooLarge.Object.Size, tooLarge.Limit)})
	}
	if n := redrives(obj); j.r.Config.MaxRedrives > 0 && n >= j.r.Config.MaxRedrives {
		// Every delivery of this object failed: Lambda's retries, then each re-drive by the sweep. Something about
		// it (a decoder that never returns, a crash) defeats every attempt, and it must stop being retried.
		return j.quarantine(ctx, src, failure{code: "gave_up",
			why: fmt.Sprintf("processing failed on every attempt (re-driven %d times)", n)})
	}
	var res *imageproc.Result
	procCtx, cancel := j.processContext(ctx)
	err = j.timed("process", func() (err error) { res, err = j.process(procCtx, src); return err })
	outOfTime := errors.Is(procCtx.Err(), context.DeadlineExceeded)
	cancel()
	if err != nil {
		if ctx.Err() != nil {
			return j.fail(err)
		}
		if outOfTime {
			return j.tooSlow(ctx, src, err)
		}
		return j.quarantine(ctx, src, classify(err))
	}
	row := j.readyRow(src, res)
	if err := catalog.CheckResult(row); err != nil { // refused before anything is written
		return j.quarantine(ctx, src, failure{code: "invalid_metadata", why: "the catalog cannot store this photo's details"})
	}
	if err := j.timed("write", func() error { return j.writeDerivatives(ctx, src, res) }); err != nil {
		return j.fail(err)
	}
	if err := j.timed("archive", func() error { return j.archiveOriginal(ctx, src, res) }); err != nil {
		return j.fail(err)
	}
	err = j.timed("record", func() error { return j.r.Catalog.MarkReady(ctx, row) })
	if errors.Is(err, catalog.ErrNotFound) {
		// The upload's row was deleted while the photo was processed: what was written is withdrawn, so a
		// deleted image does not come back. (A conflict cannot happen to the claimant; if it does, the retry
		// finds the row taken and processes the object as a console photo.)
		j.log.Warn("the upload was deleted during processing", "error", err.Error())
		return j.discard(ctx, src.id, obj)
	}
	if err != nil {
		return j.fail(fmt.Errorf("catalog: mark %s ready: %w", src.id, err))
	}
	if err := j.timed("cleanup", func() error { return j.deleteStaging(ctx, obj) }); err != nil { // last
		return j.fail(err)
	}
	j.logDone(src, res)
	return Processed, nil
}

func (j *job) timed(name string, fn func() error) error {
	t := time.Now()
	err := fn()
	j.stages = append(j.stages, stage{name, time.Since(t)})
	return err
}

// fetch downloads the staged photo; one over the size limit comes back as a *storage.TooLargeError, unread.
func (j *job) fetch(ctx context.Context) (*storage.Object, error) {
	return j.r.Objects.Get(ctx, j.key, j.r.Config.MaxSourceBytes)
}

// errOrphan means the object is an upload whose row is gone.
var errOrphan = errors.New("pipeline: the upload's catalog row is gone")

// identify works out which image the object is. A key the upload function writes (staging/<uuid><ext>) is that
// upload only if its row names this key and the object claims the row: an object that is not the upload's (another
// extension, a new object once the upload is ready, a second object while the first is being processed) is
// treated as a console photo with an id of its own, so the upload is never touched. An upload key without a row is
// an upload that was rolled back or deleted when the object says so in the metadata the upload function wrote
// (errOrphan), and otherwise a console photo that happens to have a UUID for a name.
func (j *job) identify(ctx context.Context, obj *storage.Object) (*source, error) {
	console := &source{obj: obj, id: layout.ConsoleID(j.key, obj.ETag), origin: catalog.OriginConsole,
		owner: j.r.Config.ConsoleOwner}
	id, ok := j.r.Config.Layout.UploadID(j.key)
	if !ok {
		return console, nil
	}
	row, err := j.r.Catalog.Get(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		if obj.Metadata["image-id"] == id {
			return nil, errOrphan
		}
		return console, nil
	}
	if err != nil {
		return nil, fmt.Errorf("catalog: get %s: %w", id, err)
	}
	err = j.r.Catalog.Claim(ctx, &catalog.Image{ID: id, Origin: row.Origin, StagingKey: j.key, SourceETag: obj.ETag})
	switch {
	case err == nil:
		return &source{obj: obj, id: id, origin: row.Origin, owner: row.Owner}, nil
	case errors.Is(err, catalog.ErrConflict):
		j.log.Warn("the object is not the upload its key names; processing it as a console photo",
			"upload", id, "reason", err.Error())
		return console, nil
	case errors.Is(err, catalog.ErrNotFound):
		return nil, errOrphan
	}
	return nil, fmt.Errorf("catalog: claim %s: %w", id, err)
}

// quarantineReserve is how much of the invocation's time is kept back from processing, so that a photo that
// cannot be processed in time can still be quarantined (a copy, a catalog write and a delete) before Lambda
// stops the function.
const quarantineReserve = 5 * time.Second

// processContext bounds processing by the invocation's deadline less quarantineReserve (at most a quarter of what
// is left, for short timeouts), and records the time processing was given.
func (j *job) processContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	if !ok {
		return context.WithCancel(ctx)
	}
	left := time.Until(deadline)
	j.processBudget = left - min(quarantineReserve, left/4)
	return context.WithTimeout(ctx, j.processBudget)
}

// tooSlow handles processing that ran out of time. When processing was given most of the invocation (at least
// half of it, counted from the job's start), the photo is inherently too slow for the function's timeout and
// memory, and a retry would only time out again: it is quarantined with the reason. Otherwise something before it
// (a slow download) took the time, and the invocation fails, to be retried.
func (j *job) tooSlow(ctx context.Context, src *source, err error) (Outcome, error) {
	deadline, _ := ctx.Deadline()
	if total := deadline.Sub(j.start); j.processBudget < total/2 {
		return j.fail(fmt.Errorf("processing ran out of time, given %s of %s: %w", j.processBudget.Round(time.Millisecond),
			total.Round(time.Millisecond), err))
	}
	return j.quarantine(ctx, src, failure{code: "too_slow",
		why: fmt.Sprintf("processing did not finish within the function's time (stopped after %s)", j.processBudget.Round(100*time.Millisecond))})
}

// redrives is how many times the sweep has re-driven the object (storage.Bucket.Touch counts them).
func redrives(obj *storage.Object) int {
	n, _ := strconv.Atoi(obj.Metadata["redrives"])
	return n
}

// process makes the derivatives.
func (j *job) process(ctx context.Context, src *source) (*imageproc.Result, error) {
	targets := imageproc.Widths(j.r.Config.Widths, j.r.Config.Quality)
	if j.r.Config.AlsoWebP {
		targets = imageproc.WidthsAlso(j.r.Config.Widths, j.r.Config.Quality, []imagefile.Format{imagefile.WebP},
			map[string]int{imagefile.WebP.Name: j.r.Config.WebPQuality})
	}
	return imageproc.Process(ctx, src.obj.Body, imageproc.Request{Targets: targets, Limits: j.r.Config.Limits})
}

// writeDerivatives writes every derivative; a retry overwrites the same keys with the same bytes.
func (j *job) writeDerivatives(ctx context.Context, src *source, res *imageproc.Result) error {
	for _, o := range res.Outputs {
		k := j.r.Config.Layout.DerivativeKey(src.id, o.Target.Width, o.Format.Ext)
		if err := j.r.Objects.Put(ctx, k, o.Data, o.Format.ContentType, map[string]string{"image-id": src.id}); err != nil {
			return err
		}
	}
	return nil
}

// archiveOriginal keeps the untouched upload. The bytes are already in memory, and a PUT stores them with the
// sniffed content type whatever the uploader claimed.
func (j *job) archiveOriginal(ctx context.Context, src *source, res *imageproc.Result) error {
	if !j.r.Config.ArchiveOriginals {
		return nil
	}
	f := res.Source.Format
	return j.r.Objects.Put(ctx, j.r.Config.Layout.OriginalKey(src.id, f.Ext), src.obj.Body, f.ContentType, j.meta(src, ""))
}

// readyRow is the catalog row of a processed photo.
func (j *job) readyRow(src *source, res *imageproc.Result) *catalog.Image {
	img := j.row(src)
	img.ContentType = res.Source.Format.ContentType
	img.Width, img.Height = res.Width, res.Height
	if j.r.Config.ArchiveOriginals {
		img.OriginalKey = j.r.Config.Layout.OriginalKey(src.id, res.Source.Format.Ext)
	}
	for _, o := range res.Outputs {
		img.Derivatives = append(img.Derivatives, catalog.Derivative{
			Width: o.Width, Height: o.Height, Bytes: int64(len(o.Data)), ContentType: o.Format.ContentType,
			Key: j.r.Config.Layout.DerivativeKey(src.id, o.Target.Width, o.Format.Ext),
		})
	}
	return img
}

// deleteStaging removes the staging copy, which also stops it from triggering again. The delete is conditional on
// the ETag that was processed: if someone uploaded a new photo under the same key meanwhile, that photo stays for
// its own event.
func (j *job) deleteStaging(ctx context.Context, obj *storage.Object) error {
	err := j.r.Objects.DeleteIf(ctx, j.key, obj.ETag)
	switch {
	case errors.Is(err, storage.ErrChanged):
		j.log.Info("staging key was overwritten during processing; the new object is left for its own event")
		return nil
	case errors.Is(err, storage.ErrNotFound):
		// A conditional delete of a missing key is 404 in S3: a duplicate delivery processing the same object at
		// the same time got there first, which is the outcome wanted.
		return nil
	}
	return err
}

// discard withdraws an upload whose row is gone: whatever an attempt may have written under its id (the
// derivative keys are known in advance, in every output format), then the staging copy. It succeeds, since the
// upload was rolled back or its owner deleted it.
func (j *job) discard(ctx context.Context, id string, obj *storage.Object) (Outcome, error) {
	l := j.r.Config.Layout
	var keys []string
	for _, w := range j.r.Config.Widths {
		for _, f := range []imagefile.Format{imagefile.JPEG, imagefile.PNG, imagefile.WebP} {
			keys = append(keys, l.DerivativeKey(id, w, f.Ext))
		}
	}
	if f, err := imagefile.Sniff(obj.Body); err == nil {
		keys = append(keys, l.OriginalKey(id, f.Ext))
	}
	for _, k := range keys {
		if err := j.r.Objects.Delete(ctx, k); err != nil {
			return j.fail(err)
		}
	}
	if err := j.deleteStaging(ctx, obj); err != nil {
		return j.fail(err)
	}
	j.log.Warn("discarded: the upload's catalog row is gone (rolled back or deleted)", "outcome", Discarded, "upload", id)
	return Discarded, nil
}

// quarantine moves a photo that can never be processed to the failed prefix with the reason in its metadata and
// in the catalog, then deletes the staging copy. A photo too large to read is moved by a server-side copy, so its
// bytes are kept too. It returns success so that Lambda does not retry a bad file.
func (j *job) quarantine(ctx context.Context, src *source, f failure) (Outcome, error) {
	ext := sanitizeExt(strings.ToLower(path.Ext(j.key)))
	if info, err := imagefile.Sniff(src.obj.Body); err == nil {
		ext = info.Ext
	}
	failedKey := j.r.Config.Layout.FailedKey(src.id, ext)
	meta := j.meta(src, f.why)
	var err error
	if src.obj.Body == nil && src.obj.Size > 0 { // not read: too large
		err = j.r.Objects.Copy(ctx, j.key, failedKey, src.obj.ContentType, meta)
	} else {
		err = j.r.Objects.Put(ctx, failedKey, src.obj.Body, src.obj.ContentType, meta)
	}
	if err != nil {
		return j.fail(err)
	}
	img := j.row(src)
	img.FailureReason, img.OriginalKey = f.why, failedKey
	switch err := j.r.Catalog.MarkFailed(ctx, img); {
	case errors.Is(err, catalog.ErrInvalid), errors.Is(err, catalog.ErrConflict), errors.Is(err, catalog.ErrNotFound):
		// Retrying cannot change the answer, and the photo is already safe in failed/ with its reason.
		j.log.Error("the catalog refused the failed row; the photo is kept in failed/", "error", err.Error(), "failed_key", failedKey)
	case err != nil:
		return j.fail(fmt.Errorf("catalog: mark %s failed: %w", src.id, err))
	}
	if err := j.deleteStaging(ctx, src.obj); err != nil {
		return j.fail(err)
	}
	j.log.Warn("quarantined", "outcome", Quarantined, "reason", f.why, "code", f.code, "failed_key", failedKey,
		"ms", ms(time.Since(j.start)))
	j.r.Metrics.Emit(map[string]string{"Function": "resize", "Reason": f.code}, map[string]any{"id": src.id},
		metrics.Metric{Name: "Failures", Unit: metrics.Count, Value: 1})
	return Quarantined, nil
}

// fail reports a transient error. The staging copy is still there, so the retry redoes the job. The error is
// logged here as well as returned because the log line is the job's one JSON outcome record, with its key and id;
// the Lambda runtime only reports the returned error to the invoker.
func (j *job) fail(err error) (Outcome, error) {
	j.log.Error("resize failed; will be retried", "error", err.Error(), "ms", ms(time.Since(j.start)))
	j.r.Metrics.Emit(map[string]string{"Function": "resize", "Reason": "transient"}, map[string]any{"key": j.key},
		metrics.Metric{Name: "Failures", Unit: metrics.Count, Value: 1})
	return "", fmt.Errorf("resize %s: %w", j.key, err)
}

// row builds the catalog row fields known from the staged object: the metadata the upload function wrote, or the
// key's own name for a photo uploaded by other means.
func (j *job) row(src *source) *catalog.Image {
	img := &catalog.Image{ID: src.id, Origin: src.origin, Owner: src.owner, StagingKey: j.key, SourceETag: src.obj.ETag,
		Filename: catalog.FitFilename(path.Base(j.key)), Bytes: src.obj.Size}
	if f, err := imagefile.Sniff(src.obj.Body); err == nil {
		img.ContentType = f.ContentType // never the uploader's claim, which may be anything
	}
	if name, err := url.PathUnescape(src.obj.Metadata["original-filename"]); err == nil && name != "" {
		img.Filename = catalog.FitFilename(name)
	}
	return img
}

func (j *job) logDone(src *source, res *imageproc.Result) {
	attrs := []any{"outcome", Processed, "source", fmt.Sprintf("%dx%d", res.Width, res.Height),
		"bytes_in", len(src.obj.Body), "format", res.Source.Format.Name, "orientation", res.Source.Orientation,
		"colour", res.Colour, "decode_ms", ms(res.Stages.Decode), "colour_ms", ms(res.Stages.Colour),
		"resize_ms", ms(res.Stages.Resize), "encode_ms", ms(res.Stages.Encode)}
	var out int
	ds := make([]string, 0, len(res.Outputs))
	for _, o := range res.Outputs {
		out += len(o.Data)
		ds = append(ds, fmt.Sprintf("%dx%d:%d", o.Width, o.Height, len(o.Data)))
	}
	attrs = append(attrs, "derivatives", ds, "bytes_out", out)
	for _, s := range j.stages {
		attrs = append(attrs, s.name+"_ms", ms(s.d))
	}
	attrs = append(attrs, "total_ms", ms(time.Since(j.start)))
	j.log.Info("processed", attrs...)

	ems := []metrics.Metric{
		{Name: "BytesIn", Unit: metrics.Bytes, Value: float64(len(src.obj.Body))},
		{Name: "BytesOut", Unit: metrics.Bytes, Value: float64(out)},
		{Name: "Pixels", Unit: metrics.Count, Value: float64(res.Source.Pixels())},
		{Name: "DecodeMs", Unit: metrics.Milliseconds, Value: ms(res.Stages.Decode)},
		{Name: "ColourMs", Unit: metrics.Milliseconds, Value: ms(res.Stages.Colour)},
		{Name: "ResizeMs", Unit: metrics.Milliseconds, Value: ms(res.Stages.Resize)},
		{Name: "EncodeMs", Unit: metrics.Milliseconds, Value: ms(res.Stages.Encode)},
		{Name: "TotalMs", Unit: metrics.Milliseconds, Value: ms(time.Since(j.start))},
	}
	for _, s := range j.stages {
		if s.name != "process" {
			ems = append(ems, metrics.Metric{Name: strings.ToUpper(s.name[:1]) + s.name[1:] + "Ms", Unit: metrics.Milliseconds, Value: ms(s.d)})
		}
	}
	j.r.Metrics.Emit(map[string]string{"Function": "resize"}, map[string]any{"id": src.id, "key": j.key}, ems...)
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
