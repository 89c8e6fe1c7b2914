// Command smoke checks a deployed imgpipe stack end to end: it uploads a photo
// through the API, waits for the resizer, downloads every derivative through
// its presigned URL and, given a bucket, checks what was left in S3.
//
// Usage (from the repository root):
//
//	go run ./scripts/smoke -api https://<id>.execute-api.<region>.amazonaws.com/v1/images -bucket <name>
//	go run ./scripts/smoke -api http://127.0.0.1:8080/images -bucket imgpipe -endpoint http://127.0.0.1:9000 -path-style
//
// The stack's SmokeTestCommand output prints the first form. Each step is
// printed as it runs and the last line is a one-line PASS/FAIL summary; the
// exit status is 0 only if every step passed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

// options are the command-line flags.
type options struct {
	api       string
	apiKey    string
	token     string
	bucket    string
	photo     string
	timeout   time.Duration
	widths    []int
	originals bool
	cleanup   bool
	endpoint  string
	pathStyle bool
	region    string
	cdn       string
}

func main() {
	opts, err := parseFlags(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "smoke:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if !run(ctx, opts) {
		stop()
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	var widths string
	fs := flag.NewFlagSet("smoke", flag.ContinueOnError)
	fs.StringVar(&o.api, "api", "", "API URL of the image collection, ending in /images (required)")
	fs.StringVar(&o.apiKey, "api-key", "", "value for the x-api-key header, if the API requires one")
	fs.StringVar(&o.token, "token", os.Getenv("SMOKE_TOKEN"), "bearer token for the Authorization header (default $SMOKE_TOKEN)")
	fs.StringVar(&o.bucket, "bucket", "", "image bucket; when set, check staging/ and originals/ with the default AWS credentials")
	fs.StringVar(&o.photo, "photo", "", "JPEG or PNG to upload (default: a generated 2400x1600 JPEG)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "how long to wait for the image to become ready")
	fs.StringVar(&widths, "widths", "1920,640,320", "derivative widths the stack is configured with (WIDTHS)")
	fs.BoolVar(&o.originals, "originals", true, "expect the original under originals/ (false if ArchiveOriginals=false)")
	fs.BoolVar(&o.cleanup, "cleanup", true, "DELETE the image at the end (only when every check passed)")
	fs.StringVar(&o.endpoint, "endpoint", "", "S3 endpoint URL for a local S3 (default: AWS)")
	fs.BoolVar(&o.pathStyle, "path-style", false, "use path-style S3 addressing (most local S3 servers need it)")
	fs.StringVar(&o.region, "region", "", "AWS region for S3 (default: from the environment/profile)")
	fs.StringVar(&o.cdn, "cdn", "", "image CDN URL (the stack's ImagesURL output); when set, render /<id>.webp?d=320x240 through it twice")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}

	var problems []error
	u, err := url.Parse(o.api)
	switch {
	case o.api == "":
		problems = append(problems, errors.New("-api is required"))
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		problems = append(problems, fmt.Errorf("-api %q is not an http(s) URL", o.api))
	}
	o.api = strings.TrimRight(o.api, "/")
	o.cdn = strings.TrimRight(o.cdn, "/")
	for _, s := range strings.Split(widths, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || w <= 0 {
			problems = append(problems, fmt.Errorf("-widths: %q is not a positive integer", s))
			continue
		}
		o.widths = append(o.widths, w)
	}
	if o.timeout <= 0 {
		problems = append(problems, errors.New("-timeout must be positive"))
	}
	return o, errors.Join(problems...)
}

// run executes the steps in order, stops at the first failure and prints the
// summary line. It reports whether everything passed.
func run(ctx context.Context, o options) bool {
	s := &smoke{
		opts: o,
		api:  &apiClient{base: o.api, apiKey: o.apiKey, token: o.token, http: &http.Client{Timeout: 30 * time.Second}},
	}
	steps := []struct {
		name string
		run  func(context.Context) (string, error)
	}{
		{"photo", s.preparePhoto},
		{"upload", s.upload},
		{"wait", s.waitReady},
		{"verify", s.verifyReady},
		{"bucket", s.checkBucket},
		{"cdn", s.checkCDN},
		{"cleanup", s.deleteImage},
	}

	start := time.Now()
	for i, st := range steps {
		fmt.Printf("[%d/%d] %-8s ", i+1, len(steps), st.name)
		detail, err := st.run(ctx)
		if err != nil {
			fmt.Printf("FAIL\n%s\n", indent(err.Error()))
			left := ""
			if s.id != "" {
				left = ", image " + s.id + " left in place"
				fmt.Printf("      inspect or remove it: DELETE %s\n", s.api.imageURL(s.id))
			}
			fmt.Printf("FAIL smoke: step %s failed after %s%s\n", st.name, since(start), left)
			return false
		}
		fmt.Printf("ok   %s\n", detail)
	}
	fmt.Printf("PASS smoke: image %s, %d derivatives verified in %s\n", s.id, len(s.ready.Derivatives), since(start))
	return true
}

// indent puts each line of a (possibly joined) error under its step line.
func indent(s string) string {
	return "      " + strings.ReplaceAll(s, "\n", "\n      ")
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }
