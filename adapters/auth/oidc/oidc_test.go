package oidc_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/auth/authfake"
	"github.com/switchboardhq/switchboard/adapters/auth/authtest"
	"github.com/switchboardhq/switchboard/adapters/auth/oidc"
	"github.com/switchboardhq/switchboard/core"
)

const (
	clientID = "switchboard-app"
	user     = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6"
)

func TestConformance(t *testing.T) {
	authtest.RunConformance(t, authtest.Harness{Provider: oidc.Name, Setup: setup})
}

func setup(t *testing.T) *authtest.Fixture {
	idp := authfake.NewIdP(t, "") // issuer = the fake's URL, keys found by discovery
	token := func(edit func(map[string]any)) func(*testing.T) map[string]any {
		return func(*testing.T) map[string]any {
			c := idp.Claims(user, clientID)
			edit(c)
			return map[string]any{"id": user, "id_token": idp.Sign(c)}
		}
	}
	return &authtest.Fixture{
		Options: map[string]any{"issuer": idp.Issuer, "clientId": clientID},
		Valid: map[string]func(*testing.T) (map[string]any, string){
			"id_token": func(*testing.T) (map[string]any, string) {
				return map[string]any{"id": user, "id_token": idp.IDToken(user, clientID)}, user
			},
			"token": func(*testing.T) (map[string]any, string) {
				return map[string]any{"id": user, "token": idp.IDToken(user, clientID)}, user
			},
		},
		Invalid: map[string]func(*testing.T) map[string]any{
			"expired":        token(func(c map[string]any) { c["exp"] = time.Now().Add(-time.Hour).Unix() }),
			"other audience": token(func(c map[string]any) { c["aud"] = []string{"someone-else", "another"} }),
			"other issuer":   token(func(c map[string]any) { c["iss"] = "https://evil.example.com" }),
			"no subject":     token(func(c map[string]any) { delete(c, "sub") }),
			"forged": func(*testing.T) map[string]any {
				return map[string]any{"id": user, "id_token": idp.Forge(idp.Claims(user, clientID))}
			},
		},
		Outages: map[string]func(){
			"down": func() { idp.SetOutage(authfake.Down) },
			"503":  func() { idp.SetOutage(authfake.Failing) },
		},
		Rotate: idp.Rotate,
	}
}

func TestAudienceList(t *testing.T) {
	idp := authfake.NewIdP(t, "")
	p := authtest.Open(t, oidc.Name, idp.Options(clientID))
	tok := idp.Sign(map[string]any{
		"iss": idp.Issuer, "sub": user, "aud": []string{"other", clientID},
		"exp": time.Now().Add(time.Minute).Unix(),
	})
	if _, _, err := p.Validate(context.Background(), map[string]any{"id": user, "id_token": tok}); err != nil {
		t.Fatal(err)
	}
}

func TestDiscoveryIssuerMismatch(t *testing.T) {
	idp := authfake.NewIdP(t, "https://login.example.com") // discovery names another issuer
	p := authtest.Open(t, oidc.Name, map[string]any{"issuer": idp.URL(), "clientId": clientID})
	_, _, err := p.Validate(context.Background(), map[string]any{"id": user, "id_token": idp.IDToken(user, clientID)})
	authtest.WantCode(t, err, core.CodeInternalServerError)
}

func TestOpenErrors(t *testing.T) {
	for name, opts := range map[string]map[string]any{
		"no issuer":      {"clientId": clientID},
		"no clientId":    {"issuer": "https://login.example.com"},
		"issuer not URL": {"issuer": "login.example.com", "clientId": clientID},
		"bad jwksURL":    {"issuer": "https://login.example.com", "clientId": clientID, "jwksURL": "ftp://x"},
		"clientId type":  {"issuer": "https://login.example.com", "clientId": 42},
	} {
		if _, err := oidc.Open(context.Background(), core.ProviderEnv{Options: opts}); err == nil {
			t.Errorf("%s: open succeeded", name)
		}
	}
}
