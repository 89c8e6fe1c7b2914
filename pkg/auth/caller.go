package auth

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/imgpipe/imgpipe/pkg/apigw"
	"github.com/imgpipe/imgpipe/pkg/publicerr"
)

// Caller is who made a request.
type Caller struct {
	// Subject is the token's sub claim: the owner of what the caller uploads.
	Subject string
	// Admin callers see and delete every image, including those with no owner.
	Admin bool
}

// Config says how callers are identified.
type Config struct {
	// Required makes a request without verified claims a 401. Off (AUTH_MODE=none), every caller is an anonymous
	// administrator: the API is open, as it was before owners existed.
	Required bool
	// GroupsClaim is the claim that lists the caller's groups (cognito:groups).
	GroupsClaim string
	// AdminGroup is the group whose members are administrators (admin).
	AdminGroup string
}

// ErrUnauthorized answers a request whose caller is not known. A client that sees it must sign in again.
var ErrUnauthorized = publicerr.New(http.StatusUnauthorized, "unauthorized",
	"sign in: send a valid bearer token in the Authorization header")

// Challenge is the WWW-Authenticate value sent with ErrUnauthorized.
const Challenge = `Bearer realm="imgpipe"`

// CallerFrom reads the caller from the verified claims in the request's event. It returns ErrUnauthorized when
// claims are required and there are none with a subject.
func (c Config) CallerFrom(ctx context.Context) (Caller, error) {
	if !c.Required {
		return Caller{Admin: true}, nil
	}
	claims := claimsOf(ctx)
	sub := claims["sub"]
	if sub == "" {
		return Caller{}, ErrUnauthorized
	}
	return Caller{Subject: sub, Admin: slices.Contains(Groups(claims[c.GroupsClaim]), c.AdminGroup)}, nil
}

// claimsOf finds the verified claims where each event shape keeps them: a REST API's Cognito authorizer under
// requestContext.authorizer.claims, a REST API's Lambda authorizer as the authorizer context itself, an HTTP API's
// JWT authorizer under requestContext.authorizer.jwt.claims and its Lambda authorizer under .lambda. Values are
// strings, as API Gateway renders them.
func claimsOf(ctx context.Context) map[string]string {
	ev, ok := apigw.EventFrom(ctx)
	if !ok {
		return nil
	}
	switch {
	case ev.V1 != nil && ev.V1.RequestContext.Authorizer != nil:
		a := ev.V1.RequestContext.Authorizer
		if c, ok := a["claims"].(map[string]any); ok {
			return stringValues(c)
		}
		return stringValues(a)
	case ev.V2 != nil && ev.V2.RequestContext.Authorizer != nil:
		a := ev.V2.RequestContext.Authorizer
		if a.JWT != nil {
			return a.JWT.Claims
		}
		return stringValues(a.Lambda)
	}
	return nil
}

func stringValues(m map[string]any) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		switch v := v.(type) {
		case string:
			out[k] = v
		case nil:
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}

// Groups splits a groups claim as API Gateway renders it: "admin", "admin,editors" (a REST API's Cognito
// authorizer, or a Lambda authorizer's context) or "[admin editors]" (an HTTP API's JWT authorizer).
func Groups(claim string) []string {
	claim = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(claim), "["), "]")
	return strings.FieldsFunc(claim, func(r rune) bool { return r == ',' || r == ' ' })
}
