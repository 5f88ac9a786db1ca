package app

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
	"github.com/switchboardhq/switchboard/hooks/hookstest"
)

// deployServer serves the deployment routes under /parse with a master-key
// check, as the core will.
func deployServer(t *testing.T) (*httptest.Server, *hooks.Manager) {
	t.Helper()
	backend := hookstest.NewBackend()
	m, err := hooks.NewManager(hooks.Options{AppID: "app", PoolSize: 1}, backend, hookstest.NewStore())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	h := hooks.NewHandler(m, func(r *http.Request) error {
		if r.Header.Get("X-Parse-Application-Id") != "app" || r.Header.Get("X-Parse-Master-Key") != "mk" {
			return core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
		}
		return nil
	})
	srv := httptest.NewServer(http.StripPrefix("/parse", h))
	t.Cleanup(srv.Close)
	return srv, m
}

func writeFolder(t *testing.T, files map[string]string) string {
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func runDeploy(t *testing.T, env []string, args ...string) (int, string, string) {
	var out, errOut bytes.Buffer
	code := deployCommand(context.Background(), args, env, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestDeployCommand(t *testing.T) {
	srv, m := deployServer(t)
	env := []string{"SWITCHBOARD_APP_ID=app", "SWITCHBOARD_MASTER_KEY=mk"}
	server := srv.URL + "/parse"
	v1 := writeFolder(t, map[string]string{
		"main.js":      "const lib = require('./lib/greet');\nParse.Cloud.define('hello', () => lib.greet());\nconsole.log('loaded v1');",
		"lib/greet.js": "exports.greet = () => 'v1';",
		"README.md":    "not deployed",
	})
	code, out, errOut := runDeploy(t, env, v1, "--server", server, "--message", "first")
	if code != 0 || !strings.Contains(out, "deployed version 1 (2 files") {
		t.Fatalf("deploy v1: %d %q %q", code, out, errOut)
	}
	call := func() any {
		resp, err := m.RunFunction(context.Background(), "hello", &hooks.Request{})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Result
	}
	if call() != "v1" {
		t.Fatal("v1 not active")
	}
	v2 := writeFolder(t, map[string]string{"main.js": "Parse.Cloud.define('hello', () => 'v2');"})
	if code, _, errOut := runDeploy(t, env, "--server", server, v2); code != 0 || call() != "v2" {
		t.Fatalf("deploy v2 (flags first): %d %s", code, errOut)
	}
	// A folder that does not compile is refused with file:line; v2 serves on.
	bad := writeFolder(t, map[string]string{"main.js": "Parse.Cloud.define('hello', () => 'v3');\nconst x = ;\n"})
	code, _, errOut = runDeploy(t, env, bad, "--server", server)
	if code != exitFailure || !strings.Contains(errOut, "main.js:2:11: SyntaxError") || call() != "v2" {
		t.Fatalf("bad deploy: %d %q (active answers %v)", code, errOut, call())
	}
	code, out, _ = runDeploy(t, env, "--list", "--server", server)
	if code != 0 || !strings.Contains(out, "VERSION") || !strings.Contains(out, "first") || strings.Count(out, "\n") != 3 {
		t.Fatalf("list: %d %q", code, out)
	}
	if code, out, errOut := runDeploy(t, env, "--rollback", "1", "--server", server); code != 0 || !strings.Contains(out, "version 1 is active") || call() != "v1" {
		t.Fatalf("rollback: %d %q %q", code, out, errOut)
	}
	code, out, _ = runDeploy(t, env, "--logs", "--server", server)
	if code != 0 || !strings.Contains(out, "loaded v1") {
		t.Fatalf("logs: %d %q", code, out)
	}

	// Refusals.
	if code, _, errOut := runDeploy(t, []string{"SWITCHBOARD_APP_ID=app", "SWITCHBOARD_MASTER_KEY=wrong"}, "--list", "--server", server); code != exitFailure || !strings.Contains(errOut, "master key is required (code 119)") {
		t.Fatalf("wrong key: %d %q", code, errOut)
	}
	if code, _, errOut := runDeploy(t, nil, "--list", "--server", server); code != exitUsage || !strings.Contains(errOut, "SWITCHBOARD_MASTER_KEY") {
		t.Fatalf("no key: %d %q", code, errOut)
	}
	if code, _, _ := runDeploy(t, env, "--list", v1, "--server", server); code != exitUsage {
		t.Fatalf("two modes: %d", code)
	}
	if code, _, errOut := runDeploy(t, env, "--rollback", "99", "--server", server); code != exitFailure || !strings.Contains(errOut, "version 99 does not exist (code 101)") {
		t.Fatalf("missing version: %d %q", code, errOut)
	}
	if code, _, errOut := runDeploy(t, env, t.TempDir(), "--server", server); code != exitFailure || !strings.Contains(errOut, "the bundle is empty") {
		t.Fatalf("empty folder: %d %q", code, errOut)
	}
}
