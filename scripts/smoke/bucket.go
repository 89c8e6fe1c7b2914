package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// bucketChecker looks at the image bucket directly with the caller's own
// credentials (the default chain), independent of the functions' roles.
type bucketChecker struct {
	client *s3.Client
	bucket string
}

// stagingGrace is how long the staging object may outlive "ready": the
// resizer may mark the record ready before it deletes the staged upload.
const stagingGrace = 15 * time.Second

func newBucketChecker(ctx context.Context, o options) (*bucketChecker, error) {
	var loadOpts []func(*config.LoadOptions) error
	if o.region != "" {
		loadOpts = append(loadOpts, config.WithRegion(o.region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, loadOpts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS config: %w", err)
	}
	client := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.endpoint == "" {
			return
		}
		so.BaseEndpoint = aws.String(o.endpoint)
		so.UsePathStyle = o.pathStyle
		// Local S3 servers often reject or mangle the flexible checksums the
		// SDK sends by default since 2025.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
		// Set here, not with config.WithHTTPClient: when AWS_CA_BUNDLE is set,
		// LoadDefaultConfig refuses any client that is not an
		// awshttp.BuildableClient.
		so.HTTPClient = &http.Client{Timeout: 30 * time.Second}
	})
	return &bucketChecker{client: client, bucket: o.bucket}, nil
}

// head returns the HTTP status of a HeadObject. Without s3:ListBucket on the
// bucket, S3 answers 403 for a missing key instead of 404.
func (b *bucketChecker) head(ctx context.Context, key string) (int, error) {
	_, err := b.client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &b.bucket, Key: &key})
	if err == nil {
		return http.StatusOK, nil
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode(), nil
	}
	return 0, fmt.Errorf("head s3://%s/%s: %w", b.bucket, key, err)
}

func (b *bucketChecker) waitGone(ctx context.Context, key string) error {
	deadline := time.Now().Add(stagingGrace)
	for {
		status, err := b.head(ctx, key)
		switch {
		case err != nil:
			return err
		case status == http.StatusNotFound:
			return nil
		case status == http.StatusForbidden:
			return fmt.Errorf("s3://%s/%s: 403; these credentials need s3:GetObject and s3:ListBucket to tell a missing key from a forbidden one", b.bucket, key)
		case status != http.StatusOK:
			return fmt.Errorf("s3://%s/%s: HTTP %d", b.bucket, key, status)
		case time.Now().After(deadline):
			return fmt.Errorf("s3://%s/%s still exists %s after the image became ready", b.bucket, key, stagingGrace)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (b *bucketChecker) exists(ctx context.Context, key string) error {
	status, err := b.head(ctx, key)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("s3://%s/%s: HTTP %d, want 200 (archived original)", b.bucket, key, status)
	}
	return nil
}
