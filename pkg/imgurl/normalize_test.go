package imgurl

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// vectorsJSON is shared with deploy/cloudfront/normalize.test.js, which runs the same vectors through the
// CloudFront Function.
//
//go:embed testdata/normalize.json
var vectorsJSON []byte

// vector is one case of testdata/normalize.json. Query is the parsed query, as url.Values holds it. Raw, when set,
// is the query string as a viewer sends it: the Go side parses it with url.ParseQuery, as r.URL.Query() does, and
// the JavaScript side hands it to the function as rawQueryString(), so the two parsers are compared too; Query is
// then what ParseQuery must produce (omitted when the values are not valid UTF-8, which JSON cannot hold).
type vector struct {
	Name   string              `json:"name"`
	Path   string              `json:"path"`
	Query  map[string][]string `json:"query"`
	Raw    *string             `json:"raw"`
	Accept string              `json:"accept"`
	Want   string              `json:"want"`
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	var vs []vector
	dec := json.NewDecoder(bytes.NewReader(vectorsJSON))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&vs); err != nil {
		t.Fatalf("testdata/normalize.json: %v", err)
	}
	if len(vs) == 0 {
		t.Fatal("testdata/normalize.json has no vectors")
	}
	return vs
}

// values returns the query a vector feeds to Normalize.
func (v vector) values(t *testing.T) url.Values {
	t.Helper()
	if v.Raw == nil {
		if v.Query == nil {
			t.Fatal("vector has neither query nor raw")
		}
		return url.Values(v.Query)
	}
	got, _ := url.ParseQuery(*v.Raw) // Errors only report the pairs ParseQuery skipped, as r.URL.Query() ignores them.
	if v.Query != nil && !sameValues(got, url.Values(v.Query)) {
		t.Errorf("url.ParseQuery(%q) = %q, but the vector's query says %q", *v.Raw, got, v.Query)
	}
	return got
}

// sameValues compares queries treating a key without values as absent.
func sameValues(a, b url.Values) bool {
	strip := func(v url.Values) url.Values {
		out := url.Values{}
		for k, vs := range v {
			if len(vs) > 0 {
				out[k] = vs
			}
		}
		return out
	}
	return reflect.DeepEqual(strip(a), strip(b))
}

func TestNormalizeVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			if got := Normalize(v.Path, v.values(t), v.Accept); got != v.Want {
				t.Errorf("Normalize(%q, %q, %q) = %q, want %q", v.Path, v.values(t), v.Accept, got, v.Want)
			}
		})
	}
}

// TestNormalizeIdempotent checks that the origin, which sees the query CloudFront rebuilt, derives the same query
// from it whatever Accept reaches it.
func TestNormalizeIdempotent(t *testing.T) {
	for _, v := range loadVectors(t) {
		again, err := url.ParseQuery(v.Want)
		if err != nil {
			t.Errorf("%s: canonical query %q does not parse: %v", v.Name, v.Want, err)
			continue
		}
		for _, accept := range []string{"", "image/webp", v.Accept} {
			if got := Normalize(v.Path, again, accept); got != v.Want {
				t.Errorf("%s: Normalize(%q, %q, %q) = %q, want it unchanged", v.Name, v.Path, v.Want, accept, got)
			}
		}
	}
}

func TestAccepts(t *testing.T) {
	tests := map[string]struct {
		accept, mediaType string
		want              bool
	}{
		"listed":                   {"image/avif,image/webp", "image/avif", true},
		"media type case":          {"image/avif", "IMAGE/AVIF", true},
		"not listed":               {"image/webp", "image/avif", false},
		"refused":                  {"image/avif;q=0", "image/avif", false},
		"wildcard subtype":         {"image/*", "image/avif", false},
		"wildcard type":            {"*/*", "image/png", false},
		"weight 0.5":               {"image/png;q=0.5", "image/png", true},
		"refusal wins over listed": {"image/png, image/png;q=0.000", "image/png", false},
		"empty header":             {"", "image/png", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Accepts(tt.accept, tt.mediaType); got != tt.want {
				t.Errorf("Accepts(%q, %q) = %v, want %v", tt.accept, tt.mediaType, got, tt.want)
			}
		})
	}
}

// canonical matches a query Normalize may return: recognised names in order, each once, values in RFC 3986
// unreserved characters and upper-case escapes only, so that CloudFront has nothing left to encode or decode.
var canonical = regexp.MustCompile(`^((d=[A-Za-z0-9._~%-]*)&?)?((exp=[A-Za-z0-9._~%-]*)&?)?((f=[A-Za-z0-9._~%-]*)&?)?` +
	`((fit=[A-Za-z0-9._~%-]*)&?)?((q=[A-Za-z0-9._~%-]*)&?)?((sig=[A-Za-z0-9._~%-]*)&?)?$`)
var badEscape = regexp.MustCompile(`%([^0-9A-F]|.[^0-9A-F])`)

func FuzzNormalize(f *testing.F) {
	for _, v := range loadVectors(f) {
		raw := url.Values(v.Query).Encode()
		if v.Raw != nil {
			raw = *v.Raw
		}
		f.Add(v.Path, raw, v.Accept)
	}
	f.Fuzz(func(t *testing.T, path, raw, accept string) {
		query, _ := url.ParseQuery(raw)
		got := Normalize(path, query, accept)
		if !canonical.MatchString(got) || strings.HasSuffix(got, "&") || badEscape.MatchString(got) {
			t.Fatalf("Normalize(%q, %q, %q) = %q, not a canonical query", path, raw, accept, got)
		}
		again, err := url.ParseQuery(got)
		if err != nil {
			t.Fatalf("canonical query %q does not parse: %v", got, err)
		}
		if twice := Normalize(path, again, ""); twice != got {
			t.Fatalf("Normalize is not idempotent for (%q, %q, %q): %q then %q", path, raw, accept, got, twice)
		}
	})
}

