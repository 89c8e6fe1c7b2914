package sweep

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// eventKeys returns the object keys of an S3 event, decoded as the resize function decodes them.
func eventKeys(raw []byte) ([]string, error) {
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		return nil, err
	}
	var keys []string
	for _, rec := range ev.Records {
		if rec.S3.Object.URLDecodedKey != "" {
			keys = append(keys, rec.S3.Object.URLDecodedKey)
		}
	}
	return keys, nil
}

// handleAll hands every key to handle, stopping at the first error.
func handleAll(keys []string, handle func(string) error) error {
	for _, k := range keys {
		if err := handle(k); err != nil {
			return err
		}
	}
	return nil
}

// SQSQueue is the resize function's on-failure destination, an SQS queue. Lambda sends it a record for every event
// that failed all its attempts, with the event itself as requestPayload.
type SQSQueue struct {
	Client interface {
		ReceiveMessage(context.Context, *sqs.ReceiveMessageInput, ...func(*sqs.Options)) (*sqs.ReceiveMessageOutput, error)
		DeleteMessage(context.Context, *sqs.DeleteMessageInput, ...func(*sqs.Options)) (*sqs.DeleteMessageOutput, error)
	}
	URL string
	// Max bounds the messages one sweep drains (0 means 100), so a flood does not outlast the function's timeout.
	Max int
}

// destinationRecord is the part of a Lambda on-failure destination record the sweep reads.
type destinationRecord struct {
	RequestPayload json.RawMessage `json:"requestPayload"`
}

// Drain implements DeadLetters. A message whose keys are all handled is deleted; one that fails stays, and becomes
// visible again for the next sweep.
func (q SQSQueue) Drain(ctx context.Context, handle func(key string) error) (int, error) {
	limit := q.Max
	if limit <= 0 {
		limit = 100
	}
	var errs []error
	n := 0
	for n < limit {
		out, err := q.Client.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(q.URL),
			MaxNumberOfMessages: int32(min(10, limit-n)), VisibilityTimeout: 60})
		if err != nil {
			return n, errors.Join(append(errs, fmt.Errorf("receive: %w", err))...)
		}
		if len(out.Messages) == 0 {
			break
		}
		for _, m := range out.Messages {
			var rec destinationRecord
			keys, err := []string(nil), json.Unmarshal([]byte(aws.ToString(m.Body)), &rec)
			if err == nil {
				keys, err = eventKeys(rec.RequestPayload)
			}
			if err == nil {
				err = handleAll(keys, handle)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("dead letter %s: %w", aws.ToString(m.MessageId), err))
				continue
			}
			if _, err := q.Client.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(q.URL), ReceiptHandle: m.ReceiptHandle}); err != nil {
				errs = append(errs, fmt.Errorf("delete dead letter: %w", err))
				continue
			}
			n++
		}
	}
	return n, errors.Join(errs...)
}

// Dir is the local stack's dead-letter folder: one S3 event per JSON file.
type Dir string

// Drain implements DeadLetters. A file whose keys are all handled is removed.
func (d Dir) Drain(_ context.Context, handle func(key string) error) (int, error) {
	names, err := filepath.Glob(filepath.Join(string(d), "*.json"))
	if err != nil {
		return 0, err
	}
	sort.Strings(names)
	var errs []error
	n := 0
	for _, name := range names {
		raw, err := os.ReadFile(name)
		var keys []string
		if err == nil {
			keys, err = eventKeys(raw)
		}
		if err == nil {
			err = handleAll(keys, handle)
		}
		if err == nil {
			err = os.Remove(name)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("dead letter %s: %w", name, err))
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
