package templatetest

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// lambdaFunc is one Lambda function of the template: its directory under functions/ (which is also the suffix of
// its FunctionName, log group and build directory), its role and log group, and the functions of the code that
// read its environment.
type lambdaFunc struct {
	logical  string
	name     string
	role     string
	logGroup string
	loaders  []loader
}

// loader is a function in the repository that reads environment variables: dir is its package's directory, name
// the function (LoadUpload) or method (Config.Validate is not one: only what reads the environment counts).
type loader struct{ dir, name string }

// Every function that reaches the catalog reads both backends' variables: CATALOG_DRIVER picks one at start.
var (
	sqlCatalog    = loader{"pkg/catalog/sqlstore", "ConfigFromEnv"}
	dynamoCatalog = loader{"pkg/catalog/dynamostore", "ConfigFromEnv"}
)

// functions is every function the template deploys. A function added to the template must be added here, with the
// code that reads its environment, or TestEveryFunctionIsKnown fails.
var functions = []lambdaFunc{
	{"UploadFunction", "upload", "UploadFunctionRole", "UploadLogGroup",
		[]loader{{"pkg/config", "LoadUpload"}, sqlCatalog, dynamoCatalog}},
	{"ResizeFunction", "resize", "ResizeFunctionRole", "ResizeLogGroup",
		[]loader{{"pkg/config", "LoadResize"}, sqlCatalog, dynamoCatalog}},
	{"SweepFunction", "sweep", "SweepFunctionRole", "SweepLogGroup",
		[]loader{{"pkg/config", "LoadSweep"}, sqlCatalog, dynamoCatalog}},
	{"ServeFunction", "serve", "ServeFunctionRole", "ServeLogGroup",
		[]loader{{"pkg/config", "LoadServe"}, sqlCatalog, dynamoCatalog}},
	{"AuthorizerFunction", "authorizer", "AuthorizerFunctionRole", "AuthorizerLogGroup",
		[]loader{{"pkg/function/authorizer", "LoadConfig"}}},
}

// pendingFunctions are deployed by the template ahead of their code, which another branch is writing. Each entry
// must go once the code lands (TestPendingFunctionsArePending fails then), and from that moment every check of
// this package applies to the function.
var pendingFunctions = map[string]string{}

func functionByLogical(t *testing.T, logical string) lambdaFunc {
	t.Helper()
	for _, f := range functions {
		if f.logical == logical {
			return f
		}
	}
	t.Fatalf("no function %s", logical)
	return lambdaFunc{}
}

func TestEveryFunctionIsKnown(t *testing.T) {
	s := newStack(t, nil)
	var inTemplate []string
	for name, r := range mapOf(t, s.tmpl["Resources"]) {
		switch mapOf(t, r)["Type"] {
		case "AWS::Serverless::Function", "AWS::Lambda::Function":
			inTemplate = append(inTemplate, name)
		}
	}
	var known []string
	for _, f := range functions {
		known = append(known, f.logical)
	}
	if got, want := sortedStrings(inTemplate), sortedStrings(known); !slices.Equal(got, want) {
		t.Errorf("functions in the template %v, known to this test %v: add a new function to the functions table", got, want)
	}
}

// TestFunctionsAreBuilt: every function's code is ../build/<name>/ (make package builds it from functions/<name>),
// and the Makefile builds every one of them.
func TestFunctionsAreBuilt(t *testing.T) {
	s := newStack(t, nil)
	built := makefileFunctions(t)
	for _, f := range functions {
		t.Run(f.logical, func(t *testing.T) {
			r := s.resource(f.logical)
			if got, want := scalar(path(t, r, "Properties", "CodeUri")), "../build/"+f.name+"/"; got != want {
				t.Errorf("CodeUri %q, want %q", got, want)
			}
			if _, pending := pendingFunctions[f.logical]; pending {
				return
			}
			if _, err := os.Stat(filepath.Join(root, "functions", f.name, "main.go")); err != nil {
				t.Errorf("functions/%s/main.go: %v", f.name, err)
			}
			if !slices.Contains(built, f.name) {
				t.Errorf("the Makefile's FUNCTIONS (%v) does not build %s, so make package leaves its CodeUri empty", built, f.name)
			}
		})
	}
}

// TestPendingFunctionsArePending fails as soon as a pending function's code exists, so that the entry is removed
// and the function checked like the others.
func TestPendingFunctionsArePending(t *testing.T) {
	for logical, why := range pendingFunctions {
		f := functionByLogical(t, logical)
		if _, err := os.Stat(filepath.Join(root, "functions", f.name, "main.go")); err == nil {
			t.Errorf("%s is pending (%s), but functions/%s/main.go exists: remove it from pendingFunctions", logical, why, f.name)
		}
		for _, l := range f.loaders {
			if _, ok := findFunc(t, l); ok {
				if l == sqlCatalog || l == dynamoCatalog {
					continue
				}
				t.Errorf("%s is pending (%s), but %s.%s exists: remove it from pendingFunctions", logical, why, l.dir, l.name)
			}
		}
	}
}