// TestCloudFrontFunction runs deploy/cloudfront/normalize.test.js, which loads the CloudFront Function unchanged and
// runs the same vectors through it, so that `go test ./...` covers the JavaScript half as well. Node is optional on
// a developer machine and required in CI.
func TestCloudFrontFunction(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("node is not on PATH but CI=true: the CloudFront Function must be tested in CI")
		}
		t.Skip("node is not on PATH; the CloudFront Function is not tested")
	}
	script, err := filepath.Abs(filepath.Join("..", "..", "deploy", "cloudfront", "normalize.test.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if deadline, ok := t.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline.Add(-5*time.Second))
		defer cancel()
	}
	// Random requests with Go's answers as the wanted strings: a differential test of the two implementations
	// beyond the hand-written vectors.
	extra, err := json.Marshal(randomVectors(2000))
	if err != nil {
		t.Fatal(err)
	}
	extraFile := filepath.Join(t.TempDir(), "random.json")
	if err := os.WriteFile(extraFile, extra, 0o644); err != nil {
		t.Fatal(err)
	}
	// The TAP reporter's summary lines say how many tests ran, so a script that silently runs nothing fails here.
	cmd := exec.CommandContext(ctx, node, "--test", "--test-reporter=tap", script)
	cmd.Env = append(os.Environ(), "IMGURL_EXTRA_VECTORS="+extraFile)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("node --test %s: %v\n%s", script, err, out)
	}
	pass, fail := summary(string(out), "pass"), summary(string(out), "fail")
	if pass < 0 || fail != 0 {
		t.Fatalf("node's TAP summary says pass %d, fail %d (-1: missing), want no failures:\n%s", pass, fail, out)
	}
	// One test per vector and one for the random ones, at least, and the script's own checks on top.
	if want := len(loadVectors(t)) + 1; pass < want {
		t.Fatalf("node ran %d passing tests, want at least %d (one per vector, one for the random ones):\n%s", pass, want, out)
	}
	if !strings.Contains(string(out), "random vectors: 2000") {
		t.Fatalf("node did not report running the 2000 random vectors:\n%s", out)
	}
	t.Logf("node: %d tests passed", pass)
}

// randomVectors builds n requests from fragments that exercise every rule and the parser's corners (escapes,
// '+', ';', repeats, Unicode), with a fixed seed so a failure reproduces, and Normalize's result as the answer.
func randomVectors(n int) []vector {
	r := rand.New(rand.NewPCG(20240601, 1))
	pick := func(from []string) string { return from[r.IntN(len(from))] }
	names := []string{"d", "d", "fit", "q", "f", "f", "exp", "sig", "D", "x", "%64", "f%69t", "d;", "", "utm_source"}
	parts := []string{"0", "00", "1", "7", "320", "99999", "123456", "x", "X", "0x0", "cover", "Inside", "CONTAIN",
		"stretch", "jpg", "WebP", "auto", "png", "%", "%2", "%zz", "%41", "%78", "%FF", "%C3%A9", "+", " ", "\u00e9",
		"\u65e5", "\U0001F600", "\u017f", ";", "=", ".", "-", "~", "\t", "/", "?"}
	paths := []string{"/7f3a", "/src/7f3a", "/SRC/7f3a", "/a/src/7f3a", "/src%2F7f3a", "/v1.png/7f3a", "/7f3a%zz"}
	exts := []string{"", "", ".png", ".JPG", ".jpeg", ".webp", ".avif", ".gif", ".%70ng", "%2Epng", ".png/", ".tar.png"}
	ranges := []string{"image/webp", "image/webp;q=0", "image/webp;q=0.5", "image/*", "*/*;q=0.8", "IMAGE/WEBP;Q=0",
		"image/webp;q=abc", "image/webp;q=1.0", "text/html", " image/webp ;level=1", "image/avif", ""}
	out := make([]vector, n)
	for i := range out {
		var items []string
		for range r.IntN(6) {
			item := pick(names)
			if r.IntN(5) > 0 {
				item += "="
				for range r.IntN(4) {
					item += pick(parts)
				}
			}
			items = append(items, item)
		}
		raw := strings.Join(items, pick([]string{"&", "&", "&&"}))
		var accept []string
		for range r.IntN(4) {
			accept = append(accept, pick(ranges))
		}
		v := vector{Name: fmt.Sprintf("random %d", i), Path: pick(paths) + pick(exts), Raw: &raw, Accept: strings.Join(accept, ",")}
		query, _ := url.ParseQuery(raw)
		v.Want = Normalize(v.Path, query, v.Accept)
		out[i] = v
	}
	return out
}

// summary reads a "# pass N" style line of a TAP summary, or -1 when there is none.
func summary(tap, name string) int {
	m := regexp.MustCompile(`(?m)^# ` + name + ` (\d+)$`).FindStringSubmatch(tap)
	if m == nil {
		return -1
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		return -1
	}
	return n
}

// ExampleSign is the README's signing example: the same signature as
//
//	printf '%s' '/0190a8f4-0000-7000-8000-000000000000.jpg?d=333x333&exp=1767225600' |
//	  openssl dgst -sha256 -hmac 'k3y-0123456789abcdef' -binary | basenc --base64url | tr -d =
func ExampleSign() {
	q, _ := url.ParseQuery("exp=1767225600&d=333x333")
	fmt.Println(Sign([]byte("k3y-0123456789abcdef"), "/0190a8f4-0000-7000-8000-000000000000.jpg", q))
	// Output: TH4YmQGRy1Qy5ZYM51CPLYJJHKPtrM48j4Gw2atxl40
}
