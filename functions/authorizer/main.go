// Command authorizer is the REST API's Lambda authorizer for AuthMode=jwt: it verifies bearer tokens from a
// bring-your-own OpenID Connect issuer (JWT_ISSUER, JWT_AUDIENCE) and passes their claims on. With the default
// AuthMode=cognito, API Gateway's built-in Cognito authorizer does this job and this function is not deployed.
package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/aws/aws-lambda-go/lambda"

	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/function/authorizer"
)

func main() {
	a, err := authorizer.New(context.Background(), os.Getenv, function.Options{})
	if err != nil {
		slog.New(slog.NewJSONHandler(os.Stdout, nil)).Error("authorizer failed to start", "error", err.Error())
		os.Exit(1)
	}
	lambda.Start(a.Handle)
}
