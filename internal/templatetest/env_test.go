package templatetest

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/function"
	"github.com/imgpipe/imgpipe/pkg/function/authorizer"
	"github.com/imgpipe/imgpipe/pkg/function/resize"
	servefn "github.com/imgpipe/imgpipe/pkg/function/serve"
	"github.com/imgpipe/imgpipe/pkg/function/sweep"
	"github.com/imgpipe/imgpipe/pkg/function/upload"
)

// pendingEnv are variables the template sets ahead of the code that reads them (branches not merged when the
// template was written). An entry fails TestEnvironmentIsReadByCode once the function's code reads it (it is no
// longer pending) and once any code reads it while this function's does not (it is set on the wrong function).
var pendingEnv = map[string][]string{}

// variants are parameter sets a deploy may use; each must produce environments the code reads and accepts.
var variants = []struct {
	name   string
	params map[string]string
}{
	{"defaults", nil},
	{"mysql", map[string]string{"CatalogDriver": "mysql", "DbHost": "db.example.internal", "DbTls": "true",
		"DbSecretArn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:imgpipe/db-AbCdEf",
		"SubnetIds":   "subnet-a", "SecurityGroupIds": "sg-a"}},
	{"jwt", map[string]string{"AuthMode": "jwt", "JwtIssuer": "https://issuer.example", "JwtAudience": "app",
		"AuthGroupsClaim": "groups"}},
	{"open", map[string]string{"AuthMode": "none", "CorsAllowedOrigins": "https://a.example,https://b.example",
		"SourcePrefix": "library/", "Formats": "jpeg,webp"}},
}

// environment returns a function's evaluated environment variables.
func environment(t *testing.T, s *stack, logical string) map[string]string {
	t.Helper()
	env := map[string]string{}
	for k, v := range mapOf(t, s.eval(path(t, s.resource(logical), "Properties", "Environment", "Variables"))) {
		env[k] = scalar(v)
	}
	return env
}

// TestEnvironmentIsReadByCode: every variable the template sets on a function is one the function's code reads,
// so that a renamed or misspelt variable (which the code would silently ignore, keeping its default) fails here.
// Lambda's reserved names are never set: Lambda refuses them.
func TestEnvironmentIsReadByCode(t *testing.T) {
	anywhere := envReadAnywhere(t)
	for _, v := range variants {
		s := newStack(t, v.params)
		for _, f := range functions {
			if !s.exists("Resources", f.logical) {
				continue
			}
			t.Run(v.name+"/"+f.logical, func(t *testing.T) {
				env := environment(t, s, f.logical)
				for k := range env {
					if strings.HasPrefix(k, "AWS_") || strings.HasPrefix(k, "LAMBDA_") || strings.HasPrefix(k, "_") {
						t.Errorf("%s is reserved by Lambda", k)
					}
				}
				if _, pending := pendingFunctions[f.logical]; pending {
					return
				}
				read := envReadBy(t, f.loaders, false)
				pending := map[string]bool{}
				for _, k := range pendingEnv[f.logical] {
					pending[k] = true
					switch {
					case read[k]:
						t.Errorf("%s is read by the code now: remove it from pendingEnv", k)
					case anywhere[k]:
						t.Errorf("%s is read by other code but not by this function's: remove it from this function's environment (and pendingEnv), or wire it", k)
					}
				}
				var unread []string
				for k := range env {
					if !read[k] && !pending[k] {
						unread = append(unread, k)
					}
				}
				sort.Strings(unread)
				if len(unread) > 0 {
					t.Errorf("set but never read by %v: %v", f.loaders, unread)
				}
			})
		}
	}
}

