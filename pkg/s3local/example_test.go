package s3local_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/imgpipe/imgpipe/pkg/s3local"
)

// The local stack wires the hook to its resize trigger: events under the staging prefix become S3 events for
// the function, handed to a queue so the S3 request is not held up by the resize.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "s3local")
	defer os.RemoveAll(dir)
	queue := make(chan s3local.ObjectCreated, 16)
	srv, err := s3local.New(s3local.Options{
		Dir: dir, Region: "us-east-1", AccessKey: "local", SecretKey: "local-secret", Buckets: []string{"images"},
		OnObjectCreated: func(e s3local.ObjectCreated) {
			if e.Bucket == "images" && strings.HasPrefix(e.Key, "staging/") {
				queue <- e
			}
		},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer srv.Close()
	hs := httptest.NewServer(srv) // in the stack: an http.Server on 127.0.0.1 with srv as its Handler
	defer hs.Close()

	client := s3.New(s3.Options{
		Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local-secret", ""),
		BaseEndpoint: aws.String(hs.URL), UsePathStyle: true, HTTPClient: &http.Client{},
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
	_, err = client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("images"),
		Key: aws.String("staging/cat photo.jpg"), Body: strings.NewReader("jpeg")})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := <-queue
	rec := e.S3Event("us-east-1").Records[0]
	fmt.Println(rec.EventName, rec.S3.Object.Key, rec.S3.Object.Size)
	// Output: ObjectCreated:Put staging/cat+photo.jpg 4
}
