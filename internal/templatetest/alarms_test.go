package templatetest

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/pkg/catalog"
	"github.com/imgpipe/imgpipe/pkg/function"
	fnsweep "github.com/imgpipe/imgpipe/pkg/function/sweep"
	"github.com/imgpipe/imgpipe/pkg/storage"
)

// alarm is an alarm's metric, evaluated.
type alarm struct {
	namespace, metric, statistic, comparison string
	threshold                                string
	dimensions                               map[string]string
	actions                                  bool
}

func alarms(t *testing.T, s *stack) map[string]alarm {
	t.Helper()
	out := map[string]alarm{}
	for _, name := range s.resourcesOfType("AWS::CloudWatch::Alarm") {
		p := s.props(name)
		a := alarm{namespace: scalar(p["Namespace"]), metric: scalar(p["MetricName"]), statistic: scalar(p["Statistic"]),
			comparison: scalar(p["ComparisonOperator"]), threshold: scalar(p["Threshold"]), dimensions: map[string]string{}}
		for _, d := range listOf(t, p["Dimensions"]) {
			a.dimensions[scalar(mapOf(t, d)["Name"])] = scalar(mapOf(t, d)["Value"])
		}
		_, a.actions = p["AlarmActions"]
		out[name] = a
	}
	return out
}

// TestEveryFunctionHasAlarms: each function has an alarm on its Errors and one on its Throttles, any non-zero
// value alarming, and the DLQ has one on visible messages; with AlarmTopicArn set they all notify it.
func TestEveryFunctionHasAlarms(t *testing.T) {
	s := newStack(t, map[string]string{"AuthMode": "jwt", "JwtIssuer": "https://issuer.example", "JwtAudience": "app",
		"AlarmTopicArn": "arn:aws:sns:eu-west-1:123456789012:ops"})
	all := alarms(t, s)
	for _, f := range functions {
		for _, metric := range []string{"Errors", "Throttles"} {
			found := false
			for name, a := range all {
				if a.namespace == "AWS/Lambda" && a.metric == metric && a.dimensions["FunctionName"] == f.logical {
					found = true
					if a.statistic != "Sum" || a.comparison != "GreaterThanThreshold" || a.threshold != "0" || !a.actions {
						t.Errorf("%s: %+v", name, a)
					}
				}
			}
			if !found {
				t.Errorf("no %s alarm for %s", metric, f.logical)
			}
		}
	}
	dlq := false
	for _, a := range all {
		if a.namespace == "AWS/SQS" && a.metric == "ApproximateNumberOfMessagesVisible" && a.dimensions["QueueName"] == "{ResizeDLQ.QueueName}" {
			dlq = true
		}
	}
	if !dlq {
		t.Error("no alarm on the DLQ")
	}
	for name, a := range alarms(t, newStack(t, nil)) {
		if a.actions {
			t.Errorf("%s notifies a topic at the defaults", name)
		}
	}
}

// TestRedrivenAlarmWatchesTheSweepsMetric runs the sweep function as Lambda builds it (its EMF records on stdout),
// with one stale staging object to re-drive, and checks that the alarm watches the metric the record defines:
// its namespace, name and exact dimension set. An alarm on a metric that is never published stays OK forever.
func TestRedrivenAlarmWatchesTheSweepsMetric(t *testing.T) {
	isolateAWSConfig(t)
	s := newStack(t, nil)
	env := environment(t, s, "SweepFunction")
	env["AWS_REGION"] = testRegion
	records := captureStdout(t, func() {
		fn, err := fnsweep.New(context.Background(), func(k string) string { return env[k] }, function.Options{})
		if err != nil {
			t.Fatal(err)
		}
		fn.Sweeper.Objects = staleObject{key: env["STAGING_PREFIX"] + "0192f5b4-0000-7000-8000-000000000000.jpg"}
		fn.Sweeper.Catalog = noPending{}
		fn.Sweeper.DeadLetters = nil
		r, err := fn.Handle(context.Background())
		if err != nil || r.Redriven != 1 {
			t.Fatalf("sweep: %+v, %v", r, err)
		}
	})
	var found *alarm
	for _, line := range records {
		var rec struct {
			AWS struct {
				CloudWatchMetrics []struct {
					Namespace  string
					Dimensions [][]string
					Metrics    []struct{ Name string }
				}
			} `json:"_aws"`
		}
		if json.Unmarshal([]byte(line), &rec) != nil {
			continue
		}
		var fields map[string]any
		_ = json.Unmarshal([]byte(line), &fields)
		for _, m := range rec.AWS.CloudWatchMetrics {
			for _, metric := range m.Metrics {
				if metric.Name != "Redriven" || len(m.Dimensions) != 1 {
					continue
				}
				a := alarm{namespace: m.Namespace, metric: metric.Name, dimensions: map[string]string{}}
				for _, d := range m.Dimensions[0] {
					a.dimensions[d] = scalar(fields[d])
				}
				found = &a
			}
		}
	}
	if found == nil {
		t.Fatalf("the sweep wrote no Redriven metric; its output was:\n%s", strings.Join(records, "\n"))
	}
	a, ok := alarms(t, s)["SweepRedrivenAlarm"]
	if !ok {
		t.Fatal("no SweepRedrivenAlarm")
	}
	if a.namespace != found.namespace || a.metric != found.metric || !equalMaps(a.dimensions, found.dimensions) {
		t.Errorf("the alarm watches %s/%s %v, the sweep publishes %s/%s %v", a.namespace, a.metric, a.dimensions,
			found.namespace, found.metric, found.dimensions)
	}
	if a.statistic != "Sum" || a.comparison != "GreaterThanOrEqualToThreshold" || a.threshold != "1" {
		t.Errorf("the alarm fires on %s %s %s, want Sum >= 1", a.statistic, a.comparison, a.threshold)
	}
}

// captureStdout runs f with os.Stdout on a pipe and returns the lines written. The functions build their log and
// EMF writers from os.Stdout when they are constructed, so f must construct them.
func captureStdout(t *testing.T, f func()) []string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	saved := os.Stdout
	os.Stdout = w
	done := make(chan []string)
	go func() {
		var lines []string
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		done <- lines
	}()
	defer func() {
		os.Stdout = saved
	}()
	f()
	w.Close()
	return <-done
}

// staleObject is a bucket with one staging object two days old.
type staleObject struct{ key string }

func (o staleObject) List(context.Context, string) ([]storage.ObjectInfo, error) {
	return []storage.ObjectInfo{{Key: o.key, Size: 1, ETag: "e", LastModified: time.Now().Add(-48 * time.Hour)}}, nil
}
func (staleObject) Exists(context.Context, string) (bool, error) { return true, nil }
func (staleObject) Touch(context.Context, string) error          { return nil }

// noPending is a catalog with no pending rows.
type noPending struct{}

func (noPending) ListPending(context.Context, time.Time, int, string) ([]catalog.Image, string, error) {
	return nil, "", nil
}
func (noPending) Expire(context.Context, string, string) error { return nil }
