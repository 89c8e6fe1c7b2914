package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/form"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// maxDirectRequestBytes caps the JSON of POST /uploads: the text fields are at most MAX_FIELD_BYTES, and the rest
// is a filename, a type and a number.
const maxDirectRequestBytes = 64 << 10

// Errors of POST /uploads.
var (
	errBadJSON  = publicerr.New(http.StatusBadRequest, "bad_json", "the request body must be a JSON object: {\"filename\", \"contentType\", \"bytes\", \"fields\"}")
	errBadSize  = publicerr.New(http.StatusBadRequest, "bad_size", "bytes must be the photo's size, a positive whole number")
	errTooLarge = publicerr.New(http.StatusRequestEntityTooLarge, "file_too_large", "the file is too large")
	errBadType  = publicerr.New(http.StatusUnsupportedMediaType, "unsupported_format", "contentType must be an image type the pipeline accepts")
)

// directRequest is the body of POST /uploads.
type directRequest struct {
	Filename    string            `json:"filename"`
	ContentType string            `json:"contentType"`
	Bytes       int64             `json:"bytes"`
	Fields      map[string]string `json:"fields"`
}

// directResponse tells the client where to send the photo: a multipart/form-data POST to URL with every field in
// Fields and the photo last, in the field "file", before ExpiresAt.
type directResponse struct {
	ID         string            `json:"id"`
	Status     catalog.Status    `json:"status"`
	URL        string            `json:"url"`
	Fields     map[string]string `json:"fields"`
	ExpiresAt  time.Time         `json:"expiresAt"`
	MaxBytes   int64             `json:"maxBytes"`
	StagingKey string            `json:"stagingKey"`
}

// direct hands out a presigned POST for a photo too big for a Lambda payload, straight into staging/. The row is
// created pending first, with the client's fields and filename, so it exists before its object does; the resize
// function then checks the photo by its bytes like any other. The POST policy pins the key, the size range
// (1..MAX_DIRECT_UPLOAD_BYTES), the declared content type and the metadata that tell the resize function the object
// is this upload's, so S3 itself refuses anything else. A row whose URL is never used is expired by the sweep.
func (s *Service) direct(w http.ResponseWriter, r *http.Request, caller auth.Caller) error {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxDirectRequestBytes+1))
	if err != nil {
		return fmt.Errorf("read the request: %w", err)
	}
	if len(raw) == 0 {
		return errNoBody.Withf("the request has no body; send {\"filename\", \"contentType\", \"bytes\", \"fields\"} as JSON")
	}
	var req directRequest
	if len(raw) > maxDirectRequestBytes {
		return errBadJSON.Withf("the request body is larger than %s", form.HumanBytes(maxDirectRequestBytes))
	}
	if err := json.Unmarshal(raw, &req); err != nil {
		return errBadJSON.Wrap(err)
	}
	f, ok := imagefile.ForContentType(req.ContentType)
	switch {
	case !ok:
		return errBadType.Withf("contentType %q is not an accepted image type; send image/jpeg, image/png, image/gif, image/webp, image/heic or image/avif", req.ContentType)
	case req.Bytes <= 0:
		return errBadSize
	case req.Bytes > s.Config.DirectMaxBytes:
		return errTooLarge.Withf("the file is larger than the limit of %s", form.HumanBytes(s.Config.DirectMaxBytes))
	}
	if err := form.CheckFields(req.Fields, s.Config.Form); err != nil {
		return err
	}
	ctx := r.Context()
	id := s.NewID()
	key := s.Config.Layout.StagingKey(id, f.Ext)
	filename := form.CleanFilename(req.Filename)
	expires := time.Now().Add(s.Config.DirectTTL)
	img := &catalog.Image{ID: id, Owner: caller.Subject, Origin: catalog.OriginDirect, Filename: filename,
		ContentType: f.ContentType, Bytes: req.Bytes, Fields: req.Fields, StagingKey: key, ExpiresAt: expires}
	if err := s.Catalog.Create(ctx, img); err != nil {
		return fmt.Errorf("catalog create %s: %w", id, err)
	}
	// The policy admits the declared size at most, so S3 itself refuses a bigger file than the one announced.
	post, err := s.Objects.PresignPost(ctx, storage.PostPolicy{Key: key, ContentType: f.ContentType,
		MaxBytes: req.Bytes, TTL: s.Config.DirectTTL,
		Metadata: map[string]string{"image-id": id, "original-filename": url.PathEscape(filename)}})
	if err != nil {
		s.dropRow(ctx, id)
		return err
	}
	s.Log.Info("direct upload issued", "id", id, "key", key, "declared_bytes", req.Bytes, "expires", post.Expires)
	w.Header().Set("Location", "images/"+id)
	return writeJSON(w, http.StatusCreated, directResponse{ID: id, Status: catalog.StatusPending, URL: post.URL,
		Fields: post.Fields, ExpiresAt: post.Expires, MaxBytes: req.Bytes, StagingKey: key})
}

// dropRow removes a row whose upload could not be handed out, with a context of its own like rollback.
func (s *Service) dropRow(ctx context.Context, id string) {
	if err := s.Catalog.Delete(context.WithoutCancel(ctx), id); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		s.Log.Error("drop the row of an upload that was not handed out", "id", id, "error", err.Error())
	}
}
