package templatetest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/auth"
)

// pendingRoutes are routes the template sends to the API function before pkg/api registers them. An entry fails
// TestApiRoutes once the mux has it.
var pendingRoutes = map[string]string{}

// serveRoutes are the API routes of the serve function.
var serveRoutes = []string{"GET /images/{id}/content"}

// route is one method of the OpenAPI document.
type route struct {
	function string // the Lambda function of its aws_proxy integration
	secured  bool
}

var integrationFunction = regexp.MustCompile(`/functions/\{([A-Za-z0-9]+)\.Arn\}/invocations$`)

// apiDefinition returns the evaluated OpenAPI document of the REST API.
func apiDefinition(t *testing.T, s *stack) map[string]any {
	t.Helper()
	return mapOf(t, s.props("ImageApi")["DefinitionBody"])
}

// apiRoutes lists the document's methods as "METHOD /path".
func apiRoutes(t *testing.T, s *stack) map[string]route {
	t.Helper()
	out := map[string]route{}
	for p, item := range mapOf(t, apiDefinition(t, s)["paths"]) {
		for method, op := range mapOf(t, item) {
			if method == "parameters" {
				continue
			}
			integ := mapOf(t, path(t, op, "x-amazon-apigateway-integration"))
			if integ["type"] != "aws_proxy" || integ["httpMethod"] != "POST" {
				t.Errorf("%s %s: integration %v, want an aws_proxy POST (Lambda proxy)", method, p, integ)
			}
			m := integrationFunction.FindStringSubmatch(scalar(integ["uri"]))
			if m == nil {
				t.Errorf("%s %s: integration uri %q names no function", method, p, integ["uri"])
				continue
			}
			_, secured := mapOf(t, op)["security"]
			out[strings.ToUpper(method)+" "+p] = route{function: m[1], secured: secured}
		}
	}
	return out
}

// muxRoutes reads the patterns pkg/api registers on its ServeMux ("GET /images/{id}"), from the source, so that a
// route added to the API without one in the template (where API Gateway would answer 403 for it) fails here.
func muxRoutes(t *testing.T) []string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, "pkg", "api", "service.go"), nil, parser.SkipObjectResolution)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	ast.Inspect(f, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok || len(call.Args) == 0 {
			return true
		}
		sel, ok := call.Fun.(*ast.SelectorExpr)
		if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
			return true
		}
		if v, ok := stringLit(call.Args[0]); ok {
			out = append(out, v)
		}
		return true
	})
	if len(out) == 0 {
		t.Fatal("found no routes in pkg/api/service.go")
	}
	return sortedStrings(out)
}

// TestApiRoutes: the upload function gets exactly the routes pkg/api serves, the serve function its content route,
// and every method is a Lambda proxy integration.
func TestApiRoutes(t *testing.T) {
	s := newStack(t, nil)
	routes := apiRoutes(t, s)
	mux := muxRoutes(t)
	var upload, serve []string
	for r, rt := range routes {
		switch rt.function {
		case "UploadFunction":
			if _, pending := pendingRoutes[r]; !pending {
				upload = append(upload, r)
			}
		case "ServeFunction":
			serve = append(serve, r)
		default:
			t.Errorf("%s goes to %s", r, rt.function)
		}
	}
	if got := sortedStrings(upload); !slices.Equal(got, mux) {
		t.Errorf("UploadFunction routes %v, pkg/api serves %v", got, mux)
	}
	if got := sortedStrings(serve); !slices.Equal(got, serveRoutes) {
		t.Errorf("ServeFunction routes %v, want %v", got, serveRoutes)
	}
	for r, fn := range pendingRoutes {
		if slices.Contains(mux, r) {
			t.Errorf("%s is registered by pkg/api now: remove it from pendingRoutes", r)
		}
		if routes[r].function != fn {
			t.Errorf("pending route %s goes to %q, want %s", r, routes[r].function, fn)
		}
	}
}

