// Package publicerr gives an error the answer a client may see, where the error is made: an HTTP status, a stable
// code that clients and metrics branch on, and a message written for people. The internal cause travels with it
// for the logs and never reaches the client. This is imgproxy's ierrors idea: the package that knows what went
// wrong says what to tell the caller, so the edge (the image API, the quarantine reason) never cuts prefixes off
// err.Error(), and rewording an internal message cannot change what a client reads.
package publicerr

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
)

// Error is an error with a public face.
type Error struct {
	// Status is the HTTP status a client gets for it.
	Status int
	// Code is a short, stable identifier such as "too_many_pixels".
	Code string
	// Message is the sentence a client reads.
	Message string

	kind  *Error // the sentinel this error is an instance of; nil for a sentinel
	cause error  // internal detail; logged, never shown
}

// New returns a sentinel: callers compare with errors.Is, and With and Wrap make instances of it.
func New(status int, code, message string) *Error {
	return &Error{Status: status, Code: code, Message: message}
}

// Withf returns an instance of e with a more precise public message, e.g. naming the limit that was hit.
func (e *Error) Withf(format string, args ...any) *Error {
	return &Error{Status: e.Status, Code: e.Code, Message: fmt.Sprintf(format, args...), kind: e.sentinel(), cause: e.cause}
}

// Wrap returns an instance of e that carries cause for the logs; the public message stays e's.
func (e *Error) Wrap(cause error) *Error {
	return &Error{Status: e.Status, Code: e.Code, Message: e.Message, kind: e.sentinel(), cause: cause}
}

func (e *Error) sentinel() *Error {
	if e.kind != nil {
		return e.kind
	}
	return e
}

// Error is the message with the internal cause, for logs.
func (e *Error) Error() string {
	if e.cause != nil {
		return e.Message + ": " + e.cause.Error()
	}
	return e.Message
}

// Unwrap returns the internal cause.
func (e *Error) Unwrap() error { return e.cause }

// Is makes errors.Is(instance, sentinel) true.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t == e.sentinel()
}

// From returns the public error in err's chain, or nil when there is none (an internal failure).
func From(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// Internal is what a client is told about a failure that is not its own: the cause goes to the log only.
var Internal = New(http.StatusServiceUnavailable, "unavailable", "the service is temporarily unavailable; try again")

// body is the JSON shape of every error answer: {"error": {"code": "...", "message": "..."}}.
type body struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// JSON is e's answer body.
func (e *Error) JSON() []byte {
	var b body
	b.Error.Code, b.Error.Message = e.Code, e.Message
	out, _ := json.Marshal(b) // two strings cannot fail to marshal
	return out
}

// Write answers with e: its status and its JSON body, never its cause. Headers already set on w (CORS, say) stay.
func Write(w http.ResponseWriter, e *Error) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Del("Content-Length")
	w.WriteHeader(e.Status)
	w.Write(e.JSON())
}
