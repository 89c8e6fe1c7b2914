// Command resize is the Lambda function triggered by S3 ObjectCreated events on the staging prefix. For every
// record it makes the derivatives, archives the original, records the result in the catalog and deletes the
// staging copy, in that order (see package pipeline). The function is built by resize.New (package pkg/function/resize), which the local stack
// uses too; this file only starts it.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/function/resize"
)

func main() {
	fn, err := resize.New(context.Background(), os.Getenv, function.Options{})
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("resize function failed to start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(fn.Resizer.HandleEvent)
}
