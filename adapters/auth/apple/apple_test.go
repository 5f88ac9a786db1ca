package apple_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/auth/apple"
	"github.com/switchboardhq/switchboard/adapters/auth/authfake"
	"github.com/switchboardhq/switchboard/adapters/auth/authtest"
	"github.com/switchboardhq/switchboard/core"
)

const (
	bundleID = "com.example.app"
	user     = "001234.5d2f9b8c0e7a4c3d9f1e2a3b4c5d6e7f.0123"
)

func TestConformance(t *testing.T) {
	authtest.RunConformance(t, authtest.Harness{Provider: apple.Name, Setup: setup})
}

func setup(t *testing.T) *authtest.Fixture {
	idp := authfake.NewApple(t)
	claims := func(edit func(map[string]any)) map[string]any {
		c := idp.Claims(user, bundleID)
		edit(c)
		return c
	}
	token := func(edit func(map[string]any)) func(*testing.T) map[string]any {
		return func(*testing.T) map[string]any {
			return map[string]any{"id": user, "token": idp.Sign(claims(edit))}
		}
	}
	return &authtest.Fixture{
		// The default issuer is Apple's; only the keys come from the fake.
		Options: map[string]any{"clientId": []any{"com.example.other", bundleID}, "jwksURL": idp.JWKSURL()},
		Valid: map[string]func(*testing.T) (map[string]any, string){
			"token": func(*testing.T) (map[string]any, string) {
				return map[string]any{"id": user, "token": idp.IDToken(user, bundleID)}, user
			},
		},
		Invalid: map[string]func(*testing.T) map[string]any{
			"expired":        token(func(c map[string]any) { c["exp"] = time.Now().Add(-2 * time.Minute).Unix() }),
			"no expiry":      token(func(c map[string]any) { delete(c, "exp") }),
			"not yet valid":  token(func(c map[string]any) { c["iat"] = time.Now().Add(10 * time.Minute).Unix() }),
			"other audience": token(func(c map[string]any) { c["aud"] = "com.attacker.app" }),
			"other issuer":   token(func(c map[string]any) { c["iss"] = "https://accounts.google.com" }),
			"forged": func(*testing.T) map[string]any {
				return map[string]any{"id": user, "token": idp.Forge(idp.Claims(user, bundleID))}
			},
			"not a jwt": func(*testing.T) map[string]any { return map[string]any{"id": user, "token": "abc.def.ghi"} },
			"unsigned": func(*testing.T) map[string]any {
				// {"alg":"none"}: no signature at all.
				return map[string]any{"id": user, "token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}
			},
		},
		Outages: map[string]func(){
			"down": func() { idp.SetOutage(authfake.Down) },
			"503":  func() { idp.SetOutage(authfake.Failing) },
		},
		Rotate: idp.Rotate,
	}
}

func TestOpenNeedsClientID(t *testing.T) {
	_, err := apple.Open(context.Background(), core.ProviderEnv{Options: map[string]any{}})
	if err == nil {
		t.Fatal("open without clientId succeeded; tokens of any app would pass")
	}
}

func TestCommaSeparatedClientIDs(t *testing.T) {
	idp := authfake.NewApple(t)
	p := authtest.Open(t, apple.Name, map[string]any{"clientId": "com.example.web, " + bundleID, "jwksURL": idp.JWKSURL()})
	id, _, err := p.Validate(context.Background(), map[string]any{"id": user, "id_token": idp.IDToken(user, bundleID)})
	if err != nil || id != user {
		t.Fatalf("Validate = %q, %v", id, err)
	}
}
