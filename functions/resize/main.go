// Command resize is the Lambda function triggered by S3 ObjectCreated events on the staging prefix. For every
// record it makes the derivatives, archives the original, records the result in the catalog and deletes the
// staging copy, in that order (see package pipeline). The handler is pipeline.Resizer.HandleEvent.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/metrics"
	"github.com/imgpipe/imgpipe/pkg/pipeline"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("resize function failed to start", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.LoadResize(os.Getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel})).With("function", "resize")
	client, err := storage.NewClient(ctx, cfg.Storage)
	if err != nil {
		return err
	}
	// Opened on first use, so a cold start while the database is down still answers (503 / a retryable error).
	store, err := catalog.NewLazy(cfg.Catalog)
	if err != nil {
		return err
	}
	defer store.Close()
	r := &pipeline.Resizer{
		Objects: storage.NewBucket(client, cfg.Storage.Bucket),
		Catalog: store,
		Config:  pipeline.ConfigFrom(cfg),
		Log:     log,
		Metrics: metrics.New(os.Stdout, "ImagePipeline"),
	}
	lambda.Start(r.HandleEvent)
	return nil
}
