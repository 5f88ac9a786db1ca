package google_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/auth/authfake"
	"github.com/switchboardhq/switchboard/adapters/auth/authtest"
	"github.com/switchboardhq/switchboard/adapters/auth/google"
	"github.com/switchboardhq/switchboard/core"
)

const (
	clientID = "1234567890-abc.apps.googleusercontent.com"
	user     = "110169484474386276334"
)

func TestConformance(t *testing.T) {
	authtest.RunConformance(t, authtest.Harness{Provider: google.Name, Setup: setup})
}

func setup(t *testing.T) *authtest.Fixture {
	g := authfake.NewGoogle(t)
	idToken := func(edit func(map[string]any)) func(*testing.T) map[string]any {
		return func(*testing.T) map[string]any {
			c := g.Claims(user, clientID)
			edit(c)
			return map[string]any{"id": user, "id_token": g.Sign(c)}
		}
	}
	return &authtest.Fixture{
		Options: g.Options(clientID),
		Valid: map[string]func(*testing.T) (map[string]any, string){
			"id_token": func(*testing.T) (map[string]any, string) {
				return map[string]any{"id": user, "id_token": g.IDToken(user, clientID)}, user
			},
			"access_token": func(*testing.T) (map[string]any, string) {
				return map[string]any{"id": user, "access_token": g.AccessToken(user, clientID)}, user
			},
		},
		Invalid: map[string]func(*testing.T) map[string]any{
			"expired id_token":        idToken(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
			"other audience id_token": idToken(func(c map[string]any) { c["aud"] = "other.apps.googleusercontent.com" }),
			"short issuer id_token":   idToken(func(c map[string]any) { c["iss"] = "accounts.google.com.evil" }),
			"forged id_token": func(*testing.T) map[string]any {
				return map[string]any{"id": user, "id_token": g.Forge(g.Claims(user, clientID))}
			},
			"unknown access_token": func(*testing.T) map[string]any {
				return map[string]any{"id": user, "access_token": "ya29.unknown"}
			},
			"expired access_token": func(*testing.T) map[string]any {
				tok := g.AccessToken(user, clientID)
				g.ExpireAccessToken(tok)
				return map[string]any{"id": user, "access_token": tok}
			},
			"other audience access_token": func(*testing.T) map[string]any {
				return map[string]any{"id": user, "access_token": g.AccessToken(user, "other.apps.googleusercontent.com")}
			},
		},
		Outages: map[string]func(){
			"down": func() { g.SetOutage(authfake.Down) },
			"503":  func() { g.SetOutage(authfake.Failing) },
		},
		Rotate: g.Rotate,
	}
}

func TestBothIssuerForms(t *testing.T) {
	g := authfake.NewGoogle(t)
	p := authtest.Open(t, google.Name, g.Options(clientID))
	for _, iss := range []string{"accounts.google.com", "https://accounts.google.com"} {
		c := g.Claims(user, clientID)
		c["iss"] = iss
		if _, _, err := p.Validate(context.Background(), map[string]any{"id": user, "id_token": g.Sign(c)}); err != nil {
			t.Errorf("iss %q: %v", iss, err)
		}
	}
}

func TestIDTokenPreferred(t *testing.T) {
	g := authfake.NewGoogle(t)
	p := authtest.Open(t, google.Name, g.Options(clientID))
	// A valid id_token wins over a bad access_token: tokeninfo is not asked.
	if _, _, err := p.Validate(context.Background(), map[string]any{
		"id": user, "id_token": g.IDToken(user, clientID), "access_token": "ya29.bad",
	}); err != nil {
		t.Fatal(err)
	}
}

func TestWrongTokenInfoURL(t *testing.T) {
	g := authfake.NewGoogle(t)
	opts := g.Options(clientID)
	opts["tokenInfoURL"] = g.URL() + "/nowhere"
	p := authtest.Open(t, google.Name, opts)
	_, _, err := p.Validate(context.Background(), map[string]any{"id": user, "access_token": g.AccessToken(user, clientID)})
	authtest.WantCode(t, err, core.CodeInternalServerError)
}
