package config

import (
	"context"
	"log/slog"
	"os"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// Clients are the long-lived dependencies both functions build once per Lambda container, outside the handler,
// so warm invocations reuse the S3 connections and the database pool.
type Clients struct {
	Log     *slog.Logger
	Bucket  *storage.Bucket
	Catalog *catalog.Lazy
}

// Connect builds the JSON logger, the bucket and the catalog. The catalog opens on first use, so a cold start
// while the database is down still answers (a 503, or an error Lambda retries) instead of failing to start.
func (c Common) Connect(ctx context.Context, function string) (*Clients, error) {
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: c.LogLevel})).With("function", function)
	client, err := storage.NewClient(ctx, c.Storage)
	if err != nil {
		return nil, err
	}
	store, err := catalog.NewLazy(c.Catalog)
	if err != nil {
		return nil, err
	}
	return &Clients{Log: log, Bucket: storage.NewBucket(client, c.Storage.Bucket), Catalog: store}, nil
}
