// Package localstack runs the whole pipeline on one machine with nothing installed: an S3-compatible server
// (gofakes3, speaking the real S3 HTTP protocol, with objects on disk), an HTTP front that turns each request into
// the API Gateway event the upload function gets in AWS, S3 ObjectCreated notifications filtered to the staging
// prefix that invoke the resize handler with a real events.S3Event (with Lambda's asynchronous retries), and the
// embedded SQLite catalog. The handlers are the same code the Lambda functions run.
package localstack
