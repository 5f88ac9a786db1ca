package coreapp_test

import (
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/hooks"
)

// The sandbox through the server: each runaway or escaping script answers
// a clear Parse error to its HTTP caller, and the next request succeeds.
// (hooks' own tests cover every guard; these check that the server turns
// them into answers and keeps serving.)
func TestSandboxThroughTheServer(t *testing.T) {
	allowed := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"ok":true}`)) }))
	defer allowed.Close()
	allowedHost := strings.TrimPrefix(allowed.URL, "http://")
	n := startNode(t, nodeOptions{runtime: hooks.Options{Timeout: 500 * time.Millisecond, PoolSize: 1, HTTPAllowList: []string{allowedHost}}})
	n.deploy(`
Parse.Cloud.define('ok', () => 'ok');
Parse.Cloud.define('loop', () => { while (true) {} });
Parse.Cloud.define('asyncLoop', async () => { while (true) { await null; } });
Parse.Cloud.define('promiseChain', () => { const next = () => Promise.resolve().then(next); return next(); });
Parse.Cloud.define('recursion', () => { function f(n) { return f(n + 1) + 1; } return f(0); });
Parse.Cloud.define('fs', () => require('fs').readFileSync('/etc/passwd', 'utf8'));
Parse.Cloud.define('process', () => process.binding('spawn_sync'));
Parse.Cloud.define('env', () => JSON.stringify(process.env));
Parse.Cloud.define('network', () => fetch('http://example.com'));
Parse.Cloud.define('escape', () => (function () {}).constructor('return require("child_process")')());
Parse.Cloud.define('escapeGlobal', () => { const g = (function () {}).constructor('return this')(); return typeof g.require('fs'); });
Parse.Cloud.define('offList', () => Parse.Cloud.httpRequest({ url: 'http://169.254.169.254/latest/meta-data/' }));
Parse.Cloud.define('onList', async () => (await Parse.Cloud.httpRequest({ url: '` + allowed.URL + `/x' })).data);
Parse.Cloud.beforeSave('Loop', () => { while (true) {} });
`)
	cases := []struct {
		fn, msg string
		code    float64
	}{
		{"loop", "timed out after 500ms", 141},
		{"asyncLoop", "timed out", 141},
		{"promiseChain", "timed out", 141},
		{"recursion", "Maximum call stack size exceeded", 141},
		{"fs", "Invalid module", 141},
		{"process", "", 141},
		{"network", "fetch is not defined", 141},
		{"escape", "Invalid module", 141},
		{"escapeGlobal", "Invalid module", 141},
		{"offList", "allow", 119},
	}
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			r := n.run(c.fn, nil)
			if r.status != 400 || r.code() != c.code || !strings.Contains(r.errMsg(), c.msg) {
				t.Fatalf("%s: %d %s, want %v containing %q", c.fn, r.status, r.raw, c.code, c.msg)
			}
			if ok := n.run("ok", nil); ok.body["result"] != "ok" {
				t.Fatalf("after %s the next request failed: %s", c.fn, ok.raw)
			}
		})
	}
	if r := n.run("env", nil); r.body["result"] != "{}" {
		t.Fatalf("process.env: %s, want {}", r.raw)
	}
	if r := n.run("onList", nil); r.body["result"].(map[string]any)["ok"] != true {
		t.Fatalf("httpRequest to a host on the allow-list: %s", r.raw)
	}
	if r := n.call(http.MethodPost, "/classes/Loop", "", map[string]any{}); r.code() != 141 || !strings.Contains(r.errMsg(), "beforeSave Loop timed out") {
		t.Fatalf("a runaway beforeSave: %d %s", r.status, r.raw)
	}
	if r := n.call(http.MethodGet, "/classes/Loop", "master", nil); len(r.body["results"].([]any)) != 0 {
		t.Fatalf("the save refused by a runaway beforeSave was stored: %s", r.raw)
	}
}

// A script that allocates without bound is stopped by the memory guard; the
// server answers 141 and serves the next request.
func TestMemoryBombThroughTheServer(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MiB")
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	limit := int64(ms.HeapAlloc) + 256<<20
	n := startNode(t, nodeOptions{runtime: hooks.Options{Timeout: 60 * time.Second, PoolSize: 1, MemoryLimit: limit}})
	n.deploy(`
Parse.Cloud.define('ok', () => 'ok');
Parse.Cloud.define('memoryBomb', () => { const keep = []; while (true) keep.push(new Array(1e5).fill(1)); });
`)
	r := n.run("memoryBomb", nil)
	if r.status != 400 || r.code() != 141 || !strings.Contains(r.errMsg(), "memory limit") {
		t.Fatalf("memory bomb: %d %s, want 141 memory limit", r.status, r.raw)
	}
	if ok := n.run("ok", nil); ok.body["result"] != "ok" {
		t.Fatalf("after the bomb: %s", ok.raw)
	}
}
