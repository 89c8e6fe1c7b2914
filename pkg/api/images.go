package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// imageView is the JSON shape of one image.
type imageView struct {
	ID            string            `json:"id"`
	Status        catalog.Status    `json:"status"`
	Filename      string            `json:"filename"`
	ContentType   string            `json:"contentType"`
	Bytes         int64             `json:"bytes"`
	Width         int               `json:"width"`
	Height        int               `json:"height"`
	Fields        map[string]string `json:"fields"`
	FailureReason string            `json:"failureReason,omitempty"`
	Derivatives   []derivativeView  `json:"derivatives"`
	CreatedAt     time.Time         `json:"createdAt"`
	UpdatedAt     time.Time         `json:"updatedAt"`
}

type derivativeView struct {
	catalog.Derivative
	URL string `json:"url"`
}

type listView struct {
	Images     []imageView `json:"images"`
	NextCursor string      `json:"nextCursor,omitempty"`
}

func (s *Service) get(ctx context.Context, id string) *apigw.Response {
	img, resp := s.lookup(ctx, id)
	if resp != nil {
		return resp
	}
	v, err := s.view(ctx, img)
	if err != nil {
		return s.unavailable("presign "+id, err)
	}
	return apigw.JSON(http.StatusOK, v)
}

func (s *Service) list(ctx context.Context, req *apigw.Request) *apigw.Response {
	limit := 0
	if raw := req.Query.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > catalog.MaxListLimit {
			return errorResponse(http.StatusBadRequest, "bad_limit",
				"limit must be a whole number from 1 to "+strconv.Itoa(catalog.MaxListLimit))
		}
		limit = n
	}
	page, next, err := s.Catalog.List(ctx, limit, req.Query.Get("cursor"))
	if errors.Is(err, catalog.ErrBadCursor) {
		return errorResponse(http.StatusBadRequest, "bad_cursor", "the cursor is not one this API issued")
	}
	if err != nil {
		return s.unavailable("catalog list", err)
	}
	out := listView{Images: make([]imageView, 0, len(page)), NextCursor: next}
	for i := range page {
		v, err := s.view(ctx, &page[i])
		if err != nil {
			return s.unavailable("presign", err)
		}
		out.Images = append(out.Images, v)
	}
	return apigw.JSON(http.StatusOK, out)
}

// delete removes an image's derivatives, its archived (or quarantined) original and then its row. Objects go
// first: if S3 fails, the row still lists them and the client can retry. A pending image is refused, because the
// resize function may be writing its derivatives at this moment.
func (s *Service) delete(ctx context.Context, id string) *apigw.Response {
	img, resp := s.lookup(ctx, id)
	if resp != nil {
		return resp
	}
	if img.Status == catalog.StatusPending {
		return errorResponse(http.StatusConflict, "pending", "the image is still being processed; delete it once it is ready or failed")
	}
	keys := []string{}
	for _, d := range img.Derivatives {
		keys = append(keys, d.Key)
	}
	if img.OriginalKey != "" {
		keys = append(keys, img.OriginalKey)
	}
	for _, k := range keys {
		if err := s.Objects.Delete(ctx, k); err != nil {
			return s.unavailable("delete "+k, err)
		}
	}
	if err := s.Catalog.Delete(ctx, id); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return s.unavailable("catalog delete "+id, err)
	}
	s.Log.Info("deleted", "id", id, "objects", len(keys))
	return &apigw.Response{Status: http.StatusNoContent, Header: http.Header{}}
}

// view renders a row, with a URL for each derivative: a CDN URL when PUBLIC_BASE_URL is set, else a presigned GET.
func (s *Service) view(ctx context.Context, img *catalog.Image) (imageView, error) {
	v := imageView{ID: img.ID, Status: img.Status, Filename: img.Filename, ContentType: img.ContentType,
		Bytes: img.Bytes, Width: img.Width, Height: img.Height, Fields: img.Fields, FailureReason: img.FailureReason,
		Derivatives: []derivativeView{}, CreatedAt: img.CreatedAt, UpdatedAt: img.UpdatedAt}
	if v.Fields == nil {
		v.Fields = map[string]string{}
	}
	for _, d := range img.Derivatives {
		u := s.Config.PublicBaseURL + d.Key
		if s.Config.PublicBaseURL == "" {
			var err error
			if u, err = s.Objects.PresignGet(ctx, d.Key, s.Config.URLTTL); err != nil {
				return v, err
			}
		}
		v.Derivatives = append(v.Derivatives, derivativeView{Derivative: d, URL: u})
	}
	return v, nil
}

// lookup finds the row for id, or returns the answer for a malformed id, an unknown id or a database failure.
func (s *Service) lookup(ctx context.Context, id string) (*catalog.Image, *apigw.Response) {
	if resp := checkID(id); resp != nil {
		return nil, resp
	}
	img, err := s.Catalog.Get(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) {
		return nil, errorResponse(http.StatusNotFound, "not_found", "no image with id "+id)
	}
	if err != nil {
		return nil, s.unavailable("catalog get "+id, err)
	}
	return img, nil
}

// checkID rejects anything that is not a UUID before it reaches the database.
func checkID(id string) *apigw.Response {
	if u, err := uuid.Parse(id); err != nil || len(id) != 36 || u.String() != id {
		return errorResponse(http.StatusBadRequest, "bad_id", "the image id must be a lower-case UUID")
	}
	return nil
}
