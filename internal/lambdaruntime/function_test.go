package lambdaruntime

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// echofn and streamfn are the paths of testdata/echofn and testdata/streamfn
// built once for all tests, because a build per test would dominate the run
// time.
var echofn, streamfn string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "lambdaruntime-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	echofn, err = Build(ctx, "./testdata/echofn", filepath.Join(dir, "echofn"))
	if err == nil {
		streamfn, err = Build(ctx, "./testdata/streamfn", filepath.Join(dir, "streamfn"))
	}
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type echoEvent struct {
	Mode     string   `json:"mode,omitempty"`
	Message  string   `json:"message,omitempty"`
	Env      []string `json:"env,omitempty"`
	SleepMS  int      `json:"sleepMs,omitempty"`
	ExitCode int      `json:"exitCode,omitempty"`
}

type echoResponse struct {
	Message     string            `json:"message"`
	PID         int               `json:"pid"`
	RequestID   string            `json:"requestId"`
	FunctionARN string            `json:"functionArn"`
	DeadlineMS  int64             `json:"deadlineMs"`
	Env         map[string]string `json:"env"`
	StartNS     int64             `json:"startNs"`
	EndNS       int64             `json:"endNs"`
}

func start(t *testing.T, opts Options) *Function {
	t.Helper()
	f, err := Start(t.Context(), echofn, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := f.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return f
}

func invoke(t *testing.T, f *Function, ev echoEvent) (echoResponse, error) {
	t.Helper()
	payload, err := json.Marshal(ev)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f.Invoke(t.Context(), payload)
	if err != nil {
		return echoResponse{}, err
	}
	var resp echoResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %q: %v", out, err)
	}
	return resp, nil
}

// mustInvoke is invoke for calls that are expected to succeed.
func mustInvoke(t *testing.T, f *Function, ev echoEvent) echoResponse {
	t.Helper()
	resp, err := invoke(t, f, ev)
	if err != nil {
		t.Fatalf("Invoke(%+v): %v", ev, err)
	}
	return resp
}

func TestEchoRoundTrip(t *testing.T) {
	t.Setenv("ECHOFN_HOST_ONLY", "leaked")
	var tee syncBuffer
	f := start(t, Options{
		FunctionName: "echo",
		MemoryMB:     512,
		Region:       "eu-west-1",
		Env:          map[string]string{"BUCKET": "photos", "AWS_REGION": "eu-central-1"},
		Output:       &tee,
	})
	resp := mustInvoke(t, f, echoEvent{Message: "héllo", Env: []string{
		"AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_DEFAULT_REGION",
		"AWS_REGION", "_HANDLER", "LAMBDA_TASK_ROOT", "BUCKET", "ECHOFN_HOST_ONLY", "TZ",
	}})

	if resp.Message != "héllo" {
		t.Errorf("message = %q, want %q", resp.Message, "héllo")
	}
	if len(resp.RequestID) != 36 {
		t.Errorf("request ID %q is not a UUID", resp.RequestID)
	}
	if want := "arn:aws:lambda:eu-west-1:000000000000:function:echo"; resp.FunctionARN != want {
		t.Errorf("function ARN = %q, want %q", resp.FunctionARN, want)
	}
	wantEnv := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        "echo",
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
		"AWS_DEFAULT_REGION":              "eu-west-1",
		"AWS_REGION":                      "eu-central-1", // Options.Env wins.
		"_HANDLER":                        "bootstrap",
		"LAMBDA_TASK_ROOT":                filepath.Dir(echofn),
		"BUCKET":                          "photos",
		"ECHOFN_HOST_ONLY":                "",
		"TZ":                              ":UTC",
	}
	for k, want := range wantEnv {
		if got := resp.Env[k]; got != want {
			t.Errorf("env %s = %q, want %q", k, got, want)
		}
	}
	const line = "echofn: mode= message=héllo"
	if !waitForLine(f, line) {
		t.Errorf("Logs() = %q, want it to contain %q", f.Logs(), line)
	}
	if !strings.Contains(tee.String(), line+"\n") {
		t.Errorf("Output got %q, want it to contain %q", tee.String(), line)
	}
}

