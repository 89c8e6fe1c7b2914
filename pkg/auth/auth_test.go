package auth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/imgpipe/imgpipe/pkg/apigw"
)

func issuer(t *testing.T) *Issuer {
	t.Helper()
	i, err := LoadIssuer(t.TempDir(), "http://127.0.0.1:8080")
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// TestVerify: a good token passes; every kind of bad one is ErrToken.
func TestVerify(t *testing.T) {
	iss, other := issuer(t), issuer(t)
	v, err := iss.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	good, _ := iss.Mint("alice", true, time.Hour)
	expired, _ := iss.Mint("alice", false, -2*time.Hour)
	foreign, _ := other.Mint("alice", false, time.Hour) // same issuer URL, another key
	otherAud := *iss
	otherAud.Audience = "someone-else"
	wrongAud, _ := otherAud.Mint("alice", false, time.Hour)
	otherIss := *iss
	otherIss.URL = "https://evil.example"
	wrongIss, _ := otherIss.Mint("alice", false, time.Hour)
	parts := strings.Split(good, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	tamperedPayload := strings.Replace(string(payload), `"alice"`, `"mallory"`, 1)
	tampered := parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(tamperedPayload)) + "." + parts[2]
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."

	tok, err := v.Verify(t.Context(), good)
	if err != nil {
		t.Fatalf("good token: %v", err)
	}
	if sub, _ := tok.Subject(); sub != "alice" {
		t.Fatalf("subject %q", sub)
	}
	if c := Claims(tok, true); c["cognito:groups"] != "[admin]" || c["sub"] != "alice" {
		t.Errorf("claims %v", c)
	}
	for name, token := range map[string]string{"expired": expired, "another key": foreign, "another audience": wrongAud,
		"another issuer": wrongIss, "tampered": tampered, "alg none": none, "garbage": "abc.def.ghi", "empty": ""} {
		if _, err := v.Verify(t.Context(), token); !errors.Is(err, ErrToken) {
			t.Errorf("%s: got %v, want ErrToken", name, err)
		}
	}
}

// TestRemoteKeysFollowRotation: a token signed by a key the cached set lacks triggers one refresh.
func TestRemoteKeysFollowRotation(t *testing.T) {
	first, second := issuer(t), issuer(t)
	var serving atomic.Pointer[Issuer]
	serving.Store(first)
	var fetches atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		set, _ := serving.Load().PublicKeys()
		json.NewEncoder(w).Encode(set)
	}))
	defer srv.Close()
	v := &Verifier{Keys: &RemoteKeys{URL: srv.URL}, Issuer: first.URL, Audience: LocalAudience}
	tok1, _ := first.Mint("a", false, time.Hour)
	if _, err := v.Verify(t.Context(), tok1); err != nil {
		t.Fatal(err)
	}
	serving.Store(second)
	tok2, _ := second.Mint("b", false, time.Hour)
	v.Keys.(*RemoteKeys).fetched = time.Now().Add(-2 * time.Minute) // past the refresh rate limit
	if _, err := v.Verify(t.Context(), tok2); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	if n := fetches.Load(); n != 2 {
		t.Errorf("%d fetches, want 2", n)
	}
	down := &Verifier{Keys: &RemoteKeys{URL: "http://127.0.0.1:1/jwks"}, Issuer: first.URL, Audience: LocalAudience}
	if _, err := down.Verify(t.Context(), tok1); !errors.Is(err, ErrKeys) {
		t.Errorf("issuer unreachable: got %v, want ErrKeys", err)
	}
}

