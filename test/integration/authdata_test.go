package integration

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	_ "github.com/switchboardhq/switchboard/adapters/auth/anonymous"
	_ "github.com/switchboardhq/switchboard/adapters/auth/apple"
	"github.com/switchboardhq/switchboard/adapters/auth/authfake"
	_ "github.com/switchboardhq/switchboard/adapters/auth/github"
	_ "github.com/switchboardhq/switchboard/adapters/auth/oidc"
	"github.com/switchboardhq/switchboard/core"
)

const appleClientID = "com.example.app"

// providers holds the fakes behind the real authData providers.
type providers struct {
	github *authfake.GitHub
	apple  *authfake.IdP
	oidc   *authfake.IdP
}

// openProvider opens a registered authData provider as the binary does.
func openProvider(t *testing.T, name string, options map[string]any) core.AuthDataProvider {
	t.Helper()
	open, err := core.AuthProviders.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	p, err := open(context.Background(), core.ProviderEnv{Options: options})
	if err != nil {
		t.Fatalf("opening %s: %v", name, err)
	}
	return p
}

// newAuthHarness runs a server with github, apple, oidc and anonymous logins,
// each against a fake of the real provider.
func newAuthHarness(t *testing.T) (*harness, *providers) {
	p := &providers{github: authfake.NewGitHub(t), apple: authfake.NewApple(t), oidc: authfake.NewIdP(t, "")}
	auth := map[string]core.AuthDataProvider{
		"github":    openProvider(t, "github", p.github.Options()),
		"apple":     openProvider(t, "apple", p.apple.Options(appleClientID)),
		"oidc":      openProvider(t, "oidc", map[string]any{"issuer": p.oidc.Issuer, "clientId": "client-1"}),
		"anonymous": openProvider(t, "anonymous", nil),
	}
	h := newHarness(t, func(o *core.Options) { o.AuthProviders = auth })
	return h, p
}

func authData(provider string, data map[string]any) map[string]any {
	return map[string]any{"authData": map[string]any{provider: data}}
}

func (p *providers) githubData(id int64, login string) map[string]any {
	return map[string]any{"id": strconv.FormatInt(id, 10), "access_token": p.github.Token(id, login)}
}

// TestAuthDataSignupOrLogin: the first login with a provider signs up (201),
// later ones log the same user in (200), for each kind of provider.
func TestAuthDataSignupOrLogin(t *testing.T) {
	t.Parallel()
	h, p := newAuthHarness(t)
	appleSub := "001234.abcdef"
	cases := []struct {
		provider string
		data     func() map[string]any // fresh data for the same account each call
		id       string
	}{
		{"github", func() map[string]any { return p.githubData(4242, "octocat") }, "4242"},
		{"apple", func() map[string]any {
			return map[string]any{"id": appleSub, "token": p.apple.IDToken(appleSub, appleClientID)}
		}, appleSub},
		{"oidc", func() map[string]any {
			return map[string]any{"id": "kc-user-1", "id_token": p.oidc.IDToken("kc-user-1", "client-1")}
		}, "kc-user-1"},
		{"anonymous", func() map[string]any { return map[string]any{"id": "6c1ef2d4-0000-4000-8000-1234567890ab"} }, "6c1ef2d4-0000-4000-8000-1234567890ab"},
	}
	for _, c := range cases {
		t.Run(c.provider, func(t *testing.T) {
			res := h.do("POST", "/users", "", authData(c.provider, c.data()))
			wantStatus(t, res, 201)
			id, _ := res.body["objectId"].(string)
			token, _ := res.body["sessionToken"].(string)
			if !objectIDPattern.MatchString(id) || !sessionTokenPattern.MatchString(token) {
				t.Fatalf("signup: %s", res.raw)
			}
			me := h.as(who{token: token}, "GET", "/users/me", nil)
			ad, _ := me.body["authData"].(map[string]any)
			if pd, _ := ad[c.provider].(map[string]any); pd["id"] != c.id {
				t.Fatalf("the owner sees their authData: %s", me.raw)
			}
			if s := h.as(who{token: token}, "GET", "/sessions/me", nil); s.body["createdWith"].(map[string]any)["authProvider"] != c.provider {
				t.Fatalf("session: %s", s.raw)
			}
			res = h.do("POST", "/users", "", authData(c.provider, c.data()))
			wantStatus(t, res, 200)
			if res.body["objectId"] != id || res.body["sessionToken"] == token || res.body["username"] == nil {
				t.Fatalf("login: %s", res.raw)
			}
			// Nobody else sees it, nor can query it.
			other := h.signup("other-"+c.provider, "pw", nil)
			if res := h.as(other, "GET", "/users/"+id, nil); res.status != 200 || res.body["authData"] != nil {
				t.Fatalf("another user sees authData: %s", res.raw)
			}
			wantError(t, h.as(other, "GET", withQuery("/users", map[string]any{"where": map[string]any{"authData." + c.provider + ".id": c.id}}), nil), 119)
			wantError(t, h.as(anonymous, "GET", withQuery("/users", map[string]any{"where": map[string]any{"authData": map[string]any{"$exists": true}}}), nil), 119)
		})
	}
	t.Run("apple key rotation", func(t *testing.T) {
		p.apple.Rotate()
		res := h.do("POST", "/users", "", authData("apple", cases[1].data()))
		wantStatus(t, res, 200)
	})
}

