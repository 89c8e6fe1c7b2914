package lambdaruntime

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Response streaming, as a function URL with InvokeMode RESPONSE_STREAM (or
// the InvokeWithResponseStream API) sees it.
//
// On the Runtime API side nothing changes but the endpoint's behaviour: the
// runtime POSTs /response with Transfer-Encoding: chunked and Lambda relays
// the chunks to the caller as they arrive instead of buffering them, up to
// 200 MB instead of 6 MB, at full speed for the first 6 MB and at a capped
// rate after that. An error after the first byte travels in the HTTP
// trailers Lambda-Runtime-Function-Error-Type and
// Lambda-Runtime-Function-Error-Body (a base64 error document); an error
// before it can still be posted to /error. Sources: the "Implementing
// response streaming in a custom runtime" section of
// https://docs.aws.amazon.com/lambda/latest/dg/runtimes-custom.html, the
// bandwidth and size limits on
// https://docs.aws.amazon.com/lambda/latest/dg/configuration-response-streaming.html,
// and aws-lambda-go v1.55.1: lambda/runtime_api_client.go (post: a body of
// unknown length, so net/http sends it chunked, with both trailers declared
// and set by errorCapturingReader when the body's Read fails) and
// lambda/invoke_loop.go (handleInvoke: a handler's io.Reader response is
// posted as is, with the content type of its ContentType method).
//
// The documentation also asks runtimes to send the header
// Lambda-Runtime-Function-Response-Mode: streaming, but aws-lambda-go never
// does, and Lambda streams its responses to a streaming invocation anyway:
// what decides is how the function was invoked, not the header. The Runtime
// Interface Emulator's directinvoke package, which comes from Lambda's own
// runtime API server, does the same (SendDirectInvokeResponse switches on
// the invoke's response mode), and it refuses any value of the header other
// than "streaming" with Runtime.InvalidResponseModeHeader, as this server
// does.
//
// A function URL additionally reads a prelude when the runtime posts the
// content type HTTPIntegrationContentType: a JSON object with statusCode,
// headers and cookies, then 8 NUL bytes, then the raw body
// (events.LambdaFunctionURLStreamingResponse.Read writes it, and lambdaurl
// uses that type).

// HTTPIntegrationContentType is the content type of a streamed response that
// starts with a status, headers and cookies prelude.
const HTTPIntegrationContentType = "application/vnd.awslambda.http-integration-response"

// Limits of a streamed response.
const (
	// MaxStreamResponseBytes is Lambda's default limit on a streamed
	// response, 200 MB (taken as MiB, as the 6 MB buffered limit is here).
	MaxStreamResponseBytes = 200 << 20
	// StreamBurstBytes is how much of a streamed response Lambda sends at
	// full speed; the rest is capped at Options.StreamRate.
	StreamBurstBytes = 6 << 20
	// DefaultStreamRate is Lambda's bandwidth cap past the burst, 2 MiB/s
	// (interop.ResponseBandwidthRate in the Runtime Interface Emulator).
	DefaultStreamRate = 2 << 20
)

// ErrPrelude means a response of type HTTPIntegrationContentType did not
// start with a well-formed prelude; a function URL answers 502 to that.
var ErrPrelude = errors.New("lambdaruntime: malformed http-integration-response prelude")

const (
	headerResponseMode    = "Lambda-Runtime-Function-Response-Mode"
	responseModeStreaming = "streaming"
	// maxPreludeBytes bounds the search for the prelude's end. It is this
	// emulator's guard against a runtime that never sends one, not a
	// documented Lambda limit.
	maxPreludeBytes = 1 << 20
	// relayChunk is how much of the runtime's body is relayed per write,
	// which is also the granularity of the bandwidth cap.
	relayChunk = 32 << 10
)

// preludeEnd separates the prelude from the body. JSON cannot contain a raw
// NUL, so the first run of eight ends the prelude.
var preludeEnd = make([]byte, 8)

// StreamResponse is a streamed response as a function URL in RESPONSE_STREAM
// mode receives it.
type StreamResponse struct {
	// ContentType is the Content-Type the runtime posted.
	ContentType string
	// StatusCode, Headers and Cookies come from the prelude when ContentType
	// is HTTPIntegrationContentType. Without a prelude, StatusCode is 200
	// and Headers and Cookies are empty.
	StatusCode int
	Headers    map[string]string
	Cookies    []string
	// Body is the rest of the stream, relayed as the function writes it.
	// Read returns an error other than io.EOF when the stream does not end
	// cleanly: a *FunctionError for an error the runtime reported in the
	// trailers or for a response over Options.MaxStreamBytes (type
	// Function.ResponseSizeTooLarge), or an error wrapping ErrExited,
	// ErrTimeout, ErrClosed or the context's error. The invocation lasts
	// until the function has sent everything, so read Body to the end or
	// Close it: Close discards the rest, as a function URL does when its
	// client hangs up, and the function runs on until it is done or times
	// out, and the next invocation waits for that.
	Body io.ReadCloser
}

// InvokeStream sends one event to the function as a streaming invocation
// and returns as soon as the runtime starts its response, with the prelude
// read. Errors before that are returned as Invoke returns them: a
// *FunctionError for an error the function posted to /error or reported
// before the prelude was complete, and errors wrapping ErrTimeout,
// ErrExited, ErrPayloadTooLarge, ErrClosed or ErrPrelude. Options.Timeout
// covers the whole stream. Invocations queue as with Invoke.
func (f *Function) InvokeStream(ctx context.Context, payload []byte) (*StreamResponse, error) {
	inv := newInvocation(payload, true)
	p, release, err := f.begin(ctx, inv)
	if err != nil {
		return nil, err
	}
	res, err := f.await(ctx, p, inv)
	if err == nil {
		err = res.err
	}
	if err != nil {
		release()
		return nil, err
	}
	s := res.stream
	go f.watchStream(ctx, p, inv, s, release)

	body := &streamBody{s: s}
	resp := &StreamResponse{ContentType: s.contentType, StatusCode: http.StatusOK, Body: body}
	if s.contentType != HTTPIntegrationContentType {
		return resp, nil
	}
	if err := readPrelude(resp, body); err != nil {
		_ = body.Close() // Discarding never fails.
		return nil, err
	}
	return resp, nil
}

// stream is a streamed response on its way from the runtime's POST to the
// caller of InvokeStream, through a pipe: a write returns only once the
// caller has read it, so a slow reader slows the function down, as it does
// in Lambda, and nothing is buffered here.
type stream struct {
	contentType string
	pr          *io.PipeReader
	pw          *io.PipeWriter
	// done is closed when the server has finished with the runtime's POST.
	done chan struct{}
	// aborted is closed when the invocation ends before the runtime has
	// finished (timeout, cancellation, exit, Close).
	aborted   chan struct{}
	abortOnce sync.Once
}

func newStream(contentType string) *stream {
	pr, pw := io.Pipe()
	return &stream{contentType: contentType, pr: pr, pw: pw, done: make(chan struct{}), aborted: make(chan struct{})}
}

// abort ends the stream with err, unless it has already ended: the pipe
// keeps the first error it is closed with, so the reader sees whichever of
// the function's own outcome and the invocation's end came first.
func (s *stream) abort(err error) {
	s.abortOnce.Do(func() {
		_ = s.pw.CloseWithError(err) // Always returns nil.
		close(s.aborted)
	})
}

// abortKilling ends the stream with err and kills p first, so that the
// reader hears about the timeout or cancellation rather than the exit it
// causes, and finds the process gone by then, as after Invoke. A concurrent
// abort waits for it and then does nothing.
func (s *stream) abortKilling(err error, p *process) {
	s.abortOnce.Do(func() {
		close(s.aborted)
		p.kill()
		_ = s.pw.CloseWithError(err) // Always returns nil.
	})
}

// watchStream enforces the invocation's end while the runtime streams: the
// deadline, ctx, an exit and Close. It owns the environment until the
// runtime has finished its POST, then releases it for the next invocation.
func (f *Function) watchStream(ctx context.Context, p *process, inv *invocation, s *stream, release func()) {
	defer release()
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case <-s.done:
	case <-p.done:
		s.abort(f.exitError(p, errors.New("during the streamed response")))
	case <-timer.C:
		s.abortKilling(f.timeoutError(), p)
	case <-ctx.Done():
		s.abortKilling(ctx.Err(), p)
	case <-f.closing:
		s.abort(ErrClosed)
	}
}

