// Package metrics writes CloudWatch Embedded Metric Format (EMF) records: one JSON line per record on the
// function's stdout, which CloudWatch Logs turns into metrics with no API call and no extra latency.
//
// Format: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
package metrics

import (
	"encoding/json"
	"io"
	"maps"
	"slices"
	"sync"
	"time"
)

// Units used by the pipeline, spelled as CloudWatch expects.
const (
	Milliseconds = "Milliseconds"
	Bytes        = "Bytes"
	Count        = "Count"
)

// Metric is one named value.
type Metric struct {
	Name  string
	Unit  string
	Value float64
}

// Emitter writes EMF records to w. It is safe for concurrent use.
type Emitter struct {
	mu        sync.Mutex
	w         io.Writer
	namespace string
	now       func() time.Time
}

// New returns an Emitter for namespace that writes to w (os.Stdout in Lambda).
func New(w io.Writer, namespace string) *Emitter {
	return &Emitter{w: w, namespace: namespace, now: time.Now}
}

// Emit writes one record. dims become the record's single dimension set; props are extra searchable fields (such
// as the image id) that are logged but are not dimensions, so they cost nothing in CloudWatch metrics.
func (e *Emitter) Emit(dims map[string]string, props map[string]any, ms ...Metric) error {
	if e == nil || len(ms) == 0 {
		return nil
	}
	type metricDef struct {
		Name string `json:"Name"`
		Unit string `json:"Unit"`
	}
	defs := make([]metricDef, len(ms))
	rec := make(map[string]any, len(dims)+len(props)+len(ms)+1)
	for k, v := range props {
		rec[k] = v
	}
	for k, v := range dims {
		rec[k] = v
	}
	for i, m := range ms {
		defs[i] = metricDef{Name: m.Name, Unit: m.Unit}
		rec[m.Name] = m.Value
	}
	rec["_aws"] = map[string]any{
		"Timestamp": e.now().UnixMilli(),
		"CloudWatchMetrics": []any{map[string]any{
			"Namespace":  e.namespace,
			"Dimensions": [][]string{slices.Sorted(maps.Keys(dims))},
			"Metrics":    defs,
		}},
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	_, err = e.w.Write(append(line, '\n'))
	return err
}
