// Package apigw adapts API Gateway proxy events to one request type and back, so the image API is written once and
// served behind a REST API (payload format 1.0, events.APIGatewayProxyRequest) or an HTTP API (payload format 2.0,
// events.APIGatewayV2HTTPRequest), and by the local HTTP front, which builds the same events.
package apigw
