package s3local

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"
)

// Options configures a Server.
type Options struct {
	// Dir is the data directory (index.db, blobs/, tmp/). Required; created if missing.
	Dir string
	// Region is the signing region requests must use. Default us-east-1.
	Region string
	// AccessKey and SecretKey are the one credential every request must be signed with. Required.
	AccessKey, SecretKey string
	// Buckets are created at start if missing. Clients may also create buckets with CreateBucket.
	Buckets []string
	// Now is the clock for signature expiry, skew and Last-Modified. Default time.Now.
	Now func() time.Time
	// OnObjectCreated, if set, is called once for each object created (PutObject, browser POST, CopyObject,
	// CompleteMultipartUpload), after it is durably stored and before the client gets its answer. It runs on the
	// request's goroutine: hand slow work to another one.
	OnObjectCreated func(ObjectCreated)
	// OnObjectRemoved, if set, is called after an existing object was deleted (DeleteObject, DeleteObjects).
	OnObjectRemoved func(ObjectRemoved)
	// AllowedOrigins are the web origins (scheme://host:port, or "*") whose pages may call the server from a
	// browser: presigned PUT and GET, POST policy uploads. It stands for a CORS configuration on every bucket;
	// empty refuses cross-origin requests, as S3 does for a bucket without one.
	AllowedOrigins []string
	// NoSync skips the fsyncs that make each write durable before it is acknowledged (blob file, its
	// directory, the index commit). Tests that throw the directory away can set it; a crash may then lose or
	// tear recent writes (the index stays consistent; a lost blob reads as an error).
	NoSync bool
	// Mirror keeps Dir/files/<bucket>/<key>, a read-only view of the objects as hard links to their blobs,
	// for people to browse. Keys that are not plain relative paths are left out of it (see mirror.go); the
	// server never reads it. Path finds any object's bytes.
	Mirror bool
	// Log receives internal failures (disk errors), which clients only see as InternalError. Default discards.
	Log *slog.Logger
}

// Limits S3 enforces that a client here must meet too.
const (
	maxKeyBytes      = 1024
	maxPutSize       = 5 << 30 // single PUT and POST
	maxMetadataBytes = 2 << 10
	maxXMLBody       = 8 << 20
)

// Server is an S3-compatible HTTP handler. Mount it at the root of its own http.Server (not under an
// http.ServeMux, which would clean and redirect keys containing "//" or "..").
type Server struct {
	opt    Options
	st     *store
	closed atomic.Bool
	seq    atomic.Uint64
}