func TestFunctionError(t *testing.T) {
	tests := map[string]struct {
		ev          echoEvent
		wantType    string
		wantMessage string // ev.Message if empty
		wantStack   bool
		wantRestart bool
	}{
		// aws-lambda-go reports the error's type name and keeps running.
		"returned error": {ev: echoEvent{Mode: "error", Message: "bad input"}, wantType: "echoError"},
		// A panic is reported with the panic value's type and a stack, and
		// then aws-lambda-go exits, so the next event needs a new process.
		"panic": {ev: echoEvent{Mode: "panic", Message: "boom"}, wantType: "string", wantStack: true, wantRestart: true},
		// A streamed response that fails midway arrives on /response with
		// the error in HTTP trailers.
		"stream error": {ev: echoEvent{Mode: "stream-error", Message: "disk gone"}, wantType: "echoError"},
		// Lambda rejects a response over 6 MB; aws-lambda-go then exits.
		"response too large": {ev: echoEvent{Mode: "big"}, wantType: "Function.ResponseSizeTooLarge", wantMessage: "response payload exceeds the 6291456 byte limit", wantRestart: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := start(t, Options{})
			before := mustInvoke(t, f, echoEvent{})

			_, err := invoke(t, f, tt.ev)
			var fe *FunctionError
			if !errors.As(err, &fe) {
				t.Fatalf("Invoke error = %v, want *FunctionError", err)
			}
			wantMessage := tt.wantMessage
			if wantMessage == "" {
				wantMessage = tt.ev.Message
			}
			if fe.ErrorType != tt.wantType || fe.ErrorMessage != wantMessage || fe.Init {
				t.Errorf("got %+v, want type %q message %q", fe, tt.wantType, wantMessage)
			}
			if hasStack := len(fe.StackTrace) > 0; hasStack != tt.wantStack {
				t.Errorf("stack trace present = %v, want %v: %s", hasStack, tt.wantStack, fe.StackTrace)
			}

			after := mustInvoke(t, f, echoEvent{})
			if restarted := after.PID != before.PID; restarted != tt.wantRestart {
				t.Errorf("process restarted = %v, want %v", restarted, tt.wantRestart)
			}
		})
	}
}

func TestInitError(t *testing.T) {
	f := start(t, Options{Env: map[string]string{"ECHOFN_INIT_ERROR": "BUCKET is not set"}})
	_, err := invoke(t, f, echoEvent{})
	var fe *FunctionError
	if !errors.As(err, &fe) {
		t.Fatalf("Invoke error = %v, want *FunctionError", err)
	}
	want := FunctionError{ErrorType: "echofn.InitError", ErrorMessage: "BUCKET is not set", Init: true}
	if fe.ErrorType != want.ErrorType || fe.ErrorMessage != want.ErrorMessage || !fe.Init {
		t.Errorf("got %+v, want %+v", *fe, want)
	}
}

func TestDeadlineHeader(t *testing.T) {
	const timeout = 7 * time.Second
	f := start(t, Options{Timeout: timeout})
	mustInvoke(t, f, echoEvent{}) // Warm up so the window below excludes the cold start.

	before := time.Now()
	resp := mustInvoke(t, f, echoEvent{})
	after := time.Now()

	// The header has millisecond precision, so allow 1 ms below the window.
	lo, hi := before.Add(timeout).UnixMilli()-1, after.Add(timeout).UnixMilli()
	if resp.DeadlineMS < lo || resp.DeadlineMS > hi {
		t.Errorf("context deadline in the function = %d, want within [%d, %d]", resp.DeadlineMS, lo, hi)
	}
}

func TestTimeoutKillsProcess(t *testing.T) {
	f := start(t, Options{Timeout: 500 * time.Millisecond})
	before := mustInvoke(t, f, echoEvent{})

	began := time.Now()
	_, err := invoke(t, f, echoEvent{Mode: "hang"})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Invoke error = %v, want ErrTimeout", err)
	}
	if elapsed := time.Since(began); elapsed > 5*time.Second {
		t.Errorf("timeout reported after %s, want about 500ms", elapsed)
	}
	if alive(before.PID) {
		t.Errorf("process %d still alive after the timeout", before.PID)
	}
	if after := mustInvoke(t, f, echoEvent{}); after.PID == before.PID {
		t.Errorf("same PID %d after a timeout, want a fresh process", after.PID)
	}
}

