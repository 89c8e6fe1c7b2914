package localstack

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/imgpipe/imgpipe/internal/testimage"
	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/auth"
)

// TestOwnersThroughTheLocalStack: two users and an administrator with real tokens through the local API Gateway,
// which verifies them as the deployed authorizer does and passes the claims on in each payload format.
func TestOwnersThroughTheLocalStack(t *testing.T) {
	for _, v := range []apigw.Version{apigw.V1, apigw.V2} {
		t.Run(fmt.Sprintf("payload v%d", v), func(t *testing.T) {
			st, bucket := startStack(t, v)
			alice, bob, admin := clientAs(t, st, "alice", false), clientAs(t, st, "bob", false), clientAs(t, st, "root", true)
			upload := func(c *http.Client) string {
				body, ct := testimage.Multipart(testimage.Part{Field: "file", Filename: "a.jpg", Data: testimage.JPEG(200, 150)})
				resp, err := c.Post(st.APIURL+"/images", ct, bytes.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var up struct{ ID string }
				json.NewDecoder(resp.Body).Decode(&up)
				if resp.StatusCode != 201 {
					t.Fatalf("upload: %d", resp.StatusCode)
				}
				return up.ID
			}
			a, b := upload(alice), upload(bob)
			// A console photo belongs to nobody: only the administrator sees it.
			if err := bucket.Put(t.Context(), "staging/console.jpg", testimage.JPEG(100, 80), "image/jpeg", nil); err != nil {
				t.Fatal(err)
			}
			st.WaitIdle(t.Context())
			count := func(c *http.Client) int {
				resp, err := c.Get(st.APIURL + "/images")
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var list struct{ Images []struct{ ID string } }
				json.NewDecoder(resp.Body).Decode(&list)
				return len(list.Images)
			}
			if na, nb, nr := count(alice), count(bob), count(admin); na != 1 || nb != 1 || nr != 3 {
				t.Fatalf("alice sees %d, bob %d, the administrator %d; want 1, 1, 3", na, nb, nr)
			}
			status := func(c *http.Client, method, path string) int {
				req, _ := http.NewRequest(method, st.APIURL+path, nil)
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				return resp.StatusCode
			}
			for _, c := range []struct {
				who    *http.Client
				method string
				id     string
				want   int
			}{
				{alice, "GET", b, 404}, {alice, "DELETE", b, 404}, {bob, "GET", b, 200}, {admin, "GET", a, 200},
			} {
				if got := status(c.who, c.method, "/images/"+c.id); got != c.want {
					t.Errorf("%s %s: %d, want %d", c.method, c.id, got, c.want)
				}
			}
		})
	}
}

// TestBadTokensAreRefused: missing, malformed, tampered, foreign, expired and wrong-audience tokens get 401 with a
// JSON error and a challenge, from the local authorizer, before the function runs.
func TestBadTokensAreRefused(t *testing.T) {
	st, _ := startStack(t, apigw.V1)
	good, _ := st.Issuer.Mint("alice", false, time.Hour)
	expired, _ := st.Issuer.Mint("alice", false, -time.Hour)
	other, err := auth.LoadIssuer(t.TempDir(), "https://imgpipe.local")
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := other.Mint("alice", false, time.Hour)
	audience := *st.Issuer
	audience.Audience = "another-app"
	wrongAud, _ := audience.Mint("alice", false, time.Hour)
	tampered := good[:len(good)-4] + "AAAA"
	for name, header := range map[string]string{
		"missing": "", "not bearer": "Basic YWxpY2U6cHc=", "malformed": "Bearer abc", "tampered": "Bearer " + tampered,
		"another key": "Bearer " + foreign, "expired": "Bearer " + expired, "another audience": "Bearer " + wrongAud,
	} {
		req, _ := http.NewRequest("GET", st.APIURL+"/images", nil)
		if header != "" {
			req.Header.Set("Authorization", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" || !strings.Contains(string(body), `"unauthorized"`) {
			t.Errorf("%s: %d %s %q", name, resp.StatusCode, resp.Header.Get("WWW-Authenticate"), body)
		}
	}
	// The JWKS endpoint serves the key that verifies good tokens.
	resp, err := http.Get(st.APIURL + "/.well-known/jwks.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var jwks struct{ Keys []map[string]any }
	if json.NewDecoder(resp.Body).Decode(&jwks); len(jwks.Keys) != 1 || jwks.Keys[0]["d"] != nil {
		t.Fatalf("jwks %v (a private part must never be served)", jwks)
	}
}
