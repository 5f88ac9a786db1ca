package integration

import (
	"encoding/json"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// FuzzRequest throws arbitrary bodies at the whole API (decoder, envelope,
// auth, routing, App, SQLite): whatever the input, the answer is never a
// 500, and every error is Parse-shaped JSON.
func FuzzRequest(f *testing.F) {
	for _, seed := range []struct{ path, body string }{
		{"/classes/Foo", `{"_method":"GET","_ApplicationId":"itest","where":{"a":1},"limit":10}`},
		{"/classes/Foo", `{"_ApplicationId":"itest","_MasterKey":"itest-master","title":"x"}`},
		{"/classes/Foo", `{"_ApplicationId":"itest","_SessionToken":"r:abc"}`},
		{"/classes/Foo/abc", `{"_method":"DELETE","_ApplicationId":"itest"}`},
		{"/classes/Foo", `[]`}, {"/classes/Foo", `null`}, {"/classes/Foo", `{`},
		{"/batch", `{"_ApplicationId":"itest","requests":[{"method":"POST","path":"/parse/classes/Foo","body":{"n":1}}]}`},
		{"/schemas/Foo", `{"_ApplicationId":"itest","_MasterKey":"itest-master","fields":{"a":{"type":"Number"}}}`},
		{"/classes/Foo", `{"_ApplicationId":"itest","_method":"GET","where":{"$or":[{"a":{"$regex":"("}}]}}`},
		{"/users", `{"_ApplicationId":"itest","username":"u","password":"p"}`},
		{"/login", `{"_ApplicationId":"itest","_method":"GET","username":"u","password":"p"}`},
	} {
		f.Add(seed.path, seed.body)
	}
	h := newHarness(f, nil)
	f.Fuzz(func(t *testing.T, path, body string) {
		if u, err := url.ParseRequestURI("/parse" + path); err != nil || u.RawQuery != "" || u.Fragment != "" ||
			!strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n") {
			return // not a path a client could send
		}
		r := httptest.NewRequest("POST", "/parse"+path, strings.NewReader(body))
		r.Header.Set("Content-Type", "text/plain")
		w := httptest.NewRecorder()
		h.handler.ServeHTTP(w, r)
		if w.Code >= 500 {
			t.Fatalf("POST %s %q: status %d %s", path, body, w.Code, w.Body.String())
		}
		if w.Code >= 400 && w.Code != 404 {
			var e map[string]any
			if json.Unmarshal(w.Body.Bytes(), &e) != nil || e["error"] == nil {
				t.Fatalf("POST %s %q: error reply is not Parse JSON: %d %s", path, body, w.Code, w.Body.String())
			}
		}
	})
}
