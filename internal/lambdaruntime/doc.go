// Package lambdaruntime runs a real Lambda bootstrap binary as a child process
// and serves it the Lambda Runtime API, so end-to-end tests exercise the same
// code path as production without the Runtime Interface Emulator.
//
// The server implements the documented Runtime API version 2018-06-01
// (https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):
//
//	GET  /2018-06-01/runtime/invocation/next
//	POST /2018-06-01/runtime/invocation/{id}/response
//	POST /2018-06-01/runtime/invocation/{id}/error
//	POST /2018-06-01/runtime/init/error
//
// It behaves like one Lambda execution environment with the default
// concurrency of one: invocations are handed out one at a time, a process that
// exits (for example after a panic, which makes aws-lambda-go exit once it has
// reported the error) or times out is replaced by a fresh one on the next
// Invoke, which is a cold start. The Extensions and Telemetry APIs are not
// served; aws-lambda-go only logs a warning when they are missing.
//
// Invoke is a synchronous (RequestResponse) invocation, with its 6 MB
// response limit. InvokeStream is a streaming one, as behind a function URL
// with InvokeMode RESPONSE_STREAM: the runtime's chunked /response is relayed
// to the caller as it arrives, with its http-integration-response prelude
// (status, headers, cookies) parsed, up to 200 MB at Lambda's bandwidth cap,
// and an error the runtime reports in the trailers surfaces from the body's
// Read. FunctionURLEvent builds the event such a function receives from an
// *http.Request. See stream.go for the wire format and its sources.
//
// Binaries must be built with -tags lambda.norpc, as the Makefile does for
// deployment, because the legacy net/rpc protocol is not served.
package lambdaruntime
