// Package github is the "github" authData provider: login with GitHub.
// The app runs GitHub's OAuth flow and sends the user's numeric id and the
// access token:
//
//	authData: {"github": {"id": "<numeric user id>", "access_token": "<token>"}}
//
// The token is checked by calling GET {apiURL}/user with it; the id GitHub
// answers must equal authData.id (compared as strings; a JSON number id is
// accepted too). A revoked or unknown token (401) is rejected; GitHub's
// rate limit and server errors are reported as retryable.
//
// Options (auth.github):
//
//	apiURL  string, optional. The REST API base URL. Default
//	        https://api.github.com; for GitHub Enterprise Server use
//	        https://HOST/api/v3.
package github

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/adapters/auth/internal/authkit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.AuthProviders and in authData.
const Name = "github"

// DefaultAPIURL is GitHub's REST API.
const DefaultAPIURL = "https://api.github.com"

func init() { core.AuthProviders.Register(Name, Open) }

// Options is the auth.github config section.
type Options struct {
	APIURL string `json:"apiURL"`
}

// Open implements core.OpenAuthFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.AuthDataProvider, error) {
	options := env.Options
	opts := Options{APIURL: DefaultAPIURL}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if err := authkit.CheckURL(opts.APIURL); err != nil {
		return nil, fmt.Errorf("apiURL: %w", err)
	}
	return &provider{client: authkit.Client(), userURL: strings.TrimSuffix(opts.APIURL, "/") + "/user"}, nil
}

type provider struct {
	client  *http.Client
	userURL string
}

var _ core.AuthDataProvider = (*provider)(nil)

// Validate implements core.AuthDataProvider.
func (p *provider) Validate(ctx context.Context, authData map[string]any) (string, map[string]any, error) {
	id, hasID := authkit.ID(authData)
	token, hasToken := authkit.String(authData, "access_token")
	if !hasID || !hasToken {
		return "", nil, authkit.Missing(Name, "id and access_token")
	}
	resp, err := authkit.Get(ctx, p.client, Name, p.userURL, http.Header{
		"Authorization":        {"Bearer " + token},
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"},
	})
	if err != nil {
		return "", nil, err
	}
	var body struct {
		ID      json.Number `json:"id"`
		Message string      `json:"message"`
	}
	decodeErr := resp.DecodeJSON(&body)
	switch {
	case resp.Status == http.StatusUnauthorized:
		return "", nil, authkit.Invalid(Name, "access token is invalid or revoked", fmt.Errorf("GitHub: %s", body.Message))
	case resp.Status == http.StatusForbidden && (resp.Header.Get("X-RateLimit-Remaining") == "0" || strings.Contains(strings.ToLower(body.Message), "rate limit")):
		return "", nil, authkit.Unavailable(Name, fmt.Errorf("GitHub rate limit: %s", body.Message))
	case resp.Status == http.StatusForbidden:
		return "", nil, authkit.Invalid(Name, "access token is not allowed to read the user", fmt.Errorf("GitHub: %s", body.Message))
	case resp.Status != http.StatusOK:
		return "", nil, authkit.Misconfigured(Name, "GET %s answered %d: %s (check apiURL)", p.userURL, resp.Status, authkit.Snippet(resp.Body))
	case decodeErr != nil || body.ID == "":
		return "", nil, authkit.Unavailable(Name, fmt.Errorf("GitHub /user answer without an id: %s", authkit.Snippet(resp.Body)))
	}
	if body.ID.String() != id {
		return "", nil, authkit.Invalid(Name, "access token belongs to another user", nil)
	}
	return id, authkit.Stored(authData, id), nil
}
