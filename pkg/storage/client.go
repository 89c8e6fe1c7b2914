package storage

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Config says how to reach the bucket.
type Config struct {
	Bucket string
	Region string
	// Endpoint, when set, points the client at an S3-compatible server (http://127.0.0.1:9000) and turns on
	// path-style addressing, which such servers need because bucket subdomains of 127.0.0.1 don't resolve.
	Endpoint string
	// AccessKeyID and SecretAccessKey are static credentials for a local server. Empty means the default AWS
	// credential chain, which is what a Lambda function uses (its execution role).
	AccessKeyID, SecretAccessKey string
	// MaxAttempts overrides the SDK's retry count when > 0 (tests that inject faults use 1).
	MaxAttempts int
}

// NewClient builds an S3 client. Call it once per Lambda container, outside the handler, so warm invocations reuse
// its connections.
func NewClient(ctx context.Context, cfg Config) (*s3.Client, error) {
	var opts []func(*config.LoadOptions) error
	opts = append(opts, config.WithRegion(cfg.Region))
	if cfg.AccessKeyID != "" {
		opts = append(opts, config.WithCredentialsProvider(
			credentials.NewStaticCredentialsProvider(cfg.AccessKeyID, cfg.SecretAccessKey, "")))
	}
	awsCfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load aws config: %w", err)
	}
	return s3.NewFromConfig(awsCfg, func(o *s3.Options) {
		if cfg.MaxAttempts > 0 {
			o.RetryMaxAttempts = cfg.MaxAttempts
		}
		if cfg.Endpoint == "" {
			return
		}
		o.BaseEndpoint = aws.String(cfg.Endpoint)
		o.UsePathStyle = true
		// S3-compatible servers reject or mis-handle the CRC trailers the SDK now adds by default.
		o.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		o.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		// Set here rather than with config.WithHTTPClient: a machine with AWS_CA_BUNDLE set makes LoadDefaultConfig
		// reject a custom client, and a local endpoint is plain HTTP anyway.
		o.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	}), nil
}
