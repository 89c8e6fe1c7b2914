// Package auth says who is calling. In AWS, API Gateway verifies the caller's JWT before the function runs (a
// Cognito user pool authorizer, or the project's Lambda authorizer for another OpenID Connect issuer) and puts the
// verified claims in the event's request context; Caller reads them from there, wherever the payload format keeps
// them. Verifier checks a token's signature, issuer, audience and lifetime against a key set: the Lambda authorizer
// and the local API Gateway front use it. Issuer mints tokens with a local signing key for `make run`.
//
// Tokens are parsed and verified with github.com/lestrrat-go/jwx/v3, never by hand.
package auth
