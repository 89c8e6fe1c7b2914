package localstack

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-lambda-go/events"
)

// asyncInvoker delivers S3 events the way Lambda invokes a function asynchronously: each event goes through JSON
// (so the handler sees exactly what it would decode in AWS), a failed invocation is retried twice with a backoff,
// and an event that still fails is written to a dead-letter folder instead of being dropped. Its queue is in
// memory: what a crash loses is found again by the sweep at the next start, because the staging copies are still
// there.
type asyncInvoker struct {
	handler func(context.Context, events.S3Event) error
	queue   chan []byte
	retries int
	backoff time.Duration
	timeout time.Duration
	dlqDir  string
	log     *slog.Logger
	pending atomic.Int64
	wg      sync.WaitGroup

	ctx    context.Context // cancelled when a shutdown runs out of time
	cancel context.CancelFunc
	mu     sync.Mutex
	closed bool
}

func newAsyncInvoker(handler func(context.Context, events.S3Event) error, workers int, dlqDir string, log *slog.Logger) *asyncInvoker {
	ctx, cancel := context.WithCancel(context.Background())
	a := &asyncInvoker{handler: handler, queue: make(chan []byte, 1024), retries: 2, backoff: time.Second,
		timeout: 60 * time.Second, dlqDir: dlqDir, log: log, ctx: ctx, cancel: cancel}
	for range workers {
		a.wg.Add(1)
		go a.work()
	}
	return a
}

// deliver queues an event, as S3 hands notifications to Lambda asynchronously. It blocks the S3 request that
// caused it only when 1024 events are already waiting, which slows a bulk upload down rather than dropping events.
// Once the stack is shutting down, events are no longer taken: their objects stay in staging for the next start.
func (a *asyncInvoker) deliver(ev events.S3Event) {
	payload, err := json.Marshal(ev)
	if err != nil {
		a.log.Error("encode s3 event", "error", err.Error())
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.closed {
		a.log.Info("shutting down: event left for the recovery sweep at the next start")
		return
	}
	a.pending.Add(1)
	a.queue <- payload
}

func (a *asyncInvoker) work() {
	defer a.wg.Done()
	for payload := range a.queue {
		if a.ctx.Err() == nil {
			a.invoke(payload)
		}
		a.pending.Add(-1)
	}
}

func (a *asyncInvoker) invoke(payload []byte) {
	var err error
	for attempt := 0; attempt <= a.retries; attempt++ {
		if attempt > 0 {
			select {
			case <-time.After(a.backoff << (attempt - 1)):
			case <-a.ctx.Done():
				return // shutting down: the staging copy is still there for the next start
			}
		}
		var ev events.S3Event
		if err = json.Unmarshal(payload, &ev); err != nil {
			break // a retry cannot fix an undecodable event
		}
		ctx, cancel := context.WithTimeout(a.ctx, a.timeout)
		err = a.handler(ctx, ev)
		cancel()
		if err == nil || a.ctx.Err() != nil {
			return
		}
		a.log.Warn("resize invocation failed", "attempt", attempt+1, "error", err.Error())
	}
	name := filepath.Join(a.dlqDir, fmt.Sprintf("%d.json", time.Now().UnixNano()))
	werr := os.MkdirAll(a.dlqDir, 0o755)
	if werr == nil {
		werr = os.WriteFile(name, payload, 0o644)
	}
	if werr != nil {
		// The event is lost to the dead-letter folder; say so, with the event itself, so that it can be re-sent.
		a.log.Error("resize event failed and could not be written to the dead-letter folder", "error", err.Error(),
			"write_error", werr.Error(), "event", string(payload))
		return
	}
	a.log.Error("resize event sent to the dead-letter folder", "file", name, "error", err.Error())
}

// idle reports whether every delivered event has been handled.
func (a *asyncInvoker) idle() bool { return a.pending.Load() == 0 }

// shutdown stops taking events and lets the queued and running ones finish within grace; then it cancels what is
// still running, whose staging copies stay for the next start, and waits for the workers to return.
func (a *asyncInvoker) shutdown(grace time.Duration) {
	a.mu.Lock()
	if !a.closed {
		a.closed = true
		close(a.queue)
	}
	a.mu.Unlock()
	done := make(chan struct{})
	go func() { a.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(grace):
		a.log.Warn("shutdown: cancelling the resize work still running; the next start recovers it", "pending", a.pending.Load())
		a.cancel()
		<-done
	}
	a.cancel()
}
