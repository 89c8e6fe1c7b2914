// Command resize is the Lambda function triggered by S3 ObjectCreated events on the staging prefix. For every
// record it makes the derivatives, archives the original, records the result in the catalog and deletes the
// staging copy, in that order (see package pipeline). The handler is pipeline.Resizer.HandleEvent.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/config"
	"github.com/imgpipe/imgpipe/pkg/metrics"
	"github.com/imgpipe/imgpipe/pkg/pipeline"
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
	c, err := cfg.Connect(ctx, "resize")
	if err != nil {
		return err
	}
	r := &pipeline.Resizer{Objects: c.Bucket, Catalog: c.Catalog, Config: pipeline.ConfigFrom(cfg), Log: c.Log,
		Metrics: metrics.New(os.Stdout, "ImagePipeline")}
	lambda.Start(r.HandleEvent)
	return nil
}
