package miniotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Region is the region every Server reports, set through MINIO_SITE_REGION
// so that notification records carry an awsRegion as AWS's do.
const Region = "us-east-1"

// Root credentials used when Options has none.
const (
	// DefaultAccessKey is the root user.
	DefaultAccessKey = "imgpipe-test"
	// DefaultSecretKey is the root password; MinIO rejects one shorter than
	// 8 characters.
	DefaultSecretKey = "imgpipe-test-secret"
)

// DefaultStartTimeout is how long Start waits for MinIO to become healthy; it
// usually takes about a second.
const DefaultStartTimeout = time.Minute

// Options configures a Server. The zero value is usable.
type Options struct {
	// Binary is the minio executable; empty means Lookup's answer. Start
	// never builds MinIO, because a silent three-minute build inside a test
	// is worse than a clear error.
	Binary string
	// Webhooks maps notification target IDs to endpoint URLs; each becomes
	// the queue ARN TargetARN(id). MinIO starts and accepts the ARN even if
	// an endpoint is down, but without a queue directory it drops every
	// event sent while the endpoint is unreachable, so start receivers
	// first.
	Webhooks map[string]string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// SyncEvents makes MinIO deliver notifications before a write returns
	// (MINIO_API_SYNC_EVENTS). AWS delivers them asynchronously, so leave it
	// off unless a test needs that ordering.
	SyncEvents bool
	// Output, when set, receives MinIO's stdout and stderr.
	Output io.Writer
	// StartTimeout bounds the wait for MinIO to become healthy.
	StartTimeout time.Duration
}

// Server is a running MinIO server.
type Server struct {
	// Endpoint is the S3 endpoint URL, http://127.0.0.1:<port>.
	Endpoint string
	// AccessKey and SecretKey are the root credentials.
	AccessKey, SecretKey string
	// Region is always Region.
	Region string

	dir  string
	cmd  *exec.Cmd
	done chan struct{}
	out  *tailBuffer

	closeOnce sync.Once
}

// Start runs a single-drive MinIO server on 127.0.0.1 in a fresh temporary
// directory and waits until /minio/health/live reports it ready. The console
// is disabled. ctx bounds the server's whole life, as with
// exec.CommandContext; Close must still be called to remove the data.
func Start(ctx context.Context, opts Options) (*Server, error) {
	if opts.Binary == "" {
		p, err := Lookup()
		if err != nil {
			return nil, err
		}
		opts.Binary = p
	}
	if opts.AccessKey == "" {
		opts.AccessKey = DefaultAccessKey
	}
	if opts.SecretKey == "" {
		opts.SecretKey = DefaultSecretKey
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = DefaultStartTimeout
	}
	// Ports are picked by binding and releasing them, so another process
	// can grab one in between; retrying is simpler than passing listeners.
	var err error
	for range 3 {
		var s *Server
		s, err = start(ctx, opts)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, errAddrInUse) {
			return nil, err
		}
	}
	return nil, err
}

var errAddrInUse = errors.New("address already in use")

func start(ctx context.Context, opts Options) (*Server, error) {
	apiAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	consoleAddr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "miniotest-")
	if err != nil {
		return nil, fmt.Errorf("miniotest: %w", err)
	}
	s := &Server{
		Endpoint:  "http://" + apiAddr,
		AccessKey: opts.AccessKey,
		SecretKey: opts.SecretKey,
		Region:    Region,
		dir:       dir,
		done:      make(chan struct{}),
		out:       &tailBuffer{max: 64 << 10, tee: opts.Output},
	}
	// --console-address is given even though the console is off, so that
	// nothing ever binds a random port on all interfaces. --certs-dir
	// keeps MinIO out of ~/.minio.
	s.cmd = exec.CommandContext(ctx, opts.Binary, "server", filepath.Join(dir, "data"),
		"--address", apiAddr, "--console-address", consoleAddr,
		"--certs-dir", filepath.Join(dir, "certs"), "--quiet")
	s.cmd.Env = environ(dir, opts)
	s.cmd.Stdout, s.cmd.Stderr = s.out, s.out
	s.cmd.WaitDelay = time.Second
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("miniotest: start %s: %w", opts.Binary, err)
	}
	go func() {
		_ = s.cmd.Wait() // The exit status of a killed server says nothing.
		close(s.done)
	}()
	if err := s.waitHealthy(ctx, opts.StartTimeout); err != nil {
		s.Close()
		if strings.Contains(s.out.String(), "address already in use") {
			return nil, fmt.Errorf("miniotest: %w: %w", errAddrInUse, err)
		}
		return nil, err
	}
	return s, nil
}

