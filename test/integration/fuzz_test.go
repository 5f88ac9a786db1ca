package integration

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/auth/authfake"
	"github.com/switchboardhq/switchboard/core"
)

// discard is a mail and SMS provider that keeps nothing: fuzzing sends
// millions of messages.
type discard struct{}

func (discard) Send(context.Context, core.MailMessage) error { return nil }

type discardSMS struct{}

func (discardSMS) Send(context.Context, core.SMSMessage) error { return nil }

// fuzzHarness is a server with every user feature on: mail, SMS, e-mail
// verification, and real authData providers against local fakes.
func fuzzHarness(tb testing.TB) *harness {
	gh, apple := authfake.NewGitHub(tb), authfake.NewApple(tb)
	providers := map[string]core.AuthDataProvider{}
	for name, opts := range map[string]map[string]any{
		"anonymous": nil, "github": gh.Options(), "apple": apple.Options(appleClientID),
	} {
		open, err := core.AuthProviders.Lookup(name)
		if err != nil {
			tb.Fatal(err)
		}
		p, err := open(context.Background(), core.ProviderEnv{Options: opts})
		if err != nil {
			tb.Fatal(err)
		}
		providers[name] = p
	}
	return newHarness(tb, func(o *core.Options) {
		o.Mailer, o.SMS, o.AuthProviders = discard{}, discardSMS{}, providers
		o.Users.VerifyUserEmails = true
		o.Users.LoginRequests = -1 // the fuzzer logs in far more than a person
	})
}

// fuzzCheck fails unless a reply is below 500 and, when an error, Parse
// JSON.
func fuzzCheck(t *testing.T, what string, w *httptest.ResponseRecorder) {
	t.Helper()
	if w.Code >= 500 {
		t.Fatalf("%s: status %d %s", what, w.Code, w.Body.String())
	}
	if w.Code >= 400 && w.Code != 404 {
		var e map[string]any
		if json.Unmarshal(w.Body.Bytes(), &e) != nil || e["error"] == nil {
			t.Fatalf("%s: error reply is not Parse JSON: %d %s", what, w.Code, w.Body.String())
		}
	}
}

// FuzzRequest throws arbitrary bodies at the whole API (decoder, envelope,
// auth, routing, App, SQLite): whatever the input, the answer is never a
// 500, and every error is Parse-shaped JSON. The seeds cover the data
// routes and every user route (signup, login, sessions, e-mail and phone
// flows, loginAs).
func FuzzRequest(f *testing.F) {
	const app, master = `"_ApplicationId":"itest"`, `"_MasterKey":"itest-master"`
	for _, seed := range []struct{ path, body string }{
		{"/classes/Foo", `{"_method":"GET",` + app + `,"where":{"a":1},"limit":10}`},
		{"/classes/Foo", `{` + app + `,` + master + `,"title":"x"}`},
		{"/classes/Foo", `{` + app + `,"_SessionToken":"r:abc"}`},
		{"/classes/Foo/abc", `{"_method":"DELETE",` + app + `}`},
		{"/classes/Foo", `[]`}, {"/classes/Foo", `null`}, {"/classes/Foo", `{`},
		{"/batch", `{` + app + `,"requests":[{"method":"POST","path":"/parse/classes/Foo","body":{"n":1}}]}`},
		{"/schemas/Foo", `{` + app + `,` + master + `,"fields":{"a":{"type":"Number","required":true,"defaultValue":3}}}`},
		{"/classes/Foo", `{` + app + `,"_method":"GET","where":{"$or":[{"a":{"$regex":"("}}]}}`},
		{"/classes/Foo", `{` + app + `,"_method":"GET","redirectClassNameForKey":"r","where":{"$relatedTo":{"object":{"__type":"Pointer","className":"Foo","objectId":"x"},"key":"r"}}}`},
		{"/classes/Foo/abc", `{"_method":"PUT",` + app + `,"stats.level.xp":{"__op":"Increment","amount":1}}`},
		// The user routes.
		{"/users", `{` + app + `,"username":"u","password":"p","email":"u@example.com"}`},
		{"/users", `{` + app + `,"username":"u","password":"p","authData.github.id":"1"}`},
		{"/users", `{` + app + `,"username":"u","password":"p","email":{"__op":"Increment","amount":1}}`},
		{"/users", `{` + app + `,"authData":{"anonymous":{"id":"00000000-0000-4000-8000-000000000000"}}}`},
		{"/users/me", `{"_method":"GET",` + app + `,"_SessionToken":"r:00"}`},
		{"/users/abc", `{"_method":"PUT",` + app + `,"_SessionToken":"r:00","password":"x","authData":{"anonymous":null}}`},
		{"/login", `{` + app + `,"_method":"GET","username":"u","password":"p"}`},
		{"/login", `{` + app + `,"email":"u@example.com","password":"p"}`},
		{"/loginAs", `{` + app + `,` + master + `,"userId":"abc"}`},
		{"/logout", `{` + app + `,"_SessionToken":"r:00"}`},
		{"/verifyPassword", `{` + app + `,"_method":"GET","username":"u","password":"p"}`},
		{"/upgradeToRevocableSession", `{` + app + `,"_SessionToken":"r:00"}`},
		{"/sessions", `{` + app + `,"_SessionToken":"r:00"}`},
		{"/sessions/me", `{"_method":"GET",` + app + `,"_SessionToken":"r:00"}`},
		{"/requestPasswordReset", `{` + app + `,"email":"u@example.com"}`},
		{"/verificationEmailRequest", `{` + app + `,"email":"u@example.com"}`},
		{"/requestSmsCode", `{` + app + `,"mobilePhoneNumber":"+14155550100","purpose":"verify"}`},
		{"/requestMobilePhoneVerify", `{` + app + `,"mobilePhoneNumber":"13800138000"}`},
		{"/usersByMobilePhone", `{` + app + `,"mobilePhoneNumber":"+14155550100","smsCode":"123456"}`},
		{"/verifyMobilePhone/123456", `{` + app + `,"mobilePhoneNumber":"+14155550100"}`},
		{"/installations", `{` + app + `,"_InstallationId":"i1","installationId":"i1","deviceType":"ios"}`},
		{"/health", `{"_method":"GET",` + app + `}`},
		{"/classes/_JobStatus", `{"_method":"GET",` + app + `,` + master + `,"where":{"objectId":"1"}}`},
	} {
		f.Add(seed.path, seed.body)
	}
	h := fuzzHarness(f)
	f.Fuzz(func(t *testing.T, path, body string) {
		if u, err := url.ParseRequestURI("/parse" + path); err != nil || u.RawQuery != "" || u.Fragment != "" ||
			!strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n") {
			return // not a path a client could send
		}
		r := httptest.NewRequest("POST", "/parse"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "text/plain")
		w := httptest.NewRecorder()
		h.handler.ServeHTTP(w, r)
		fuzzCheck(t, "POST "+path+" "+body, w)
	})
}

