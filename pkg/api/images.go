package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/imagefile"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Errors of the image routes.
var (
	errBadID     = publicerr.New(http.StatusBadRequest, "bad_id", "the image id must be a lower-case UUID")
	errNoImage   = publicerr.New(http.StatusNotFound, "not_found", "no such image")
	errBadLimit  = publicerr.New(http.StatusBadRequest, "bad_limit", "limit must be a whole number from 1 to "+strconv.Itoa(catalog.MaxListLimit))
	errBadCursor = publicerr.New(http.StatusBadRequest, "bad_cursor", "the cursor is not one this API issued")
	errStillBusy = publicerr.New(http.StatusConflict, "pending", "the image is still being processed; delete it once it is ready or failed")
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

func (s *Service) get(w http.ResponseWriter, r *http.Request, caller auth.Caller) error {
	img, err := s.lookup(r.Context(), r.PathValue("id"), caller)
	if err != nil {
		return err
	}
	v, err := s.view(r.Context(), img)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// list pages through the caller's own images, or every image for an administrator.
func (s *Service) list(w http.ResponseWriter, r *http.Request, caller auth.Caller) error {
	q := catalog.Query{Owner: caller.Subject, All: caller.Admin, Cursor: r.URL.Query().Get("cursor")}
	if raw := r.URL.Query().Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > catalog.MaxListLimit {
			return errBadLimit
		}
		q.Limit = n
	}
	page, next, err := s.Catalog.List(r.Context(), q)
	if errors.Is(err, catalog.ErrBadCursor) {
		return errBadCursor
	}
	if err != nil {
		return fmt.Errorf("catalog list: %w", err)
	}
	out := listView{Images: make([]imageView, 0, len(page)), NextCursor: next}
	for i := range page {
		v, err := s.view(r.Context(), &page[i])
		if err != nil {
			return err
		}
		out.Images = append(out.Images, v)
	}
	return writeJSON(w, http.StatusOK, out)
}

// delete removes an image's derivatives, its archived (or quarantined) original and then its row. Objects go first:
// if S3 fails, the row still lists them and the client can retry. A pending image is refused while the resize
// function may be writing its derivatives; once it has been pending for longer than PendingDeleteAfter nothing is
// processing it, and it is deleted with its staging copy and whatever an attempt may have written. An expired
// upload has no objects and is simply removed.
func (s *Service) delete(w http.ResponseWriter, r *http.Request, caller auth.Caller) error {
	ctx := r.Context()
	img, err := s.lookup(ctx, r.PathValue("id"), caller)
	if err != nil {
		return err
	}
	stuck := img.Status == catalog.StatusPending && time.Since(img.CreatedAt) > s.Config.PendingDeleteAfter
	if img.Status == catalog.StatusPending && !stuck {
		return errStillBusy
	}
	var keys []string
	for _, d := range img.Derivatives {
		keys = append(keys, d.Key)
	}
	if img.OriginalKey != "" {
		keys = append(keys, img.OriginalKey)
	}
	if stuck {
		// The staging copy first, so that no event can start on it again, then every key an attempt could have
		// written.
		keys = append([]string{img.StagingKey}, keys...)
		for _, w := range s.Config.Widths {
			for _, f := range []imagefile.Format{imagefile.JPEG, imagefile.PNG, imagefile.WebP} {
				keys = append(keys, s.Config.Layout.DerivativeKey(img.ID, w, f.Ext))
			}
		}
	}
	for _, k := range keys {
		if err := s.Objects.Delete(ctx, k); err != nil {
			return fmt.Errorf("delete %s: %w", k, err)
		}
	}
	// The serve function's renders, after the original they are made from: a render begun before the original went
	// may still land after this listing, and the cache's lifecycle rule expires it. The row goes last, so a failure
	// here leaves the image to be deleted again.
	var renders []storage.ObjectInfo
	if dir := s.Config.Layout.RenderDir(img.ID); dir != "" {
		if renders, err = s.Objects.List(ctx, dir); err != nil {
			return err
		}
		for _, o := range renders {
			if err := s.Objects.Delete(ctx, o.Key); err != nil {
				return fmt.Errorf("delete %s: %w", o.Key, err)
			}
		}
	}
	if err := s.Catalog.Delete(ctx, img.ID); err != nil && !errors.Is(err, catalog.ErrNotFound) {
		return fmt.Errorf("catalog delete %s: %w", img.ID, err)
	}
	s.Log.Info("deleted", "id", img.ID, "objects", len(keys), "renders", len(renders))
	w.WriteHeader(http.StatusNoContent)
	return nil
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
				return v, fmt.Errorf("presign %s: %w", d.Key, err)
			}
		}
		v.Derivatives = append(v.Derivatives, derivativeView{Derivative: d, URL: u})
	}
	return v, nil
}

// lookup finds the row for id that caller may see, or returns the answer for a malformed or unknown id. Someone
// else's image is answered exactly like an unknown one, so that ids cannot be probed.
func (s *Service) lookup(ctx context.Context, id string, caller auth.Caller) (*catalog.Image, error) {
	if u, err := uuid.Parse(id); err != nil || len(id) != 36 || u.String() != id {
		return nil, errBadID
	}
	img, err := s.Catalog.Get(ctx, id)
	if errors.Is(err, catalog.ErrNotFound) || err == nil && !caller.Admin && img.Owner != caller.Subject {
		return nil, errNoImage.Withf("no image with id %s", id)
	}
	if err != nil {
		return nil, fmt.Errorf("catalog get %s: %w", id, err)
	}
	return img, nil
}
