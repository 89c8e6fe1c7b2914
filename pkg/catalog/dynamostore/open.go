package dynamostore

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// Open returns a Store on cfg.Table. It makes no request: the table is reached on first use, so a cold start does
// not wait for DynamoDB and an outage shows as ErrUnavailable from the calls (wrap it in catalog.NewLazy all the
// same if the configuration comes from somewhere that can fail). Call it once per Lambda container, outside the
// handler, so warm invocations reuse the client's connections.
func Open(ctx context.Context, cfg Config) (catalog.Store, error) {
	client, err := NewClient(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return New(client, cfg.Table), nil
}

// NewClient returns a DynamoDB client for cfg: the SDK's default credential chain and cfg.Region in AWS, or static
// credentials and cfg.Endpoint for a local server; bounded retries and attempt timeouts either way (see
// DefaultMaxAttempts, DefaultMaxBackoff, DefaultAttemptTimeout). The client is also what CreateTable takes.
func NewClient(ctx context.Context, cfg Config) (*dynamodb.Client, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	opts := []func(*config.LoadOptions) error{config.WithRegion(cfg.Region)}
	if cfg.Endpoint != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("dynamostore: load AWS config: %w", err)
	}
	return dynamodb.NewFromConfig(awsCfg, func(o *dynamodb.Options) {
		if cfg.Endpoint != "" {
			o.BaseEndpoint = aws.String(cfg.Endpoint)
		}
		// The DynamoDB client's own retry policy (25 ms base delay for errors, 1 s for throttling, jittered and
		// doubling) with our attempts and cap. retry.AddWithMaxBackoffDelay would swap in the legacy backoff, which
		// starts at 1 s for every error. RetryMaxAttempts is cleared so that AWS_MAX_ATTEMPTS does not wrap it.
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.MaxAttempts = cfg.MaxAttempts
			so.MaxBackoff = cfg.MaxBackoff
			so.BaseDelay = 25 * time.Millisecond
		})
		o.RetryMaxAttempts = 0
		o.HTTPClient = awshttp.NewBuildableClient().WithTimeout(cfg.AttemptTimeout)
	}), nil
}
