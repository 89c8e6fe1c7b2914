package miniotest

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
)

// TargetARN returns the queue ARN MinIO gives the webhook target id:
// arn:minio:sqs::<id>:webhook. The region part may stay empty; MinIO then
// matches on the target ID alone.
func TargetARN(id string) string {
	return "arn:minio:sqs::" + id + ":webhook"
}

// ConfigureNotification makes bucket send s3:ObjectCreated:* events for keys
// under prefix (all keys if prefix is empty) to the webhook target targetID,
// replacing the bucket's notification configuration. MinIO models webhooks
// as SQS-like queues, so this is a QueueConfiguration where AWS would use a
// LambdaFunctionConfiguration.
func ConfigureNotification(ctx context.Context, client *s3.Client, bucket, targetID, prefix string) error {
	qc := types.QueueConfiguration{
		Id:       aws.String(targetID + "-object-created"),
		QueueArn: aws.String(TargetARN(targetID)),
		Events:   []types.Event{types.EventS3ObjectCreated},
	}
	if prefix != "" {
		qc.Filter = &types.NotificationConfigurationFilter{
			Key: &types.S3KeyFilter{FilterRules: []types.FilterRule{
				{Name: types.FilterRuleNamePrefix, Value: aws.String(prefix)},
			}},
		}
	}
	in := &s3.PutBucketNotificationConfigurationInput{
		Bucket:                    aws.String(bucket),
		NotificationConfiguration: &types.NotificationConfiguration{QueueConfigurations: []types.QueueConfiguration{qc}},
	}
	// MinIO registers its webhook targets in the background after it starts answering, so on a loaded machine the
	// target can be unknown for a moment ("destination ARN does not exist"): ask again, up to a deadline.
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := client.PutBucketNotificationConfiguration(ctx, in)
		var apiErr smithy.APIError
		if err == nil || !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidArgument" || time.Now().After(deadline) {
			if err != nil {
				return fmt.Errorf("miniotest: notification for %s -> %s: %w", bucket, targetID, err)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}
