package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// consoleClient is a browser stand-in: a cookie jar and the session's
// CSRF token.
type consoleClient struct {
	t    *testing.T
	base string // http://host:port/dashboard
	http *http.Client
	csrf string
}

func newConsoleClient(t *testing.T, s *fileServer) *consoleClient {
	jar, _ := cookiejar.New(nil)
	return &consoleClient{t: t, base: strings.TrimSuffix(s.base, "/parse") + "/dashboard", http: &http.Client{Jar: jar}}
}

func (c *consoleClient) do(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	req, _ := http.NewRequest(method, c.base+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if c.csrf != "" {
		req.Header.Set("X-Switchboard-Csrf", c.csrf)
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return res.StatusCode, out
}

func (c *consoleClient) signIn(body string) {
	c.t.Helper()
	code, out := c.do("POST", "/auth/login", body)
	if code != 200 {
		c.t.Fatalf("sign-in %s: %d %v", body, code, out)
	}
	c.csrf = out["csrf"].(string)
}

// The console wired into `switchboard serve`: admins from the config file,
// the read-only admin refused writes by the API and the deployment routes,
// the panels, and nothing without a session.
func TestConsoleServe(t *testing.T) {
	dir := t.TempDir()
	hash := func(pw string) string {
		b, err := bcrypt.GenerateFromPassword([]byte(pw), bcrypt.MinCost)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cfg := filepath.Join(dir, "sb.yaml")
	yaml := "readOnlyMasterKey: romk\nconsole:\n  admins:\n" +
		"    - {username: ada, passwordHash: \"" + hash("pw-ada") + "\"}\n" +
		"    - {username: eve, passwordHash: \"" + hash("pw-eve") + "\", readOnly: true}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServerWith(t, filepath.Join(dir, "data"), []string{"--config", cfg})

	anon := newConsoleClient(t, s)
	if code, _ := anon.do("GET", "/", ""); code != 200 {
		t.Fatalf("GET /dashboard/: %d", code)
	}
	for _, p := range []string{"/api/schemas", "/api/classes/_User", "/x/server", "/api/deployments"} {
		if code, out := anon.do("GET", p, ""); code != 403 || out["code"] != float64(209) || out["results"] != nil {
			t.Errorf("without a session %s: %d %v", p, code, out)
		}
	}

	ada := newConsoleClient(t, s)
	ada.signIn(`{"username":"ada","password":"pw-ada"}`)
	if code, out := ada.do("POST", "/api/schemas/Note", `{"fields":{"text":{"type":"String"}}}`); code != 200 {
		t.Fatalf("create class: %d %v", code, out)
	}
	if code, out := ada.do("POST", "/api/classes/Note", `{"text":"hi"}`); code != 201 {
		t.Fatalf("create object: %d %v", code, out)
	}
	if code, out := ada.do("GET", "/x/server", ""); code != 200 || out["ready"] != true || out["requests"] == nil {
		t.Errorf("server panel: %d %v", code, out)
	}
	if code, out := ada.do("GET", "/x/policies", ""); code != 200 || out["rules"] == nil {
		t.Errorf("policies panel: %d %v", code, out)
	}
	if code, out := ada.do("POST", "/api/deployments", `{"files":{"main.js":"Parse.Cloud.define('f', () => 1);"},"note":"t"}`); code != 201 {
		t.Fatalf("deploy: %d %v", code, out)
	}
	if code, out := ada.do("POST", "/x/deployment", `{"version":1}`); code != 200 || !strings.Contains(out["files"].(map[string]any)["main.js"].(string), "Parse.Cloud.define") {
		t.Errorf("deployment panel: %d %v", code, out)
	}

	eve := newConsoleClient(t, s)
	eve.signIn(`{"username":"eve","password":"pw-eve"}`)
	if code, out := eve.do("GET", "/api/classes/Note", ""); code != 200 || len(out["results"].([]any)) != 1 {
		t.Errorf("read-only read: %d %v", code, out)
	}
	for _, w := range []struct{ method, path, body string }{
		{"POST", "/api/classes/Note", `{"text":"x"}`},
		{"PUT", "/api/schemas/Note", `{"fields":{"more":{"type":"Number"}}}`},
		{"DELETE", "/api/schemas/Note", ``},
		{"POST", "/api/deployments", `{"files":{"main.js":"1"}}`},
		{"PUT", "/api/deployments/1", `{"active":true}`},
	} {
		if code, out := eve.do(w.method, w.path, w.body); code < 400 || out["code"] != float64(119) {
			t.Errorf("read-only %s %s: %d %v, want 119", w.method, w.path, code, out)
		}
	}
	if code, _ := eve.do("GET", "/api/deployments", ""); code != 200 {
		t.Errorf("read-only list of deployments: %d", code)
	}
	if code, out := ada.do("GET", "/api/classes/Note", ""); code != 200 || len(out["results"].([]any)) != 1 {
		t.Errorf("after the refused writes: %d %v", code, out)
	}
}

func TestConsoleDisabled(t *testing.T) {
	s := startFileServer(t, t.TempDir(), "SWITCHBOARD_CONSOLE__ENABLED=false")
	c := newConsoleClient(t, s)
	if code, _ := c.do("GET", "/", ""); code != 404 {
		t.Errorf("disabled console: %d", code)
	}
}
