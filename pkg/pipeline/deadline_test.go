package pipeline

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// TestTooSlowForTheDeadlineIsQuarantined: a photo whose processing cannot finish before the invocation's deadline
// (a 48 MP progressive JPEG of 999 empty scans, just under the scan limit, each a pass over the frame) is stopped
// in time to be quarantined with the reason, so the retry storm of timing out again never starts.
func TestTooSlowForTheDeadlineIsQuarantined(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.ScanBomb(8000, 6000, 999))
	// About 2.7 s of decoding on this machine's cores; processing gets 450 ms of the 600.
	ctx, cancel := context.WithTimeout(t.Context(), 600*time.Millisecond)
	defer cancel()
	start := time.Now()
	out, err := e.r.HandleRecord(ctx, s3Event(t, "ObjectCreated:Put", bucket, key).Records[0])
	if err != nil || out != Quarantined {
		t.Fatalf("%v %v after %s", out, err, time.Since(start))
	}
	if time.Since(start) > 600*time.Millisecond {
		t.Fatalf("finished after the deadline: %s", time.Since(start))
	}
	img, err := e.store.Get(t.Context(), id)
	if err != nil || img.Status != catalog.StatusFailed || !strings.Contains(img.FailureReason, "did not finish within the function's time") {
		t.Fatalf("row %+v %v", img, err)
	}
	if e.exists(t, key) || !e.exists(t, "failed/"+id+".jpg") {
		t.Fatal("not quarantined")
	}
}

// TestSlowDownloadIsRetried: when processing was given too little of the invocation to judge the photo (the
// time went elsewhere), running out of time is an error to retry, not a reason to quarantine.
func TestSlowDownloadIsRetried(t *testing.T) {
	e := newEnv(t)
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.ScanBomb(8000, 6000, 999))
	ctx, cancel := context.WithTimeout(t.Context(), time.Second)
	defer cancel()
	j := &job{r: e.r, key: key, log: e.r.Log, start: time.Now().Add(-10 * time.Second)} // 10 s already gone
	out, err := j.run(ctx)
	if err == nil || out == Quarantined || !e.exists(t, key) {
		t.Fatalf("%v %v", out, err)
	}
}

// TestRedrivenTooOftenIsQuarantined: an object the sweep has re-driven MaxRedrives times (every attempt failed,
// say a decoder that never returned before Lambda killed it) is quarantined instead of being tried again.
func TestRedrivenTooOftenIsQuarantined(t *testing.T) {
	e := newEnv(t)
	e.r.Config.MaxRedrives = 3
	key := "staging/" + id + ".jpg"
	e.stage(t, key, testimage.JPEG(64, 48))
	for range 3 {
		if err := e.s3.Bucket.Touch(t.Context(), key); err != nil {
			t.Fatal(err)
		}
	}
	out, err := e.r.HandleRecord(t.Context(), s3Event(t, "ObjectCreated:Copy", bucket, key).Records[0])
	if err != nil || out != Quarantined {
		t.Fatalf("%v %v", out, err)
	}
	img, err := e.store.Get(t.Context(), id)
	if err != nil || img.Status != catalog.StatusFailed || !strings.Contains(img.FailureReason, "re-driven 3 times") {
		t.Fatalf("row %+v %v", img, err)
	}
}
