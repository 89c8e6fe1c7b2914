package templatetest

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/imgpipe/imgpipe/pkg/imgurl"
)

// update rewrites the template's inline CloudFront Function from deploy/cloudfront/normalize.js:
//
//	go test ./internal/templatetest/ -run TestCloudFrontFunctionCode -update
var update = flag.Bool("update", false, "copy deploy/cloudfront/normalize.js into the template's FunctionCode")

var normalizePath = filepath.Join(root, "deploy", "cloudfront", "normalize.js")

// maxFunctionBytes is CloudFront Functions' quota on the size of a function's code.
const maxFunctionBytes = 10 * 1024

// TestCloudFrontFunctionCode: the code CloudFront runs is deploy/cloudfront/normalize.js byte for byte (the file
// is what normalize.test.js and pkg/imgurl's tests hold to the Go rules), within the size quota, on the 2.0
// runtime, published, and run on every viewer request of the render behaviour.
func TestCloudFrontFunctionCode(t *testing.T) {
	want, err := os.ReadFile(normalizePath)
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := writeFunctionCode(want); err != nil {
			t.Fatal(err)
		}
		loadOnce = sync.Once{} // the shared parse is of the old text
	}
	s := newStack(t, nil)
	p := s.props("NormalizeFunction")
	if got := scalar(p["FunctionCode"]); got != string(want) {
		t.Errorf("NormalizeFunction's FunctionCode differs from %s (%d bytes in the template, %d in the file, first difference at byte %d): run\n"+
			"\tgo test ./internal/templatetest/ -run TestCloudFrontFunctionCode -update", normalizePath, len(got), len(want), firstDiff(got, string(want)))
	}
	if len(want) > maxFunctionBytes {
		t.Errorf("%s is %d bytes, over CloudFront Functions' %d", normalizePath, len(want), maxFunctionBytes)
	}
	if got := scalar(path(t, p, "FunctionConfig", "Runtime")); got != "cloudfront-js-2.0" {
		t.Errorf("runtime %s", got)
	}
	if p["AutoPublish"] != true {
		t.Error("AutoPublish is off: the distribution would get the DEVELOPMENT stage")
	}
	assoc := listOf(t, path(t, s.props("Distribution"), "DistributionConfig", "DefaultCacheBehavior", "FunctionAssociations"))
	if len(assoc) != 1 || scalar(path(t, assoc[0], "EventType")) != "viewer-request" || scalar(path(t, assoc[0], "FunctionARN")) != "{NormalizeFunction.FunctionARN}" {
		t.Errorf("function associations %v, want NormalizeFunction on viewer-request", assoc)
	}
}