// TestApiAuthModes: in cognito and jwt modes every method but the preflights is behind the authorizer, which is
// the user pool or the Lambda authorizer; with none there is no authorizer at all, and the stack says so.
func TestApiAuthModes(t *testing.T) {
	for _, tc := range []struct {
		mode     string
		params   map[string]string
		authType string
		exists   []string
		absent   []string
	}{
		{"cognito", nil, "cognito_user_pools",
			[]string{"UserPool", "UserPoolClient", "AdminUserGroup"}, []string{"AuthorizerFunction", "AuthorizerInvokeFromApi"}},
		{"jwt", map[string]string{"AuthMode": "jwt", "JwtIssuer": "https://issuer.example", "JwtAudience": "app"}, "custom",
			[]string{"AuthorizerFunction", "AuthorizerInvokeFromApi"}, []string{"UserPool", "UserPoolClient"}},
		{"none", map[string]string{"AuthMode": "none"}, "",
			nil, []string{"UserPool", "AuthorizerFunction"}},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			s := newStack(t, tc.params)
			for r, rt := range apiRoutes(t, s) {
				want := tc.authType != "" && !strings.HasPrefix(r, http.MethodOptions+" ")
				if rt.secured != want {
					t.Errorf("%s secured %v, want %v", r, rt.secured, want)
				}
			}
			def := apiDefinition(t, s)
			if tc.authType == "" {
				if _, ok := def["components"]; ok {
					t.Error("an open API has security schemes")
				}
			} else {
				scheme := mapOf(t, path(t, def, "components", "securitySchemes", "imgpipe"))
				if got := scalar(scheme["x-amazon-apigateway-authtype"]); got != tc.authType {
					t.Errorf("authtype %q, want %q", got, tc.authType)
				}
				if scheme["name"] != "Authorization" || scheme["in"] != "header" {
					t.Errorf("the token is read from %v %v, want the Authorization header", scheme["in"], scheme["name"])
				}
				a := mapOf(t, scheme["x-amazon-apigateway-authorizer"])
				switch tc.mode {
				case "cognito":
					if got := strs(t, a["providerARNs"]); !slices.Equal(got, []string{"{UserPool.Arn}"}) {
						t.Errorf("providerARNs %v", got)
					}
				case "jwt":
					if a["type"] != "token" || a["identitySource"] != "method.request.header.Authorization" {
						t.Errorf("authorizer %v, want a TOKEN authorizer on the Authorization header", a)
					}
					if !strings.Contains(scalar(a["authorizerUri"]), "/functions/{AuthorizerFunction.Arn}/invocations") {
						t.Errorf("authorizerUri %v", a["authorizerUri"])
					}
					if ttl, _ := a["authorizerResultTtlInSeconds"].(int); ttl < 60 || ttl > 3600 {
						t.Errorf("authorizer result TTL %v", a["authorizerResultTtlInSeconds"])
					}
					re := regexp.MustCompile(scalar(a["identityValidationExpression"]))
					if !re.MatchString("Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln") || re.MatchString("eyJhbGciOiJSUzI1NiJ9.e30.c2ln") {
						t.Errorf("identityValidationExpression %s does not select bearer JWTs", re)
					}
				}
			}
			for _, r := range tc.exists {
				if !s.exists("Resources", r) {
					t.Errorf("no %s", r)
				}
			}
			for _, r := range tc.absent {
				if s.exists("Resources", r) {
					t.Errorf("%s exists", r)
				}
			}
			if got, want := s.exists("Outputs", "AuthWarning"), tc.mode == "none"; got != want {
				t.Errorf("AuthWarning output %v, want %v", got, want)
			}
			if env := environment(t, s, "UploadFunction"); env["AUTH_MODE"] != tc.mode {
				t.Errorf("AUTH_MODE %q", env["AUTH_MODE"])
			}
		})
	}
}

// TestCognitoClient: the mobile app's client is public (no secret) and signs in with SRP and refresh tokens only.
func TestCognitoClient(t *testing.T) {
	s := newStack(t, nil)
	c := s.props("UserPoolClient")
	if c["GenerateSecret"] != false {
		t.Error("the mobile client has a secret, which an app cannot keep")
	}
	if got := sortedStrings(strs(t, c["ExplicitAuthFlows"])); !slices.Equal(got, []string{"ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_SRP_AUTH"}) {
		t.Errorf("mobile client flows %v", got)
	}
	if got := scalar(s.props("AdminUserGroup")["GroupName"]); got != environment(t, s, "UploadFunction")["AUTH_ADMIN_GROUP"] {
		t.Errorf("the admin group is %q, the API's AUTH_ADMIN_GROUP %q", got, environment(t, s, "UploadFunction")["AUTH_ADMIN_GROUP"])
	}
}

func gatewayResponses(t *testing.T, s *stack) map[string]any {
	t.Helper()
	return mapOf(t, apiDefinition(t, s)["x-amazon-apigateway-gateway-responses"])
}

