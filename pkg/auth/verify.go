package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Errors of Verify. ErrKeys means the key set could not be had, which is not the caller's fault.
var (
	ErrToken = errors.New("auth: invalid token")
	ErrKeys  = errors.New("auth: the key set is unavailable")
)

// KeySet supplies the keys tokens are signed with: a fixed set (the local issuer's) or an issuer's JWKS endpoint.
type KeySet interface {
	// Keys returns the current set; refresh asks for a fresh copy because a token names a key not in it (the
	// issuer rotated its keys).
	Keys(ctx context.Context, refresh bool) (jwk.Set, error)
}

// StaticKeys is a fixed key set.
type StaticKeys struct{ Set jwk.Set }

// Keys implements KeySet.
func (s StaticKeys) Keys(context.Context, bool) (jwk.Set, error) { return s.Set, nil }

// RemoteKeys fetches an issuer's JWKS and keeps it for TTL. A refresh is honoured at most once a minute, so a flood
// of tokens naming unknown keys cannot turn into a flood of requests to the issuer. It holds no goroutine, which
// matters in Lambda, where a frozen container must not wake up to refresh.
type RemoteKeys struct {
	URL string
	TTL time.Duration // 0 means one hour

	mu      sync.Mutex
	set     jwk.Set
	fetched time.Time
}

// Keys implements KeySet.
func (r *RemoteKeys) Keys(ctx context.Context, refresh bool) (jwk.Set, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	ttl := r.TTL
	if ttl == 0 {
		ttl = time.Hour
	}
	age := time.Since(r.fetched)
	if r.set != nil && age < ttl && (!refresh || age < time.Minute) {
		return r.set, nil
	}
	set, err := jwk.Fetch(ctx, r.URL)
	if err != nil {
		if r.set != nil { // an issuer that is briefly down does not lock everyone out
			return r.set, nil
		}
		return nil, fmt.Errorf("%w: %v", ErrKeys, err)
	}
	r.set, r.fetched = set, time.Now()
	return set, nil
}

// Verifier checks bearer tokens.
type Verifier struct {
	Keys     KeySet
	Issuer   string // the iss every token must carry
	Audience string // the aud (or, for Cognito access tokens, client_id) every token must carry
	// Skew is how far clocks may disagree about exp and nbf (0 means one minute).
	Skew time.Duration
}

// Verify checks the token's signature against the key set, its issuer and audience, and that it is within its
// lifetime, and returns its claims. A token that fails is ErrToken; a key set that cannot be had is ErrKeys.
func (v *Verifier) Verify(ctx context.Context, token string) (jwt.Token, error) {
	skew := v.Skew
	if skew == 0 {
		skew = time.Minute
	}
	parse := func(refresh bool) (jwt.Token, error) {
		set, err := v.Keys.Keys(ctx, refresh)
		if err != nil {
			return nil, err
		}
		// The key set requires tokens to name a key (kid), and each key's algorithm is taken from the key, never
		// from the token's header.
		return jwt.ParseString(token, jwt.WithKeySet(set), jwt.WithValidate(true), jwt.WithIssuer(v.Issuer),
			jwt.WithAcceptableSkew(skew))
	}
	tok, err := parse(false)
	if err != nil && !errors.Is(err, ErrKeys) {
		if tok2, err2 := parse(true); err2 == nil { // the issuer may have rotated its keys
			tok, err = tok2, nil
		}
	}
	if errors.Is(err, ErrKeys) {
		return nil, err
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrToken, err)
	}
	if !audienceOK(tok, v.Audience) {
		return nil, fmt.Errorf("%w: not for audience %q", ErrToken, v.Audience)
	}
	return tok, nil
}

// audienceOK accepts the audience in aud (ID tokens) or in client_id (Cognito access tokens, which have no aud).
func audienceOK(tok jwt.Token, want string) bool {
	if aud, ok := tok.Audience(); ok {
		for _, a := range aud {
			if a == want {
				return true
			}
		}
	}
	var clientID string
	return tok.Get("client_id", &clientID) == nil && clientID == want
}

// Claims flattens a verified token's claims into the strings API Gateway puts in an event: lists as "[a b]" in an
// HTTP API's JWT authorizer (bracketed) and comma-joined in a REST API's Cognito authorizer.
func Claims(tok jwt.Token, bracketLists bool) map[string]string {
	out := map[string]string{}
	for _, k := range tok.Keys() {
		var v any
		if tok.Get(k, &v) != nil {
			continue
		}
		switch v := v.(type) {
		case string:
			out[k] = v
		case []any:
			parts := make([]string, len(v))
			for i, p := range v {
				parts[i] = fmt.Sprint(p)
			}
			if bracketLists {
				out[k] = "[" + strings.Join(parts, " ") + "]"
			} else {
				out[k] = strings.Join(parts, ",")
			}
		case []string:
			if bracketLists {
				out[k] = "[" + strings.Join(v, " ") + "]"
			} else {
				out[k] = strings.Join(v, ",")
			}
		case time.Time:
			out[k] = fmt.Sprint(v.Unix())
		default:
			out[k] = fmt.Sprint(v)
		}
	}
	return out
}
