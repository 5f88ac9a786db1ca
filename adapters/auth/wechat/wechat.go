// Package wechat is the "wechat" authData provider: WeChat (Weixin) login
// through WeChat's OAuth API (mobile apps via the Open Platform, web pages
// via Official Accounts). The app sends either the one-time code the
// WeChat SDK returned (preferred) or an openid with its access token:
//
//	authData: {"wechat": {"code": "<code>"}}
//	authData: {"wechat": {"id": "<openid>", "access_token": "<token>"}}
//
// A code is exchanged at GET {apiURL}/sns/oauth2/access_token (which needs
// appId and appSecret); the user's id is the openid WeChat returns, and the
// stored authData is {"id": openid, "access_token": ..., "unionid": ...
// (when WeChat sends one)}, never the code. If the code form also carries
// an id, it must equal the openid. An openid and access token are checked at
// GET {apiURL}/sns/auth. Note that this check cannot tell which app the
// token was issued to; prefer the code form.
//
// WeChat reports errors with HTTP 200 and {"errcode", "errmsg"}. An invalid,
// used or expired code or token (40029, 40163, 42003, 40001, 40003, 40014,
// 42001, ...) is rejected (251); "system busy" (-1) and quota limits
// (45009, 45011) are retryable (100); a wrong appId or appSecret, or a
// server IP missing from the app's whitelist (40013, 40125, 40164, ...) is
// an internal error whose log line says what to fix.
//
// Options (auth.wechat):
//
//	appId      string. The app's AppID (wx...). Required for the code form.
//	appSecret  string. The app's AppSecret. Required with appId.
//	apiURL     string, optional. Default https://api.weixin.qq.com.
package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboardhq/switchboard/adapters/auth/internal/authkit"
	"github.com/switchboardhq/switchboard/core"
)

// Name is the provider's name in core.AuthProviders and in authData.
const Name = "wechat"

// DefaultAPIURL is WeChat's API.
const DefaultAPIURL = "https://api.weixin.qq.com"

func init() { core.AuthProviders.Register(Name, Open) }

// Options is the auth.wechat config section.
type Options struct {
	AppID     string `json:"appId"`
	AppSecret string `json:"appSecret"`
	APIURL    string `json:"apiURL"`
}

// Open implements core.OpenAuthFunc.
func Open(_ context.Context, env core.ProviderEnv) (core.AuthDataProvider, error) {
	options := env.Options
	opts := Options{APIURL: DefaultAPIURL}
	if err := core.DecodeOptions(options, &opts); err != nil {
		return nil, err
	}
	if (opts.AppID == "") != (opts.AppSecret == "") {
		return nil, errors.New("appId and appSecret go together: set both (for code login) or neither")
	}
	if err := authkit.CheckURL(opts.APIURL); err != nil {
		return nil, fmt.Errorf("apiURL: %w", err)
	}
	return &provider{opts: opts, base: strings.TrimSuffix(opts.APIURL, "/"), client: authkit.Client()}, nil
}

type provider struct {
	opts   Options
	base   string
	client *http.Client
}

var _ core.AuthDataProvider = (*provider)(nil)

// Validate implements core.AuthDataProvider.
func (p *provider) Validate(ctx context.Context, authData map[string]any) (string, map[string]any, error) {
	if code, ok := authkit.String(authData, "code"); ok {
		return p.exchange(ctx, code, authData)
	}
	id, hasID := authkit.ID(authData)
	token, hasToken := authkit.String(authData, "access_token")
	if !hasID || !hasToken {
		return "", nil, authkit.Missing(Name, "code, or id and access_token")
	}
	q := url.Values{"access_token": {token}, "openid": {id}}
	if _, err := p.call(ctx, "/sns/auth", q, false); err != nil {
		return "", nil, err
	}
	return id, authkit.Stored(authData, id), nil
}

// exchange trades a one-time code for the user's openid and access token.
func (p *provider) exchange(ctx context.Context, code string, authData map[string]any) (string, map[string]any, error) {
	if p.opts.AppID == "" {
		return "", nil, authkit.Misconfigured(Name, "code login needs appId and appSecret")
	}
	q := url.Values{
		"appid":      {p.opts.AppID},
		"secret":     {p.opts.AppSecret},
		"code":       {code},
		"grant_type": {"authorization_code"},
	}
	ans, err := p.call(ctx, "/sns/oauth2/access_token", q, true)
	if err != nil {
		return "", nil, err
	}
	if ans.OpenID == "" || ans.AccessToken == "" {
		return "", nil, authkit.Unavailable(Name, errors.New("code exchange answered without openid or access_token"))
	}
	if id, ok := authkit.ID(authData); ok && id != ans.OpenID {
		return "", nil, authkit.Invalid(Name, "code belongs to another user", nil)
	}
	stored := map[string]any{"id": ans.OpenID, "access_token": ans.AccessToken}
	if ans.UnionID != "" {
		stored["unionid"] = ans.UnionID
	}
	return ans.OpenID, stored, nil
}

// answer is what both sns endpoints return: an error, the "ok" of
// /sns/auth, or the tokens of /sns/oauth2/access_token.
type answer struct {
	ErrCode     json.Number `json:"errcode"`
	ErrMsg      string      `json:"errmsg"`
	OpenID      string      `json:"openid"`
	UnionID     string      `json:"unionid"`
	AccessToken string      `json:"access_token"`
}

// call GETs a WeChat endpoint and maps its errcode.
func (p *provider) call(ctx context.Context, path string, q url.Values, exchange bool) (*answer, error) {
	resp, err := authkit.Get(ctx, p.client, Name, p.base+path+"?"+q.Encode(), nil)
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, authkit.Misconfigured(Name, "%s answered %d: %s (check apiURL)", path, resp.Status, authkit.Snippet(resp.Body))
	}
	var ans answer
	if err := resp.DecodeJSON(&ans); err != nil {
		return nil, authkit.Unavailable(Name, fmt.Errorf("%s: %w", path, err))
	}
	if ans.ErrCode == "" || ans.ErrCode == "0" {
		return &ans, nil
	}
	return nil, mapError(path, ans.ErrCode.String(), ans.ErrMsg, exchange)
}

// mapError maps a WeChat errcode to the contract's codes.
func mapError(path, errcode, errmsg string, exchange bool) error {
	cause := fmt.Errorf("%s: errcode %s: %s", path, errcode, errmsg)
	switch errcode {
	case "-1", "45009", "45011":
		return authkit.Unavailable(Name, cause)
	case "40013", "41002":
		return authkit.Misconfigured(Name, "%v (check appId)", cause)
	case "40125", "41004":
		return authkit.Misconfigured(Name, "%v (check appSecret)", cause)
	case "40164":
		return authkit.Misconfigured(Name, "%v (add this server's IP to the app's IP whitelist)", cause)
	case "40001":
		if exchange {
			return authkit.Misconfigured(Name, "%v (check appId and appSecret)", cause)
		}
		return authkit.Invalid(Name, "access token is invalid", cause)
	case "40029", "40163", "42003", "41008":
		return authkit.Invalid(Name, "code is invalid, used or expired", cause)
	case "42001", "40014":
		return authkit.Invalid(Name, "access token is invalid or expired", cause)
	case "40003":
		return authkit.Invalid(Name, "access token belongs to another user", cause)
	}
	return authkit.Invalid(Name, "WeChat refused the login", cause)
}