// relayStream serves /response for a streaming invocation: it hands the
// caller the stream, copies the runtime's body into it under the size limit
// and the bandwidth cap, and ends it with the runtime's trailers.
func (f *Function) relayStream(w http.ResponseWriter, r *http.Request, inv *invocation) {
	s := newStream(r.Header.Get("Content-Type"))
	if !f.complete(inv, result{stream: s}) {
		writeAPIError(w, http.StatusBadRequest, "InvalidStateTransition", "invocation already completed")
		return
	}
	defer close(s.done)
	limit := f.opts.MaxStreamBytes
	err := s.relay(r.Body, limit, f.opts.StreamRate)
	switch {
	case err == nil:
		// Trailers are readable only after the body, which relay consumed.
		if typ := r.Trailer.Get(headerErrorType); typ != "" {
			doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody))
			s.abort(parseFunctionError(doc, typ, false))
		} else {
			_ = s.pw.Close() // Always returns nil.
		}
		writeAccepted(w)
	case errors.Is(err, errStreamTooLarge):
		s.abort(&FunctionError{
			ErrorType:    "Function.ResponseSizeTooLarge",
			ErrorMessage: fmt.Sprintf("streamed response payload exceeds the %d byte limit", limit),
		})
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "streamed response payload too large")
	case errors.Is(err, errStreamAborted):
		// The invocation is over and the process is being killed; nobody
		// waits for this answer.
	default:
		// The runtime's request broke off. That is nearly always its process
		// dying, which the reader should hear about with its last output.
		select {
		case <-inv.proc.done:
			s.abort(f.exitError(inv.proc, errors.New("during the streamed response")))
		case <-time.After(time.Second):
			s.abort(&FunctionError{ErrorType: "Runtime.TruncatedResponse", ErrorMessage: err.Error()})
		case <-s.aborted:
		}
	}
}

