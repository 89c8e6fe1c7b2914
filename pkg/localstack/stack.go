package localstack

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/catalog/dynamostore"
	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/function/resize"
	servefn "github.com/imgpipe/imgpipe/pkg/function/serve"
	sweepfn "github.com/imgpipe/imgpipe/pkg/function/sweep"
	"github.com/imgpipe/imgpipe/pkg/function/upload"
	"github.com/imgpipe/imgpipe/pkg/metrics"
	"github.com/imgpipe/imgpipe/pkg/s3local"
	"github.com/imgpipe/imgpipe/pkg/sweep"
)

// Options configures the local stack.
type Options struct {
	// DataDir holds everything: objects under DataDir/s3 (browsable under DataDir/s3/files/<bucket>/), the catalog
	// at DataDir/catalog.db, the signing key under DataDir/auth and dead letters under DataDir/dlq.
	DataDir string
	APIAddr string        // e.g. 127.0.0.1:8080; port 0 picks a free one
	S3Addr  string        // e.g. 127.0.0.1:9000
	CDNAddr string        // the local CloudFront in front of the serve function, e.g. 127.0.0.1:8081; "" for none
	Payload apigw.Version // the API Gateway payload format the front emits
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
	// SweepEvery is how often the sweep runs after the recovery sweep at start (0 means every minute).
	SweepEvery time.Duration
	// ShutdownGrace bounds how long Close lets resize work in flight finish (0 means 20 s).
	ShutdownGrace time.Duration
}

// LocalIssuer is the issuer of the local stack's tokens, with its key under dataDir/auth; `imgpipe-local token`
// mints with it.
func LocalIssuer(dataDir string) (*auth.Issuer, error) {
	return auth.LoadIssuer(filepath.Join(dataDir, "auth"), "https://imgpipe.local")
}

// Stack is a running local pipeline.
type Stack struct {
	APIURL, S3URL string
	CDNURL        string // "" without Options.CDNAddr
	Bucket        string
	DataDir       string
	CatalogPath   string // the SQLite file, when the catalog is SQLite
	Upload        *upload.Function
	Resize        *resize.Function
	Serve         *servefn.Function
	Issuer        *auth.Issuer // nil with NoAuth
	S3            *s3local.Server
	Sweeper       *sweep.Sweeper

	api, s3srv, cdnsrv *http.Server
	invoker            *asyncInvoker
	stopSweep          context.CancelFunc
	sweepDone          chan struct{}
	grace              time.Duration
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
	var cdnln net.Listener
	if opt.CDNAddr != "" {
		if cdnln, err = net.Listen("tcp", opt.CDNAddr); err != nil {
			s3ln.Close()
			apiln.Close()
			return nil, fmt.Errorf("listen cdn: %w", err)
		}
	}
	if err := st.start(ctx, opt, s3ln, apiln, cdnln); err != nil {
		s3ln.Close()
		apiln.Close()
		if cdnln != nil {
			cdnln.Close()
		}
		st.Close()
		return nil, err
	}
	return st, nil
}

