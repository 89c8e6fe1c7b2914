package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/form"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/imageproc"
)

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
func (s *Service) upload(ctx context.Context, req *apigw.Request) *apigw.Response {
	if len(req.Body) == 0 {
		return errorResponse(http.StatusBadRequest, "no_body", "the request has no body; send the photo as multipart/form-data")
	}
	f, err := form.Parse(bytes.NewReader(req.Body), req.Header.Get("Content-Type"), s.Config.Form)
	if err != nil {
		return formError(err, s.Config.Form)
	}
	info, err := imagefile.Inspect(f.File, s.Config.MaxPixels)
	if err != nil {
		return imageError(err)
	}
	id := s.NewID()
	key := s.Config.Layout.StagingKey(id, info.Format.Ext)
	w, h := info.Upright()
	img := &catalog.Image{
		ID: id, Status: catalog.StatusPending, Filename: f.Filename, ContentType: info.Format.ContentType,
		Bytes: int64(len(f.File)), Width: w, Height: h, Fields: f.Fields, StagingKey: key,
	}
	if err := s.Catalog.Create(ctx, img); err != nil {
		return s.unavailable("catalog create "+id, err)
	}
	meta := map[string]string{"image-id": id, "original-filename": url.PathEscape(f.Filename)}
	if err := s.Objects.Put(ctx, key, f.File, info.Format.ContentType, meta); err != nil {
		s.rollback(ctx, id, key)
		return s.unavailable("store "+key, err)
	}
	s.Log.Info("uploaded", "id", id, "key", key, "bytes", len(f.File), "format", info.Format.Name,
		"source", fmt.Sprintf("%dx%d", w, h), "fields", len(f.Fields))

	out := uploadResponse{ID: id, Status: catalog.StatusPending, StagingKey: key}
	ext := imageproc.OutputFormat(info.HasAlpha).Ext
	for _, width := range s.Config.Widths {
		out.Derivatives = append(out.Derivatives, plannedOutput{Width: width, Key: s.Config.Layout.DerivativeKey(id, width, ext)})
	}
	resp := apigw.JSON(http.StatusCreated, out)
	resp.Header.Set("Location", "images/"+id)
	return resp
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

// formError maps a form parsing error to a client answer.
func formError(err error, lim form.Limits) *apigw.Response {
	switch {
	case errors.Is(err, form.ErrNotMultipart):
		return errorResponse(http.StatusUnsupportedMediaType, "not_multipart", "the request must be multipart/form-data")
	case errors.Is(err, form.ErrNoBoundary):
		return errorResponse(http.StatusBadRequest, "no_boundary", "the multipart Content-Type header has no boundary parameter")
	case errors.Is(err, form.ErrFileTooLarge):
		return errorResponse(http.StatusRequestEntityTooLarge, "file_too_large",
			fmt.Sprintf("the file is larger than the limit of %s", humanBytes(lim.MaxFileBytes)))
	case errors.Is(err, form.ErrNoFile):
		return errorResponse(http.StatusBadRequest, "no_file", publicMessage(err))
	case errors.Is(err, form.ErrTooManyFiles):
		return errorResponse(http.StatusBadRequest, "too_many_files", "send exactly one file per upload")
	case errors.Is(err, form.ErrEmptyFile):
		return errorResponse(http.StatusBadRequest, "empty_file", "the file is empty")
	case errors.Is(err, form.ErrFieldsInvalid):
		return errorResponse(http.StatusBadRequest, "invalid_fields", publicMessage(err))
	}
	return errorResponse(http.StatusBadRequest, "malformed", "the multipart body is malformed or incomplete")
}

// imageError maps an imagefile error to a client answer.
func imageError(err error) *apigw.Response {
	switch {
	case errors.Is(err, imagefile.ErrEmpty):
		return errorResponse(http.StatusBadRequest, "empty_file", "the file is empty")
	case errors.Is(err, imagefile.ErrUnsupported):
		return errorResponse(http.StatusUnsupportedMediaType, "unsupported_format", publicMessage(err))
	case errors.Is(err, imagefile.ErrNotImage):
		return errorResponse(http.StatusUnsupportedMediaType, "not_an_image", "the file is not an image; send JPEG, PNG, GIF or WebP")
	case errors.Is(err, imagefile.ErrTooManyPixels):
		return errorResponse(http.StatusUnprocessableEntity, "too_many_pixels", publicMessage(err))
	}
	return errorResponse(http.StatusUnprocessableEntity, "truncated", "the image is truncated or corrupt")
}

// publicMessage strips the package prefix from one of our own sentinel-based messages, which are written to be
// shown to clients.
func publicMessage(err error) string {
	msg := err.Error()
	for _, p := range []string{"form: ", "imagefile: "} {
		if len(msg) > len(p) && msg[:len(p)] == p {
			msg = msg[len(p):]
		}
	}
	return msg
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
