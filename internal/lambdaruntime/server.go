package lambdaruntime

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Runtime API headers, as documented and as aws-lambda-go's client reads and
// writes them.
const (
	headerRequestID   = "Lambda-Runtime-Aws-Request-Id"
	headerDeadlineMS  = "Lambda-Runtime-Deadline-Ms"
	headerFunctionARN = "Lambda-Runtime-Invoked-Function-Arn"
	headerTraceID     = "Lambda-Runtime-Trace-Id"
	headerErrorType   = "Lambda-Runtime-Function-Error-Type"
	// trailerErrorBody carries a base64 error document when a streamed
	// response fails after its headers were sent; aws-lambda-go uses it
	// together with a Lambda-Runtime-Function-Error-Type trailer.
	trailerErrorBody = "Lambda-Runtime-Function-Error-Body"
)

// Payload limits of a synchronous invocation, from the Lambda quotas page.
// Enforcing them here makes an oversized API Gateway body fail in tests the
// way it fails in production.
const (
	// MaxPayloadBytes is the largest event Invoke accepts.
	MaxPayloadBytes = 6 * 1024 * 1024
	// MaxResponseBytes is the largest response; a bigger one becomes a
	// *FunctionError of type Function.ResponseSizeTooLarge.
	MaxResponseBytes = 6 * 1024 * 1024
)

// slot is a /next request waiting for an event. gen identifies the process
// that made it, so that a request left over from a dead process is never
// handed an event meant for its successor.
type slot struct {
	gen int
	ch  chan *invocation // buffered; receives nil when the slot is refused
}

func (f *Function) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /2018-06-01/runtime/invocation/next", f.handleNext)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/response", f.handleResponse)
	mux.HandleFunc("POST /2018-06-01/runtime/invocation/{id}/error", f.handleError)
	mux.HandleFunc("POST /2018-06-01/runtime/init/error", f.handleInitError)
	return mux
}

// handleNext long-polls until Invoke hands over an event.
func (f *Function) handleNext(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	s := slot{gen: f.gen, ch: make(chan *invocation, 1)}
	f.mu.Unlock()
	select {
	case f.slots <- s:
	case <-r.Context().Done():
		return
	case <-f.closing:
		return
	}
	inv := <-s.ch
	if inv == nil {
		writeAPIError(w, http.StatusGone, "InvalidStateTransition", "the process that asked for this event has exited")
		return
	}
	h := w.Header()
	h.Set(headerRequestID, inv.id)
	h.Set(headerDeadlineMS, strconv.FormatInt(inv.deadline.UnixMilli(), 10))
	h.Set(headerFunctionARN, f.arn)
	h.Set(headerTraceID, inv.traceID)
	h.Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(inv.payload) // A failed write means the process died; Invoke notices that.
}

// handleResponse completes an invocation with the function's result.
func (f *Function) handleResponse(w http.ResponseWriter, r *http.Request) {
	inv := f.lookup(r.PathValue("id"))
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with that request ID")
		return
	}
	// The header is optional, and only "streaming" is a valid value.
	if mode := r.Header.Get(headerResponseMode); mode != "" && mode != responseModeStreaming {
		f.complete(inv, result{err: &FunctionError{
			ErrorType:    "Runtime.InvalidResponseModeHeader",
			ErrorMessage: fmt.Sprintf("invalid %s %q", headerResponseMode, mode),
		}})
		writeAPIError(w, http.StatusBadRequest, "InvalidFunctionResponseMode", "Invalid function response mode")
		return
	}
	if inv.streaming {
		f.relayStream(w, r, inv)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes+1))
	if err != nil {
		// The runtime went away mid-request; Invoke sees the exit.
		return
	}
	if len(body) > MaxResponseBytes {
		f.complete(inv, result{err: &FunctionError{
			ErrorType:    "Function.ResponseSizeTooLarge",
			ErrorMessage: fmt.Sprintf("response payload exceeds the %d byte limit", MaxResponseBytes),
		}})
		writeAPIError(w, http.StatusRequestEntityTooLarge, "RequestEntityTooLarge", "response payload too large")
		return
	}
	res := result{payload: body}
	// Trailers are readable only after the body, which ReadAll consumed.
	if typ := r.Trailer.Get(headerErrorType); typ != "" {
		doc, _ := base64.StdEncoding.DecodeString(r.Trailer.Get(trailerErrorBody))
		res = result{err: parseFunctionError(doc, typ, false)}
	}
	if !f.complete(inv, res) {
		writeAPIError(w, http.StatusBadRequest, "InvalidStateTransition", "invocation already completed")
		return
	}
	writeAccepted(w)
}

