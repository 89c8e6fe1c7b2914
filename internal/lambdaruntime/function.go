package lambdaruntime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"time"
)

// Defaults for the zero fields of Options.
const (
	// DefaultFunctionName is the function name when Options has none.
	DefaultFunctionName = "function"
	// DefaultMemoryMB is Lambda's default memory size.
	DefaultMemoryMB = 128
	// DefaultRegion is the region when Options has none.
	DefaultRegion = "us-east-1"
	// DefaultTimeout is far above Lambda's own default of 3 s because a
	// shared CI runner under -race can be ten times slower than a Lambda;
	// tests of timeout behaviour set Options.Timeout explicitly.
	DefaultTimeout = 30 * time.Second
	// DefaultInitTimeout is Lambda's limit on the init phase.
	DefaultInitTimeout = 10 * time.Second
)

// accountID is the account in the invoked function ARN; all zeros so that it
// can never be mistaken for a real account.
const accountID = "000000000000"

// Errors returned by Invoke, wrapped with detail; test them with errors.Is.
var (
	// ErrExited means the process exited before it answered the invocation.
	ErrExited = errors.New("lambdaruntime: function process exited")
	// ErrTimeout means the function did not answer before its deadline or
	// did not ask for its first event within Options.InitTimeout. The
	// process has been killed, as Lambda does.
	ErrTimeout = errors.New("lambdaruntime: task timed out")
	// ErrClosed means Close was called.
	ErrClosed = errors.New("lambdaruntime: function closed")
	// ErrPayloadTooLarge means the event exceeds MaxPayloadBytes.
	ErrPayloadTooLarge = errors.New("lambdaruntime: payload too large")
)

// Options configures a Function. The zero value gives a 128 MB function
// named "function" in us-east-1 with a 30 s timeout.
type Options struct {
	// FunctionName sets AWS_LAMBDA_FUNCTION_NAME, the log group and the
	// invoked function ARN.
	FunctionName string
	// MemoryMB is reported in AWS_LAMBDA_FUNCTION_MEMORY_SIZE; it is not
	// enforced.
	MemoryMB int
	// Region sets AWS_REGION and AWS_DEFAULT_REGION.
	Region string
	// Timeout is the function timeout: it becomes the
	// Lambda-Runtime-Deadline-Ms header, and the process is killed when an
	// invocation runs longer.
	Timeout time.Duration
	// InitTimeout bounds how long a new process may take to ask for its
	// first event, like Lambda's 10 s init phase.
	InitTimeout time.Duration
	// Env adds environment variables, such as the function's own config and
	// AWS credentials; they override the standard ones. The host
	// environment is not inherited, so nothing from the developer's machine
	// (AWS_PROFILE, AWS_CA_BUNDLE, ~/.aws) leaks into the function.
	Env map[string]string
	// Output, when set, receives each line the process writes to stdout or
	// stderr. It must stay usable until Close returns.
	Output io.Writer
	// MaxStreamBytes limits a response streamed to InvokeStream; 0 means
	// MaxStreamResponseBytes. A longer response ends after the limit with
	// a *FunctionError of type Function.ResponseSizeTooLarge.
	MaxStreamBytes int64
	// StreamRate is the bandwidth, in bytes per second, at which a streamed
	// response is relayed past its first StreamBurstBytes; 0 means
	// DefaultStreamRate, as in Lambda, and a negative value lifts the cap.
	// The time counts against Timeout, as it does in Lambda, where a 200 MB
	// response takes over 90 s.
	StreamRate int64
}

func (o Options) withDefaults() Options {
	if o.FunctionName == "" {
		o.FunctionName = DefaultFunctionName
	}
	if o.MemoryMB == 0 {
		o.MemoryMB = DefaultMemoryMB
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.InitTimeout == 0 {
		o.InitTimeout = DefaultInitTimeout
	}
	if o.MaxStreamBytes == 0 {
		o.MaxStreamBytes = MaxStreamResponseBytes
	}
	if o.StreamRate == 0 {
		o.StreamRate = DefaultStreamRate
	}
	return o
}

// Function is one emulated Lambda execution environment: a bootstrap process
// and the Runtime API server it polls. Its methods are safe for concurrent
// use.
type Function struct {
	path string
	opts Options
	life context.Context
	addr string
	srv  *http.Server
	arn  string
	// urlID names the emulated function URL (FunctionURLDomain).
	urlID string

	// sem holds one token per running Invoke, so invocations queue like
	// requests to a single Lambda environment.
	sem chan struct{}
	// slots receives one channel from each /next request that is waiting
	// for an event.
	slots   chan slot
	closing chan struct{}

	mu      sync.Mutex
	proc    *process
	gen     int
	current *invocation
	closed  bool

	logMu sync.Mutex
	logs  []string
}

// process is one run of the bootstrap binary. A Function replaces it after
// it exits, just as Lambda starts a new environment after a crash.
type process struct {
	gen      int
	cmd      *exec.Cmd
	firstLog int

	done chan struct{} // closed once Wait has returned
	err  error         // Wait's result; read only after done

	initFailed chan struct{} // closed when the runtime posts /init/error
	initOnce   sync.Once
	initErr    *FunctionError
}

// Start launches the bootstrap binary at path with the Runtime API served on
// 127.0.0.1 and the environment Lambda defines for a custom runtime. ctx
// bounds the life of every process the Function starts, as with
// exec.CommandContext; Close must still be called to stop the server.
func Start(ctx context.Context, path string, opts Options) (*Function, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: %w", err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("lambdaruntime: %w", err)
	}
	opts = opts.withDefaults()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("lambdaruntime: listen: %w", err)
	}
	f := &Function{
		path:    abs,
		opts:    opts,
		life:    ctx,
		addr:    ln.Addr().String(),
		arn:     fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", opts.Region, accountID, opts.FunctionName),
		urlID:   randomHex(32),
		sem:     make(chan struct{}, 1),
		slots:   make(chan slot),
		closing: make(chan struct{}),
	}
	// No write timeout: /next is a long poll that legitimately waits for as
	// long as no one invokes the function.
	f.srv = &http.Server{Handler: f.routes(), ReadHeaderTimeout: 10 * time.Second}
	go f.srv.Serve(ln) //nolint:errcheck // Serve always returns ErrServerClosed after Close.

	f.mu.Lock()
	_, err = f.startLocked()
	f.mu.Unlock()
	if err != nil {
		f.srv.Close()
		return nil, err
	}
	return f, nil
}