func TestContextCancelKillsProcess(t *testing.T) {
	f := start(t, Options{})
	before := mustInvoke(t, f, echoEvent{})

	ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
	defer cancel()
	_, err := f.Invoke(ctx, []byte(`{"mode":"hang"}`))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Invoke error = %v, want context.DeadlineExceeded", err)
	}
	if after := mustInvoke(t, f, echoEvent{}); after.PID == before.PID {
		t.Errorf("same PID %d after a cancelled invocation, want a fresh process", after.PID)
	}
}

func TestProcessExitSurfaces(t *testing.T) {
	f := start(t, Options{Timeout: 30 * time.Second})
	mustInvoke(t, f, echoEvent{})

	began := time.Now()
	_, err := invoke(t, f, echoEvent{Mode: "exit", ExitCode: 3})
	if !errors.Is(err, ErrExited) {
		t.Fatalf("Invoke error = %v, want ErrExited", err)
	}
	if elapsed := time.Since(began); elapsed > 5*time.Second {
		t.Errorf("exit reported after %s, want it well before the 30s timeout", elapsed)
	}
	for _, want := range []string{"exit status 3", "echofn: exiting on request"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	mustInvoke(t, f, echoEvent{}) // The next invocation gets a new process.
}

func TestSequentialInvocationsReuseProcess(t *testing.T) {
	f := start(t, Options{})
	first := mustInvoke(t, f, echoEvent{Message: "1"})
	seen := map[string]bool{first.RequestID: true}
	for i := 2; i <= 4; i++ {
		resp := mustInvoke(t, f, echoEvent{Message: fmt.Sprint(i)})
		if resp.PID != first.PID {
			t.Errorf("invocation %d ran in PID %d, want %d", i, resp.PID, first.PID)
		}
		if resp.Message != fmt.Sprint(i) {
			t.Errorf("invocation %d returned %q", i, resp.Message)
		}
		if seen[resp.RequestID] {
			t.Errorf("request ID %s reused", resp.RequestID)
		}
		seen[resp.RequestID] = true
	}
}

func TestConcurrentInvocationsQueue(t *testing.T) {
	f := start(t, Options{})
	const n = 4
	var wg sync.WaitGroup
	resps := make([]echoResponse, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			resps[i], errs[i] = invoke(t, f, echoEvent{Mode: "sleep", SleepMS: 100})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("invocation %d: %v", i, err)
		}
	}
	for i := range resps {
		for j := range i {
			a, b := resps[i], resps[j]
			if a.StartNS < b.EndNS && b.StartNS < a.EndNS {
				t.Errorf("invocations %d and %d overlapped: [%d,%d] and [%d,%d]", i, j, a.StartNS, a.EndNS, b.StartNS, b.EndNS)
			}
		}
	}
}

func TestUnknownRequestID(t *testing.T) {
	f := start(t, Options{})
	for _, path := range []string{"response", "error"} {
		url := "http://" + f.RuntimeAPI() + "/2018-06-01/runtime/invocation/not-a-request/" + path
		resp, err := http.Post(url, "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("POST %s for an unknown request ID: status %d, want 400", path, resp.StatusCode)
		}
	}
}

func TestPayloadTooLarge(t *testing.T) {
	f := start(t, Options{})
	_, err := f.Invoke(t.Context(), make([]byte, MaxPayloadBytes+1))
	if !errors.Is(err, ErrPayloadTooLarge) {
		t.Errorf("Invoke error = %v, want ErrPayloadTooLarge", err)
	}
}

func TestCloseKillsProcess(t *testing.T) {
	f, err := Start(t.Context(), echofn, Options{})
	if err != nil {
		t.Fatal(err)
	}
	resp := mustInvoke(t, f, echoEvent{})
	if err := f.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if alive(resp.PID) {
		t.Errorf("process %d still alive after Close", resp.PID)
	}
	if _, err := f.Invoke(t.Context(), []byte(`{}`)); !errors.Is(err, ErrClosed) {
		t.Errorf("Invoke after Close = %v, want ErrClosed", err)
	}
	if err := f.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// alive reports whether a process exists, using the null signal.
func alive(pid int) bool {
	return syscall.Kill(pid, 0) == nil
}

// waitForLine polls Logs, because output travels through a pipe and can
// arrive just after Invoke returns.
func waitForLine(f *Function, want string) bool {
	for range 100 {
		if slices.Contains(f.Logs(), want) {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// syncBuffer is a bytes.Buffer safe to read while the Function writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
