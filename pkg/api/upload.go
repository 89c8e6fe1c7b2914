package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/budget"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/form"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

var errNoBody = publicerr.New(http.StatusBadRequest, "no_body", "the request has no body; send the photo as multipart/form-data")

// uploadResponse is the 201 body: where the photo went and where its derivatives will appear.
type uploadResponse struct {
	ID          string          `json:"id"`
	Status      catalog.Status  `json:"status"`
	StagingKey  string          `json:"stagingKey"`
	Derivatives []plannedOutput `json:"derivatives"`
}

type plannedOutput struct {
	Width int    `json:"width"`
	Key   string `json:"key"`
}

// upload validates the photo by its bytes, records a pending row, then stores the photo under staging/.
//
// The row is written first: if the database is down the client gets 503 and nothing is stored, and the resize
// function, triggered by the put, always finds the row it is to update. If the put fails, the row is removed
// again, so a failed upload leaves neither a row nor an object.
func (s *Service) upload(w http.ResponseWriter, r *http.Request, caller auth.Caller) error {
	if r.ContentLength == 0 {
		return errNoBody
	}
	f, err := form.Parse(r.Body, r.Header.Get("Content-Type"), s.Config.Form)
	if err != nil {
		return err
	}
	info, err := imagefile.Inspect(f.File, s.Config.Limits.MaxPixels)
	if err != nil {
		return err
	}
	// What the resize function will check before decoding, checked now: a photo it would quarantine is refused.
	minWidth, outputs := budget.Derivatives(info, s.Config.Widths, s.Config.AlsoWebP)
	if _, err := s.Config.Limits.Check(info, len(f.File), minWidth, outputs); err != nil {
		return err
	}
	ctx := r.Context()
	id := s.NewID()
	key := s.Config.Layout.StagingKey(id, info.Format.Ext)
	width, height := info.Upright()
	img := &catalog.Image{
		ID: id, Owner: caller.Subject, Origin: catalog.OriginUpload, Filename: f.Filename, ContentType: info.Format.ContentType,
		Bytes: int64(len(f.File)), Width: width, Height: height, Fields: f.Fields, StagingKey: key,
	}
	if err := s.Catalog.Create(ctx, img); err != nil {
		return fmt.Errorf("catalog create %s: %w", id, err)
	}
	meta := map[string]string{"image-id": id, "original-filename": url.PathEscape(f.Filename)}
	if err := s.Objects.Put(ctx, key, f.File, info.Format.ContentType, meta); err != nil {
		s.rollback(ctx, id, key)
		return fmt.Errorf("store %s: %w", key, err)
	}
	s.Log.Info("uploaded", "id", id, "key", key, "bytes", len(f.File), "format", info.Format.Name,
		"source", fmt.Sprintf("%dx%d", width, height), "fields", len(f.Fields))

	out := uploadResponse{ID: id, Status: catalog.StatusPending, StagingKey: key}
	ext := info.OutputFormat().Ext
	for _, dw := range s.Config.Widths {
		out.Derivatives = append(out.Derivatives, plannedOutput{Width: dw, Key: s.Config.Layout.DerivativeKey(id, dw, ext)})
	}
	w.Header().Set("Location", "images/"+id)
	return writeJSON(w, http.StatusCreated, out)
}

// rollback undoes a half-done upload. A put that timed out may still have landed, so the object is deleted too.
// The context may be the one that just expired, so the clean-up gets its own.
func (s *Service) rollback(ctx context.Context, id, key string) {
	ctx = context.WithoutCancel(ctx)
	if err := s.Objects.Delete(ctx, key); err != nil {
		s.Log.Error("rollback: delete staged object", "id", id, "key", key, "error", err.Error())
	}
	if err := s.Catalog.Delete(ctx, id); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		s.Log.Error("rollback: delete pending row", "id", id, "error", err.Error())
	}
}