// TestConfigsLoad builds every function the way its main.go does, from the environment the template gives it
// plus what Lambda sets (AWS_REGION), for each variant: a value the code refuses (a bad duration, a missing table
// name, an unknown driver) fails here instead of in the first cold start. Nothing is contacted: clients are only
// built, and the catalog opens on first use.
func TestConfigsLoad(t *testing.T) {
	isolateAWSConfig(t)
	ctx := context.Background()
	quiet := function.Options{Log: slog.New(slog.NewTextHandler(io.Discard, nil)), DiscardMetrics: true}
	for _, v := range variants {
		s := newStack(t, v.params)
		for _, f := range functions {
			if !s.exists("Resources", f.logical) {
				continue
			}
			if _, pending := pendingFunctions[f.logical]; pending {
				continue
			}
			t.Run(v.name+"/"+f.logical, func(t *testing.T) {
				env := environment(t, s, f.logical)
				env["AWS_REGION"] = testRegion
				getenv := func(k string) string { return env[k] }
				var err error
				switch f.logical {
				case "UploadFunction":
					var fn *upload.Function
					if fn, err = upload.New(ctx, getenv, quiet); err == nil {
						checkUpload(t, s, fn)
					}
				case "ResizeFunction":
					_, err = resize.New(ctx, getenv, quiet)
				case "SweepFunction":
					var fn *sweep.Function
					if fn, err = sweep.New(ctx, getenv, quiet); err == nil && fn.Sweeper.DeadLetters == nil {
						t.Error("the sweep has no dead-letter queue to drain (DLQ_URL)")
					}
				case "AuthorizerFunction":
					_, err = authorizer.New(ctx, getenv, quiet)
				case "ServeFunction":
					_, err = servefn.New(ctx, getenv, quiet)
				default:
					t.Fatalf("no constructor for %s: add it here", f.logical)
				}
				if err != nil {
					t.Errorf("the function would not start: %v", err)
				}
			})
		}
	}
}

// isolateAWSConfig keeps the SDK's config loading (which the functions' constructors run) away from the
// machine's own AWS profile: a profile named in AWS_PROFILE that the config file lacks would fail them.
func isolateAWSConfig(t *testing.T) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_CONFIG_FILE": none, "AWS_SHARED_CREDENTIALS_FILE": none} {
		t.Setenv(k, v)
	}
}

// checkUpload compares what the upload function understood with what the parameters say.
func checkUpload(t *testing.T, s *stack, fn *upload.Function) {
	t.Helper()
	c := fn.Config
	if got, want := c.AuthMode, s.params["AuthMode"]; got != want {
		t.Errorf("AUTH_MODE is %q, want the AuthMode parameter %q", got, want)
	}
	if got, want := strings.Join(c.CORSOrigins, ","), s.params["CorsAllowedOrigins"]; got != want {
		t.Errorf("CORS origins %q, want %q", got, want)
	}
	if got, want := c.CatalogDriver, s.params["CatalogDriver"]; got != want {
		t.Errorf("catalog driver %q, want %q", got, want)
	}
}

// TestCorsIsOffByDefault: with no parameter set, the API sends no CORS header at all (browsers keep it
// same-origin), the bucket has no CORS rule and API Gateway's own answers carry no Access-Control-Allow-Origin.
func TestCorsIsOffByDefault(t *testing.T) {
	s := newStack(t, nil)
	if got := s.params["CorsAllowedOrigins"]; got != "" {
		t.Fatalf("CorsAllowedOrigins defaults to %q, want empty", got)
	}
	if got := environment(t, s, "UploadFunction")["CORS_ALLOWED_ORIGINS"]; got != "" {
		t.Errorf("CORS_ALLOWED_ORIGINS is %q at the defaults", got)
	}
	if _, ok := s.props("ImageBucket")["CorsConfiguration"]; ok {
		t.Error("the bucket has a CORS rule at the defaults")
	}
	for name, r := range gatewayResponses(t, s) {
		if _, ok := mapOf(t, mapOf(t, r)["responseParameters"])["gatewayresponse.header.Access-Control-Allow-Origin"]; ok {
			t.Errorf("gateway response %s sends Access-Control-Allow-Origin at the defaults", name)
		}
	}
}
