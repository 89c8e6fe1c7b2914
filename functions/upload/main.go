// Command upload is the image API Lambda function behind API Gateway: POST /images stores a photo under staging/,
// and GET/DELETE /images[/{id}] read and remove catalog entries. It accepts REST API (payload 1.0), HTTP API
// (payload 2.0) and non-proxy passthrough events (package apigw). The function is built by upload.New (package pkg/function/upload), which the
// local stack uses too; this file only starts it.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/function/upload"
)

func main() {
	fn, err := upload.New(context.Background(), os.Getenv, function.Options{})
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("upload function failed to start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(apigw.Handler(fn.Handler))
}
