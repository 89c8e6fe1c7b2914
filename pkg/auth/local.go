package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/uuid"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Issuer mints tokens for local runs with a signing key kept in a directory, so that every process of the local
// stack (and `imgpipe-local token`) signs with, and verifies against, the same key. It plays the part of a Cognito
// user pool on a laptop.
type Issuer struct {
	URL      string // the iss claim
	Audience string // the aud claim
	Groups   string // the claim that lists groups, cognito:groups as Cognito names it
	key      jwk.Key
}

// LocalAudience is the audience of local tokens.
const LocalAudience = "imgpipe-local"

// LoadIssuer reads the signing key from dir/signing-key.json, creating it (ES256) on first use.
func LoadIssuer(dir, url string) (*Issuer, error) {
	path := filepath.Join(dir, "signing-key.json")
	raw, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		raw, err = newKey(path)
	}
	if err != nil {
		return nil, fmt.Errorf("auth: signing key: %w", err)
	}
	key, err := jwk.ParseKey(raw)
	if err != nil {
		return nil, fmt.Errorf("auth: signing key %s: %w", path, err)
	}
	return &Issuer{URL: url, Audience: LocalAudience, Groups: "cognito:groups", key: key}, nil
}

// newKey writes a fresh ES256 key with a key id, readable by the owner only.
func newKey(path string) ([]byte, error) {
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	key, err := jwk.Import(priv)
	if err != nil {
		return nil, err
	}
	if err := key.Set(jwk.KeyIDKey, uuid.NewString()); err != nil {
		return nil, err
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.ES256()); err != nil {
		return nil, err
	}
	raw, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	// O_EXCL: two processes starting at once agree on the first key written.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		return os.ReadFile(path)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	_, err = f.Write(raw)
	return raw, err
}

// PublicKeys is the key set a verifier trusts, as a JWKS endpoint would serve it.
func (i *Issuer) PublicKeys() (jwk.Set, error) {
	pub, err := i.key.PublicKey()
	if err != nil {
		return nil, err
	}
	set := jwk.NewSet()
	return set, set.AddKey(pub)
}

// Verifier verifies this issuer's tokens.
func (i *Issuer) Verifier() (*Verifier, error) {
	set, err := i.PublicKeys()
	if err != nil {
		return nil, err
	}
	return &Verifier{Keys: StaticKeys{Set: set}, Issuer: i.URL, Audience: i.Audience}, nil
}

// Mint returns a signed ID token for subject, in the admin group when admin is set, valid for ttl.
func (i *Issuer) Mint(subject string, admin bool, ttl time.Duration) (string, error) {
	now := time.Now()
	b := jwt.NewBuilder().Issuer(i.URL).Subject(subject).Audience([]string{i.Audience}).IssuedAt(now).
		NotBefore(now).Expiration(now.Add(ttl)).Claim("token_use", "id").Claim("cognito:username", subject)
	if admin {
		b = b.Claim(i.Groups, []string{"admin"})
	}
	tok, err := b.Build()
	if err != nil {
		return "", err
	}
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.ES256(), i.key))
	if err != nil {
		return "", err
	}
	return string(signed), nil
}