var (
	errStreamTooLarge = errors.New("streamed response too large")
	errStreamAborted  = errors.New("stream aborted")
)

// relay copies body into the pipe. Past StreamBurstBytes it holds each chunk
// back until rate allows it, like Lambda's token bucket, which starts full
// with StreamBurstBytes and refills at rate; rate <= 0 means no cap.
func (s *stream) relay(body io.Reader, limit, rate int64) error {
	buf := make([]byte, relayChunk)
	start := time.Now()
	var sent int64
	for {
		n, rerr := body.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			over := sent+int64(n) > limit
			if over {
				chunk = chunk[:limit-sent]
			}
			if err := s.throttle(start, sent+int64(len(chunk)), rate); err != nil {
				return err
			}
			if _, err := s.pw.Write(chunk); err != nil {
				return errStreamAborted
			}
			sent += int64(len(chunk))
			if over {
				return errStreamTooLarge
			}
		}
		if rerr == io.EOF {
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

// throttle waits until total bytes may have been sent since start.
func (s *stream) throttle(start time.Time, total, rate int64) error {
	if rate <= 0 || total <= StreamBurstBytes {
		return nil
	}
	due := start.Add(time.Duration(float64(total-StreamBurstBytes) / float64(rate) * float64(time.Second)))
	wait := time.Until(due)
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.aborted:
		return errStreamAborted
	}
}

// streamBody is StreamResponse.Body: what readPrelude read past the
// prelude, then the pipe.
type streamBody struct {
	s      *stream
	head   []byte
	closed atomic.Bool
}

func (b *streamBody) Read(p []byte) (int, error) {
	if b.closed.Load() {
		return 0, http.ErrBodyReadAfterClose
	}
	if len(b.head) > 0 {
		n := copy(p, b.head)
		b.head = b.head[n:]
		return n, nil
	}
	return b.s.pr.Read(p)
}

// Close discards the rest of the stream in the background, so that the
// function can finish as it would behind a function URL whose client went
// away.
func (b *streamBody) Close() error {
	if b.closed.Swap(true) {
		return nil
	}
	go func() { _, _ = io.Copy(io.Discard, b.s.pr) }()
	return nil
}

// readPrelude reads the prelude of an http-integration-response into resp
// and leaves what followed it at the head of body.
func readPrelude(resp *StreamResponse, body *streamBody) error {
	var buf []byte
	chunk := make([]byte, 4096)
	for {
		// The delimiter may straddle two reads, so search a little before
		// the new bytes too.
		from := max(0, len(buf)-len(preludeEnd)+1)
		n, err := body.s.pr.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i := bytes.Index(buf[from:], preludeEnd); i >= 0 {
			i += from
			var prelude struct {
				StatusCode int               `json:"statusCode"`
				Headers    map[string]string `json:"headers"`
				Cookies    []string          `json:"cookies"`
			}
			if err := json.Unmarshal(buf[:i], &prelude); err != nil {
				return fmt.Errorf("%w: %v: %q", ErrPrelude, err, buf[:i])
			}
			if prelude.StatusCode != 0 {
				resp.StatusCode = prelude.StatusCode
			}
			resp.Headers, resp.Cookies = prelude.Headers, prelude.Cookies
			body.head = buf[i+len(preludeEnd):]
			return nil
		}
		switch {
		case err == io.EOF:
			return fmt.Errorf("%w: the stream ended after %d bytes without the 8 NUL bytes that end the prelude", ErrPrelude, len(buf))
		case err != nil:
			return err
		case len(buf) > maxPreludeBytes:
			return fmt.Errorf("%w: no end of the prelude in the first %d bytes", ErrPrelude, maxPreludeBytes)
		}
	}
}