// makefileFunctions reads the FUNCTIONS list of the Makefile, which make build and make package loop over.
func makefileFunctions(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^FUNCTIONS\s*:?=\s*(.*)$`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("the Makefile has no FUNCTIONS list")
	}
	return strings.Fields(string(m[1]))
}

// TestFunctionRuntime: arm64 on provided.al2023 with a bootstrap binary, for every function (from Globals; a
// function must not override them).
func TestFunctionRuntime(t *testing.T) {
	s := newStack(t, nil)
	g := mapOf(t, path(t, s.tmpl, "Globals", "Function"))
	want := map[string]any{"Runtime": "provided.al2023", "Architectures": []any{"arm64"}, "Handler": "bootstrap"}
	for k, v := range want {
		if got := scalarOrList(g[k]); got != scalarOrList(v) {
			t.Errorf("Globals.Function.%s = %v, want %v", k, got, v)
		}
	}
	for _, f := range functions {
		p := mapOf(t, s.resource(f.logical)["Properties"])
		for k := range want {
			if _, ok := p[k]; ok {
				t.Errorf("%s overrides %s", f.logical, k)
			}
		}
	}
}

// TestFunctionLogsAndRoles: each function has its own role and its own log group, named after the function, with
// the stack's retention, JSON system logs, and a role that may write to that group only.
func TestFunctionLogsAndRoles(t *testing.T) {
	s := newStack(t, map[string]string{"AuthMode": "jwt", "JwtIssuer": "https://issuer.example", "JwtAudience": "app"})
	roles := map[string]string{}
	for _, f := range functions {
		t.Run(f.logical, func(t *testing.T) {
			p := s.props(f.logical)
			if got, want := scalar(p["FunctionName"]), testStack+"-"+f.name; got != want {
				t.Errorf("FunctionName %q, want %q", got, want)
			}
			if got := scalar(p["Role"]); got != "{"+f.role+".Arn}" {
				t.Errorf("Role %q, want the ARN of %s", got, f.role)
			}
			if other, ok := roles[f.role]; ok {
				t.Errorf("shares its role with %s", other)
			}
			roles[f.role] = f.logical
			if got := scalar(path(t, p, "LoggingConfig", "LogFormat")); got != "JSON" {
				t.Errorf("LogFormat %q, want JSON", got)
			}
			if got := scalar(path(t, p, "LoggingConfig", "LogGroup")); got != f.logGroup {
				t.Errorf("LoggingConfig.LogGroup %q, want a Ref to %s", got, f.logGroup)
			}
			lg := s.props(f.logGroup)
			if got, want := scalar(lg["LogGroupName"]), "/aws/lambda/"+testStack+"-"+f.name; got != want {
				t.Errorf("%s is %q, want %q", f.logGroup, got, want)
			}
			if got, want := scalar(lg["RetentionInDays"]), s.params["LogRetentionDays"]; got != want {
				t.Errorf("%s keeps logs %s days, want LogRetentionDays (%s)", f.logGroup, got, want)
			}
			if got := scalar(path(t, s.resource(f.logGroup), "DeletionPolicy")); got != "Delete" {
				t.Errorf("%s DeletionPolicy %q: a retained group blocks the next stack of that name", f.logGroup, got)
			}
			var logs []statement
			for _, st := range statements(t, s, f.role) {
				for _, a := range st.actions {
					if strings.HasPrefix(a, "logs:") {
						logs = append(logs, st)
						break
					}
				}
			}
			if len(logs) != 1 || !slices.Equal(logs[0].resources, []string{"{" + f.logGroup + ".Arn}"}) {
				t.Errorf("logs permissions %+v, want one statement on %s only", logs, f.logGroup)
			}
		})
	}
}

// TestNoVpcUnlessSubnets: at the defaults no function is in a VPC and no role has the ENI policy; with subnets the
// functions that reach the catalog are, and the authorizer (which fetches its keys from the internet) never is.
func TestNoVpcUnlessSubnets(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params map[string]string
		inVpc  []string
	}{
		{"defaults", nil, nil},
		{"subnets", map[string]string{"SubnetIds": "subnet-a,subnet-b", "SecurityGroupIds": "sg-a", "CatalogDriver": "mysql", "DbHost": "db.example",
			"AuthMode": "jwt", "JwtIssuer": "https://issuer.example", "JwtAudience": "app"},
			[]string{"ResizeFunction", "ServeFunction", "SweepFunction", "UploadFunction"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newStack(t, tc.params)
			var inVpc []string
			for _, f := range functions {
				if !s.exists("Resources", f.logical) {
					continue
				}
				_, vpc := s.props(f.logical)["VpcConfig"]
				if vpc {
					inVpc = append(inVpc, f.logical)
				}
				_, eni := s.props(f.role)["ManagedPolicyArns"]
				if eni != vpc {
					t.Errorf("%s: in a VPC %v, but its role has the VPC execution policy %v", f.logical, vpc, eni)
				}
			}
			if got := sortedStrings(inVpc); !slices.Equal(got, tc.inVpc) {
				t.Errorf("functions in a VPC %v, want %v", got, tc.inVpc)
			}
		})
	}
}

func sortedStrings(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// scalarOrList renders a scalar or a list of scalars for comparison.
func scalarOrList(v any) string {
	if l, ok := v.([]any); ok {
		var parts []string
		for _, x := range l {
			parts = append(parts, scalar(x))
		}
		return "[" + strings.Join(parts, " ") + "]"
	}
	return scalar(v)
}
