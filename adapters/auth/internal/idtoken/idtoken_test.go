package idtoken

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/switchboardhq/switchboard/adapters/auth/authfake"
	"github.com/switchboardhq/switchboard/core"
)

const aud = "app"

// clock is a settable clock for the key cache.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newVerifier(t *testing.T, idp *authfake.IdP, clk *clock) *Verifier {
	t.Helper()
	cfg := Config{Provider: "test", Issuers: []string{idp.Issuer}, Audiences: []string{aud}, JWKSURL: idp.JWKSURL()}
	if clk != nil {
		cfg.Now = clk.now
	}
	v, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// warm returns a verifier on a settable clock that has fetched idp's keys.
func warm(t *testing.T) (*authfake.IdP, *clock, *Verifier) {
	idp := authfake.NewIdP(t, "")
	clk := &clock{t: time.Now()}
	v := newVerifier(t, idp, clk)
	if err := v.Verify(context.Background(), idp.IDToken("u", aud), "u"); err != nil {
		t.Fatal(err)
	}
	return idp, clk, v
}

func TestReasons(t *testing.T) {
	idp := authfake.NewIdP(t, "")
	v := newVerifier(t, idp, nil)
	claims := func(edit func(map[string]any)) string {
		c := idp.Claims("u1", aud)
		edit(c)
		return idp.Sign(c)
	}
	for _, tc := range []struct {
		name, token, subject, reason string
	}{
		{"ok", idp.IDToken("u1", aud), "u1", ""},
		{"within leeway", claims(func(c map[string]any) { c["exp"] = time.Now().Add(-10 * time.Second).Unix() }), "u1", ""},
		{"expired", claims(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Minute).Unix() }), "u1", "expired"},
		{"no exp", claims(func(c map[string]any) { delete(c, "exp") }), "u1", "no expiry"},
		{"audience", claims(func(c map[string]any) { c["aud"] = "other" }), "u1", "another app"},
		{"issuer", claims(func(c map[string]any) { c["iss"] = "https://other" }), "u1", "another issuer"},
		{"nbf", claims(func(c map[string]any) { c["nbf"] = time.Now().Add(time.Hour).Unix() }), "u1", "not valid yet"},
		{"subject", idp.IDToken("u2", aud), "u1", "another user"},
		{"forged", idp.Forge(idp.Claims("u1", aud)), "u1", "signature"},
		{"garbage", "not-a-token", "u1", "malformed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := v.Verify(context.Background(), tc.token, tc.subject)
			if tc.reason == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !core.IsCode(err, core.CodeInvalidLinkedSession) || !strings.Contains(core.AsError(err).Message, tc.reason) {
				t.Fatalf("got %v, want 251 saying %q", err, tc.reason)
			}
		})
	}
}

func TestUnknownKidRefreshIsRateLimited(t *testing.T) {
	idp, clk, v := warm(t)
	ctx := context.Background()
	other := authfake.NewIdP(t, idp.Issuer) // same issuer, keys we never published
	for range 10 {
		err := v.Verify(ctx, other.IDToken("u", aud), "u")
		if !core.IsCode(err, core.CodeInvalidLinkedSession) {
			t.Fatalf("unknown kid: %v", err)
		}
	}
	if n := idp.JWKSRequests(); n != 2 {
		t.Fatalf("JWKS fetched %d times, want 2", n)
	}
	// A rotation right after the forced refresh waits for the interval.
	idp.Rotate()
	if err := v.Verify(ctx, idp.IDToken("u", aud), "u"); !core.IsCode(err, core.CodeInvalidLinkedSession) {
		t.Fatalf("new kid within the interval: %v", err)
	}
	clk.add(DefaultRefreshInterval)
	if err := v.Verify(ctx, idp.IDToken("u", aud), "u"); err != nil {
		t.Fatalf("new kid after the interval: %v", err)
	}
	if n := idp.JWKSRequests(); n != 3 {
		t.Fatalf("JWKS fetched %d times, want 3", n)
	}
}

func TestStaleKeysServeWhileDown(t *testing.T) {
	idp, clk, v := warm(t)
	ctx := context.Background()
	clk.add(DefaultCacheTTL + time.Second)
	idp.SetOutage(authfake.Failing)
	tok := idp.IDToken("u", aud)
	if err := v.Verify(ctx, tok, "u"); err != nil {
		t.Fatalf("stale keys while down: %v", err)
	}
	idp.Rotate() // a key we cannot fetch while the provider is down
	if err := v.Verify(ctx, idp.IDToken("u", aud), "u"); !core.IsCode(err, core.CodeConnectionFailed) {
		t.Fatalf("unknown kid while down: %v, want 100", err)
	}
	idp.SetOutage(authfake.Up)
	if err := v.Verify(ctx, idp.IDToken("u", aud), "u"); err != nil {
		t.Fatalf("after recovery: %v", err)
	}
}

func TestConcurrentFirstUseFetchesOnce(t *testing.T) {
	idp := authfake.NewIdP(t, "")
	v := newVerifier(t, idp, nil)
	tok := idp.IDToken("u", aud)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			if err := v.Verify(context.Background(), tok, "u"); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if n := idp.JWKSRequests(); n != 1 {
		t.Errorf("JWKS fetched %d times, want 1", n)
	}
}

func TestKeySetSkipsUnusableKeys(t *testing.T) {
	body := `{"keys":[
		{"kty":"XYZ","kid":"future"},
		{"kty":"oct","kid":"sym","k":"c2VjcmV0"},
		{"kty":"RSA","kid":"enc","use":"enc","n":"sXch","e":"AQAB"}
	]}`
	set := &jose.JSONWebKeySet{}
	if err := decodeKeySet([]byte(body), set); err != nil {
		t.Fatal(err)
	}
	if got := match(set, ""); len(got) != 0 {
		t.Fatalf("usable keys %v, want none", got)
	}
}

func TestNewRejects(t *testing.T) {
	for name, cfg := range map[string]Config{
		"no issuer":   {Audiences: []string{"a"}},
		"no audience": {Issuers: []string{"https://i"}},
		"symmetric":   {Issuers: []string{"https://i"}, Audiences: []string{"a"}, Algorithms: []jose.SignatureAlgorithm{jose.HS256}},
		"bad jwks":    {Issuers: []string{"https://i"}, Audiences: []string{"a"}, JWKSURL: "/keys"},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: New succeeded", name)
		}
	}
}
