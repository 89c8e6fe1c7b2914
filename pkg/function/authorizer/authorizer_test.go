package authorizer

import (
	"strings"
	"testing"
)

func TestLoadConfig(t *testing.T) {
	c, err := LoadConfig(func(k string) string {
		return map[string]string{"JWT_ISSUER": "https://login.example.com/", "JWT_AUDIENCE": "app"}[k]
	})
	if err != nil || c.JWKSURL != "https://login.example.com/.well-known/jwks.json" || c.GroupsClaim != "cognito:groups" {
		t.Fatalf("%+v %v", c, err)
	}
	_, err = LoadConfig(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "JWT_ISSUER") || !strings.Contains(err.Error(), "JWT_AUDIENCE") {
		t.Fatalf("want both problems: %v", err)
	}
}