func firstDiff(a, b string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// functionCodeLine is the line that opens the inline code: "      FunctionCode: |".
var functionCodeLine = regexp.MustCompile(`(?m)^( *)FunctionCode: \|[-+]?\n`)

// writeFunctionCode replaces the block scalar under the template's one FunctionCode key with code, indented two
// more spaces than the key, so that the YAML value is code byte for byte.
func writeFunctionCode(code []byte) error {
	raw, err := os.ReadFile(templatePath)
	if err != nil {
		return err
	}
	locs := functionCodeLine.FindAllSubmatchIndex(raw, -1)
	if len(locs) != 1 {
		return fmt.Errorf("want one FunctionCode block in %s, found %d", templatePath, len(locs))
	}
	keyIndent := locs[0][3] - locs[0][2]
	end := locs[0][1]
	// The block runs while lines are blank or indented deeper than the key; blank lines at its end separate it
	// from what follows and stay.
	for next := end; next < len(raw); {
		nl := bytes.IndexByte(raw[next:], '\n')
		line := raw[next:]
		if nl >= 0 {
			line = raw[next : next+nl+1]
		}
		blank := len(bytes.TrimSpace(line)) == 0
		if !blank && len(line)-len(bytes.TrimLeft(line, " ")) <= keyIndent {
			break
		}
		next += len(line)
		if !blank {
			end = next
		}
	}
	if len(code) > 0 && (code[0] == ' ' || code[0] == '\t') {
		return fmt.Errorf("%s starts with whitespace, which a YAML block scalar cannot begin with without an indentation indicator", normalizePath)
	}
	// "|" keeps exactly one final newline, "|-" none. More than one would take "|+", which would also swallow the
	// blank line after the block: refuse it rather than write a template that differs from the file.
	chomp := ""
	switch {
	case bytes.HasSuffix(code, []byte("\n\n")):
		return fmt.Errorf("%s ends with blank lines; end it with exactly one newline", normalizePath)
	case !bytes.HasSuffix(code, []byte("\n")):
		chomp = "-"
	}
	indent := strings.Repeat(" ", keyIndent+2)
	var block bytes.Buffer
	for _, line := range strings.SplitAfter(strings.TrimSuffix(string(code), "\n"), "\n") {
		if strings.TrimSpace(line) != "" {
			block.WriteString(indent)
		}
		block.WriteString(line)
	}
	block.WriteString("\n")
	header := []byte(strings.Repeat(" ", keyIndent) + "FunctionCode: |" + chomp + "\n")
	out := append(append(append(append([]byte{}, raw[:locs[0][0]]...), header...), block.Bytes()...), raw[end:]...)
	return os.WriteFile(templatePath, out, 0o644)
}

// TestRenderCacheKey: the cache key is the query parameters the origin reads (pkg/imgurl, which normalize.js keeps,
// NAMES) and nothing else: no header (Accept is f by now), no cookie, no encoding. The TTLs let the origin's
// Cache-Control decide, up to a year, and the origin request policy forwards nothing outside the key.
func TestRenderCacheKey(t *testing.T) {
	s := newStack(t, nil)
	c := mapOf(t, path(t, s.props("RenderCachePolicy"), "CachePolicyConfig"))
	key := mapOf(t, c["ParametersInCacheKeyAndForwardedToOrigin"])
	want := sortedStrings([]string{imgurl.ParamSize, imgurl.ParamFit, imgurl.ParamQuality, imgurl.ParamFormat, imgurl.ParamExpires, imgurl.ParamSignature})
	if got := sortedStrings(strs(t, path(t, key, "QueryStringsConfig", "QueryStrings"))); !slices.Equal(got, want) {
		t.Errorf("cache key query strings %v, want pkg/imgurl's %v", got, want)
	}
	if got := scalar(path(t, key, "QueryStringsConfig", "QueryStringBehavior")); got != "whitelist" {
		t.Errorf("QueryStringBehavior %s", got)
	}
	if js := jsNames(t); !slices.Equal(js, want) {
		t.Errorf("normalize.js keeps %v, the cache key is %v", js, want)
	}
	if got := scalar(path(t, key, "HeadersConfig", "HeaderBehavior")); got != "none" {
		t.Errorf("headers in the cache key: %s", got)
	}
	if got := scalar(path(t, key, "CookiesConfig", "CookieBehavior")); got != "none" {
		t.Errorf("cookies in the cache key: %s", got)
	}
	if key["EnableAcceptEncodingGzip"] != false || key["EnableAcceptEncodingBrotli"] != false {
		t.Error("an encoding in the cache key splits the cache of already compressed images")
	}
	ttl := func(k string) int {
		n, err := strconv.Atoi(scalar(c[k]))
		if err != nil {
			t.Fatalf("%s %v", k, c[k])
		}
		return n
	}
	if ttl("MinTTL") != 0 {
		t.Errorf("MinTTL %d overrides an error's short max-age", ttl("MinTTL"))
	}
	if ttl("MaxTTL") < 31536000 {
		t.Errorf("MaxTTL %d cuts renders' max-age=31536000", ttl("MaxTTL"))
	}
	if ttl("DefaultTTL") > 300 {
		t.Errorf("DefaultTTL %d caches an answer without Cache-Control for long", ttl("DefaultTTL"))
	}
	o := mapOf(t, path(t, s.props("RenderOriginRequestPolicy"), "OriginRequestPolicyConfig"))
	for _, k := range []string{"HeadersConfig.HeaderBehavior", "CookiesConfig.CookieBehavior", "QueryStringsConfig.QueryStringBehavior"} {
		parts := strings.Split(k, ".")
		if got := scalar(path(t, o, parts...)); got != "none" {
			t.Errorf("the origin request policy forwards %s %s beyond the cache key", k, got)
		}
	}
	b := mapOf(t, path(t, s.props("Distribution"), "DistributionConfig", "DefaultCacheBehavior"))
	if scalar(b["CachePolicyId"]) != "RenderCachePolicy" || scalar(b["OriginRequestPolicyId"]) != "RenderOriginRequestPolicy" {
		t.Errorf("the render behaviour uses %v and %v", b["CachePolicyId"], b["OriginRequestPolicyId"])
	}
}

// jsNames reads the parameter names normalize.js keeps (var NAMES = [...]).
func jsNames(t *testing.T) []string {
	t.Helper()
	raw, err := os.ReadFile(normalizePath)
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`var NAMES = \[([^\]]*)\]`).FindSubmatch(raw)
	if m == nil {
		t.Fatal("normalize.js has no NAMES")
	}
	var out []string
	for _, n := range strings.Split(string(m[1]), ",") {
		out = append(out, strings.Trim(strings.TrimSpace(n), `'"`))
	}
	return sortedStrings(out)
}