// FuzzAuthData feeds arbitrary authData values to the decoder through
// every place it is read: a signup, a login by authData, an update that
// links or unlinks, with real providers (anonymous, GitHub and Apple
// against local fakes). Whatever the value, no 500, and a refusal is Parse
// JSON.
func FuzzAuthData(f *testing.F) {
	for _, seed := range []string{
		`{"anonymous":{"id":"00000000-0000-4000-8000-000000000000"}}`, `{"anonymous":null}`, `{"anonymous":{}}`,
		`{"anonymous":"x"}`, `{"github":{"id":"1","access_token":"t"}}`, `{"github":{"id":1,"access_token":["t"]}}`,
		`{"apple":{"id":"001.abc","token":"a.b.c"}}`, `{"apple":{"id":"x","token":"eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."}}`,
		`{"nosuch":{"id":"1"}}`, `{}`, `[]`, `null`, `"x"`, `{"anonymous":{"id":"a"},"github":null}`,
		`{"__proto__":{"id":"1"}}`, `{"anonymous":{"id":"` + strings.Repeat("a", 5000) + `"}}`,
	} {
		f.Add(seed)
	}
	h := fuzzHarness(f)
	owner := h.signup("fuzz-owner", "pw", nil)
	f.Fuzz(func(t *testing.T, authData string) {
		var v any
		if json.Unmarshal([]byte(authData), &v) != nil {
			return
		}
		for _, c := range []struct {
			method, path string
			body         map[string]any
			token        string
		}{
			{"POST", "/users", map[string]any{"authData": v}, ""},
			{"POST", "/users", map[string]any{"username": "fz", "password": "pw", "authData": v}, ""},
			{"PUT", "/users/" + owner.id, map[string]any{"authData": v}, owner.token},
		} {
			js, _ := json.Marshal(c.body)
			r := httptest.NewRequest(c.method, "/parse"+c.path, strings.NewReader(string(js)))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set("X-Parse-Application-Id", appID)
			if c.token != "" {
				r.Header.Set("X-Parse-Session-Token", c.token)
			}
			w := httptest.NewRecorder()
			h.handler.ServeHTTP(w, r)
			fuzzCheck(t, c.method+" "+c.path+" authData "+authData, w)
			if c.method == "PUT" && w.Code == http.StatusOK {
				// Put the owner back, so the next input starts alike.
				if _, err := h.app.Store().Update(context.Background(), h.app.Class("_User"), owner.id, nil, nil, core.Update{"authData": core.Unset{}}); err != nil {
					t.Fatal(err)
				}
			}
		}
	})
}
