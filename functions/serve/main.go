// Command serve is the on-demand delivery Lambda function: CloudFront's origin through a Function URL with response
// streaming (/<id>.<ext>?d=WxH), and GET /images/{id}/content on the image API (package pkg/serve). The function is
// built by serve.New (package pkg/function/serve), which the local stack uses too; this file only starts it.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/function/serve"
)

func main() {
	fn, err := serve.New(context.Background(), os.Getenv, function.Options{})
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("serve function failed to start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(serve.LambdaHandler(fn.Handler))
}
