package console

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// fakeAPI answers with what it received, and counts its calls.
type fakeAPI struct{ calls int }

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.calls++
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"path": r.URL.Path, "query": r.URL.RawQuery, "appId": r.Header.Get("X-Parse-Application-Id"),
		"masterKey": r.Header.Get("X-Parse-Master-Key"), "cookie": r.Header.Get("Cookie"),
		"sessionToken": r.Header.Get("X-Parse-Session-Token"),
	})
}

// countingLimiter counts events per key with no window: enough for the
// tests, which never wait a window out (core tests the windows).
func countingLimiter() func(string, int, time.Duration) bool {
	var mu sync.Mutex
	seen := map[string]int{}
	return func(key string, limit int, _ time.Duration) bool {
		mu.Lock()
		defer mu.Unlock()
		seen[key]++
		return limit < 0 || seen[key] <= limit
	}
}

func hash(t *testing.T, pw string) string {
	t.Helper()
	b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func newConsole(t *testing.T, mod func(*Options)) (*Handler, *fakeAPI) {
	t.Helper()
	api := &fakeAPI{}
	o := Options{API: api, AppID: "app", AllowRate: countingLimiter(), MasterKey: "mk", ReadOnlyMasterKey: "romk", MountPath: "/parse",
		Admins: []Admin{{Username: "ada", PasswordHash: hash(t, "s3cret")}, {Username: "viewer", PasswordHash: hash(t, "look"), ReadOnly: true}},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Panels: map[string]Panel{"echo": func(_ context.Context, req PanelRequest) (any, error) {
			return map[string]any{"readOnly": req.ReadOnly, "method": req.Method}, nil
		}}}
	if mod != nil {
		mod(&o)
	}
	h, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	return h, api
}

// call sends one request from 127.0.0.1 (or remote, when set), with the
// cookie and CSRF token given.
type call struct {
	method, path, body string
	cookie, csrf       string
	headers            map[string]string
	remote             string
}

func (c call) do(h http.Handler) *httptest.ResponseRecorder {
	r := httptest.NewRequest(c.method, "http://console.test"+c.path, strings.NewReader(c.body))
	r.RemoteAddr = "127.0.0.1:5555"
	if c.remote != "" {
		r.RemoteAddr = c.remote
	}
	if c.cookie != "" {
		r.AddCookie(&http.Cookie{Name: cookieName, Value: c.cookie})
	}
	if c.csrf != "" {
		r.Header.Set(csrfHeader, c.csrf)
	}
	for k, v := range c.headers {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode(t *testing.T, w *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
		t.Fatalf("%d %q: %v", w.Code, w.Body.String(), err)
	}
	return m
}

// signIn returns the session cookie and CSRF token of a successful sign-in.
func signIn(t *testing.T, h http.Handler, body string) (cookie, csrf string) {
	t.Helper()
	w := call{method: "POST", path: "/dashboard/auth/login", body: body}.do(h)
	if w.Code != 200 {
		t.Fatalf("sign-in %s: %d %s", body, w.Code, w.Body.String())
	}
	for _, c := range w.Result().Cookies() {
		if c.Name == cookieName {
			cookie = c.Value
		}
	}
	return cookie, decode(t, w)["csrf"].(string)
}

func TestPageAndHeaders(t *testing.T) {
	h, _ := newConsole(t, nil)
	w := call{method: "GET", path: "/dashboard/"}.do(h)
	if w.Code != 200 || !strings.Contains(w.Body.String(), "static/main.js") {
		t.Fatalf("index: %d %q", w.Code, w.Body.String())
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || !strings.Contains(csp, "frame-ancestors 'none'") {
		t.Errorf("CSP %q", csp)
	}
	if w := (call{method: "GET", path: "/dashboard/static/main.js"}).do(h); w.Code != 200 || !strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Errorf("main.js: %d %s", w.Code, w.Header().Get("Content-Type"))
	}
	if w := (call{method: "GET", path: "/dashboard"}).do(h); w.Code != http.StatusMovedPermanently {
		t.Errorf("/dashboard: %d", w.Code)
	}
}

// Without a session, nothing reaches the API or a panel.
func TestNoSessionGetsNothing(t *testing.T) {
	h, api := newConsole(t, nil)
	for _, c := range []call{
		{method: "GET", path: "/dashboard/api/schemas"},
		{method: "GET", path: "/dashboard/api/classes/Secret", headers: map[string]string{"X-Parse-Master-Key": "wrong"}},
		{method: "POST", path: "/dashboard/api/schemas/X", body: `{}`, csrf: "guess"},
		{method: "GET", path: "/dashboard/x/echo"},
		{method: "GET", path: "/dashboard/auth/session"},
		{method: "GET", path: "/dashboard/api/schemas", cookie: "forged.cookie", csrf: "x"},
	} {
		w := c.do(h)
		if w.Code != http.StatusForbidden || decode(t, w)["code"] != float64(209) {
			t.Errorf("%s %s: %d %s, want 403 code 209", c.method, c.path, w.Code, w.Body.String())
		}
	}
	if api.calls != 0 {
		t.Errorf("the API was called %d times", api.calls)
	}
}

func TestMasterKeySignInAndProxy(t *testing.T) {
	h, api := newConsole(t, nil)
	if w := (call{method: "POST", path: "/dashboard/auth/login", body: `{"masterKey":"nope"}`}).do(h); w.Code != 403 {
		t.Fatalf("wrong key: %d", w.Code)
	}
	w := call{method: "POST", path: "/dashboard/auth/login", body: `{"masterKey":"mk"}`}.do(h)
	if w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body.String())
	}
	ck := w.Result().Cookies()[0]
	if !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode || ck.Path != "/dashboard" || ck.Secure {
		t.Errorf("cookie %+v: want HttpOnly, SameSite=Strict, Path=/dashboard, not Secure over HTTP from loopback", ck)
	}
	// The cookie is a signed token: base64url JSON, then a signature. Its
	// base64 text may hold "mk" by chance; what it carries may not.
	carried, err := base64.RawURLEncoding.DecodeString(strings.SplitN(ck.Value, ".", 2)[0])
	if err != nil {
		t.Fatalf("cookie %q: %v", ck.Value, err)
	}
	if strings.Contains(w.Body.String(), "mk\"") || strings.Contains(string(carried), "mk\"") {
		t.Errorf("the master key is in the answer: %s / %s", w.Body.String(), carried)
	}
	csrf := decode(t, w)["csrf"].(string)

	// The call reaches the API with the key added and the browser's
	// credentials dropped.
	w = call{method: "GET", path: "/dashboard/api/classes/Game?limit=2", cookie: ck.Value, csrf: csrf,
		headers: map[string]string{"X-Parse-Session-Token": "r:someone", "X-Parse-Master-Key": "other"}}.do(h)
	got := decode(t, w)
	if w.Code != 200 || got["path"] != "/classes/Game" || got["query"] != "limit=2" || got["masterKey"] != "mk" || got["appId"] != "app" ||
		got["cookie"] != "" || got["sessionToken"] != "" {
		t.Errorf("proxied: %d %v", w.Code, got)
	}
	if w.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", w.Header().Get("Cache-Control"))
	}

	// CSRF: the cookie alone is not enough, nor a wrong token, nor another origin.
	calls := api.calls
	for _, c := range []call{
		{method: "POST", path: "/dashboard/api/schemas/X", body: `{}`, cookie: ck.Value},
		{method: "POST", path: "/dashboard/api/schemas/X", body: `{}`, cookie: ck.Value, csrf: csrf + "x"},
		{method: "POST", path: "/dashboard/api/schemas/X", body: `{}`, cookie: ck.Value, csrf: csrf, headers: map[string]string{"Origin": "https://evil.example"}},
		{method: "POST", path: "/dashboard/api/schemas/X", body: `{}`, cookie: ck.Value, csrf: csrf, headers: map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		if w := c.do(h); w.Code != 403 || decode(t, w)["code"] != float64(119) {
			t.Errorf("%+v: %d %s, want 403 code 119", c.headers, w.Code, w.Body.String())
		}
	}
	if api.calls != calls {
		t.Errorf("refused calls reached the API")
	}

	// A tampered cookie is refused.
	payload, sig, _ := strings.Cut(ck.Value, ".")
	if w := (call{method: "GET", path: "/dashboard/api/schemas", cookie: payload + "x." + sig, csrf: csrf}).do(h); w.Code != 403 {
		t.Errorf("tampered cookie: %d", w.Code)
	}

	// Sign-out ends the session.
	if w := (call{method: "POST", path: "/dashboard/auth/logout", cookie: ck.Value, csrf: csrf}).do(h); w.Code != 200 {
		t.Fatalf("logout: %d", w.Code)
	}
	if w := (call{method: "GET", path: "/dashboard/api/schemas", cookie: ck.Value, csrf: csrf}).do(h); w.Code != 403 {
		t.Errorf("after sign-out: %d", w.Code)
	}
}