// New opens (or creates) the data directory and returns a server ready to serve.
func New(o Options) (*Server, error) {
	var errs []error
	if o.Dir == "" {
		errs = append(errs, errors.New("s3local: Options.Dir is required"))
	}
	if o.AccessKey == "" || o.SecretKey == "" {
		errs = append(errs, errors.New("s3local: Options.AccessKey and SecretKey are required"))
	}
	for _, b := range o.Buckets {
		if !validBucketName(b) {
			errs = append(errs, fmt.Errorf("s3local: invalid bucket name %q", b))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	if o.Region == "" {
		o.Region = "us-east-1"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	st, err := openStore(o.Dir, o.NoSync, o.Mirror)
	if err != nil {
		return nil, err
	}
	s := &Server{opt: o, st: st}
	for _, b := range o.Buckets {
		if _, err := st.createBucket(b, s.now()); err != nil {
			st.close()
			return nil, fmt.Errorf("create bucket %s: %w", b, err)
		}
	}
	return s, nil
}

// Close closes the index. Stop the http.Server first; requests arriving after Close answer 503.
func (s *Server) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	return s.st.close()
}

// Path returns the file holding the current content of bucket/key, for reading only. The file is replaced,
// not modified, when the object is overwritten, so a later Path may differ.
func (s *Server) Path(bucket, key string) (string, error) {
	rec, err := s.st.head(bucket, key)
	if err != nil {
		return "", fmt.Errorf("%s/%s: %w", bucket, key, err)
	}
	return s.st.blobPath(rec.Blob), nil
}

func (s *Server) now() time.Time { return s.opt.Now().UTC() }

// requestID is unique per request (sequence and randomness), answered in x-amz-request-id and error bodies.
func (s *Server) requestID() string {
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%08X%s", s.seq.Add(1), strings.ToUpper(hex.EncodeToString(b[:])))
}

// request is one request being served.
type request struct {
	s      *Server
	w      http.ResponseWriter
	r      *http.Request
	id     string
	bucket string
	key    string
	auth   *auth
}

// ServeHTTP answers one S3 request: path-style addressing, /bucket/key.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := &request{s: s, w: w, r: r, id: s.requestID()}
	w.Header().Set("x-amz-request-id", q.id)
	w.Header().Set("x-amz-id-2", q.id)
	w.Header().Set("Server", "s3local")
	if s.closed.Load() {
		q.fail(errUnavailable)
		return
	}
	q.corsHeaders()
	if r.Method == http.MethodOptions {
		q.preflight()
		return
	}
	q.bucket, q.key, _ = strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if q.key != "" {
		if len(q.key) > maxKeyBytes {
			q.fail(errKeyTooLong.with("Size", fmt.Sprint(len(q.key)), "MaxSizeAllowed", fmt.Sprint(maxKeyBytes)))
			return
		}
		if !utf8.ValidString(q.key) {
			q.fail(errorf(http.StatusBadRequest, "InvalidURI", "Couldn't parse the specified URI."))
			return
		}
	}
	if r.Method == http.MethodPost && q.key == "" && q.bucket != "" && isMultipartForm(r) && r.Header.Get("Authorization") == "" {
		q.postObject() // a browser POST authenticates with its signed policy, not a request signature
		return
	}
	a, e := s.authenticate(r)
	if e != nil {
		q.fail(e)
		return
	}
	q.auth = a
	if e := q.dispatch(); e != nil {
		q.fail(e)
	}
}

// fail answers e, logging internal failures, which the client only sees as InternalError.
func (q *request) fail(err error) {
	e := asS3Error(err)
	if e == errInternal {
		q.s.opt.Log.Error("s3local: internal error", "method", q.r.Method, "path", q.r.URL.Path, "request_id", q.id, "err", err)
	}
	// A body may be left unread. net/http would read it before answering, so a client that sends it only
	// after an answer (Expect: 100-continue) or slowly would wait for us while we wait for it; closing the
	// connection after the answer spares both.
	if q.r.ContentLength != 0 {
		q.w.Header().Set("Connection", "close")
	}
	writeError(q.w, q.r, e, q.id)
}

// dispatch routes by method, by whether a bucket and a key are named, and by the sub-resource parameter.
// Parameters that are not sub-resources (the SDK's x-id=PutObject, for one) are ignored, as S3 does.
func (q *request) dispatch() error {
	v := q.r.URL.Query()
	if q.bucket == "" {
		if q.r.Method == http.MethodGet {
			return q.listBuckets()
		}
		return errMethodNotAllowed
	}
	if sub := unsupportedSubresource(v); sub != "" {
		return errorf(http.StatusNotImplemented, "NotImplemented", "The "+sub+" sub-resource is not implemented by this server")
	}
	if vid := v.Get("versionId"); v.Has("versionId") && vid != "null" {
		return errorf(http.StatusBadRequest, "InvalidArgument", "Invalid version id specified", "ArgumentName", "versionId", "ArgumentValue", vid)
	}
	if q.key == "" {
		switch q.r.Method {
		case http.MethodGet:
			switch {
			case v.Has("location"):
				return q.bucketLocation()
			case v.Has("versioning"):
				return q.bucketVersioning()
			case v.Has("uploads"):
				return q.listUploads()
			}
			return q.listObjects()
		case http.MethodHead:
			return q.headBucket()
		case http.MethodPut:
			return q.createBucket()
		case http.MethodDelete:
			return q.deleteBucket()
		case http.MethodPost:
			if v.Has("delete") {
				return q.deleteObjects()
			}
			if isMultipartForm(q.r) {
				return errorf(http.StatusBadRequest, "InvalidArgument",
					"Bucket POST must not carry an Authorization header; sign the form's policy instead")
			}
		}
		return errMethodNotAllowed
	}
	switch q.r.Method {
	case http.MethodGet:
		if v.Has("uploadId") {
			return q.listParts()
		}
		return q.getObject(false)
	case http.MethodHead:
		return q.getObject(true)
	case http.MethodPut:
		switch {
		case v.Has("uploadId") || v.Has("partNumber"):
			return q.uploadPart()
		case q.r.Header.Get("X-Amz-Copy-Source") != "":
			return q.copyObject()
		}
		return q.putObject()
	case http.MethodDelete:
		if v.Has("uploadId") {
			return q.abortUpload()
		}
		return q.deleteObject()
	case http.MethodPost:
		switch {
		case v.Has("uploads"):
			return q.createUpload()
		case v.Has("uploadId"):
			return q.completeUpload()
		}
	}
	return errMethodNotAllowed
}

// unsupported are sub-resources S3 has and this server does not implement; naming them is better than acting
// as if a plain GET or PUT of the object had been asked for.
var unsupported = []string{"acl", "tagging", "policy", "cors", "lifecycle", "website", "logging", "notification",
	"replication", "encryption", "object-lock", "ownershipControls", "publicAccessBlock", "accelerate",
	"requestPayment", "inventory", "analytics", "metrics", "intelligent-tiering", "retention", "legal-hold",
	"torrent", "attributes", "restore", "select", "versions", "session", "policyStatus", "metadataTable",
	"renameObject"}

func unsupportedSubresource(v map[string][]string) string {
	for _, s := range unsupported {
		if _, ok := v[s]; ok {
			return s
		}
	}
	return ""
}

func isMultipartForm(r *http.Request) bool {
	return strings.HasPrefix(strings.ToLower(r.Header.Get("Content-Type")), "multipart/form-data")
}

// validBucketName applies S3's general purpose bucket naming rules.
func validBucketName(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	first, last := b[0], b[len(b)-1]
	return first != '-' && first != '.' && last != '-' && last != '.' && !strings.Contains(b, "..")
}

// body returns the request body as the client declared it, verified: aws-chunked decoded and its chunk
// signatures checked, and length, SHA-256, MD5 and checksums compared at its end. It refuses an upload whose
// length is unknown, as S3 does.
func (q *request) body(limit int64) (*bodyCheck, error) {
	r := q.r
	var in io.Reader = r.Body
	want := r.ContentLength
	var trailers func() http.Header
	if strings.HasPrefix(q.auth.payload, "STREAMING-") {
		dl := r.Header.Get("X-Amz-Decoded-Content-Length")
		if dl == "" {
			return nil, errMissingContentLength
		}
		n, err := parseSize(dl)
		if err != nil {
			return nil, errorf(http.StatusBadRequest, "InvalidArgument", "x-amz-decoded-content-length is not a valid length")
		}
		want = n
		cr := newChunkedReader(r.Body, q.auth)
		in, trailers = cr, cr.Trailers
	} else if want < 0 {
		return nil, errMissingContentLength
	}
	if want > limit {
		return nil, errEntityTooLarge.with("ProposedSize", fmt.Sprint(want), "MaxSizeAllowed", fmt.Sprint(limit))
	}
	c, e := newBodyCheck(r, in, want, q.auth.payload, trailers)
	if e != nil {
		return nil, e
	}
	return c, nil
}

// readSmallBody reads a whole XML request body, verified like any body.
func (q *request) readSmallBody() ([]byte, error) {
	c, err := q.body(maxXMLBody)
	if err != nil {
		return nil, err
	}
	b, err := io.ReadAll(c)
	if err != nil {
		return nil, clientReadError(err)
	}
	return b, nil
}

// clientReadError classifies a failure to read the request body: a verification error as is, anything else
// (the client went away) as IncompleteBody.
func clientReadError(err error) error {
	var e *s3Error
	if errors.As(err, &e) {
		return e
	}
	return errIncompleteBody
}

func parseSize(s string) (int64, error) {
	var n int64
	if _, err := fmt.Sscan(s, &n); err != nil || n < 0 {
		return 0, errors.New("bad size")
	}
	return n, nil
}
