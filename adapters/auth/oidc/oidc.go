// Package oidc is the "oidc" authData provider: login with any OpenID
// Connect provider (Keycloak, Auth0, Okta, Azure AD, ...). The app signs
// the user in with the provider and sends the ID token:
//
//	authData: {"oidc": {"id": "<sub claim>", "id_token": "<JWT>"}}
//
// ("token" is accepted in place of "id_token"). The token's signature is
// checked against the provider's published keys, and its claims: iss is
// the configured issuer, aud names one of the client ids, exp has not
// passed (30 s leeway), and sub equals id.
//
// Options (auth.oidc):
//
//	issuer    string, required. The provider's issuer URL, exactly as in
//	          its tokens' "iss" claim ("https://login.example.com/realms/app").
//	clientId  string or list of strings, required. The client id(s) the
//	          tokens are issued to (the "aud" claim); a string may list
//	          several separated by commas.
//	jwksURL   string, optional. Where the signing keys are published.
//	          Default: the jwks_uri of issuer + "/.well-known/openid-configuration",
//	          discovered on the first login.
//
// Keys are cached for an hour; a token signed with an unknown key id
// fetches them again, at most once a minute.
package oidc

import (
	"context"

	"github.com/go-jose/go-jose/v4"

	"github.com/switchboardhq/switchboard/adapters/auth/internal/authkit"
	"github.com/switchboardhq/switchboard/adapters/auth/internal/idtoken"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.AuthProviders and in authData.
const Name = "oidc"

func init() { core.AuthProviders.Register(Name, Open) }

// Options is the auth.oidc config section.
type Options struct {
	Issuer   string             `json:"issuer"`
	ClientID authkit.StringList `json:"clientId"`
	JWKSURL  string             `json:"jwksURL"`
}

// Open implements core.OpenAuthFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.AuthDataProvider, error) {
	options := env.Options
	var opts Options
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	return idtoken.NewProvider(idtoken.Config{
		Provider:  Name,
		Issuers:   []string{opts.Issuer},
		Audiences: opts.ClientID,
		JWKSURL:   opts.JWKSURL,
		// Asymmetric algorithms only; providers differ in which they use.
		Algorithms: []jose.SignatureAlgorithm{
			jose.RS256, jose.RS384, jose.RS512,
			jose.PS256, jose.PS384, jose.PS512,
			jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
		},
	}, "id_token", "token")
}
