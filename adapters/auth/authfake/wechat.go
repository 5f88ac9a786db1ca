package authfake

import (
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// WeChat is a fake of WeChat's OAuth API (api.weixin.qq.com) serving
//
//	GET /sns/oauth2/access_token?appid=&secret=&code=&grant_type=authorization_code
//	GET /sns/auth?access_token=&openid=
//
// Like WeChat it answers every error with HTTP 200 and a body
// {"errcode": N, "errmsg": "..."}: 40013 invalid appid, 40125 invalid
// appsecret, 40029 invalid code, 40163 code been used (a code is good for
// one exchange), 42003 code expired, 40001 invalid access_token, 40003
// invalid openid, 42001 access_token expired, -1 system busy (SetBusy) and
// 45011 minute quota reached (SetMinuteQuota).
type WeChat struct {
	outage
	AppID, AppSecret string

	srv *httptest.Server

	mu          sync.Mutex
	codes       map[string]*wechatCode
	tokens      map[string]*wechatToken
	busy        bool
	quota       int // calls a minute; < 0 = unlimited
	windowStart time.Time
	calls       int
}

type wechatCode struct {
	openid, unionid string
	used            bool
	exp             time.Time
}

type wechatToken struct {
	openid string
	exp    time.Time
}

// NewWeChat starts a fake WeChat API for the app appID with appSecret.
func NewWeChat(tb testing.TB, appID, appSecret string) *WeChat {
	tb.Helper()
	w := &WeChat{AppID: appID, AppSecret: appSecret, quota: -1, codes: map[string]*wechatCode{}, tokens: map[string]*wechatToken{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /sns/oauth2/access_token", w.exchange)
	mux.HandleFunc("GET /sns/auth", w.auth)
	w.srv = httptest.NewServer(w.wrap(mux))
	tb.Cleanup(w.srv.Close)
	return w
}

// URL is the API base URL (the adapter's apiURL).
func (w *WeChat) URL() string { return w.srv.URL }

// Options is the wechat adapter's config section.
func (w *WeChat) Options() map[string]any {
	return map[string]any{"appId": w.AppID, "appSecret": w.AppSecret, "apiURL": w.srv.URL}
}

// Code issues a login code for the user openid (unionid may be empty),
// valid for five minutes and one exchange, as the WeChat SDK hands to the
// app.
func (w *WeChat) Code(openid, unionid string) string {
	code := randomToken("0", 15)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.codes[code] = &wechatCode{openid: openid, unionid: unionid, exp: time.Now().Add(5 * time.Minute)}
	return code
}

// ExpireCode makes code expired.
func (w *WeChat) ExpireCode(code string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if c := w.codes[code]; c != nil {
		c.exp = time.Now().Add(-time.Second)
	}
}

// AccessToken issues an access token for openid, valid for two hours.
func (w *WeChat) AccessToken(openid string) string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.issueLocked(openid)
}

func (w *WeChat) issueLocked(openid string) string {
	tok := randomToken("", 32)
	w.tokens[tok] = &wechatToken{openid: openid, exp: time.Now().Add(2 * time.Hour)}
	return tok
}

// ExpireAccessToken makes token expired.
func (w *WeChat) ExpireAccessToken(token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t := w.tokens[token]; t != nil {
		t.exp = time.Now().Add(-time.Second)
	}
}

// SetBusy makes every call answer -1 "system error".
func (w *WeChat) SetBusy(on bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.busy = on
}

// SetMinuteQuota allows n calls a minute; beyond them calls answer 45011.
// n = 0 refuses every call; n < 0 lifts the limit (the default).
func (w *WeChat) SetMinuteQuota(n int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.quota, w.calls, w.windowStart = n, 0, time.Now()
}

// wechatError is WeChat's error body.
type wechatError struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

func (w *WeChat) reply(rw http.ResponseWriter, v any) {
	// WeChat's sns endpoints label their JSON text/plain.
	writeJSON(rw, http.StatusOK, "text/plain", v)
}

func (w *WeChat) fail(rw http.ResponseWriter, code int, msg string) {
	w.reply(rw, wechatError{ErrCode: code, ErrMsg: msg + ", rid: " + randomToken("", 8)})
}

// admitLocked applies the busy switch and the quota; it reports whether
// the call may proceed.
func (w *WeChat) admitLocked(rw http.ResponseWriter) bool {
	if w.busy {
		w.fail(rw, -1, "system error")
		return false
	}
	if w.quota >= 0 {
		if time.Since(w.windowStart) >= time.Minute {
			w.windowStart, w.calls = time.Now(), 0
		}
		w.calls++
		if w.calls > w.quota {
			w.fail(rw, 45011, "api minute-quota reach limit  mustslower  retry next minute")
			return false
		}
	}
	return true
}

func (w *WeChat) exchange(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.admitLocked(rw) {
		return
	}
	switch {
	case q.Get("appid") != w.AppID:
		w.fail(rw, 40013, "invalid appid")
		return
	case q.Get("secret") != w.AppSecret:
		w.fail(rw, 40125, "invalid appsecret")
		return
	case q.Get("grant_type") != "authorization_code":
		w.fail(rw, 40002, "invalid grant_type")
		return
	case q.Get("code") == "":
		w.fail(rw, 41008, "missing code")
		return
	}
	c := w.codes[q.Get("code")]
	switch {
	case c == nil:
		w.fail(rw, 40029, "invalid code")
		return
	case c.used:
		w.fail(rw, 40163, "code been used")
		return
	case time.Now().After(c.exp):
		w.fail(rw, 42003, "code expired")
		return
	}
	c.used = true
	body := map[string]any{
		"access_token":  w.issueLocked(c.openid),
		"expires_in":    7200,
		"refresh_token": randomToken("", 32),
		"openid":        c.openid,
		"scope":         "snsapi_userinfo",
	}
	if c.unionid != "" {
		body["unionid"] = c.unionid
	}
	w.reply(rw, body)
}

func (w *WeChat) auth(rw http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.admitLocked(rw) {
		return
	}
	t := w.tokens[q.Get("access_token")]
	switch {
	case t == nil:
		w.fail(rw, 40001, "invalid credential, access_token is invalid or not latest")
	case t.openid != q.Get("openid"):
		w.fail(rw, 40003, "invalid openid")
	case time.Now().After(t.exp):
		w.fail(rw, 42001, "access_token expired")
	default:
		w.reply(rw, wechatError{ErrCode: 0, ErrMsg: "ok"})
	}
}
