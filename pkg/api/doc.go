// Package api is the image API behind API Gateway: POST /images uploads a photo, GET /images/{id} reports its
// status and derivative URLs, GET /images lists images newest first, DELETE /images/{id} removes an image, and
// OPTIONS answers CORS preflight. It works on apigw.Request, so the same code serves both payload formats and the
// local HTTP front.
//
// Every client mistake gets a 4xx with a readable JSON message. Internal failures are logged with their cause and
// answered with a generic 503 (a recovered panic with a generic 500), so no internal detail reaches the client.
package api
