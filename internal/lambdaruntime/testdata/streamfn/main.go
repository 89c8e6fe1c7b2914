// Command streamfn is an aws-lambda-go function for testing response
// streaming: an http.Handler served with lambdaurl.Start, as a function
// behind a RESPONSE_STREAM function URL is, whose paths select a behaviour.
//
// With STREAMFN_RAW=1 it serves events.LambdaFunctionURLStreamingResponse
// values from a plain lambda.Start handler instead, to produce what an
// http.Handler under lambdaurl cannot: an error posted to /error, and a body
// that fails midway, which aws-lambda-go reports in HTTP trailers.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"
)

// blob returns an endless deterministic stream of pseudo-random bytes for
// seed, which the tests regenerate to compare a streamed body byte for byte.
func blob(seed uint64) io.Reader {
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	return rand.NewChaCha8(key)
}

func intParam(r *http.Request, name string, def int) int {
	if n, err := strconv.Atoi(r.URL.Query().Get(name)); err == nil {
		return n
	}
	return def
}

func routes() http.Handler {
	mux := http.NewServeMux()
	// /blob streams ?size bytes of blob(?seed) in writes of ?chunk bytes,
	// with ?status and a few headers and cookies.
	mux.HandleFunc("/blob", func(w http.ResponseWriter, r *http.Request) {
		size := intParam(r, "size", 1024)
		h := w.Header()
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("X-Streamfn-Size", strconv.Itoa(size))
		h.Add("Vary", "Accept")
		h.Add("Vary", "Origin")
		h.Add("Set-Cookie", "a=1; Path=/")
		h.Add("Set-Cookie", "b=2; Secure")
		w.WriteHeader(intParam(r, "status", http.StatusOK))
		buf := make([]byte, intParam(r, "chunk", 64<<10))
		_, _ = io.CopyBuffer(w, io.LimitReader(blob(uint64(intParam(r, "seed", 1))), int64(size)), buf)
	})
	// /echo describes the request the handler received.
	mux.HandleFunc("/echo/", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		seen := map[string]any{
			"method":   r.Method,
			"url":      r.URL.String(),
			"host":     r.Host,
			"path":     r.URL.Path,
			"rawQuery": r.URL.RawQuery,
			"header":   r.Header,
			"remote":   r.RemoteAddr,
			"body":     body,
		}
		if ev, ok := lambdaurl.RequestFromContext(r.Context()); ok {
			seen["cookies"] = ev.Cookies
			seen["isBase64Encoded"] = ev.IsBase64Encoded
			seen["sourceIp"] = ev.RequestContext.HTTP.SourceIP
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(seen)
	})
	// /panic-before panics before the response starts; under lambdaurl the
	// handler runs in its own goroutine, so the process dies, though not
	// before lambdaurl's deferred Write(nil) has sent a 200 prelude.
	mux.HandleFunc("/panic-before", func(w http.ResponseWriter, r *http.Request) {
		panic("streamfn: panic before the first byte")
	})
	// /panic-after streams ?size bytes and then panics.
	mux.HandleFunc("/panic-after", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, io.LimitReader(blob(1), int64(intParam(r, "size", 1024))))
		panic("streamfn: panic after the first byte")
	})
	// /slow streams ?size bytes and then waits ?ms milliseconds before
	// the last byte.
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(w, io.LimitReader(blob(1), int64(intParam(r, "size", 1024))))
		time.Sleep(time.Duration(intParam(r, "ms", 1000)) * time.Millisecond)
		_, _ = w.Write([]byte{'.'})
	})
	// /pid reports the process, to tell warm starts from cold ones.
	mux.HandleFunc("/pid", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprint(w, os.Getpid())
	})
	return mux
}

// streamError gives the error a type name the tests can expect.
type streamError struct{ msg string }

func (e *streamError) Error() string { return e.msg }

// failingReader yields n bytes of blob(1) and then fails.
type failingReader struct {
	r   io.Reader
	msg string
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if errors.Is(err, io.EOF) {
		return n, &streamError{msg: f.msg}
	}
	return n, err
}

// badPrelude claims the http-integration-response type but sends no prelude.
type badPrelude struct{ io.Reader }

func (badPrelude) ContentType() string { return "application/vnd.awslambda.http-integration-response" }

// MarshalJSON fails so that aws-lambda-go streams the value instead of
// marshalling it, as it does for events.LambdaFunctionURLStreamingResponse.
func (badPrelude) MarshalJSON() ([]byte, error) { return nil, errors.New("not JSON") }

func raw(ctx context.Context, req *events.LambdaFunctionURLRequest) (any, error) {
	size, _ := strconv.Atoi(req.QueryStringParameters["size"])
	switch req.RawPath {
	case "/error":
		return nil, &streamError{msg: "refused before the first byte"}
	case "/fail-after":
		return &events.LambdaFunctionURLStreamingResponse{
			StatusCode: http.StatusOK,
			Headers:    map[string]string{"Content-Type": "application/octet-stream"},
			Body:       &failingReader{r: io.LimitReader(blob(1), int64(size)), msg: "disk gone after " + strconv.Itoa(size) + " bytes"},
		}, nil
	case "/plain":
		return strings.NewReader("plain bytes, no prelude"), nil
	case "/bad-prelude":
		return badPrelude{strings.NewReader(`{"statusCode":200}` + " but no NUL bytes")}, nil
	}
	return nil, &streamError{msg: "no such path " + req.RawPath}
}

func main() {
	if os.Getenv("STREAMFN_RAW") == "1" {
		lambda.Start(raw)
	}
	lambdaurl.Start(routes())
}
