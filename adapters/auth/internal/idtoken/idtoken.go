// Package idtoken verifies OpenID Connect ID tokens (signed JWTs) against
// a provider's published keys, and serves as the core.AuthDataProvider of
// every provider whose authData is {"id", <token>}: oidc, apple, and the
// id_token form of google.
//
// It uses go-jose for the JOSE work and keeps its own key cache instead of
// go-oidc's RemoteKeySet, because go-oidc's verifier flattens key-fetch
// errors into strings: a provider that is down would then look like a
// forged token (251) instead of a retryable failure (100).
package idtoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/switchboardhq/switchboard/adapters/auth/internal/authkit"
	"github.com/switchboardhq/switchboard/core"
)

// Defaults for Config.
const (
	DefaultLeeway          = 30 * time.Second
	DefaultCacheTTL        = time.Hour
	DefaultRefreshInterval = time.Minute
)

// Config describes one issuer and the apps whose tokens are accepted.
type Config struct {
	// Provider names the provider in messages ("apple").
	Provider string
	// Issuers are the accepted "iss" values. The first one is the base
	// for discovery when JWKSURL is empty.
	Issuers []string
	// Audiences are the accepted "aud" values (the app's client ids). A
	// token must name at least one of them. Required.
	Audiences []string
	// JWKSURL is where the signing keys are published. Empty means
	// discover it from Issuers[0]/.well-known/openid-configuration.
	JWKSURL string
	// Algorithms are the accepted signature algorithms (default RS256).
	// Symmetric algorithms are refused: the client would know the key.
	Algorithms []jose.SignatureAlgorithm
	// Leeway is the allowed clock skew for exp, nbf and iat.
	Leeway time.Duration
	// CacheTTL is how long a fetched key set is used before it is fetched
	// again; RefreshInterval is the least time between two fetches
	// forced by tokens with an unknown kid.
	CacheTTL, RefreshInterval time.Duration
	// Client makes the HTTP calls (default: authkit.Client()).
	Client *http.Client
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Verifier checks ID tokens of one Config. It is safe for concurrent use.
type Verifier struct {
	cfg  Config
	keys *keySet

	discoverMu sync.Mutex
	jwksURL    string // JWKSURL, or what discovery found
}

// New checks cfg, fills its defaults and returns a Verifier. It makes no
// network call: keys and discovery are fetched on first use, so a server
// starts even while a provider is unreachable.
func New(cfg Config) (*Verifier, error) {
	if len(cfg.Issuers) == 0 || cfg.Issuers[0] == "" {
		return nil, errors.New("issuer is required")
	}
	if len(cfg.Audiences) == 0 {
		return nil, errors.New("clientId is required: the client id(s) your app's tokens are issued to")
	}
	if cfg.JWKSURL != "" {
		if err := authkit.CheckURL(cfg.JWKSURL); err != nil {
			return nil, fmt.Errorf("jwksURL: %w", err)
		}
	} else if err := authkit.CheckURL(cfg.Issuers[0]); err != nil {
		return nil, fmt.Errorf("issuer (needed to discover the keys when jwksURL is not set): %w", err)
	}
	if len(cfg.Algorithms) == 0 {
		cfg.Algorithms = []jose.SignatureAlgorithm{jose.RS256}
	}
	for _, alg := range cfg.Algorithms {
		if strings.HasPrefix(string(alg), "HS") {
			return nil, fmt.Errorf("algorithm %s is symmetric and cannot verify third-party tokens", alg)
		}
	}
	if cfg.Leeway <= 0 {
		cfg.Leeway = DefaultLeeway
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.RefreshInterval <= 0 {
		cfg.RefreshInterval = DefaultRefreshInterval
	}
	if cfg.Client == nil {
		cfg.Client = authkit.Client()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	v := &Verifier{cfg: cfg, jwksURL: cfg.JWKSURL}
	v.keys = &keySet{
		provider:   cfg.Provider,
		client:     cfg.Client,
		endpoint:   v.keysURL,
		now:        cfg.Now,
		ttl:        cfg.CacheTTL,
		minRefresh: cfg.RefreshInterval,
		sem:        make(chan struct{}, 1),
	}
	return v, nil
}

// Verify checks raw's signature against the issuer's keys and its claims:
// iss, aud, exp (required), nbf, iat, and sub == subject. Errors are
// *core.Error: 251 for a token that fails any check, 100 when the keys
// cannot be fetched, internal for a misconfiguration.
func (v *Verifier) Verify(ctx context.Context, raw, subject string) error {
	p := v.cfg.Provider
	tok, err := jwt.ParseSigned(raw, v.cfg.Algorithms)
	if err != nil {
		return authkit.Invalid(p, "malformed or unsupported token", err)
	}
	if len(tok.Headers) != 1 {
		return authkit.Invalid(p, "token must carry exactly one signature", nil)
	}
	header := tok.Headers[0]
	keys, err := v.keys.keys(ctx, header.KeyID)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return authkit.Invalid(p, "token is signed by an unknown key", fmt.Errorf("kid %q", header.KeyID))
	}
	var claims jwt.Claims
	verified := false
	for _, key := range keys {
		if key.Algorithm != "" && key.Algorithm != header.Algorithm {
			continue
		}
		if tok.Claims(key.Key, &claims) == nil {
			verified = true
			break
		}
	}
	if !verified {
		return authkit.Invalid(p, "token signature is invalid", fmt.Errorf("kid %q", header.KeyID))
	}
	return v.checkClaims(&claims, subject)
}

func (v *Verifier) checkClaims(c *jwt.Claims, subject string) error {
	p := v.cfg.Provider
	if !slices.Contains(v.cfg.Issuers, c.Issuer) {
		return authkit.Invalid(p, "token is from another issuer", fmt.Errorf("iss %q", c.Issuer))
	}
	if c.Expiry == nil {
		return authkit.Invalid(p, "token has no expiry", nil)
	}
	err := c.ValidateWithLeeway(jwt.Expected{
		AnyAudience: v.cfg.Audiences,
		Time:        v.cfg.Now(),
	}, v.cfg.Leeway)
	switch {
	case errors.Is(err, jwt.ErrExpired):
		return authkit.Invalid(p, "token expired", err)
	case errors.Is(err, jwt.ErrInvalidAudience):
		return authkit.Invalid(p, "token was issued to another app", fmt.Errorf("aud %q", []string(c.Audience)))
	case errors.Is(err, jwt.ErrNotValidYet), errors.Is(err, jwt.ErrIssuedInTheFuture):
		return authkit.Invalid(p, "token is not valid yet", err)
	case err != nil:
		return authkit.Invalid(p, "token claims are invalid", err)
	}
	if c.Subject == "" || c.Subject != subject {
		return authkit.Invalid(p, "token belongs to another user", nil)
	}
	return nil
}

// keysURL returns the JWKS URL, discovering it on first use.
func (v *Verifier) keysURL(ctx context.Context) (string, error) {
	v.discoverMu.Lock()
	defer v.discoverMu.Unlock()
	if v.jwksURL != "" {
		return v.jwksURL, nil
	}
	issuer := v.cfg.Issuers[0]
	endpoint := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	resp, err := authkit.Get(ctx, v.cfg.Client, v.cfg.Provider, endpoint, http.Header{"Accept": {"application/json"}})
	if err != nil {
		return "", err
	}
	if resp.Status != http.StatusOK {
		return "", authkit.Misconfigured(v.cfg.Provider, "discovery at %s answered %d (check issuer, or set jwksURL)", endpoint, resp.Status)
	}
	var doc struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwks_uri"`
	}
	if err := json.Unmarshal(resp.Body, &doc); err != nil {
		return "", authkit.Unavailable(v.cfg.Provider, fmt.Errorf("discovery at %s: %w", endpoint, err))
	}
	if doc.Issuer != issuer {
		return "", authkit.Misconfigured(v.cfg.Provider, "discovery at %s names issuer %q, not %q (check issuer)", endpoint, doc.Issuer, issuer)
	}
	if err := authkit.CheckURL(doc.JWKSURI); err != nil {
		return "", authkit.Misconfigured(v.cfg.Provider, "discovery at %s: jwks_uri: %v", endpoint, err)
	}
	v.jwksURL = doc.JWKSURI
	return v.jwksURL, nil
}

// Provider is the core.AuthDataProvider for authData {"id", <token>}: it
// verifies the token and returns the id and the authData as given.
type Provider struct {
	Verifier *Verifier
	// TokenKeys are the authData keys that may hold the token, in order
	// of preference ("id_token", "token").
	TokenKeys []string
}

var _ core.AuthDataProvider = (*Provider)(nil)

// NewProvider returns the Provider for cfg that reads the token from the
// first of tokenKeys present in authData.
func NewProvider(cfg Config, tokenKeys ...string) (*Provider, error) {
	v, err := New(cfg)
	if err != nil {
		return nil, err
	}
	return &Provider{Verifier: v, TokenKeys: tokenKeys}, nil
}

// Validate implements core.AuthDataProvider.
func (p *Provider) Validate(ctx context.Context, authData map[string]any) (string, map[string]any, error) {
	id, ok := authkit.ID(authData)
	token, hasToken := p.Token(authData)
	if !ok || !hasToken {
		return "", nil, authkit.Missing(p.Verifier.cfg.Provider, "id and "+strings.Join(p.TokenKeys, " or "))
	}
	if err := p.Verifier.Verify(ctx, token, id); err != nil {
		return "", nil, err
	}
	return id, authkit.Stored(authData, id), nil
}

// Token returns the first non-empty token among TokenKeys.
func (p *Provider) Token(authData map[string]any) (string, bool) {
	for _, k := range p.TokenKeys {
		if t, ok := authkit.String(authData, k); ok {
			return t, true
		}
	}
	return "", false
}