// TestServeOrigin: CloudFront reaches the serve function through its function URL, which accepts IAM-signed
// requests only, signed by the origin access control (type lambda, always, SigV4). The function's resource policy
// lets this distribution, and nothing else, call it both ways Lambda requires since October 2025:
// lambda:InvokeFunctionUrl, and lambda:InvokeFunction limited to calls through the URL.
func TestServeOrigin(t *testing.T) {
	s := newStack(t, nil)
	url := mapOf(t, s.props("ServeFunction")["FunctionUrlConfig"])
	if url["AuthType"] != "AWS_IAM" || url["InvokeMode"] != "RESPONSE_STREAM" {
		t.Errorf("FunctionUrlConfig %v, want AWS_IAM and RESPONSE_STREAM", url)
	}
	oac := mapOf(t, path(t, s.props("ServeOriginAccessControl"), "OriginAccessControlConfig"))
	for k, v := range map[string]string{"OriginAccessControlOriginType": "lambda", "SigningBehavior": "always", "SigningProtocol": "sigv4"} {
		if got := scalar(oac[k]); got != v {
			t.Errorf("OAC %s %q, want %q", k, got, v)
		}
	}
	dist := mapOf(t, path(t, s.props("Distribution"), "DistributionConfig"))
	origins := listOf(t, dist["Origins"])
	if len(origins) != 1 {
		t.Fatalf("origins %v", origins)
	}
	o := mapOf(t, origins[0])
	if got, want := scalar(o["DomainName"]), strings.Split(knownAttributes["ServeFunctionUrl.FunctionUrl"], "/")[2]; got != want {
		t.Errorf("origin domain %q, want the function URL's host %q", got, want)
	}
	if got := scalar(o["OriginAccessControlId"]); got != "{ServeOriginAccessControl.Id}" {
		t.Errorf("origin access control %q", got)
	}
	if got := scalar(path(t, o, "CustomOriginConfig", "OriginProtocolPolicy")); got != "https-only" {
		t.Errorf("origin protocol %s", got)
	}
	b := mapOf(t, dist["DefaultCacheBehavior"])
	if b["ViewerProtocolPolicy"] != "https-only" || b["TargetOriginId"] != o["Id"] {
		t.Errorf("behaviour %v", b)
	}
	if got := sortedStrings(strs(t, b["AllowedMethods"])); !slices.Equal(got, []string{"GET", "HEAD"}) {
		t.Errorf("allowed methods %v: OAC cannot sign a viewer's body for Lambda", got)
	}
	if dist["HttpVersion"] != "http2and3" {
		t.Errorf("HttpVersion %v", dist["HttpVersion"])
	}

	distArn := "arn:aws:cloudfront::" + testAccount + ":distribution/Distribution"
	got := map[string]map[string]any{}
	for _, perm := range s.resourcesOfType("AWS::Lambda::Permission") {
		p := s.props(perm)
		if p["Principal"] != "cloudfront.amazonaws.com" {
			continue
		}
		if scalar(p["FunctionName"]) != "ServeFunction" || scalar(p["SourceArn"]) != distArn {
			t.Errorf("%s lets CloudFront call %v for %v, want ServeFunction for %s", perm, p["FunctionName"], p["SourceArn"], distArn)
		}
		got[scalar(p["Action"])] = p
	}
	if p, ok := got["lambda:InvokeFunctionUrl"]; !ok || p["FunctionUrlAuthType"] != "AWS_IAM" {
		t.Errorf("no lambda:InvokeFunctionUrl for AWS_IAM URLs: %v", p)
	}
	if p, ok := got["lambda:InvokeFunction"]; !ok || p["InvokedViaFunctionUrl"] != true {
		t.Errorf("no lambda:InvokeFunction limited to the function URL (InvokedViaFunctionUrl): %v", p)
	}
	if len(got) != 2 {
		t.Errorf("CloudFront permissions %v, want exactly the two", got)
	}
}

