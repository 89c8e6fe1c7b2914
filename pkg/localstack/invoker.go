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
// and an event that still fails is written to a dead-letter folder instead of being dropped.
type asyncInvoker struct {
	handler  func(context.Context, events.S3Event) error
	queue    chan []byte
	retries  int
	backoff  time.Duration
	timeout  time.Duration
	dlqDir   string
	log      *slog.Logger
	pending  atomic.Int64
	wg       sync.WaitGroup
	closeOne sync.Once
}

func newAsyncInvoker(handler func(context.Context, events.S3Event) error, workers int, dlqDir string, log *slog.Logger) *asyncInvoker {
	a := &asyncInvoker{handler: handler, queue: make(chan []byte, 1024), retries: 2, backoff: time.Second,
		timeout: 60 * time.Second, dlqDir: dlqDir, log: log}
	for range workers {
		a.wg.Add(1)
		go a.work()
	}
	return a
}

// deliver queues an event, as S3 hands notifications to Lambda asynchronously. It blocks the S3 request that
// caused it only when 1024 events are already waiting, which slows a bulk upload down rather than dropping events.
func (a *asyncInvoker) deliver(ev events.S3Event) {
	payload, err := json.Marshal(ev)
	if err != nil {
		a.log.Error("encode s3 event", "error", err.Error())
		return
	}
	a.pending.Add(1)
	a.queue <- payload
}

func (a *asyncInvoker) work() {
	defer a.wg.Done()
	for payload := range a.queue {
		a.invoke(payload)
		a.pending.Add(-1)
	}
}

func (a *asyncInvoker) invoke(payload []byte) {
	var err error
	for attempt := 0; attempt <= a.retries; attempt++ {
		if attempt > 0 {
			time.Sleep(a.backoff << (attempt - 1))
		}
		var ev events.S3Event
		if err = json.Unmarshal(payload, &ev); err != nil {
			break // a retry cannot fix an undecodable event
		}
		ctx, cancel := context.WithTimeout(context.Background(), a.timeout)
		err = a.handler(ctx, ev)
		cancel()
		if err == nil {
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

func (a *asyncInvoker) close() {
	a.closeOne.Do(func() { close(a.queue) })
	a.wg.Wait()
}
