// Package resize builds the resize function from its environment.
package resize

import (
	"context"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/pipeline"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Function is the resize function, built.
type Function struct {
	Config  config.Resize
	Bucket  *storage.Bucket
	Catalog catalog.Store
	// Resizer handles S3 events: lambda.Start(r.Resizer.HandleEvent).
	Resizer *pipeline.Resizer
}

// New builds the resize function from its environment.
func New(ctx context.Context, getenv func(string) string, o function.Options) (*Function, error) {
	cfg, err := config.LoadResize(getenv)
	if err != nil {
		return nil, err
	}
	c, err := function.Connect(ctx, cfg.Common, getenv)
	if err != nil {
		return nil, err
	}
	r := &pipeline.Resizer{Objects: c.Bucket, Catalog: c.Catalog, Log: o.Logger("resize", cfg.LogLevel), Metrics: o.Emitter(),
		Config: pipeline.Config{
			Bucket:           cfg.Storage.Bucket,
			Layout:           cfg.Layout,
			ArchiveOriginals: cfg.ArchiveOriginals,
			MaxSourceBytes:   cfg.MaxSourceBytes,
			Widths:           cfg.Widths,
			Quality:          cfg.JPEGQuality,
			AlsoWebP:         cfg.AlsoWebP,
			WebPQuality:      cfg.WebPQuality,
			MaxRedrives:      cfg.MaxRedrives,
			Limits:           cfg.Limits,
			ConsoleOwner:     cfg.ConsoleOwner,
		}}
	return &Function{Config: cfg, Bucket: c.Bucket, Catalog: c.Catalog, Resizer: r}, nil
}

// Close releases the catalog.
func (r *Function) Close() error { return r.Catalog.Close() }
