package localstack

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/catalog/dynamostore"
	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/function/resize"
	"github.com/imgpipe/imgpipe/pkg/function/upload"
	"github.com/imgpipe/imgpipe/pkg/metrics"
)

// Options configures the local stack.
type Options struct {
	DataDir string        // objects under DataDir/s3, the catalog at DataDir/catalog.db, dead letters under DataDir/dlq
	APIAddr string        // e.g. 127.0.0.1:8080; port 0 picks a free one
	S3Addr  string        // e.g. 127.0.0.1:9000
	Payload apigw.Version // the API Gateway payload format the front emits
	// NoAuth turns the local authorizer off: the API is open, as with AUTH_MODE=none in AWS. Otherwise the front
	// verifies bearer tokens signed with the key under DataDir/auth (see Issuer).
	// Getenv supplies the functions' configuration (the same variables as in Lambda). Local defaults fill in
	// BUCKET, S3_ENDPOINT, the catalog and CORS when it returns "".
	Getenv func(string) string
	Log    *slog.Logger
	// Metrics receives the resize function's EMF records; nil discards them.
	Metrics *metrics.Emitter
	// NoAuth turns the local authorizer off: the API is open, as with AUTH_MODE=none in AWS. Otherwise the front
	// verifies bearer tokens signed with the key under DataDir/auth (see LocalIssuer), as API Gateway's authorizer
	// does, and passes their claims on.
	NoAuth bool
}

// LocalIssuer is the issuer of the local stack's tokens, with its key under dataDir/auth; `imgpipe-local token`
// mints with it.
func LocalIssuer(dataDir string) (*auth.Issuer, error) {
	return auth.LoadIssuer(filepath.Join(dataDir, "auth"), "https://imgpipe.local")
}

// Stack is a running local pipeline.
type Stack struct {
	APIURL, S3URL string
	Bucket        string
	DataDir       string
	CatalogPath   string // the SQLite file, when the catalog is SQLite
	Upload        *upload.Function
	Resize        *resize.Function
	Issuer        *auth.Issuer // nil with NoAuth

	servers []*http.Server
	invoker *asyncInvoker
}

// Start starts the S3 server, the resize trigger and the API front, with the functions built exactly as in Lambda.
func Start(ctx context.Context, opt Options) (*Stack, error) {
	if opt.Log == nil {
		opt.Log = slog.New(slog.NewJSONHandler(os.Stderr, nil))
	}
	if opt.Getenv == nil {
		opt.Getenv = func(string) string { return "" }
	}
	st := &Stack{DataDir: opt.DataDir}
	s3ln, err := net.Listen("tcp", opt.S3Addr)
	if err != nil {
		return nil, fmt.Errorf("listen s3: %w", err)
	}
	apiln, err := net.Listen("tcp", opt.APIAddr)
	if err != nil {
		s3ln.Close()
		return nil, fmt.Errorf("listen api: %w", err)
	}
	if err := st.start(ctx, opt, s3ln, apiln); err != nil {
		s3ln.Close()
		apiln.Close()
		st.Close()
		return nil, err
	}
	return st, nil
}

