package authfake

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Issuers of the real providers, which their tokens carry in "iss".
const (
	AppleIssuer  = "https://appleid.apple.com"
	GoogleIssuer = "https://accounts.google.com"
)

// IdP is a fake OpenID provider. It serves
//
//	GET /.well-known/openid-configuration  discovery (issuer, jwks_uri, ...)
//	GET /keys                              the JWKS: every key it has signed with
//
// and signs RS256 JWTs whose header names the key's kid, as Apple, Google
// and other OIDC providers do. Rotate adds a key and signs with it from
// then on, keeping the old one published.
type IdP struct {
	outage
	// Issuer is the "iss" of its tokens and of its discovery document.
	Issuer string

	srv   *httptest.Server
	mux   *http.ServeMux
	mu    sync.Mutex
	keys  []jose.JSONWebKey // private keys, oldest first; the last one signs
	fetch atomic.Int64      // JWKS requests served
}

// NewIdP starts a fake OpenID provider. An empty issuer means the fake's
// own URL, so that discovery from the issuer works; a fixed issuer (as
// AppleIssuer) needs the adapter's jwksURL pointed at JWKSURL.
func NewIdP(tb testing.TB, issuer string) *IdP {
	tb.Helper()
	p := &IdP{mux: http.NewServeMux()}
	p.srv = httptest.NewServer(p.wrap(p.mux))
	tb.Cleanup(p.srv.Close)
	p.Issuer = issuer
	if issuer == "" {
		p.Issuer = p.srv.URL
	}
	p.mux.HandleFunc("GET /.well-known/openid-configuration", p.discovery)
	p.mux.HandleFunc("GET /keys", p.jwks)
	p.Rotate()
	return p
}

// NewApple starts a fake Sign in with Apple key server.
func NewApple(tb testing.TB) *IdP { return NewIdP(tb, AppleIssuer) }

// URL is the fake's base URL.
func (p *IdP) URL() string { return p.srv.URL }

// JWKSURL is where the fake publishes its keys.
func (p *IdP) JWKSURL() string { return p.srv.URL + "/keys" }

// JWKSRequests counts the key-set downloads served so far.
func (p *IdP) JWKSRequests() int { return int(p.fetch.Load()) }

// Options is the config section of the apple or oidc adapter for tokens
// issued to clientID by this fake.
func (p *IdP) Options(clientID string) map[string]any {
	return map[string]any{"issuer": p.Issuer, "clientId": clientID, "jwksURL": p.JWKSURL()}
}

// Rotate creates a new signing key. It is published next to the old ones
// and signs every token from now on.
func (p *IdP) Rotate() {
	key := newKey()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.keys = append(p.keys, key)
}

// Claims returns the claims of a fresh ID token for sub issued to aud,
// valid for an hour. Change them and pass them to Sign for other cases.
func (p *IdP) Claims(sub, aud string) map[string]any {
	now := time.Now()
	return map[string]any{
		"iss":       p.Issuer,
		"aud":       aud,
		"sub":       sub,
		"iat":       now.Unix(),
		"exp":       now.Add(time.Hour).Unix(),
		"auth_time": now.Unix(),
	}
}

// IDToken returns a valid ID token for sub issued to aud.
func (p *IdP) IDToken(sub, aud string) string { return p.Sign(p.Claims(sub, aud)) }

// Sign returns claims as a JWT signed with the current key.
func (p *IdP) Sign(claims map[string]any) string {
	p.mu.Lock()
	key := p.keys[len(p.keys)-1]
	p.mu.Unlock()
	return sign(key, claims)
}

// Forge returns claims signed by a key the fake never published, under
// the current key's kid: what an attacker without the provider's key can
// produce.
func (p *IdP) Forge(claims map[string]any) string {
	p.mu.Lock()
	kid := p.keys[len(p.keys)-1].KeyID
	p.mu.Unlock()
	forged := newKey()
	forged.KeyID = kid
	return sign(forged, claims)
}

func (p *IdP) discovery(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, "application/json", map[string]any{
		"issuer":                                p.Issuer,
		"authorization_endpoint":                p.srv.URL + "/auth",
		"token_endpoint":                        p.srv.URL + "/token",
		"jwks_uri":                              p.JWKSURL(),
		"response_types_supported":              []string{"code", "id_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
	})
}

func (p *IdP) jwks(w http.ResponseWriter, r *http.Request) {
	p.fetch.Add(1)
	p.mu.Lock()
	set := jose.JSONWebKeySet{}
	for _, k := range p.keys {
		set.Keys = append(set.Keys, k.Public())
	}
	p.mu.Unlock()
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, "application/json", set)
}

// newKey returns a fresh RSA signing key whose kid is derived from its
// thumbprint.
func newKey() jose.JSONWebKey {
	priv, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	key := jose.JSONWebKey{Key: priv, Algorithm: string(jose.RS256), Use: "sig"}
	thumb, err := key.Thumbprint(crypto.SHA256)
	if err != nil {
		panic(err)
	}
	key.KeyID = base64.RawURLEncoding.EncodeToString(thumb)[:10]
	return key
}

func sign(key jose.JSONWebKey, claims map[string]any) string {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		panic(err)
	}
	raw, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		panic(err)
	}
	return raw
}