func TestCallerFromEveryEventShape(t *testing.T) {
	cfg := Config{Required: true, GroupsClaim: "cognito:groups", AdminGroup: "admin"}
	withEvent := func(ev *apigw.Event) context.Context { return apigw.WithEvent(context.Background(), ev) }
	v2 := func(a *events.APIGatewayV2HTTPRequestContextAuthorizerDescription) *apigw.Event {
		return &apigw.Event{Version: apigw.V2, V2: &events.APIGatewayV2HTTPRequest{RequestContext: events.APIGatewayV2HTTPRequestContext{Authorizer: a}}}
	}
	v1 := func(a map[string]any) *apigw.Event {
		return &apigw.Event{Version: apigw.V1, V1: &events.APIGatewayProxyRequest{RequestContext: events.APIGatewayProxyRequestContext{Authorizer: a}}}
	}
	for name, c := range map[string]struct {
		ctx  context.Context
		want Caller
		err  error
	}{
		"rest cognito admin":   {withEvent(v1(map[string]any{"claims": map[string]any{"sub": "a", "cognito:groups": "editors,admin"}})), Caller{"a", true}, nil},
		"rest cognito user":    {withEvent(v1(map[string]any{"claims": map[string]any{"sub": "b"}})), Caller{"b", false}, nil},
		"rest lambda context":  {withEvent(v1(map[string]any{"principalId": "c", "sub": "c", "cognito:groups": "admin"})), Caller{"c", true}, nil},
		"http jwt":             {withEvent(v2(&events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "d", "cognito:groups": "[admin editors]"}}})), Caller{"d", true}, nil},
		"http jwt not admin":   {withEvent(v2(&events.APIGatewayV2HTTPRequestContextAuthorizerDescription{JWT: &events.APIGatewayV2HTTPRequestContextAuthorizerJWTDescription{Claims: map[string]string{"sub": "e", "cognito:groups": "[administrators]"}}})), Caller{"e", false}, nil},
		"http lambda":          {withEvent(v2(&events.APIGatewayV2HTTPRequestContextAuthorizerDescription{Lambda: map[string]any{"sub": "f"}})), Caller{"f", false}, nil},
		"no authorizer":        {withEvent(v1(nil)), Caller{}, ErrUnauthorized},
		"claims without a sub": {withEvent(v1(map[string]any{"claims": map[string]any{"email": "x@y"}})), Caller{}, ErrUnauthorized},
		"not from api gateway": {context.Background(), Caller{}, ErrUnauthorized},
	} {
		got, err := cfg.CallerFrom(c.ctx)
		if got != c.want || !errors.Is(err, c.err) {
			t.Errorf("%s: %+v, %v; want %+v, %v", name, got, err, c.want, c.err)
		}
	}
	if got, err := (Config{}).CallerFrom(context.Background()); err != nil || !got.Admin {
		t.Errorf("auth off: %+v %v", got, err)
	}
}

func TestIssuerKeepsItsKey(t *testing.T) {
	dir := t.TempDir()
	a, err := LoadIssuer(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadIssuer(dir, "x")
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := a.Mint("alice", false, time.Minute)
	v, _ := b.Verifier()
	if _, err := v.Verify(t.Context(), tok); err != nil {
		t.Fatalf("a second process does not verify the first one's token: %v", err)
	}
}

func TestAuthorizer(t *testing.T) {
	iss := issuer(t)
	v, _ := iss.Verifier()
	a := &Authorizer{Verifier: v, GroupsClaim: "cognito:groups", Log: slogDiscard()}
	good, _ := iss.Mint("alice", true, time.Hour)
	arn := "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/GET/images/x"
	out, err := a.Handle(context.Background(), events.APIGatewayCustomAuthorizerRequest{Type: "TOKEN",
		AuthorizationToken: "Bearer " + good, MethodArn: arn})
	if err != nil || out.PrincipalID != "alice" || out.Context["cognito:groups"] != "admin" ||
		out.PolicyDocument.Statement[0].Resource[0] != "arn:aws:execute-api:eu-west-1:123456789012:abc123/v1/*" {
		t.Fatalf("%+v %v", out, err)
	}
	// The context reaches the function as the REST event's authorizer map, where CallerFrom reads it.
	ctx := apigw.WithEvent(context.Background(), &apigw.Event{Version: apigw.V1, V1: &events.APIGatewayProxyRequest{
		RequestContext: events.APIGatewayProxyRequestContext{Authorizer: out.Context}}})
	if c, err := (Config{Required: true, GroupsClaim: "cognito:groups", AdminGroup: "admin"}).CallerFrom(ctx); err != nil || c != (Caller{"alice", true}) {
		t.Fatalf("caller %+v %v", c, err)
	}
	expired, _ := iss.Mint("alice", false, -time.Hour)
	for _, h := range []string{"", "Bearer ", good, "Bearer " + expired, "Bearer x.y.z"} {
		if _, err := a.Handle(context.Background(), events.APIGatewayCustomAuthorizerRequest{AuthorizationToken: h, MethodArn: arn}); err != ErrDeny {
			t.Errorf("%q: got %v, want ErrDeny", h, err)
		}
	}
}

func slogDiscard() *slog.Logger { return slog.New(slog.NewJSONHandler(io.Discard, nil)) }