// start wires everything to the two listeners; on error the caller closes what was opened.
func (st *Stack) start(ctx context.Context, opt Options, s3ln, apiln net.Listener) error {
	var err error
	st.S3URL, st.APIURL = "http://"+s3ln.Addr().String(), "http://"+apiln.Addr().String()
	defaults := map[string]string{
		"BUCKET": "images", "S3_ENDPOINT": st.S3URL, "S3_ACCESS_KEY_ID": "local", "S3_SECRET_ACCESS_KEY": "local",
		"CATALOG_DRIVER": "sqlite", "CATALOG_SQLITE_PATH": filepath.Join(opt.DataDir, "catalog.db"),
		"CORS_ALLOWED_ORIGINS": "*", "AUTH_MODE": "jwt",
	}
	if opt.NoAuth {
		defaults["AUTH_MODE"] = "none"
	}
	getenv := func(k string) string {
		if v := opt.Getenv(k); v != "" {
			return v
		}
		return defaults[k]
	}
	switch getenv("CATALOG_DRIVER") {
	case "sqlite":
		st.CatalogPath = getenv("CATALOG_SQLITE_PATH")
	case function.DriverDynamoDB:
		// A local DynamoDB-protocol server (DYNAMODB_ENDPOINT) starts empty: create the table, as the template does
		// in AWS.
		if err := createTable(ctx, getenv); err != nil {
			return err
		}
	}
	if err := os.MkdirAll(opt.DataDir, 0o755); err != nil {
		return err
	}
	fnOpts := function.Options{Log: opt.Log, Metrics: opt.Metrics, DiscardMetrics: opt.Metrics == nil}
	if st.Upload, err = upload.New(ctx, getenv, fnOpts); err != nil {
		return err
	}
	if st.Resize, err = resize.New(ctx, getenv, fnOpts); err != nil {
		return err
	}
	st.Bucket = st.Upload.Config.Storage.Bucket
	s3srv, _, err := newS3(filepath.Join(opt.DataDir, "s3"), st.Bucket)
	if err != nil {
		return err
	}
	st.invoker = newAsyncInvoker(st.Resize.Resizer.HandleEvent, 2, filepath.Join(opt.DataDir, "dlq"), opt.Log.With("component", "s3-notifications"))
	notify := &notifier{next: s3srv.Server(), bucket: st.Bucket, prefix: st.Resize.Config.Layout.Staging,
		region: st.Upload.Config.Storage.Region, deliver: st.invoker.deliver}
	payload := opt.Payload
	if payload == 0 {
		payload = apigw.V1
	}
	fr := &front{handler: apigw.Handler(st.Upload.Handler), version: payload, stage: "local"}
	if !opt.NoAuth {
		if st.Issuer, err = LocalIssuer(opt.DataDir); err != nil {
			return err
		}
		if fr.verifier, err = st.Issuer.Verifier(); err != nil {
			return err
		}
		keys, err := st.Issuer.PublicKeys()
		if err != nil {
			return err
		}
		if fr.jwks, err = json.Marshal(keys); err != nil {
			return err
		}
	}
	for _, s := range []struct {
		ln net.Listener
		h  http.Handler
	}{{s3ln, notify}, {apiln, fr}} {
		// API Gateway gives a client 30 s to send its request; a body trickled in slower is cut off.
		srv := &http.Server{Handler: s.h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
		st.servers = append(st.servers, srv)
		go srv.Serve(s.ln)
	}
	return nil
}

// Idle reports whether every S3 notification has been handled.
func (st *Stack) Idle() bool { return st.invoker == nil || st.invoker.idle() }

// WaitIdle waits until every S3 notification has been handled or ctx ends.
func (st *Stack) WaitIdle(ctx context.Context) error {
	for !st.Idle() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil
}

// Close stops the servers, lets queued events finish, and closes the catalogs.
func (st *Stack) Close() error {
	var errs []error
	for _, s := range st.servers {
		errs = append(errs, s.Close())
	}
	if st.invoker != nil {
		st.invoker.close()
	}
	if st.Upload != nil {
		errs = append(errs, st.Upload.Close())
	}
	if st.Resize != nil {
		errs = append(errs, st.Resize.Close())
	}
	return errors.Join(errs...)
}

// createTable creates the DynamoDB catalog's table if it is missing.
func createTable(ctx context.Context, getenv func(string) string) error {
	cfg, err := dynamostore.ConfigFromEnv(getenv)
	if err != nil {
		return err
	}
	client, err := dynamostore.NewClient(ctx, cfg)
	if err != nil {
		return err
	}
	if err := dynamostore.CreateTable(ctx, client, cfg.Table); err != nil {
		return fmt.Errorf("create the catalog table %s: %w", cfg.Table, err)
	}
	return nil
}