func TestAuthDataRefused(t *testing.T) {
	t.Parallel()
	h, p := newAuthHarness(t)
	sub := "apple-user"
	claims := p.apple.Claims(sub, appleClientID)
	expired := p.apple.Claims(sub, appleClientID)
	expired["exp"] = time.Now().Add(-time.Hour).Unix()
	revoked := p.github.Token(7, "revoked")
	p.github.Revoke(revoked)
	tests := []struct {
		name string
		body map[string]any
		code int
	}{
		{"unknown provider", authData("facebook", map[string]any{"id": "1", "access_token": "x"}), 252},
		{"provider name not a field name", authData("bad name", map[string]any{"id": "1"}), 252},
		{"github token unknown", authData("github", map[string]any{"id": "4242", "access_token": "gho_madeup"}), 251},
		{"github token revoked", authData("github", map[string]any{"id": "7", "access_token": revoked}), 251},
		{"github token of another user", authData("github", map[string]any{"id": "4243", "access_token": p.github.Token(4242, "octocat")}), 251},
		{"github without token", authData("github", map[string]any{"id": "4242"}), 250},
		{"apple forged token", authData("apple", map[string]any{"id": sub, "token": p.apple.Forge(claims)}), 251},
		{"apple token for another app", authData("apple", map[string]any{"id": sub, "token": p.apple.IDToken(sub, "com.other.app")}), 251},
		{"apple token of another user", authData("apple", map[string]any{"id": "someone-else", "token": p.apple.Sign(claims)}), 251},
		{"apple expired token", authData("apple", map[string]any{"id": sub, "token": p.apple.Sign(expired)}), 251},
		{"apple token that is not a JWT", authData("apple", map[string]any{"id": sub, "token": "not.a.jwt"}), 251},
		{"oidc token from another issuer", authData("oidc", map[string]any{"id": sub, "id_token": p.apple.IDToken(sub, "client-1")}), 251},
		{"anonymous without id", authData("anonymous", map[string]any{}), 250},
		{"authData not an object", map[string]any{"authData": "github"}, 250},
		{"authData empty", map[string]any{"authData": map[string]any{}}, 250},
		{"provider data not an object", map[string]any{"authData": map[string]any{"github": "token"}}, 250},
		{"authData null", map[string]any{"authData": nil}, 250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.do("POST", "/users", "", tt.body), tt.code)
		})
	}
	if res := h.do("GET", "/users?count=1&limit=0", "master", nil); res.body["count"] != nil && res.body["count"] != 0.0 {
		t.Errorf("refused logins made users: %s", res.raw)
	}

	t.Run("provider down", func(t *testing.T) {
		data := p.githubData(99, "down")
		for _, mode := range []authfake.Outage{authfake.Down, authfake.Failing} {
			p.github.SetOutage(mode)
			res := h.do("POST", "/users", "", authData("github", data))
			wantError(t, res, 100)
		}
		p.github.SetOutage(authfake.Up)
		p.github.SetRateLimited(true)
		wantError(t, h.do("POST", "/users", "", authData("github", data)), 100)
		p.github.SetRateLimited(false)
		// Once it is back, the same data logs in.
		wantStatus(t, h.do("POST", "/users", "", authData("github", data)), 201)
	})
}