// environ is MinIO's whole environment. The host's is not inherited, so a
// developer's MINIO_* settings cannot change the server under test.
func environ(dir string, opts Options) []string {
	env := map[string]string{
		"HOME":                dir,
		"PATH":                os.Getenv("PATH"),
		"TMPDIR":              os.TempDir(),
		"MINIO_ROOT_USER":     opts.AccessKey,
		"MINIO_ROOT_PASSWORD": opts.SecretKey,
		"MINIO_SITE_REGION":   Region,
		"MINIO_BROWSER":       "off",
		"MINIO_UPDATE":        "off",
		// CI/CD mode relaxes checks meant for production drives and purges
		// deleted data immediately.
		"MINIO_CI_CD": "on",
	}
	if opts.SyncEvents {
		env["MINIO_API_SYNC_EVENTS"] = "on"
	}
	for id, endpoint := range opts.Webhooks {
		env["MINIO_NOTIFY_WEBHOOK_ENABLE_"+id] = "on"
		env["MINIO_NOTIFY_WEBHOOK_ENDPOINT_"+id] = endpoint
	}
	out := make([]string, 0, len(env))
	for _, k := range slices.Sorted(maps.Keys(env)) {
		out = append(out, k+"="+env[k])
	}
	return out
}

// waitHealthy polls the liveness probe. MinIO answers it before its object
// layer is initialised, flagging that with x-minio-server-status: offline,
// so a 200 alone is not enough.
func (s *Server) waitHealthy(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/minio/health/live", nil)
		if err != nil {
			return fmt.Errorf("miniotest: %w", err)
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && resp.Header.Get("x-minio-server-status") != "offline" {
				return nil
			}
		}
		select {
		case <-tick.C:
		case <-s.done:
			return fmt.Errorf("miniotest: minio exited during startup: %s\n%s", s.cmd.ProcessState, s.out)
		case <-ctx.Done():
			return fmt.Errorf("miniotest: minio not healthy: %w\n%s", ctx.Err(), s.out)
		}
	}
}

// Logs returns the last 64 KiB of MinIO's output.
func (s *Server) Logs() string { return s.out.String() }

// Close kills MinIO and removes its data. SIGKILL is fine because the data
// is thrown away anyway. It is safe to call more than once.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		_ = s.cmd.Process.Kill() // Fails only if MinIO already exited.
		<-s.done
		err = os.RemoveAll(s.dir)
	})
	return err
}

// S3Client returns a client for the server, built without
// config.LoadDefaultConfig so that nothing in the environment (AWS_PROFILE,
// AWS_CA_BUNDLE, AWS_ENDPOINT_URL) can redirect or break it.
func (s *Server) S3Client() *s3.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.Proxy = nil
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		// Virtual-hosted style would need DNS for bucket.127.0.0.1.
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
		HTTPClient:   &http.Client{Transport: transport},
		// The SDK's default CRC checksums use aws-chunked trailers; asking
		// only when required keeps requests plain, as most S3-compatible
		// servers expect.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("miniotest: %w", err)
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// tailBuffer keeps the last max bytes written, for error messages, and
// copies everything to tee.
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
	tee io.Writer
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.tee != nil {
		_, _ = b.tee.Write(p) // Best effort: logging must not stop MinIO.
	}
	b.buf.Write(p)
	if extra := b.buf.Len() - b.max; extra > 0 {
		b.buf.Next(extra)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
