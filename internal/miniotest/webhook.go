package miniotest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"

	"github.com/aws/aws-lambda-go/events"
)

// webhookBuffer is how many unread notifications Webhook holds; beyond that
// it answers 503 and MinIO drops the event, rather than blocking MinIO's
// sender and Close.
const webhookBuffer = 1024

// Webhook is an HTTP server on 127.0.0.1 that receives MinIO bucket
// notifications.
type Webhook struct {
	srv    *httptest.Server
	events chan events.S3Event

	mu  sync.Mutex
	raw [][]byte
}

// minioLog is the body of a MinIO webhook POST. EventName and Key are
// MinIO's additions; Records is the AWS event shape.
type minioLog struct {
	EventName string          `json:"EventName"`
	Key       string          `json:"Key"`
	Records   json.RawMessage `json:"Records"`
}

// NewWebhook starts a receiver on 127.0.0.1 (httptest's first choice). Give
// URL to Options.Webhooks before starting the Server, and Close it after.
func NewWebhook() *Webhook {
	w := &Webhook{events: make(chan events.S3Event, webhookBuffer)}
	w.srv = httptest.NewServer(http.HandlerFunc(w.serve))
	return w
}

// URL returns the endpoint to configure in MinIO.
func (w *Webhook) URL() string { return w.srv.URL }

// Events delivers each notification as an events.S3Event, in arrival order.
// MinIO sends one record per POST.
func (w *Webhook) Events() <-chan events.S3Event { return w.events }

// RawRecords returns every notification received so far as the JSON
// document {"Records":[...]} with the records exactly as MinIO sent them:
// the payload S3 would give a Lambda. Element i belongs to the i-th value
// sent on Events.
func (w *Webhook) RawRecords() [][]byte {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.raw)
}

// Close stops the receiver and closes the Events channel.
func (w *Webhook) Close() {
	w.srv.Close()
	close(w.events)
}

func (w *Webhook) serve(rw http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	var msg minioLog
	if r.Method != http.MethodPost || json.Unmarshal(body, &msg) != nil || len(msg.Records) == 0 {
		// Not a notification; answer 200 so that a probe never looks like a
		// broken target.
		return
	}
	raw := bytes.Join([][]byte{[]byte(`{"Records":`), msg.Records, []byte(`}`)}, nil)
	var ev events.S3Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		http.Error(rw, err.Error(), http.StatusBadRequest)
		return
	}
	// The lock orders raw and events the same way.
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case w.events <- ev:
		w.raw = append(w.raw, raw)
	default:
		http.Error(rw, "webhook buffer full", http.StatusServiceUnavailable)
	}
}
