// Command sweep is the reconcile Lambda function, run every few minutes by an EventBridge schedule: it re-drives
// staging objects that were never processed (lost events, the dead-letter queue), and expires direct uploads whose
// photo never came (see package pkg/sweep). Invoking it by hand re-drives at once:
//
//	aws lambda invoke --function-name <stack>-sweep /dev/stdout
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/function/sweep"
)

func main() {
	fn, err := sweep.New(context.Background(), os.Getenv, function.Options{})
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("sweep function failed to start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(fn.Handle)
}
