// Package apple is the "apple" authData provider: Sign in with Apple. The
// app sends the user identifier and the identity token Apple returned:
//
//	authData: {"apple": {"id": "<user identifier>", "token": "<identity token>"}}
//
// ("id_token" is accepted in place of "token"). The identity token is an
// RS256 JWT; its signature is checked against Apple's published keys, and
// its claims: iss is https://appleid.apple.com, aud is one of clientId,
// exp has not passed (30 s leeway), and sub equals id.
//
// Options (auth.apple):
//
//	clientId  string or list of strings, required. The app's bundle id
//	          (native apps) and/or Services ID (web), which Apple puts in
//	          the token's "aud"; a string may list several separated by
//	          commas. Without it a token issued to any app would pass.
//	jwksURL   string, optional. Apple's keys. Default
//	          https://appleid.apple.com/auth/keys.
//	issuer    string, optional. The expected "iss". Default
//	          https://appleid.apple.com.
//
// Keys are cached for an hour; a token signed with an unknown key id
// fetches them again, at most once a minute.
package apple

import (
	"context"

	"github.com/switchboardhq/switchboard/adapters/auth/internal/authkit"
	"github.com/switchboardhq/switchboard/adapters/auth/internal/idtoken"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.AuthProviders and in authData.
const Name = "apple"

// Apple's endpoints.
const (
	DefaultIssuer  = "https://appleid.apple.com"
	DefaultJWKSURL = "https://appleid.apple.com/auth/keys"
)

func init() { core.AuthProviders.Register(Name, Open) }

// Options is the auth.apple config section.
type Options struct {
	ClientID authkit.StringList `json:"clientId"`
	JWKSURL  string             `json:"jwksURL"`
	Issuer   string             `json:"issuer"`
}

// Open implements core.OpenAuthFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.AuthDataProvider, error) {
	options := env.Options
	opts := Options{JWKSURL: DefaultJWKSURL, Issuer: DefaultIssuer}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	return idtoken.NewProvider(idtoken.Config{
		Provider:  Name,
		Issuers:   []string{opts.Issuer},
		Audiences: opts.ClientID,
		JWKSURL:   opts.JWKSURL,
	}, "token", "id_token")
}
