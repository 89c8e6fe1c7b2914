package auth

import (
	"context"
	"errors"
	"log/slog"
	"strings"

	"github.com/aws/aws-lambda-go/events"
)

// ErrDeny is the error a REST API TOKEN authorizer returns to make API Gateway answer 401: the message must be
// exactly "Unauthorized".
var ErrDeny = errors.New("Unauthorized")

// Authorizer is a REST API Lambda authorizer (TOKEN type) for tokens from an OpenID Connect issuer that API Gateway
// cannot verify natively (AuthMode=jwt; Cognito tokens use the built-in Cognito authorizer). It verifies the bearer
// token and allows the whole API, passing the claims on as the authorizer context, where Config.CallerFrom finds
// them. The policy covers every method of the stage, so API Gateway may cache the answer per token.
type Authorizer struct {
	Verifier    *Verifier
	GroupsClaim string
	Log         *slog.Logger
}

// Handle answers one authorization request.
func (a *Authorizer) Handle(ctx context.Context, ev events.APIGatewayCustomAuthorizerRequest) (events.APIGatewayCustomAuthorizerResponse, error) {
	raw, ok := strings.CutPrefix(ev.AuthorizationToken, "Bearer ")
	if !ok || raw == "" {
		return events.APIGatewayCustomAuthorizerResponse{}, ErrDeny
	}
	tok, err := a.Verifier.Verify(ctx, raw)
	if errors.Is(err, ErrKeys) {
		// Not the caller's fault: any other error than ErrDeny makes API Gateway answer 500.
		a.Log.Error("cannot verify tokens", "error", err.Error())
		return events.APIGatewayCustomAuthorizerResponse{}, err
	}
	if err != nil {
		a.Log.Info("token refused", "error", err.Error())
		return events.APIGatewayCustomAuthorizerResponse{}, ErrDeny
	}
	claims := Claims(tok, false)
	ctxValues := map[string]any{}
	for _, k := range []string{"sub", a.GroupsClaim, "email", "iss"} {
		if v, ok := claims[k]; ok {
			ctxValues[k] = v
		}
	}
	return events.APIGatewayCustomAuthorizerResponse{
		PrincipalID: claims["sub"],
		PolicyDocument: events.APIGatewayCustomAuthorizerPolicy{Version: "2012-10-17", Statement: []events.IAMPolicyStatement{{
			Action: []string{"execute-api:Invoke"}, Effect: "Allow", Resource: []string{stageWide(ev.MethodArn)},
		}}},
		Context: ctxValues,
	}, nil
}

// stageWide turns "arn:aws:execute-api:region:account:api/stage/GET/images" into ".../api/stage/*", so that one
// cached answer serves every route.
func stageWide(methodArn string) string {
	parts := strings.SplitN(methodArn, "/", 3)
	if len(parts) < 2 {
		return methodArn
	}
	return parts[0] + "/" + parts[1] + "/*"
}
