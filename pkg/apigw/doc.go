// Package apigw is the adapter between API Gateway's Lambda events and net/http, both ways, so the image API is an
// ordinary http.Handler that runs behind a REST API (payload format 1.0, events.APIGatewayProxyRequest), an HTTP
// API (payload format 2.0, events.APIGatewayV2HTTPRequest, or 1.0), a REST API's non-proxy integration with the
// "method request passthrough" mapping template, and the local API Gateway front, which emits the same events.
//
// It is written here rather than taken from github.com/awslabs/aws-lambda-go-api-proxy because that library
// decides whether a response body is binary by checking whether it is valid UTF-8 (a small PNG can be), has one
// adapter per payload format where API Gateway can send either to the same function, knows no non-proxy events,
// and rebuilds the path from the event's path, which carries a custom domain's base path. Here a body is
// base64-encoded exactly when its Content-Type is not text, one Lambda handler accepts every shape, and the path
// the handler routes on is the API's own resource path. For Lambda Function URLs (response streaming) use
// github.com/aws/aws-lambda-go/lambdaurl, which does that job well.
package apigw
