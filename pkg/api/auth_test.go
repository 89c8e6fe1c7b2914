package api

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/catalog"
)

// as puts verified claims where API Gateway's authorizer puts them: a REST API's Cognito authorizer under
// requestContext.authorizer.claims, an HTTP API's JWT authorizer under requestContext.authorizer.jwt.claims. An
// empty sub sends no claims at all.
func as(t *testing.T, raw json.RawMessage, sub string, admin bool) json.RawMessage {
	t.Helper()
	if sub == "" {
		return raw
	}
	var ev map[string]any
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	rc := ev["requestContext"].(map[string]any)
	if ev["version"] == "2.0" {
		claims := map[string]string{"sub": sub}
		if admin {
			claims["cognito:groups"] = "[admin]"
		}
		rc["authorizer"] = map[string]any{"jwt": map[string]any{"claims": claims, "scopes": nil}}
	} else {
		claims := map[string]any{"sub": sub}
		if admin {
			claims["cognito:groups"] = "admin"
		}
		rc["authorizer"] = map[string]any{"claims": claims}
	}
	out, _ := json.Marshal(ev)
	return out
}

func authEnv(t *testing.T) *testEnv {
	env := newTestEnv(t)
	env.svc.Config.Auth = auth.Config{Required: true, GroupsClaim: "cognito:groups", AdminGroup: "admin"}
	return env
}

// TestOwnersSeeOnlyTheirOwn: two users and an administrator, through both payload formats.
func TestOwnersSeeOnlyTheirOwn(t *testing.T) {
	for _, fx := range routeFixtures {
		t.Run(fx, func(t *testing.T) {
			env := authEnv(t)
			upload := func(sub string) string {
				body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(64, 48)})
				status, _, resp := invoke(t, env.svc, as(t, event(t, fx, body, ct), sub, false))
				if status != http.StatusCreated {
					t.Fatalf("upload as %s: %d %v", sub, status, resp)
				}
				return resp["id"].(string)
			}
			alice1, alice2, bob := upload("alice"), upload("alice"), upload("bob")
			// A console photo: no owner, so administrators only.
			console := "5b3e1f0a-6f43-5c1e-9f7e-3c9a7d2b8e10"
			if err := env.store.MarkReady(t.Context(), &catalog.Image{ID: console, Origin: catalog.OriginConsole,
				StagingKey: "staging/x.jpg", SourceETag: "e"}); err != nil {
				t.Fatal(err)
			}
			list := func(sub string, admin bool) map[string]bool {
				status, _, resp := invoke(t, env.svc, as(t, routeEvent(t, fx, "GET", "/images", "", nil), sub, admin))
				if status != 200 {
					t.Fatalf("list as %s: %d %v", sub, status, resp)
				}
				ids := map[string]bool{}
				for _, im := range resp["images"].([]any) {
					ids[im.(map[string]any)["id"].(string)] = true
				}
				return ids
			}
			if got := list("alice", false); len(got) != 2 || !got[alice1] || !got[alice2] {
				t.Errorf("alice sees %v", got)
			}
			if got := list("bob", false); len(got) != 1 || !got[bob] {
				t.Errorf("bob sees %v", got)
			}
			if got := list("root", true); len(got) != 4 || !got[console] {
				t.Errorf("the administrator sees %v", got)
			}
			// Someone else's image is exactly an unknown one.
			for _, c := range []struct {
				method, sub, id string
				admin           bool
				want            int
			}{
				{"GET", "alice", bob, false, 404},
				{"GET", "bob", alice1, false, 404},
				{"GET", "alice", console, false, 404},
				{"DELETE", "alice", bob, false, 404},
				{"GET", "bob", bob, false, 200},
				{"GET", "root", alice1, true, 200},
				{"DELETE", "root", console, true, 204},
			} {
				status, _, resp := invoke(t, env.svc, as(t, routeEvent(t, fx, c.method, "/images/"+c.id, "", nil), c.sub, c.admin))
				if status != c.want {
					t.Errorf("%s %s as %s: %d %v, want %d", c.method, c.id, c.sub, status, resp, c.want)
				}
				if c.want == 404 && resp["error"].(map[string]any)["code"] != "not_found" {
					t.Errorf("%s %s as %s: %v", c.method, c.id, c.sub, resp)
				}
			}
			if _, err := env.store.Get(t.Context(), bob); err != nil {
				t.Errorf("alice's DELETE removed bob's image: %v", err)
			}
			if img, _ := env.store.Get(t.Context(), alice1); img.Owner != "alice" {
				t.Errorf("owner %q", img.Owner)
			}
		})
	}
}

// TestNoClaimsIs401: with authentication on, a request without verified claims (an API deployed without its
// authorizer, say) is refused with a challenge; a preflight is still answered.
func TestNoClaimsIs401(t *testing.T) {
	for _, fx := range routeFixtures {
		env := authEnv(t)
		for _, route := range [][2]string{{"GET", "/images"}, {"GET", "/images/0190a8f4-0000-7000-8000-000000000000"},
			{"DELETE", "/images/0190a8f4-0000-7000-8000-000000000000"}, {"POST", "/images"}} {
			status, hdr, resp := invoke(t, env.svc, routeEvent(t, fx, route[0], route[1], "", map[string]string{"Origin": "https://app.example"}))
			if status != 401 || hdr["Www-Authenticate"] != auth.Challenge || resp["error"].(map[string]any)["code"] != "unauthorized" ||
				hdr["Access-Control-Allow-Origin"] != "https://app.example" {
				t.Errorf("%s: %s %s: %d %v %v", fx, route[0], route[1], status, hdr, resp)
			}
		}
		pre := map[string]string{"Origin": "https://app.example", "Access-Control-Request-Method": "GET",
			"Access-Control-Request-Headers": "authorization"}
		if status, hdr, _ := invoke(t, env.svc, routeEvent(t, fx, "OPTIONS", "/images", "", pre)); status != 204 ||
			hdr["Access-Control-Allow-Headers"] != "Authorization, Content-Type" {
			t.Errorf("%s: preflight %d %v", fx, status, hdr)
		}
		if len(env.objects.keys()) != 0 || env.rows(t) != 0 {
			t.Errorf("%s: an unauthenticated request stored something", fx)
		}
	}
}
