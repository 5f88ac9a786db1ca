package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Options.Extra serves a second API at the root beside the mount path,
// with the full path, the body limit and the recover of the API.
func TestExtraHandlers(t *testing.T) {
	extra := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/1.1/panic" {
			panic("boom")
		}
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "body: "+err.Error(), http.StatusRequestEntityTooLarge)
			return
		}
		_, _ = io.WriteString(w, "extra "+r.URL.Path)
	})
	s, err := New(Options{API: fakeAPI(t), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxBodyBytes: 10, Extra: map[string]http.Handler{"/1.1": extra}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/1.1/classes/Game", "", 200, "extra /1.1/classes/Game"},
		{"GET", "/1.1", "", 200, "extra /1.1"},
		{"GET", "/1.10/classes", "", 404, ""},
		{"GET", "/1.1/panic", "", 500, `"code":1`},
		{"POST", "/1.1/classes/Game", strings.Repeat("x", 11), 413, `"code":116`},
		{"GET", "/health", "", 200, "ok"},
	}
	for _, tc := range cases {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body)))
			if rec.Code != tc.status || !strings.Contains(rec.Body.String(), tc.want) {
				t.Errorf("%d %q, want %d containing %q", rec.Code, rec.Body.String(), tc.status, tc.want)
			}
		})
	}
	for _, bad := range []string{"1.1", "/1.1/", "/parse"} {
		if _, err := New(Options{API: fakeAPI(t), Extra: map[string]http.Handler{bad: extra}}); err == nil {
			t.Errorf("extra prefix %q accepted", bad)
		}
	}
}