// RuntimeAPI returns the host:port given to the process in
// AWS_LAMBDA_RUNTIME_API.
func (f *Function) RuntimeAPI() string { return f.addr }

// Logs returns every line the function's processes have written to stdout
// and stderr so far, across restarts. Output travels through a pipe, so a
// line printed just before the handler returned can show up shortly after
// Invoke returns; poll for it.
func (f *Function) Logs() []string {
	f.logMu.Lock()
	defer f.logMu.Unlock()
	return slices.Clone(f.logs)
}

// Close kills the process, as Lambda does when it reclaims an environment,
// and stops the Runtime API server. It is safe to call more than once.
func (f *Function) Close() error {
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return nil
	}
	f.closed = true
	p := f.proc
	f.mu.Unlock()

	close(f.closing)
	if p != nil {
		p.kill()
	}
	return f.srv.Close()
}

// startLocked starts a new process; f.mu must be held.
func (f *Function) startLocked() (*process, error) {
	f.gen++
	cmd := exec.CommandContext(f.life, f.path)
	cmd.Dir = filepath.Dir(f.path)
	cmd.Env = f.environ()
	stdout, stderr := &lineWriter{f: f}, &lineWriter{f: f}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// A grandchild that inherited the pipes must not keep Wait blocked.
	cmd.WaitDelay = time.Second
	p := &process{
		gen:        f.gen,
		cmd:        cmd,
		firstLog:   f.logCount(),
		done:       make(chan struct{}),
		initFailed: make(chan struct{}),
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("lambdaruntime: start %s: %w", f.path, err)
	}
	go func() {
		p.err = cmd.Wait()
		stdout.flush()
		stderr.flush()
		close(p.done)
	}()
	f.proc = p
	return p, nil
}

// liveProcess returns the running process, starting a new one (a cold start)
// if the previous one exited or was killed; fresh reports the latter.
func (f *Function) liveProcess() (p *process, fresh bool, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil, false, ErrClosed
	}
	if f.proc != nil && !f.proc.exited() {
		return f.proc, false, nil
	}
	p, err = f.startLocked()
	return p, true, err
}

// environ builds the environment Lambda gives a provided.al2023 runtime,
// then applies Options.Env.
func (f *Function) environ() []string {
	o := f.opts
	dir := filepath.Dir(f.path)
	env := map[string]string{
		"AWS_LAMBDA_RUNTIME_API":          f.addr,
		"AWS_LAMBDA_FUNCTION_NAME":        o.FunctionName,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(o.MemoryMB),
		"AWS_LAMBDA_FUNCTION_VERSION":     "$LATEST",
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       "/aws/lambda/" + o.FunctionName,
		"AWS_LAMBDA_LOG_STREAM_NAME":      time.Now().UTC().Format("2006/01/02") + "/[$LATEST]" + randomHex(16),
		"AWS_REGION":                      o.Region,
		"AWS_DEFAULT_REGION":              o.Region,
		"_HANDLER":                        filepath.Base(f.path),
		"LAMBDA_TASK_ROOT":                dir,
		"LAMBDA_RUNTIME_DIR":              dir,
		"LANG":                            "en_US.UTF-8",
		"PATH":                            "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"TZ":                              ":UTC",
	}
	for k, v := range o.Env {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// kill stops the process and waits until it has gone, so that a new process
// never overlaps the old one.
func (p *process) kill() {
	_ = p.cmd.Process.Kill() // Fails only if the process already exited.
	<-p.done
}

func randomHex(n int) string {
	b := make([]byte, n/2)
	_, _ = rand.Read(b) // crypto/rand.Read never returns an error.
	return hex.EncodeToString(b)
}
