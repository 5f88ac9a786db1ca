// Package google is the "google" authData provider: Google Sign-In. The
// app sends either the ID token Google issued (preferred; checked offline
// against Google's keys) or an OAuth access token (checked with Google's
// tokeninfo endpoint):
//
//	authData: {"google": {"id": "<sub>", "id_token": "<JWT>"}}
//	authData: {"google": {"id": "<sub>", "access_token": "<token>"}}
//
// An ID token must be signed by one of Google's keys, with iss
// accounts.google.com or https://accounts.google.com, aud one of clientId,
// exp not passed (30 s leeway) and sub equal to id. An access token must
// be live at tokeninfo, with sub (or user_id) equal to id and aud or azp
// one of clientId. When both are sent the ID token is used.
//
// Options (auth.google):
//
//	clientId      string or list of strings, required. The OAuth client
//	              id(s) of your apps (web, Android, iOS), as in the "aud"
//	              of their tokens; a string may list several separated by
//	              commas.
//	jwksURL       string, optional. Google's keys. Default
//	              https://www.googleapis.com/oauth2/v3/certs.
//	tokenInfoURL  string, optional. Google's tokeninfo endpoint. Default
//	              https://oauth2.googleapis.com/tokeninfo.
//
// Keys are cached for an hour; a token signed with an unknown key id
// fetches them again, at most once a minute.
package google

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/adapters/auth/internal/authkit"
	"github.com/switchboardhq/switchboard/adapters/auth/internal/idtoken"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.AuthProviders and in authData.
const Name = "google"

// Google's endpoints and issuers.
const (
	DefaultJWKSURL      = "https://www.googleapis.com/oauth2/v3/certs"
	DefaultTokenInfoURL = "https://oauth2.googleapis.com/tokeninfo"
)

// Issuers are the "iss" values Google's ID tokens carry.
var Issuers = []string{"https://accounts.google.com", "accounts.google.com"}

func init() { core.AuthProviders.Register(Name, Open) }

// Options is the auth.google config section.
type Options struct {
	ClientID     authkit.StringList `json:"clientId"`
	JWKSURL      string             `json:"jwksURL"`
	TokenInfoURL string             `json:"tokenInfoURL"`
}

// Open implements core.OpenAuthFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.AuthDataProvider, error) {
	options := env.Options
	opts := Options{JWKSURL: DefaultJWKSURL, TokenInfoURL: DefaultTokenInfoURL}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if err := authkit.CheckURL(opts.TokenInfoURL); err != nil {
		return nil, fmt.Errorf("tokenInfoURL: %w", err)
	}
	client := authkit.Client()
	idToken, err := idtoken.NewProvider(idtoken.Config{
		Provider:  Name,
		Issuers:   Issuers,
		Audiences: opts.ClientID,
		JWKSURL:   opts.JWKSURL,
		Client:    client,
	}, "id_token")
	if err != nil {
		return nil, err
	}
	return &provider{
		idToken:      idToken,
		client:       client,
		tokenInfoURL: opts.TokenInfoURL,
		clientIDs:    opts.ClientID,
	}, nil
}

type provider struct {
	idToken      *idtoken.Provider
	client       *http.Client
	tokenInfoURL string
	clientIDs    []string
}

var _ core.AuthDataProvider = (*provider)(nil)

// Validate implements core.AuthDataProvider.
func (p *provider) Validate(ctx context.Context, authData map[string]any) (string, map[string]any, error) {
	id, hasID := authkit.ID(authData)
	_, hasIDToken := p.idToken.Token(authData)
	accessToken, hasAccess := authkit.String(authData, "access_token")
	switch {
	case !hasID || !hasIDToken && !hasAccess:
		return "", nil, authkit.Missing(Name, "id and id_token or access_token")
	case hasIDToken:
		return p.idToken.Validate(ctx, authData)
	}
	if err := p.checkAccessToken(ctx, accessToken, id); err != nil {
		return "", nil, err
	}
	return id, authkit.Stored(authData, id), nil
}

// checkAccessToken asks tokeninfo about token. tokeninfo answers 400
// {"error": "invalid_token", ...} for an unknown or expired token, and 200
// with the token's aud, azp, sub and exp (as strings) for a live one.
func (p *provider) checkAccessToken(ctx context.Context, token, id string) error {
	endpoint := p.tokenInfoURL + "?access_token=" + url.QueryEscape(token)
	resp, err := authkit.Get(ctx, p.client, Name, endpoint, http.Header{"Accept": {"application/json"}})
	if err != nil {
		return err
	}
	var info struct {
		Sub              string      `json:"sub"`
		UserID           string      `json:"user_id"`
		Aud              string      `json:"aud"`
		Azp              string      `json:"azp"`
		Exp              json.Number `json:"exp"`
		Error            string      `json:"error"`
		ErrorDescription string      `json:"error_description"`
	}
	decodeErr := resp.DecodeJSON(&info)
	switch {
	case resp.Status == http.StatusBadRequest || resp.Status == http.StatusUnauthorized:
		return authkit.Invalid(Name, "access token is invalid or expired", fmt.Errorf("tokeninfo %d: %s: %s", resp.Status, info.Error, info.ErrorDescription))
	case resp.Status != http.StatusOK:
		return authkit.Misconfigured(Name, "tokeninfo answered %d: %s (check tokenInfoURL)", resp.Status, authkit.Snippet(resp.Body))
	case decodeErr != nil:
		return authkit.Unavailable(Name, fmt.Errorf("tokeninfo: %w", decodeErr))
	}
	if !slices.Contains(p.clientIDs, info.Aud) && !slices.Contains(p.clientIDs, info.Azp) {
		return authkit.Invalid(Name, "access token was issued to another app", fmt.Errorf("aud %q azp %q", info.Aud, info.Azp))
	}
	if exp, err := info.Exp.Int64(); err == nil && time.Unix(exp, 0).Before(time.Now()) {
		return authkit.Invalid(Name, "access token expired", nil)
	}
	if sub := cmp.Or(info.Sub, info.UserID); sub == "" || sub != id {
		return authkit.Invalid(Name, "access token belongs to another user", nil)
	}
	return nil
}