func TestAdminsAndReadOnly(t *testing.T) {
	h, _ := newConsole(t, nil)
	for _, body := range []string{`{"username":"ada","password":"wrong"}`, `{"username":"nobody","password":"s3cret"}`,
		`{"username":"ada","password":"s3cret","masterKey":"mk"}`, `{"masterKey":""}`, `not json`} {
		if w := (call{method: "POST", path: "/dashboard/auth/login", body: body}).do(h); w.Code < 400 {
			t.Errorf("%s: %d", body, w.Code)
		}
	}
	for _, tc := range []struct {
		body, key string
		readOnly  bool
	}{
		{`{"username":"ada","password":"s3cret"}`, "mk", false},
		{`{"username":"viewer","password":"look"}`, "romk", true},
		{`{"masterKey":"romk"}`, "romk", true},
	} {
		cookie, csrf := signIn(t, h, tc.body)
		got := decode(t, call{method: "DELETE", path: "/dashboard/api/schemas/Game", cookie: cookie, csrf: csrf}.do(h))
		if got["masterKey"] != tc.key {
			t.Errorf("%s acts with %v, want %s", tc.body, got["masterKey"], tc.key)
		}
		if p := decode(t, call{method: "POST", path: "/dashboard/x/echo", cookie: cookie, csrf: csrf}.do(h)); p["readOnly"] != tc.readOnly {
			t.Errorf("%s: panel readOnly %v", tc.body, p["readOnly"])
		}
	}

	// A changed password, or a removed admin, ends the old sessions.
	cookie, csrf := signIn(t, h, `{"username":"ada","password":"s3cret"}`)
	h2, _ := newConsole(t, func(o *Options) { o.Admins[0].PasswordHash = hash(t, "new") })
	if w := (call{method: "GET", path: "/dashboard/api/schemas", cookie: cookie, csrf: csrf}).do(h2); w.Code != 403 {
		t.Errorf("old password's session: %d", w.Code)
	}
	// Another node with the same configuration accepts it.
	h3, _ := newConsole(t, func(o *Options) { o.Admins = h.opts.Admins })
	if w := (call{method: "GET", path: "/dashboard/api/schemas", cookie: cookie, csrf: csrf}).do(h3); w.Code != 200 {
		t.Errorf("same configuration: %d", w.Code)
	}
	// A new master key ends every session.
	h4, _ := newConsole(t, func(o *Options) { o.MasterKey = "mk2"; o.Admins = h.opts.Admins })
	if w := (call{method: "GET", path: "/dashboard/api/schemas", cookie: cookie, csrf: csrf}).do(h4); w.Code != 403 {
		t.Errorf("after the master key changed: %d", w.Code)
	}
}

