package localstack

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3afero"
	"github.com/spf13/afero"
)

// newS3 returns an S3 server keeping objects on disk under dir (dir/buckets/<bucket>/<key>), with bucket created.
func newS3(dir, bucket string) (*gofakes3.GoFakeS3, gofakes3.Backend, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, nil, err
	}
	backend, err := s3afero.MultiBucket(afero.NewBasePathFs(afero.NewOsFs(), dir))
	if err != nil {
		return nil, nil, fmt.Errorf("s3 backend: %w", err)
	}
	if ok, _ := backend.BucketExists(bucket); !ok {
		if err := backend.CreateBucket(bucket); err != nil {
			return nil, nil, fmt.Errorf("create bucket: %w", err)
		}
	}
	return gofakes3.New(backend, gofakes3.WithLogger(gofakes3.DiscardLog())), backend, nil
}

// ObjectPath returns where the local S3 server keeps key on disk, so derivatives can be opened directly.
func ObjectPath(dataDir, bucket, key string) string {
	return filepath.Join(dataDir, "s3", "buckets", bucket, filepath.FromSlash(key))
}

// notifier wraps the S3 server and, like a bucket notification configuration, turns each successful object
// creation under prefix into an S3 event record. gofakes3 has no notifications of its own.
type notifier struct {
	next    http.Handler
	bucket  string
	prefix  string
	region  string
	deliver func(events.S3Event)
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (n *notifier) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	n.next.ServeHTTP(rec, r)
	if rec.status != http.StatusOK {
		return
	}
	name, ok := eventName(r)
	if !ok {
		return
	}
	bucket, key, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if bucket != n.bucket || !strings.HasPrefix(key, n.prefix) {
		return
	}
	n.deliver(n.event(name, key, r.ContentLength, rec.Header().Get("ETag")))
}

// eventName names the ObjectCreated event a request causes, if any. A multipart part upload creates nothing
// until the upload is completed.
func eventName(r *http.Request) (string, bool) {
	q := r.URL.Query()
	switch {
	case r.Method == http.MethodPost && q.Get("uploadId") != "":
		return "ObjectCreated:CompleteMultipartUpload", true
	case r.Method != http.MethodPut || q.Has("uploadId") || q.Has("partNumber") || q.Has("tagging") || q.Has("acl"):
		return "", false
	case r.Header.Get("X-Amz-Copy-Source") != "":
		return "ObjectCreated:Copy", true
	}
	return "ObjectCreated:Put", true
}

// event builds the record S3 would send. S3 URL-encodes the key the way HTML forms are encoded (a space becomes
// "+"), which is exactly what events.S3Object.URLDecodedKey undoes.
func (n *notifier) event(name, key string, size int64, etag string) events.S3Event {
	now := time.Now().UTC()
	encoded := strings.ReplaceAll(url.QueryEscape(key), "%2F", "/")
	return events.S3Event{Records: []events.S3EventRecord{{
		EventVersion: "2.1", EventSource: "aws:s3", AWSRegion: n.region, EventTime: now, EventName: name,
		S3: events.S3Entity{
			SchemaVersion: "1.0", ConfigurationID: "staging-object-created",
			Bucket: events.S3Bucket{Name: n.bucket, Arn: "arn:aws:s3:::" + n.bucket},
			Object: events.S3Object{Key: encoded, Size: max(size, 0), ETag: strings.Trim(etag, `"`),
				Sequencer: fmt.Sprintf("%016X", now.UnixNano())},
		},
	}}}
}
