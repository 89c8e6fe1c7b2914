// Package authorizer builds the Lambda authorizer that verifies tokens from a bring-your-own OpenID Connect issuer
// (AuthMode=jwt) from its environment.
package authorizer

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"strings"

	"github.com/imgpipe/imgpipe/pkg/auth"
	"github.com/imgpipe/imgpipe/pkg/function"
)

// Config is the authorizer's environment.
type Config struct {
	Issuer      string // JWT_ISSUER (required): the iss every token must carry, an https URL
	Audience    string // JWT_AUDIENCE (required): the aud (or client_id) every token must carry
	JWKSURL     string // JWKS_URL (<issuer>/.well-known/jwks.json): where the issuer publishes its keys
	GroupsClaim string // AUTH_GROUPS_CLAIM (cognito:groups)
}

// LoadConfig reads the authorizer's environment, reporting every problem.
func LoadConfig(getenv func(string) string) (Config, error) {
	c := Config{Issuer: strings.TrimSpace(getenv("JWT_ISSUER")), Audience: strings.TrimSpace(getenv("JWT_AUDIENCE")),
		JWKSURL: strings.TrimSpace(getenv("JWKS_URL")), GroupsClaim: strings.TrimSpace(getenv("AUTH_GROUPS_CLAIM"))}
	var errs []error
	if u, err := url.Parse(c.Issuer); c.Issuer == "" || err != nil || u.Scheme != "https" && u.Scheme != "http" {
		errs = append(errs, errors.New("JWT_ISSUER: want the issuer's URL"))
	}
	if c.Audience == "" {
		errs = append(errs, errors.New("JWT_AUDIENCE is required"))
	}
	if c.JWKSURL == "" {
		c.JWKSURL = strings.TrimRight(c.Issuer, "/") + "/.well-known/jwks.json"
	}
	if c.GroupsClaim == "" {
		c.GroupsClaim = "cognito:groups"
	}
	return c, errors.Join(errs...)
}

// New builds the authorizer. The issuer's keys are fetched on the first token and kept for an hour.
func New(_ context.Context, getenv func(string) string, o function.Options) (*auth.Authorizer, error) {
	c, err := LoadConfig(getenv)
	if err != nil {
		return nil, err
	}
	return &auth.Authorizer{
		Verifier:    &auth.Verifier{Keys: &auth.RemoteKeys{URL: c.JWKSURL}, Issuer: c.Issuer, Audience: c.Audience},
		GroupsClaim: c.GroupsClaim,
		Log:         o.Logger("authorizer", slog.LevelInfo),
	}, nil
}