// TestBucketLifecycle: renders under cache/ expire after CacheRetentionDays, quarantined photos under failed/
// after FailedRetentionDays, each on the prefix the functions are configured with, and 0 keeps them; the resizer
// is triggered by exactly its staging prefix.
func TestBucketLifecycle(t *testing.T) {
	for _, tc := range []struct {
		params map[string]string
		rules  map[string]string // rule id -> "prefix days"
	}{
		{nil, map[string]string{"ExpireQuarantined": "failed/ 30", "ExpireRenders": "cache/ 30"}},
		{map[string]string{"CacheRetentionDays": "7", "FailedRetentionDays": "0"}, map[string]string{"ExpireRenders": "cache/ 7"}},
		{map[string]string{"CacheRetentionDays": "0"}, map[string]string{"ExpireQuarantined": "failed/ 30"}},
	} {
		s := newStack(t, tc.params)
		got := map[string]string{}
		for _, r := range listOf(t, path(t, s.props("ImageBucket"), "LifecycleConfiguration", "Rules")) {
			m := mapOf(t, r)
			if _, ok := m["ExpirationInDays"]; ok {
				got[scalar(m["Id"])] = scalar(m["Prefix"]) + " " + scalar(m["ExpirationInDays"])
			}
		}
		if !equalMaps(got, tc.rules) {
			t.Errorf("%v: expiry rules %v, want %v", tc.params, got, tc.rules)
		}
		serve, resize := environment(t, s, "ServeFunction"), environment(t, s, "ResizeFunction")
		if r, ok := got["ExpireRenders"]; ok && !strings.HasPrefix(r, serve["CACHE_PREFIX"]+" ") {
			t.Errorf("renders expire under %s, the serve function keeps them under %s", r, serve["CACHE_PREFIX"])
		}
		if r, ok := got["ExpireQuarantined"]; ok && !strings.HasPrefix(r, resize["FAILED_PREFIX"]+" ") {
			t.Errorf("quarantine expires under %s, the resizer writes %s", r, resize["FAILED_PREFIX"])
		}
		rules := listOf(t, path(t, s.props("ResizeFunction"), "Events", "StagedUpload", "Properties", "Filter", "S3Key", "Rules"))
		if len(rules) != 1 || scalar(mapOf(t, rules[0])["Value"]) != resize["STAGING_PREFIX"] {
			t.Errorf("the resizer is triggered by %v, want the prefix %s", rules, resize["STAGING_PREFIX"])
		}
	}
}

func equalMaps(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
