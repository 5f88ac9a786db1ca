package wechat_test

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/auth/authfake"
	"github.com/switchboardhq/switchboard/adapters/auth/authtest"
	"github.com/switchboardhq/switchboard/adapters/auth/wechat"
	"github.com/switchboardhq/switchboard/core"
)

const (
	appID   = "wx520c15f417810387"
	secret  = "2a6f8b3c9d0e1f2a3b4c5d6e7f8a9b0c"
	openid  = "oLVPpjqs9BhvzwPj5A-vTYAX3GLc"
	unionid = "o6_bmasdasdsad6_2sgVt7hMZOPfL"
)

func TestConformance(t *testing.T) {
	authtest.RunConformance(t, authtest.Harness{Provider: wechat.Name, Setup: setup})
}

func setup(t *testing.T) *authtest.Fixture {
	wx := authfake.NewWeChat(t, appID, secret)
	return &authtest.Fixture{
		Options: wx.Options(),
		Valid: map[string]func(*testing.T) (map[string]any, string){
			"code": func(*testing.T) (map[string]any, string) {
				return map[string]any{"code": wx.Code(openid, unionid)}, openid
			},
			"access_token": func(*testing.T) (map[string]any, string) {
				return map[string]any{"id": openid, "access_token": wx.AccessToken(openid)}, openid
			},
		},
		OneTimeKeys: []string{"code"},
		Invalid: map[string]func(*testing.T) map[string]any{
			"unknown code": func(*testing.T) map[string]any { return map[string]any{"code": "081abcUnknown"} },
			"used code": func(t *testing.T) map[string]any {
				code := wx.Code(openid, "")
				p := authtest.Open(t, wechat.Name, wx.Options())
				if _, _, err := p.Validate(context.Background(), map[string]any{"code": code}); err != nil {
					t.Fatal(err)
				}
				return map[string]any{"code": code}
			},
			"expired code": func(*testing.T) map[string]any {
				code := wx.Code(openid, "")
				wx.ExpireCode(code)
				return map[string]any{"code": code}
			},
			"unknown token": func(*testing.T) map[string]any {
				return map[string]any{"id": openid, "access_token": "unknown"}
			},
			"expired token": func(*testing.T) map[string]any {
				tok := wx.AccessToken(openid)
				wx.ExpireAccessToken(tok)
				return map[string]any{"id": openid, "access_token": tok}
			},
		},
		Outages: map[string]func(){
			"down":         func() { wx.SetOutage(authfake.Down) },
			"503":          func() { wx.SetOutage(authfake.Failing) },
			"system busy":  func() { wx.SetBusy(true) },
			"minute quota": func() { wx.SetMinuteQuota(0) },
		},
	}
}

func TestCodeStoresTokenAndUnionID(t *testing.T) {
	wx := authfake.NewWeChat(t, appID, secret)
	p := authtest.Open(t, wechat.Name, wx.Options())
	id, stored, err := p.Validate(context.Background(), map[string]any{"code": wx.Code(openid, unionid)})
	if err != nil {
		t.Fatal(err)
	}
	if id != openid || stored["id"] != openid || stored["unionid"] != unionid || stored["access_token"] == "" {
		t.Fatalf("got %q, %v", id, stored)
	}
	// The stored token is good for the access_token form.
	if _, _, err := p.Validate(context.Background(), stored); err != nil {
		t.Fatalf("stored authData does not validate: %v", err)
	}
	// Without a unionid, none is stored.
	_, stored, err = p.Validate(context.Background(), map[string]any{"code": wx.Code(openid, "")})
	if _, ok := stored["unionid"]; err != nil || ok {
		t.Fatalf("got %v, %v", stored, err)
	}
}

func TestMinuteQuota(t *testing.T) {
	wx := authfake.NewWeChat(t, appID, secret)
	wx.SetMinuteQuota(2)
	p := authtest.Open(t, wechat.Name, wx.Options())
	for i := range 3 {
		_, _, err := p.Validate(context.Background(), map[string]any{"id": openid, "access_token": wx.AccessToken(openid)})
		if i < 2 && err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
		if i == 2 {
			authtest.WantCode(t, err, core.CodeConnectionFailed)
		}
	}
}

func TestMisconfigured(t *testing.T) {
	wx := authfake.NewWeChat(t, appID, secret)
	for name, opts := range map[string]map[string]any{
		"wrong appId":     {"appId": "wx0000000000000000", "appSecret": secret, "apiURL": wx.URL()},
		"wrong appSecret": {"appId": appID, "appSecret": "nope", "apiURL": wx.URL()},
		"no appId":        {"apiURL": wx.URL()},
	} {
		p := authtest.Open(t, wechat.Name, opts)
		_, _, err := p.Validate(context.Background(), map[string]any{"code": wx.Code(openid, "")})
		if !core.IsCode(err, core.CodeInternalServerError) {
			t.Errorf("%s: got %v, want an internal error", name, err)
		}
	}
	if _, err := wechat.Open(context.Background(), core.ProviderEnv{Options: map[string]any{"appId": appID}}); err == nil {
		t.Error("appId without appSecret opened")
	}
}
