// Command upload is the image API Lambda function behind API Gateway: POST /images stores a photo under staging/,
// and GET/DELETE /images[/{id}] read and remove catalog entries. It accepts REST API (payload 1.0) and HTTP API
// (payload 2.0) events. The handler is api.Service.Handle; this file only wires it up.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/api"
	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("upload function failed to start", "error", err.Error())
		os.Exit(1)
	}
}

// run builds the clients once per container, outside the handler, so warm invocations reuse the S3 connections
// and the database pool.
func run(ctx context.Context) error {
	cfg, err := config.LoadUpload(os.Getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, &slog.HandlerOptions{Level: cfg.LogLevel})).With("function", "upload")
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
	svc := &api.Service{
		Objects: storage.NewBucket(client, cfg.Storage.Bucket),
		Catalog: store,
		Config:  api.ConfigFrom(cfg),
		Log:     log,
		NewID:   api.NewID,
	}
	lambda.Start(apigw.Lambda(svc.Handle))
	return nil
}