func TestAuthDataLinking(t *testing.T) {
	t.Parallel()
	h, p := newAuthHarness(t)
	alice := h.signup("alice", "pw-alice", nil)
	bob := h.signup("bob", "pw-bob", nil)
	me := func(w who) map[string]any {
		ad, _ := h.as(w, "GET", "/users/me", nil).body["authData"].(map[string]any)
		return ad
	}

	// alice links GitHub account 77 to her password account.
	wantError(t, h.as(alice, "PUT", "/users/"+alice.id, authData("github", map[string]any{"id": "77", "access_token": "gho_bad"})), 251)
	if me(alice) != nil {
		t.Fatal("a refused link was stored")
	}
	wantError(t, h.as(bob, "PUT", "/users/"+alice.id, authData("github", p.githubData(77, "al"))), 206)
	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, authData("github", p.githubData(77, "al"))), 200)
	if gh, _ := me(alice)["github"].(map[string]any); gh["id"] != "77" {
		t.Fatalf("linked authData: %v", me(alice))
	}
	res := h.do("POST", "/users", "", authData("github", p.githubData(77, "al")))
	if res.status != 200 || res.body["objectId"] != alice.id {
		t.Fatalf("login with the linked account: %d %s", res.status, res.raw)
	}
	// A second provider keeps the first.
	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, authData("anonymous", map[string]any{"id": "alice-device"})), 200)
	if ad := me(alice); ad["github"] == nil || ad["anonymous"] == nil {
		t.Fatalf("two providers: %v", ad)
	}

	// Account 77 belongs to alice: bob cannot link it, nor log in with it
	// together with his own account.
	wantError(t, h.as(bob, "PUT", "/users/"+bob.id, authData("github", p.githubData(77, "al"))), 208)
	wantStatus(t, h.as(bob, "PUT", "/users/"+bob.id, authData("anonymous", map[string]any{"id": "bob-device"})), 200)
	res = h.do("POST", "/users", "", map[string]any{"authData": map[string]any{
		"github": p.githubData(77, "al"), "anonymous": map[string]any{"id": "bob-device"}}})
	wantError(t, res, 208)

	// Unlinking with null.
	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"authData": map[string]any{"github": nil}}), 200)
	if ad := me(alice); ad["github"] != nil || ad["anonymous"] == nil {
		t.Fatalf("after unlinking github: %v", ad)
	}
	h.login("alice", "pw-alice")
	// Account 77 is free again: logging in with it makes a new user.
	res = h.do("POST", "/users", "", authData("github", p.githubData(77, "al")))
	if res.status != 201 || res.body["objectId"] == alice.id {
		t.Fatalf("login with the unlinked account: %d %s", res.status, res.raw)
	}
	// And bob may not link it now either: it is that new user's.
	wantError(t, h.as(bob, "PUT", "/users/"+bob.id, authData("github", p.githubData(77, "al"))), 208)

	// Linking while the provider is down changes nothing.
	p.github.SetOutage(authfake.Down)
	wantError(t, h.as(bob, "PUT", "/users/"+bob.id, authData("github", p.githubData(88, "bob"))), 100)
	p.github.SetOutage(authfake.Up)
	if ad := me(bob); ad["github"] != nil {
		t.Fatalf("bob after a failed link: %v", ad)
	}
}

// TestAnonymousUserUpgrade: an anonymous user becomes a password user by
// saving a username and password, whether it unlinks "anonymous" itself
// (the SDKs) or not (a plain REST client): the device id no longer leads
// to the account, and no empty authData is left behind.
func TestAnonymousUserUpgrade(t *testing.T) {
	t.Parallel()
	h, p := newAuthHarness(t)
	for i, upgrade := range []map[string]any{
		{"username": "upgraded", "password": "pw", "authData": map[string]any{"anonymous": nil}},
		{"username": "upgraded-rest", "password": "pw"},
	} {
		device := map[string]any{"id": fmt.Sprintf("2f3e8d8a-1111-4222-8333-44445555666%d", i)}
		res := h.do("POST", "/users", "", authData("anonymous", device))
		wantStatus(t, res, 201)
		anon := who{name: "anon", id: res.body["objectId"].(string), token: res.body["sessionToken"].(string)}
		wantStatus(t, h.as(anon, "PUT", "/users/"+anon.id, upgrade), 200)
		if s := h.login(upgrade["username"].(string), "pw"); s.id != anon.id {
			t.Fatalf("login after upgrade is another user: %s vs %s", s.id, anon.id)
		}
		wantStatus(t, h.as(anon, "GET", "/users/me", nil), 200)
		if stored := h.do("GET", "/users/"+anon.id, "master", nil); stored.body["authData"] != nil {
			t.Fatalf("authData after the upgrade %v: %s", upgrade, stored.raw)
		}
		res = h.do("POST", "/users", "", authData("anonymous", device))
		if res.status != 201 || res.body["objectId"] == anon.id {
			t.Fatalf("anonymous login after upgrade: %d %s", res.status, res.raw)
		}
	}
	// Other providers stay linked through a password change.
	gh := h.do("POST", "/users", "", authData("github", p.githubData(77, "octo")))
	wantStatus(t, gh, 201)
	ghUser := who{id: gh.body["objectId"].(string), token: gh.body["sessionToken"].(string)}
	wantStatus(t, h.as(ghUser, "PUT", "/users/"+ghUser.id, map[string]any{"password": "pw2"}), 200)
	ad, _ := h.do("GET", "/users/"+ghUser.id, "master", nil).body["authData"].(map[string]any)
	if ad["github"] == nil {
		t.Fatalf("a password change unlinked github: %v", ad)
	}
}
