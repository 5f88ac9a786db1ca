package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/plugins"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

const filesDirExample = "github.com/switchboardhq/switchboard/plugins/examples/files-dir"

// pluginConfig writes a config file with one plugins entry and the given
// provider sections, and returns its path.
func pluginConfig(t *testing.T, spec plugins.Spec, sections string) string {
	t.Helper()
	quoted := make([]string, len(spec.Args))
	for i, a := range spec.Args {
		quoted[i] = fmt.Sprintf("%q", a)
	}
	var env []string
	for k, v := range spec.Env {
		env = append(env, fmt.Sprintf("%s: %q", k, v))
	}
	yaml := fmt.Sprintf("plugins:\n  - name: %s\n    path: %q\n    sha256: %s\n    args: [%s]\n    env: {%s}\n    timeout: 5s\n%s",
		spec.Name, spec.Path, spec.SHA256, strings.Join(quoted, ", "), strings.Join(env, ", "), sections)
	file := filepath.Join(t.TempDir(), "switchboard.yaml")
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	return file
}

// The server stores and serves files through the files-dir example
// plugin: files: {provider: plugin:dirstore}.
func TestFilesThroughPlugin(t *testing.T) {
	path, sum := plugintest.Build(t, filesDirExample)
	store := t.TempDir()
	cfg := pluginConfig(t, plugins.Spec{Name: "dirstore", Path: path, SHA256: sum, Args: []string{"-dir", store}}, "files:\n  provider: plugin:dirstore\n")
	s := startServerWith(t, t.TempDir(), []string{"--config", cfg})

	body := strings.Repeat("plugin bytes ", 10_000)
	up := s.upload("notes.txt", "text/plain", body, "master")
	name, _ := up.json["name"].(string)
	fileURL, _ := up.json["url"].(string)
	if up.status != 201 || name == "" {
		t.Fatalf("upload: %d %s", up.status, up.body)
	}
	if b, err := os.ReadFile(filepath.Join(store, "objects", name)); err != nil || string(b) != body {
		t.Fatalf("the plugin's folder does not hold the file: %v", err)
	}
	if a := s.do("GET", fileURL, nil); a.status != 200 || string(a.body) != body || a.header.Get("Content-Type") != "text/plain" {
		t.Fatalf("download: %d %q %v", a.status, a.body[:min(len(a.body), 80)], a.header)
	}
	if a := s.do("GET", fileURL, nil, "Range: bytes=0-5"); a.status != 206 || string(a.body) != "plugin" {
		t.Fatalf("range: %d %q", a.status, a.body)
	}
	if a := s.do("DELETE", "/files/"+name, nil, "master"); a.status != 200 {
		t.Fatalf("delete: %d %s", a.status, a.body)
	}
	if a := s.do("GET", fileURL, nil); a.status != 404 {
		t.Fatalf("after delete: %d %s", a.status, a.body)
	}

	// The console's providers page shows the plugin up.
	c := newConsoleClient(t, s)
	c.signIn(`{"masterKey":"mk"}`)
	req, _ := http.NewRequest("GET", c.base+"/x/providers", nil)
	req.Header.Set("X-Switchboard-Csrf", c.csrf)
	res := sendWith(t, c.http, req)
	var list []map[string]any
	_ = json.Unmarshal(res.body, &list)
	found := false
	for _, p := range list {
		if p["kind"] == "plugin" && p["provider"] == "dirstore" {
			found = p["status"] == "ok"
		}
	}
	if res.status != 200 || !found {
		t.Errorf("providers panel: %d %s", res.status, res.body)
	}
}

// A plugin binary that does not match its sha256 stops the server at
// start with a message that says what to fix.
func TestPluginChecksumRefusedAtStart(t *testing.T) {
	path, _ := plugintest.Build(t, filesDirExample)
	wrong := strings.Repeat("ab", 32)
	cfg := pluginConfig(t, plugins.Spec{Name: "dirstore", Path: path, SHA256: wrong, Args: []string{"-dir", t.TempDir()}}, "files:\n  provider: plugin:dirstore\n")
	var out, errOut bytes.Buffer
	env := []string{"SWITCHBOARD_MASTER_KEY=mk", "SWITCHBOARD_JOBS__PROVIDER=none"}
	code := Run(context.Background(), []string{"serve", "--http", "127.0.0.1:0", "--dir", t.TempDir(), "--config", cfg}, env, &out, &errOut)
	if code != exitFailure || !plugintest.Contains(errOut.String(), `plugin \"dirstore\"`, "refusing to start", wrong, "update sha256") {
		t.Fatalf("exit %d, stderr %s", code, errOut.String())
	}
}

// Phone login codes go out through the Node.js sms plugin: the code the
// gateway receives logs the user in.
func TestSMSCodesThroughNodePlugin(t *testing.T) {
	var mu sync.Mutex
	var codes []string
	gateway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var msg struct {
			To     string            `json:"to"`
			Params map[string]string `json:"params"`
		}
		_ = json.NewDecoder(r.Body).Decode(&msg)
		mu.Lock()
		defer mu.Unlock()
		if msg.To == "+8613800138000" {
			codes = append(codes, msg.Params["code"])
		}
	}))
	defer gateway.Close()
	cfg := pluginConfig(t, plugintest.NodeSMSPlugin(t, "smshook", gateway.URL), "sms:\n  provider: plugin:smshook\n")
	s := startServerWith(t, t.TempDir(), []string{"--config", cfg})

	phone := `{"mobilePhoneNumber": "+8613800138000"}`
	if a := s.do("POST", "/requestSmsCode", strings.NewReader(phone), "app", "Content-Type: application/json"); a.status != 200 {
		t.Fatalf("requestSmsCode: %d %s", a.status, a.body)
	}
	mu.Lock()
	got := append([]string(nil), codes...)
	mu.Unlock()
	if len(got) != 1 || got[0] == "" {
		t.Fatalf("the gateway received codes %v", got)
	}
	login := fmt.Sprintf(`{"mobilePhoneNumber": "+8613800138000", "smsCode": %q}`, got[0])
	a := s.do("POST", "/usersByMobilePhone", strings.NewReader(login), "app", "Content-Type: application/json")
	if a.status != 201 || a.json["sessionToken"] == nil {
		t.Fatalf("usersByMobilePhone: %d %s", a.status, a.body)
	}
}
