// Package api is the image API, an http.Handler: POST /images uploads a photo, POST /uploads hands out a presigned
// S3 POST for one too big for a Lambda payload, GET /images/{id} reports its status
// and derivative URLs, GET /images lists images newest first, DELETE /images/{id} removes an image, and OPTIONS
// answers CORS preflight. Package apigw adapts it to API Gateway's events, so the same handler serves REST and HTTP
// APIs in AWS and the local API Gateway front under `make run`.
//
// Every client mistake gets a 4xx with a readable JSON message: the packages that find a mistake (form, imagefile,
// catalog lookups here) make a *publicerr.Error, and the handler writes it. Internal failures are logged with their
// cause and answered with a generic 503 (a recovered panic with a generic 500), so no internal detail reaches the
// client.
package api