// handleError completes an invocation with a function error.
func (f *Function) handleError(w http.ResponseWriter, r *http.Request) {
	inv := f.lookup(r.PathValue("id"))
	if inv == nil {
		writeAPIError(w, http.StatusBadRequest, "InvalidRequestID", "no invocation in progress with that request ID")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	if err != nil {
		return
	}
	if !f.complete(inv, result{err: parseFunctionError(body, r.Header.Get(headerErrorType), false)}) {
		writeAPIError(w, http.StatusBadRequest, "InvalidStateTransition", "invocation already completed")
		return
	}
	writeAccepted(w)
}

// handleInitError records that the current process failed to initialise.
func (f *Function) handleInitError(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxResponseBytes))
	if err != nil {
		return
	}
	f.mu.Lock()
	p := f.proc
	f.mu.Unlock()
	if p != nil {
		p.initOnce.Do(func() {
			p.initErr = parseFunctionError(body, r.Header.Get(headerErrorType), true)
			close(p.initFailed)
		})
	}
	writeAccepted(w)
}

// lookup returns the invocation in progress if its ID is id.
func (f *Function) lookup(id string) *invocation {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.current == nil || f.current.id != id {
		return nil
	}
	return f.current
}

// complete delivers the first result of inv and reports whether it was the
// first. It runs before the handler replies, so a runtime that exits right
// after posting (aws-lambda-go does after a panic) cannot overtake its own
// result.
func (f *Function) complete(inv *invocation, res result) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if inv.completed {
		return false
	}
	inv.completed = true
	inv.result <- res
	return true
}

// parseFunctionError decodes the error document a runtime posts:
// {"errorMessage": ..., "errorType": ..., "stackTrace": ...}. A body that is
// not such a document becomes the message, and the header supplies the type
// when the document has none.
func parseFunctionError(body []byte, headerType string, init bool) *FunctionError {
	var doc struct {
		ErrorMessage string          `json:"errorMessage"`
		ErrorType    string          `json:"errorType"`
		StackTrace   json.RawMessage `json:"stackTrace"`
	}
	fe := &FunctionError{Init: init}
	if err := json.Unmarshal(body, &doc); err == nil {
		fe.ErrorType, fe.ErrorMessage, fe.StackTrace = doc.ErrorType, doc.ErrorMessage, doc.StackTrace
	} else {
		fe.ErrorMessage = string(body)
	}
	if fe.ErrorType == "" {
		fe.ErrorType = headerType
	}
	if fe.ErrorType == "" {
		fe.ErrorType = "Runtime.Unknown"
	}
	return fe
}

func writeAccepted(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusAccepted)
	_, _ = io.WriteString(w, `{"status":"OK"}`)
}

func writeAPIError(w http.ResponseWriter, status int, typ, msg string) {
	b, _ := json.Marshal(map[string]string{"errorType": typ, "errorMessage": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// traceID returns an X-Ray trace header in the documented
// Root=1-<epoch hex>-<96-bit hex>;Parent=<64-bit hex>;Sampled=0 form.
func traceID(now time.Time) string {
	return fmt.Sprintf("Root=1-%08x-%s;Parent=%s;Sampled=0", now.Unix(), randomHex(24), randomHex(16))
}
