// Command upload is the image API Lambda function behind API Gateway: POST /images stores a photo under staging/,
// and GET/DELETE /images[/{id}] read and remove catalog entries. It accepts REST API (payload 1.0) and HTTP API
// (payload 2.0) events. The handler is api.Service.Handle, which lives in pkg/api so that the local stack serves
// the very same code; this file only wires it up.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/api"
	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/config"
)

func main() {
	if err := run(context.Background()); err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("upload function failed to start", "error", err.Error())
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	cfg, err := config.LoadUpload(os.Getenv)
	if err != nil {
		return err
	}
	c, err := cfg.Connect(ctx, "upload")
	if err != nil {
		return err
	}
	svc := &api.Service{Objects: c.Bucket, Catalog: c.Catalog, Config: api.ConfigFrom(cfg), Log: c.Log, NewID: api.NewID}
	lambda.Start(apigw.Lambda(svc.Handle))
	return nil
}