func TestSessionExpires(t *testing.T) {
	h, _ := newConsole(t, func(o *Options) { o.SessionLength = time.Second })
	cookie, csrf := signIn(t, h, `{"masterKey":"mk"}`)
	c, ok := h.sessions.parse(cookie)
	if !ok {
		t.Fatal("fresh session refused")
	}
	c.Expires = time.Now().Add(-time.Second).Unix()
	if w := (call{method: "GET", path: "/dashboard/api/schemas", cookie: h.sessions.sign(c), csrf: csrf}).do(h); w.Code != 403 {
		t.Errorf("expired session: %d", w.Code)
	}
}

func TestLoginRateLimit(t *testing.T) {
	h, _ := newConsole(t, func(o *Options) { o.LoginAttempts = 3 })
	for i := range 3 {
		if w := (call{method: "POST", path: "/dashboard/auth/login", body: `{"masterKey":"guess"}`}).do(h); w.Code != 403 {
			t.Fatalf("attempt %d: %d", i, w.Code)
		}
	}
	// Over the limit even the right key waits.
	w := call{method: "POST", path: "/dashboard/auth/login", body: `{"masterKey":"mk"}`}.do(h)
	if w.Code != http.StatusTooManyRequests || decode(t, w)["code"] != float64(155) {
		t.Errorf("4th attempt: %d %s", w.Code, w.Body.String())
	}
	// Another client is not affected; one account is limited across clients.
	if w := (call{method: "POST", path: "/dashboard/auth/login", body: `{"masterKey":"mk"}`, remote: "[::1]:4000"}).do(h); w.Code != 200 {
		t.Errorf("other client: %d %s", w.Code, w.Body.String())
	}
	for i := range 4 {
		w := call{method: "POST", path: "/dashboard/auth/login", body: `{"username":"ada","password":"x"}`, remote: "10.0.0." + string(rune('1'+i)) + ":1",
			headers: map[string]string{"X-Forwarded-Proto": "https"}}.do(h)
		if want := map[bool]int{true: 403, false: 429}[i < 3]; w.Code != want {
			t.Errorf("account attempt %d: %d, want %d", i, w.Code, want)
		}
	}
}

// Over plain HTTP from another machine the key would cross the network in
// the clear and the Secure cookie would be dropped: refused. Behind TLS
// the cookie is Secure.
func TestTransport(t *testing.T) {
	h, _ := newConsole(t, nil)
	if w := (call{method: "POST", path: "/dashboard/auth/login", body: `{"masterKey":"mk"}`, remote: "192.0.2.7:1000"}).do(h); w.Code != 403 {
		t.Errorf("plain HTTP from afar: %d", w.Code)
	}
	w := call{method: "POST", path: "/dashboard/auth/login", body: `{"masterKey":"mk"}`, remote: "192.0.2.7:1000",
		headers: map[string]string{"X-Forwarded-Proto": "https"}}.do(h)
	if w.Code != 200 || !w.Result().Cookies()[0].Secure {
		t.Errorf("behind TLS: %d, cookie %+v", w.Code, w.Result().Cookies())
	}
}
