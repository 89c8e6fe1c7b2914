package s3local

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func TestObjectCreatedEvents(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	c := f.client()
	key := "staging/a b+c.jpg" // a key that S3 event records must encode
	put := f.put(key, []byte("12345"))
	// Failures report nothing: a wrong signature, a failed precondition, a bad digest.
	f.client(func(o *s3.Options) { o.Region = "us-east-1" }).PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("x"), Body: bytes.NewReader([]byte("x"))})
	c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String(key), Body: bytes.NewReader([]byte("x")), IfNoneMatch: aws.String("*")})
	c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(testBucket), Key: aws.String("y"), Body: bytes.NewReader([]byte("y")), ContentMD5: aws.String("1B2M2Y8AsgTpgAmY7PhCfg==")})
	if _, err := c.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String(testBucket), Key: aws.String("originals/copy.jpg"),
		CopySource: aws.String(testBucket + "/staging/a%20b%2Bc.jpg")}); err != nil {
		t.Fatal(err)
	}
	ev := f.created()
	if len(ev) != 2 {
		t.Fatalf("%d events, want 2: %+v", len(ev), ev)
	}
	if e := ev[0]; e.EventName != EventPut || e.Bucket != testBucket || e.Key != key || e.Size != 5 || quote(e.ETag) != aws.ToString(put.ETag) {
		t.Fatalf("put event %+v", e)
	}
	if e := ev[1]; e.EventName != EventCopy || e.Key != "originals/copy.jpg" || e.Size != 5 || e.ETag != ev[0].ETag {
		t.Fatalf("copy event %+v", e)
	}
	if ev[1].Sequencer <= ev[0].Sequencer {
		t.Fatalf("sequencers do not increase: %s then %s", ev[0].Sequencer, ev[1].Sequencer)
	}
	// The Lambda event carries the key encoded as S3 does, which the library decodes back.
	raw, err := json.Marshal(ev[0].S3Event(testRegion))
	if err != nil {
		t.Fatal(err)
	}
	var decoded events.S3Event
	if err := json.Unmarshal(raw, &decoded); err != nil {
		t.Fatal(err)
	}
	if o := decoded.Records[0].S3.Object; o.Key != "staging/a+b%2Bc.jpg" || o.URLDecodedKey != key || decoded.Records[0].EventName != EventPut {
		t.Fatalf("event record: key %q decoded %q", o.Key, o.URLDecodedKey)
	}

	// Removals: one per existing object deleted, none for a missing one.
	c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(testBucket), Key: aws.String("missing")})
	if _, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: aws.String(testBucket), Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String(key)}, {Key: aws.String("originals/copy.jpg"), ETag: aws.String(`"wrong"`)}, {Key: aws.String("nope")}}}}); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	gone := f.gone
	f.mu.Unlock()
	if len(gone) != 1 || gone[0].Key != key || gone[0].EventName != EventDelete {
		t.Fatalf("removed events %+v", gone)
	}
	if b, _ := f.get("originals/copy.jpg"); string(b) != "12345" {
		t.Fatalf("DeleteObjects ignored the ETag condition")
	}
}

func TestDeleteObjectsResult(t *testing.T) {
	f := newFixture(t)
	f.put("a", []byte("a"))
	f.put("b", []byte("b"))
	out, err := f.client().DeleteObjects(context.Background(), &s3.DeleteObjectsInput{Bucket: aws.String(testBucket), Delete: &types.Delete{
		Objects: []types.ObjectIdentifier{{Key: aws.String("a")}, {Key: aws.String("b"), ETag: aws.String(`"wrong"`)}, {Key: aws.String("never")}}}})
	if err != nil {
		t.Fatal(err)
	}
	var deleted []string
	for _, d := range out.Deleted {
		deleted = append(deleted, aws.ToString(d.Key))
	}
	if len(deleted) != 2 || deleted[0] != "a" || deleted[1] != "never" || len(out.Errors) != 1 ||
		aws.ToString(out.Errors[0].Key) != "b" || aws.ToString(out.Errors[0].Code) != "PreconditionFailed" {
		t.Fatalf("deleted %q, errors %+v", deleted, out.Errors)
	}
}
