// Package upload builds the upload function (the image API) from its environment.
package upload

import (
	"context"
	"net/http"

	"github.com/imgpipe/imgpipe/pkg/api"
	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/form"
	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Function is the upload function (the image API), built.
type Function struct {
	Config  config.Upload
	Bucket  *storage.Bucket
	Catalog catalog.Store
	// Handler is the image API; apigw.Handler adapts it to API Gateway's events.
	Handler http.Handler
}

// New builds the upload function from its environment.
func New(ctx context.Context, getenv func(string) string, o function.Options) (*Function, error) {
	cfg, err := config.LoadUpload(getenv)
	if err != nil {
		return nil, err
	}
	c, err := function.Connect(ctx, cfg.Common, getenv)
	if err != nil {
		return nil, err
	}
	svc := &api.Service{Objects: c.Bucket, Catalog: c.Catalog, Log: o.Logger("upload", cfg.LogLevel), NewID: api.NewID,
		Config: api.Config{
			Layout:             cfg.Layout,
			Form:               form.Limits{FileField: cfg.FileField, MaxFileBytes: cfg.MaxFileBytes, MaxFields: cfg.MaxFields, MaxFieldBytes: cfg.MaxFieldBytes},
			Limits:             cfg.Limits,
			AlsoWebP:           cfg.AlsoWebP,
			Widths:             cfg.Widths,
			CORSOrigins:        cfg.CORSOrigins,
			URLTTL:             cfg.URLTTL,
			PublicBaseURL:      cfg.PublicBaseURL,
			Auth:               auth.Config{Required: cfg.AuthMode != "none", GroupsClaim: cfg.GroupsClaim, AdminGroup: cfg.AdminGroup},
			DirectMaxBytes:     cfg.DirectMaxBytes,
			DirectTTL:          cfg.DirectTTL,
			PendingDeleteAfter: cfg.PendingDeleteAfter,
		}}
	return &Function{Config: cfg, Bucket: c.Bucket, Catalog: c.Catalog, Handler: svc.Handler()}, nil
}

// Close releases the catalog.
func (u *Function) Close() error { return u.Catalog.Close() }