// TestGatewayResponses: API Gateway's own 401 is the API's: the same JSON body as auth.ErrUnauthorized and the
// same WWW-Authenticate challenge, and API Gateway's answers carry Access-Control-Allow-Origin exactly when it
// can be static (one origin or *).
func TestGatewayResponses(t *testing.T) {
	for _, tc := range []struct {
		cors, header string
	}{
		{"", ""},
		{"https://app.example", "'https://app.example'"},
		{"*", "'*'"},
		{"https://a.example,https://b.example", ""},
	} {
		s := newStack(t, map[string]string{"CorsAllowedOrigins": tc.cors})
		responses := gatewayResponses(t, s)
		for _, name := range []string{"UNAUTHORIZED", "ACCESS_DENIED"} {
			r := mapOf(t, responses[name])
			if got, want := scalar(path(t, r, "responseTemplates", "application/json")), string(auth.ErrUnauthorized.JSON()); got != want {
				t.Errorf("%s body %s, want %s", name, got, want)
			}
			if got, want := scalar(path(t, r, "responseParameters", "gatewayresponse.header.WWW-Authenticate")), "'"+auth.Challenge+"'"; got != want {
				t.Errorf("%s WWW-Authenticate %s, want %s", name, got, want)
			}
		}
		if got := scalar(path(t, responses["UNAUTHORIZED"], "statusCode")); got != "401" {
			t.Errorf("UNAUTHORIZED status %s", got)
		}
		for _, name := range []string{"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"} {
			got := scalar(mapOf(t, mapOf(t, responses[name])["responseParameters"])["gatewayresponse.header.Access-Control-Allow-Origin"])
			if got != tc.header {
				t.Errorf("CORS %q: %s Access-Control-Allow-Origin %q, want %q", tc.cors, name, got, tc.header)
			}
		}
	}
}

// TestApiBinaryAndThrottling: every body passes through as bytes (*/*) and the stage is throttled.
func TestApiBinaryAndThrottling(t *testing.T) {
	s := newStack(t, nil)
	p := s.props("ImageApi")
	if got := strs(t, path(t, p, "DefinitionBody", "x-amazon-apigateway-binary-media-types")); !slices.Equal(got, []string{"*/*"}) {
		t.Errorf("binary media types %v, want */*", got)
	}
	if p["AlwaysDeploy"] != true {
		t.Error("AlwaysDeploy is off: a parameter change (AuthMode) would not reach the stage")
	}
	ms := mapOf(t, listOf(t, p["MethodSettings"])[0])
	if scalar(ms["ThrottlingRateLimit"]) != s.params["ApiThrottleRateLimit"] || scalar(ms["ThrottlingBurstLimit"]) != s.params["ApiThrottleBurstLimit"] {
		t.Errorf("MethodSettings %v", ms)
	}
}

// TestApiMayInvokeItsFunctions: each function an integration names has a permission for API Gateway, limited to
// this API, and with jwt so has the authorizer.
func TestApiMayInvokeItsFunctions(t *testing.T) {
	s := newStack(t, map[string]string{"AuthMode": "jwt", "JwtIssuer": "https://issuer.example", "JwtAudience": "app"})
	need := map[string]bool{"AuthorizerFunction": true}
	for _, rt := range apiRoutes(t, s) {
		need[rt.function] = true
	}
	apiArn := "arn:aws:execute-api:" + testRegion + ":" + testAccount + ":ImageApi/"
	for fn := range need {
		found := false
		for _, perm := range s.resourcesOfType("AWS::Lambda::Permission") {
			p := s.props(perm)
			if scalar(p["FunctionName"]) != fn || p["Principal"] != "apigateway.amazonaws.com" {
				continue
			}
			found = true
			if p["Action"] != "lambda:InvokeFunction" || !strings.HasPrefix(scalar(p["SourceArn"]), apiArn) {
				t.Errorf("%s: %v", perm, p)
			}
		}
		if !found {
			t.Errorf("API Gateway may not invoke %s", fn)
		}
	}
}

// TestUnknownRouteIsJSON404: a REST API answers a path or method it does not have with its
// MISSING_AUTHENTICATION_TOKEN response (403 "Missing Authentication Token" by default), which the template turns
// into the API's JSON 404.
func TestUnknownRouteIsJSON404(t *testing.T) {
	s := newStack(t, nil)
	r := mapOf(t, gatewayResponses(t, s)["MISSING_AUTHENTICATION_TOKEN"])
	if got := scalar(r["statusCode"]); got != "404" {
		t.Errorf("status %s", got)
	}
	if body := scalar(path(t, r, "responseTemplates", "application/json")); !strings.HasPrefix(body, `{"error":{"code":"not_found"`) {
		t.Errorf("body %s", body)
	}
}
