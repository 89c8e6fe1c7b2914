// Command echofn is a tiny aws-lambda-go function for testing the Runtime API
// server: the event's mode selects a behaviour, and the response reports what
// the function saw of its environment.
package main

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdacontext"
)

type event struct {
	// Mode is "echo" (the default), "error", "panic", "exit", "sleep",
	// "hang", "stream-error" or "big" (a response over Lambda's 6 MB limit).
	Mode     string   `json:"mode"`
	Message  string   `json:"message"`
	Env      []string `json:"env"`
	SleepMS  int      `json:"sleepMs"`
	ExitCode int      `json:"exitCode"`
}

type response struct {
	Message     string            `json:"message"`
	PID         int               `json:"pid"`
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	DeadlineMS  int64             `json:"deadlineMs"`
	Env         map[string]string `json:"env"`
	StartNS     int64             `json:"startNs"`
	EndNS       int64             `json:"endNs"`
}

// echoError gives the error a type name the tests can expect in errorType.
type echoError struct{ msg string }

func (e *echoError) Error() string { return e.msg }

// failingReader streams part of a response and then fails, which
// aws-lambda-go reports in HTTP trailers rather than on /error.
type failingReader struct {
	msg  string
	sent bool
}

func (r *failingReader) Read(p []byte) (int, error) {
	if !r.sent {
		r.sent = true
		return copy(p, "partial"), nil
	}
	return 0, &echoError{msg: r.msg}
}

// handle returns any so that it can return an io.Reader, which aws-lambda-go
// streams instead of marshalling.
func handle(ctx context.Context, ev event) (any, error) {
	start := time.Now()
	fmt.Printf("echofn: mode=%s message=%s\n", ev.Mode, ev.Message)
	switch ev.Mode {
	case "error":
		return response{}, &echoError{msg: ev.Message}
	case "panic":
		panic(ev.Message)
	case "exit":
		fmt.Fprintln(os.Stderr, "echofn: exiting on request")
		os.Exit(ev.ExitCode)
	case "sleep":
		time.Sleep(time.Duration(ev.SleepMS) * time.Millisecond)
	case "hang":
		select {} // Ignores the deadline on purpose.
	case "stream-error":
		return &failingReader{msg: ev.Message}, nil
	case "big":
		return strings.NewReader(strings.Repeat("x", 6*1024*1024+1)), nil
	}
	resp := response{Message: ev.Message, PID: os.Getpid(), Env: map[string]string{}}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		resp.RequestID, resp.FunctionARN = lc.AwsRequestID, lc.InvokedFunctionArn
	}
	if d, ok := ctx.Deadline(); ok {
		resp.DeadlineMS = d.UnixMilli()
	}
	for _, k := range ev.Env {
		resp.Env[k] = os.Getenv(k)
	}
	resp.StartNS, resp.EndNS = start.UnixNano(), time.Now().UnixNano()
	return resp, nil
}

// reportInitError posts to /init/error the way a custom runtime reports a
// failed initialisation; aws-lambda-go itself just exits instead.
func reportInitError(msg string) {
	url := "http://" + os.Getenv("AWS_LAMBDA_RUNTIME_API") + "/2018-06-01/runtime/init/error"
	body := fmt.Sprintf(`{"errorMessage":%q,"errorType":"echofn.InitError"}`, msg)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewBufferString(body))
	if err != nil {
		log.Fatal(err)
	}
	req.Header.Set("Lambda-Runtime-Function-Error-Type", "Runtime.InitError")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	resp.Body.Close()
	log.Fatalf("echofn: init failed: %s (runtime API answered %s)", msg, resp.Status)
}

func main() {
	if msg := os.Getenv("ECHOFN_INIT_ERROR"); msg != "" {
		reportInitError(msg)
	}
	lambda.Start(handle)
}
