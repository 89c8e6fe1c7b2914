package lambdaruntime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
)

// FunctionError is an error reported by the function itself: a handler error
// or panic posted to /invocation/{id}/error, or a failed initialisation
// posted to /init/error. Lambda returns these to the caller as an
// X-Amz-Function-Error response rather than failing the Invoke call.
type FunctionError struct {
	// ErrorType is errorType from the runtime's error document. For Go
	// handlers it is the error's type name, for example "errorString", or
	// the panic value's type name, for example "string".
	ErrorType string
	// ErrorMessage is errorMessage from the runtime's error document.
	ErrorMessage string
	// StackTrace is stackTrace from the runtime's error document, verbatim;
	// aws-lambda-go includes it for panics.
	StackTrace json.RawMessage
	// Init reports that the error came from /init/error.
	Init bool
}

// Error describes the function error.
func (e *FunctionError) Error() string {
	phase := "function"
	if e.Init {
		phase = "init"
	}
	return fmt.Sprintf("lambdaruntime: %s error %s: %s", phase, e.ErrorType, e.ErrorMessage)
}

// invocation is one event on its way through the Runtime API.
type invocation struct {
	id       string
	traceID  string
	payload  []byte
	deadline time.Time
	// streaming marks an InvokeStream call, for which /response is relayed as it arrives rather than buffered.
	streaming bool
	// proc is the process the invocation was handed to; set by dispatch before the hand-over.
	proc   *process
	result chan result // buffered; written once, by complete

	completed bool // guarded by Function.mu
}

// result is what the runtime posted: a buffered payload, the start of a streamed one, or an error.
type result struct {
	payload []byte
	stream  *stream
	err     error
}

func newInvocation(payload []byte, streaming bool) *invocation {
	return &invocation{
		id:        uuid.NewString(),
		traceID:   traceID(time.Now()),
		payload:   payload,
		streaming: streaming,
		result:    make(chan result, 1),
	}
}

// Invoke sends one event to the function and waits for its response. It
// returns a *FunctionError when the function reports an error, an error
// wrapping ErrTimeout when it runs past Options.Timeout, and one wrapping
// ErrExited, with the process's last output, when the process dies first.
// Calls queue behind each other, because one Lambda environment handles one
// event at a time.
//
// Invoke is a synchronous (RequestResponse) invocation: the response is
// buffered and limited to MaxResponseBytes even when the runtime streams it.
// Use InvokeStream for a function behind a RESPONSE_STREAM function URL.
//
// If ctx ends while the function is running, the process is killed, since
// it is left in an unknown state; the next Invoke starts a fresh one.
func (f *Function) Invoke(ctx context.Context, payload []byte) ([]byte, error) {
	inv := newInvocation(payload, false)
	p, release, err := f.begin(ctx, inv)
	if err != nil {
		return nil, err
	}
	defer release()
	res, err := f.await(ctx, p, inv)
	if err != nil {
		return nil, err
	}
	return res.payload, res.err
}

// begin waits for the environment to be free and hands inv to a live
// process, cold-starting one if needed. On success the caller owns the
// environment until it calls release.
func (f *Function) begin(ctx context.Context, inv *invocation) (p *process, release func(), err error) {
	if len(inv.payload) > MaxPayloadBytes {
		return nil, nil, fmt.Errorf("%w: %d bytes, limit %d", ErrPayloadTooLarge, len(inv.payload), MaxPayloadBytes)
	}
	select {
	case f.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, nil, ctx.Err()
	}
	p, fresh, err := f.liveProcess()
	if err == nil {
		err = f.dispatch(ctx, p, inv)
		if errors.Is(err, errIdleExit) && !fresh {
			// The warm process died between invocations; aws-lambda-go exits
			// just after reporting a panic. Lambda would cold-start here.
			if p, _, err = f.liveProcess(); err == nil {
				err = f.dispatch(ctx, p, inv)
			}
		}
	}
	if err != nil {
		<-f.sem
		return nil, nil, err
	}
	return p, func() {
		f.setCurrent(nil)
		<-f.sem
	}, nil
}

// errIdleExit marks an exit before the process asked for the event.
var errIdleExit = errors.New("before asking for an event")

// dispatch waits for the process's /next request and hands it inv. The
// deadline is stamped at hand-over, as Lambda does, so a cold start does not
// eat into the function's timeout.
func (f *Function) dispatch(ctx context.Context, p *process, inv *invocation) error {
	initTimer := time.NewTimer(f.opts.InitTimeout)
	defer initTimer.Stop()
	for {
		select {
		case s := <-f.slots:
			if s.gen != p.gen {
				s.ch <- nil
				continue
			}
			inv.deadline = time.Now().Add(f.opts.Timeout)
			inv.proc = p
			f.setCurrent(inv)
			s.ch <- inv
			return nil
		case <-p.done:
			return f.exitError(p, errIdleExit)
		case <-p.initFailed:
			p.kill()
			return p.initErr
		case <-initTimer.C:
			p.kill()
			return fmt.Errorf("%w: the process did not ask for an event within %s", ErrTimeout, f.opts.InitTimeout)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// await waits for the result of a dispatched invocation: for a streamed
// response, for its start. The error is about the invocation (exit,
// timeout, ctx); a function error is in the result.
func (f *Function) await(ctx context.Context, p *process, inv *invocation) (result, error) {
	timer := time.NewTimer(time.Until(inv.deadline))
	defer timer.Stop()
	select {
	case res := <-inv.result:
		return res, nil
	case <-p.done:
		// The result may have arrived just before the exit, as it does
		// after a panic; it is the better answer.
		select {
		case res := <-inv.result:
			return res, nil
		default:
		}
		return result{}, f.exitError(p, errors.New("during the invocation"))
	case <-timer.C:
		p.kill()
		return result{}, f.timeoutError()
	case <-ctx.Done():
		p.kill()
		return result{}, ctx.Err()
	}
}

func (f *Function) timeoutError() error {
	return fmt.Errorf("%w after %s", ErrTimeout, f.opts.Timeout)
}

func (f *Function) setCurrent(inv *invocation) {
	f.mu.Lock()
	f.current = inv
	f.mu.Unlock()
}

// exitError describes a process exit with the process's last lines of
// output, which usually say why (a config error, a log.Fatal).
func (f *Function) exitError(p *process, when error) error {
	const tail = 10
	f.logMu.Lock()
	lines := f.logs[p.firstLog:]
	if len(lines) > tail {
		lines = lines[len(lines)-tail:]
	}
	out := strings.Join(lines, "\n")
	f.logMu.Unlock()
	if out == "" {
		return fmt.Errorf("%w %w: %v", ErrExited, when, p.err)
	}
	return fmt.Errorf("%w %w: %v; last output:\n%s", ErrExited, when, p.err, out)
}