// start wires everything to the listeners; on error the caller closes what was opened.
func (st *Stack) start(ctx context.Context, opt Options, s3ln, apiln, cdnln net.Listener) error {
	var err error
	st.S3URL, st.APIURL = "http://"+s3ln.Addr().String(), "http://"+apiln.Addr().String()
	if err := os.MkdirAll(opt.DataDir, 0o755); err != nil {
		return err
	}
	signingKey, err := SigningKey(opt.DataDir)
	if err != nil {
		return err
	}
	defaults := map[string]string{
		"BUCKET": "images", "S3_ENDPOINT": st.S3URL, "S3_ACCESS_KEY_ID": "local", "S3_SECRET_ACCESS_KEY": "local",
		"CATALOG_DRIVER": "sqlite", "CATALOG_SQLITE_PATH": filepath.Join(opt.DataDir, "catalog.db"),
		"CORS_ALLOWED_ORIGINS": "*", "AUTH_MODE": "jwt", "SIGNING_KEY": signingKey,
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
	fnOpts := function.Options{Log: opt.Log, Metrics: opt.Metrics, DiscardMetrics: opt.Metrics == nil}
	if st.Upload, err = upload.New(ctx, getenv, fnOpts); err != nil {
		return err
	}
	if st.Resize, err = resize.New(ctx, getenv, fnOpts); err != nil {
		return err
	}
	if st.Serve, err = servefn.New(ctx, getenv, fnOpts); err != nil {
		return err
	}
	st.Bucket = st.Upload.Config.Storage.Bucket
	region := st.Upload.Config.Storage.Region
	staging := st.Resize.Config.Layout.Staging
	st.invoker = newAsyncInvoker(st.Resize.Resizer.HandleEvent, 2, filepath.Join(opt.DataDir, "dlq"), opt.Log.With("component", "s3-notifications"))
	// The bucket's notification configuration: ObjectCreated under the staging prefix invokes the resize function.
	st.S3, err = s3local.New(s3local.Options{Dir: filepath.Join(opt.DataDir, "s3"), Region: region,
		AccessKey: getenv("S3_ACCESS_KEY_ID"), SecretKey: getenv("S3_SECRET_ACCESS_KEY"), Buckets: []string{st.Bucket},
		Mirror: true, AllowedOrigins: st.Upload.Config.CORSOrigins, Log: opt.Log.With("component", "s3"),
		OnObjectCreated: func(e s3local.ObjectCreated) {
			if e.Bucket == st.Bucket && strings.HasPrefix(e.Key, staging) {
				ev := e.S3Event(region)
				for i := range ev.Records {
					ev.Records[i].S3.ConfigurationID = "staging-object-created"
				}
				st.invoker.deliver(ev)
			}
		}})
	if err != nil {
		return fmt.Errorf("s3: %w", err)
	}
	payload := opt.Payload
	if payload == 0 {
		payload = apigw.V1
	}
	fr := &front{handler: apigw.Handler(st.Upload.Handler), content: servefn.LambdaHandler(st.Serve.Handler),
		version: payload, stage: "local"}
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
	// The S3 server is its own http.Server, never behind a ServeMux, which would clean keys holding ".." or "//".
	st.s3srv = &http.Server{Handler: st.S3, ReadHeaderTimeout: 10 * time.Second}
	// API Gateway gives a client 30 s to send its request; a body trickled in slower is cut off.
	st.api = &http.Server{Handler: fr, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second}
	go st.s3srv.Serve(s3ln)
	go st.api.Serve(apiln)
	if cdnln != nil {
		st.CDNURL = "http://" + cdnln.Addr().String()
		st.cdnsrv = &http.Server{Handler: newCDN(servefn.LambdaHandler(st.Serve.Handler), region, 256<<20),
			ReadHeaderTimeout: 10 * time.Second}
		go st.cdnsrv.Serve(cdnln)
	}

	sw, err := localSweep(ctx, getenv, opt)
	if err != nil {
		return err
	}
	st.Sweeper = sw.Sweeper
	st.Sweeper.DeadLetters = sweep.Dir(filepath.Join(opt.DataDir, "dlq"))
	st.grace = cmp.Or(opt.ShutdownGrace, 20*time.Second)
	// Recovery: whatever is in staging now was accepted by an earlier run that stopped before processing it (a
	// crash, or a shutdown that ran out of time), since nothing of this run has been delivered yet.
	recovery := *st.Sweeper
	recovery.Config.StaleAfter = 0
	if r, err := recovery.Run(ctx); err != nil {
		opt.Log.Error("recovery sweep", "error", err.Error())
	} else if r.Redriven > 0 || r.DeadLetters > 0 {
		opt.Log.Warn("recovered work an earlier run left", "redriven", r.Redriven, "dead_letters", r.DeadLetters)
	}
	sweepCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	st.stopSweep, st.sweepDone = stop, make(chan struct{})
	go st.sweepLoop(sweepCtx, cmp.Or(opt.SweepEvery, time.Minute))
	return nil
}

// localSweep builds the sweep function as Lambda would, for the stack to run on a timer.
func localSweep(ctx context.Context, getenv func(string) string, opt Options) (*sweepfn.Function, error) {
	return sweepfn.New(ctx, getenv, function.Options{Log: opt.Log, DiscardMetrics: opt.Metrics == nil, Metrics: opt.Metrics})
}

func (st *Stack) sweepLoop(ctx context.Context, every time.Duration) {
	defer close(st.sweepDone)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if _, err := st.Sweeper.Run(ctx); err != nil && ctx.Err() == nil {
				st.Sweeper.Log.Error("sweep", "error", err.Error())
			}
		}
	}
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

// Close shuts the stack down in the order that loses nothing: the API stops taking requests and finishes the ones
// it has, the sweep stops, the resize work in flight finishes within ShutdownGrace (what does not is cancelled and
// left in staging for the next start), and the S3 server, which that work needs, closes last.
func (st *Stack) Close() error {
	var errs []error
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if st.api != nil {
		errs = append(errs, st.api.Shutdown(ctx))
	}
	if st.cdnsrv != nil {
		errs = append(errs, st.cdnsrv.Shutdown(ctx))
	}
	if st.stopSweep != nil {
		st.stopSweep()
		<-st.sweepDone
	}
	if st.invoker != nil {
		st.invoker.shutdown(cmp.Or(st.grace, 20*time.Second))
	}
	if st.s3srv != nil {
		errs = append(errs, st.s3srv.Shutdown(ctx))
	}
	if st.S3 != nil {
		errs = append(errs, st.S3.Close())
	}
	if st.Upload != nil {
		errs = append(errs, st.Upload.Close())
	}
	if st.Resize != nil {
		errs = append(errs, st.Resize.Close())
	}
	if st.Serve != nil {
		errs = append(errs, st.Serve.Close())
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

// SigningKey is the serve function's URL-signing key for the local stack, made once and kept in
// dataDir/auth/signing-key (SIGNING_KEY overrides it), so signed URLs survive a restart as they do in AWS.
func SigningKey(dataDir string) (string, error) {
	path := filepath.Join(dataDir, "auth", "signing-key")
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 16 {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	key := base64.RawURLEncoding.EncodeToString(buf)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", err
	}
	if err := os.WriteFile(path, []byte(key+"\n"), 0o600); err != nil {
		return "", err
	}
	return key, nil
}
