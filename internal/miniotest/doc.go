// Package miniotest runs a real MinIO server for tests, so that storage code
// and the S3-to-Lambda wiring are exercised against real S3 semantics and
// real bucket notifications rather than a fake.
//
// MinIO is built from source at a pinned Version and cached outside the
// repository (see Binary). CI pre-builds it with
//
//	go run ./internal/miniotest/cmd/minio-install
//
// Each Server is a single-drive MinIO on 127.0.0.1 with its own temporary
// data directory. Bucket notifications go to webhook targets, which MinIO
// addresses with queue ARNs of the form arn:minio:sqs::<ID>:webhook; Webhook
// receives them and decodes them into events.S3Event.
//
// MinIO's notifications differ from AWS's in ways that matter to a handler
// that must work with both:
//   - eventName carries an "s3:" prefix ("s3:ObjectCreated:Put"), where AWS
//     sends "ObjectCreated:Put".
//   - The object key is escaped with url.QueryEscape: a space becomes "+",
//     "+" becomes "%2B", non-ASCII bytes become %XX, and "/" becomes "%2F",
//     which AWS leaves as "/". S3Object.URLDecodedKey undoes both forms.
//   - Each POST wraps the records as {"EventName", "Key", "Records"}, where
//     Records has the AWS S3 event record shape and holds one record.
package miniotest
