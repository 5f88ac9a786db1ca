package hooks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
	"github.com/switchboardhq/switchboard/hooks/hookstest"
)

// Each case is stopped with a clear error, and the next invocation on the
// same deployment succeeds.
func TestSandboxStopsRunawayScripts(t *testing.T) {
	e := newEnv(t, `
		Parse.Cloud.define('ok', () => 'ok');
		Parse.Cloud.define('loop', () => { while (true) {} });
		Parse.Cloud.define('asyncLoop', async () => { while (true) { await null; } });
		Parse.Cloud.define('promiseChain', () => { const next = () => Promise.resolve().then(next); return next(); });
		Parse.Cloud.define('timerForever', () => new Promise(r => setTimeout(r, 1e9)));
		Parse.Cloud.define('intervalLoop', () => new Promise(() => setInterval(() => { for (let i = 0; i < 1e6; i++) {} }, 1)));
		Parse.Cloud.define('neverSettles', () => new Promise(() => {}));
		Parse.Cloud.define('recursion', () => { function f(n) { return f(n + 1) + 1; } return f(0); });
		Parse.Cloud.define('recursionCaught', () => { try { (function f() { f(); })(); } catch (e) { return 'caught'; } });
		Parse.Cloud.define('sparseFill', () => new Array(4e9).fill(0).length);
		Parse.Cloud.define('sparseSpread', () => { const a = []; a.length = 1e9; return [...a].length; });
		Parse.Cloud.define('arrayLikeApply', () => Math.max.apply(null, { length: 1e9 }));
		Parse.Cloud.define('hugeRepeat', () => 'x'.repeat(2e9).length);
		Parse.Cloud.define('hugeBuffer', () => new ArrayBuffer(8e9).byteLength);
		Parse.Cloud.define('hugeTyped', () => new Float64Array(1e9).length);
		Parse.Cloud.define('hugeNodeBuffer', () => Buffer.alloc(4e9).length);
		Parse.Cloud.define('deepJSONParse', () => JSON.parse('['.repeat(1e6) + ']'.repeat(1e6)));
		Parse.Cloud.define('deepJSONStringify', () => { let o = {}; for (let i = 0; i < 5000; i++) o = { a: o }; return JSON.stringify(o).length; });
		Parse.Cloud.define('deepJoin', () => { let a = []; for (let i = 0; i < 5000; i++) a = [a]; return String(a).length; });
		Parse.Cloud.define('deepEval', () => eval('('.repeat(1e5) + '1' + ')'.repeat(1e5)));
		Parse.Cloud.define('deepFunction', () => new Function('return ' + '!'.repeat(1e5) + '1')());
		Parse.Cloud.define('deepAsyncFunction', () => (async function () {}).constructor('return ' + 'a=>'.repeat(5e4) + '1'));
		Parse.Cloud.define('hugeEval', () => eval('1;'.repeat(1e6)));
	`, hooks.Options{Timeout: 400 * time.Millisecond, PoolSize: 1})
	cases := []struct {
		name string
		msg  string
	}{
		{"loop", "timed out after 400ms"},
		{"asyncLoop", "timed out"},
		{"promiseChain", "timed out"},
		{"timerForever", "timed out"},
		{"intervalLoop", "timed out"},
		{"neverSettles", "never settled"},
		{"recursion", "Maximum call stack size exceeded"},
		{"sparseFill", "longer than cloud code allows"},
		{"sparseSpread", "longer than cloud code allows"},
		{"arrayLikeApply", "longer than cloud code allows"},
		{"hugeRepeat", "longer than 67108864 characters"},
		{"hugeBuffer", "more than cloud code may allocate"},
		{"hugeTyped", "more than cloud code may allocate"},
		{"hugeNodeBuffer", "more than cloud code may allocate"},
		{"deepJSONParse", "nests deeper than 1000 levels"},
		{"deepJSONStringify", "nests deeper than 1000 levels"},
		{"deepJoin", "nest deeper than 1000 levels"},
		{"deepEval", "brackets nest deeper than 1000 levels"},
		{"deepFunction", "prefix operators nest deeper"},
		{"deepAsyncFunction", "nest deeper"},
		{"hugeEval", "longer than 262144 bytes"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := e.run(t, c.name, nil)
			wantCode(t, err, core.CodeScriptFailed, c.msg)
			if got := e.mustRun(t, "ok", nil); got != "ok" {
				t.Fatalf("after %s: %v", c.name, got)
			}
		})
	}
	// Overflowing the stack ends the invocation even inside try/catch (goja
	// makes it uncatchable, so a script cannot keep running at the limit).
	_, err := e.run(t, "recursionCaught", nil)
	ce := wantCode(t, err, core.CodeScriptFailed, "Maximum call stack size exceeded")
	if se, ok := ce.Err.(*hooks.ScriptError); !ok || !strings.Contains(se.Stack, "/main.js:10:") || strings.Count(se.Stack, "\n") > 45 {
		t.Fatalf("the cause carries a trimmed stack with file:line: %#v", ce.Err)
	}
}

// A script cannot reach the host: no filesystem, process, network or
// environment, and the Function constructor only compiles code into the
// same sandbox.
func TestSandboxHasNoWayOut(t *testing.T) {
	e := newEnv(t, `
		Parse.Cloud.define('ok', () => 'ok');
		Parse.Cloud.define('attempt', req => {
		  const src = req.params.src;
		  try {
		    const v = (function () {}).constructor(src)();
		    return { ok: v === undefined ? 'undefined' : JSON.stringify(v) };
		  } catch (e) {
		    return { error: String(e && e.message || e) };
		  }
		});
	`, hooks.Options{})
	for _, c := range []struct {
		src       string
		wantError string // substring; "" means it must succeed with wantOK
		wantOK    string
	}{
		{`return require('fs')`, "Invalid module", ""},
		{`return require('node:fs')`, "", ""},
		{`return require('child_process')`, "Invalid module", ""},
		{`return require('net')`, "Invalid module", ""},
		{`return require('http')`, "Invalid module", ""},
		{`return require('os')`, "Invalid module", ""},
		{`return require('process')`, "Invalid module", ""},
		{`return require('/etc/passwd')`, "Invalid module", ""},
		{`return require('../../../../../etc/passwd')`, "Invalid module", ""},
		{`return require('/@parse/../../etc/hostname')`, "Invalid module", ""},
		{`return Object.keys(process.env).length`, "", "0"},
		{`return [typeof process.exit, typeof process.binding, typeof process.kill, typeof process.dlopen].join()`, "", `"undefined,undefined,undefined,undefined"`},
		{`return (function(){}).constructor('return this')() === globalThis`, "", "true"},
		{`return this.constructor.constructor('return typeof process.mainModule')()`, "", `"undefined"`},
		{`return [typeof fetch, typeof XMLHttpRequest, typeof WebSocket, typeof Deno, typeof Bun].join()`, "", `"undefined,undefined,undefined,undefined,undefined"`},
		{`return Parse.CoreManager.getRESTController().ajax('GET', 'http://127.0.0.1/')`, "", `{}`},
	} {
		resp, err := e.m.RunFunction(context.Background(), "attempt", &hooks.Request{Params: map[string]any{"src": c.src}})
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		got := resp.Result.(map[string]any)
		switch {
		case c.wantError != "":
			if msg, _ := got["error"].(string); !strings.Contains(msg, c.wantError) {
				t.Errorf("%s: want error %q, got %v", c.src, c.wantError, got)
			}
		case c.wantOK != "":
			if got["ok"] != c.wantOK {
				t.Errorf("%s: want %s, got %v", c.src, c.wantOK, got)
			}
		default:
			if _, failed := got["error"]; !failed {
				t.Errorf("%s: must fail, got %v", c.src, got)
			}
		}
	}
	if got := e.mustRun(t, "ok", nil); got != "ok" {
		t.Fatal(got)
	}
}

func TestHTTPRequestAllowList(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/json":
			gotAuth = r.Header.Get("Authorization")
			w.Header().Set("Content-Type", "application/json")
			http.SetCookie(w, &http.Cookie{Name: "sid", Value: "42"})
			fmt.Fprintf(w, `{"q":%q,"method":%q}`, r.URL.Query().Get("q"), r.Method)
		case "/missing":
			http.Error(w, "no such thing", http.StatusNotFound)
		case "/redirect-out":
			http.Redirect(w, r, "http://not-allowed.example/steal", http.StatusFound)
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	e := newEnv(t, `
		Parse.Cloud.define('ok', () => 'ok');
		Parse.Cloud.define('fetch', async req => {
		  try {
		    const r = await Parse.Cloud.httpRequest({ url: req.params.url, method: req.params.method || 'GET', params: { q: 'a b' },
		      headers: { Authorization: 'Bearer t' }, body: req.params.body, followRedirects: true });
		    return { status: r.status, data: r.data, text: r.text, cookie: r.cookies.sid && r.cookies.sid.value };
		  } catch (e) {
		    if (e && e.status) return { rejectedStatus: e.status, text: e.text };
		    return { code: e.code, error: e.message };
		  }
		});
	`, hooks.Options{HTTPAllowList: []string{u.Host}})
	got := e.mustRun(t, "fetch", map[string]any{"url": srv.URL + "/json", "method": "POST", "body": map[string]any{"x": 1.0}}).(map[string]any)
	if got["status"] != 200.0 || got["data"].(map[string]any)["q"] != "a b" || got["data"].(map[string]any)["method"] != "POST" || got["cookie"] != "42" || gotAuth != "Bearer t" {
		t.Fatalf("allowed host: %v (auth %q)", got, gotAuth)
	}
	got = e.mustRun(t, "fetch", map[string]any{"url": srv.URL + "/missing"}).(map[string]any)
	if got["rejectedStatus"] != 404.0 {
		t.Fatalf("an error status rejects with the response, as on Parse Server: %v", got)
	}
	for _, target := range []string{"http://example.com/", "http://127.0.0.1:1/", "file:///etc/passwd", srv.URL + "/redirect-out"} {
		got = e.mustRun(t, "fetch", map[string]any{"url": target}).(map[string]any)
		if got["code"] != float64(core.CodeOperationForbidden) || !strings.Contains(got["error"].(string), "allow") {
			t.Fatalf("%s: want 119 not on the allow-list, got %v", target, got)
		}
	}
	if got := e.mustRun(t, "ok", nil); got != "ok" {
		t.Fatal(got)
	}
}

// The memory guard stops a script that allocates without bound before the
// process runs out of memory; the next invocation succeeds.
func TestSandboxMemoryBomb(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MiB")
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	limit := int64(ms.HeapAlloc) + 256<<20
	e := newEnv(t, `
		Parse.Cloud.define('ok', () => 'ok');
		Parse.Cloud.define('arrays', () => { const keep = []; while (true) keep.push(new Array(1e5).fill(1)); });
		Parse.Cloud.define('strings', () => { const keep = []; let s = 'x'; while (true) { s += s; keep.push(s); } });
		Parse.Cloud.define('objects', () => { const keep = {}; for (let i = 0; ; i++) keep['k' + i] = { i, s: 'v' + i }; });
	`, hooks.Options{Timeout: 60 * time.Second, MemoryLimit: limit, PoolSize: 1})
	for _, name := range []string{"arrays", "strings", "objects"} {
		start := time.Now()
		_, err := e.run(t, name, nil)
		wantCode(t, err, core.CodeScriptFailed, "memory limit")
		peak, stopped := e.m.MemGuardStats()
		t.Logf("%s: stopped after %s; limit %d MiB, peak heap %d MiB (%.2fx), %d stopped so far",
			name, time.Since(start).Round(time.Millisecond), limit>>20, peak>>20, float64(peak)/float64(limit), stopped)
		if got := e.mustRun(t, "ok", nil); got != "ok" {
			t.Fatalf("after %s: %v", name, got)
		}
	}
}

// stuckBackend answers "classes/Stuck" only when released, whatever its
// context says: a Go built-in that ignores the interrupt.
type stuckBackend struct {
	*hookstest.Backend
	entered  chan context.Context
	released chan struct{}
}

func (b *stuckBackend) Request(ctx context.Context, method, path string, body map[string]any, as hooks.Caller) (hooks.Reply, error) {
	if strings.HasPrefix(path, "classes/Stuck") {
		b.entered <- ctx
		<-b.released
		return hooks.Reply{Body: map[string]any{"results": []any{}}}, nil
	}
	return b.Backend.Request(ctx, method, path, body, as)
}

// A script stuck in a Go call that ignores the interrupt does not hold its
// caller: the caller gets the timeout's error while the call still runs,
// the runtime is replaced, and the next invocation is served. The backend
// call ran under a context that carries the invocation's deadline and is
// cancelled by the timeout.
func TestSandboxGivesUpOnAStuckRuntime(t *testing.T) {
	b := &stuckBackend{Backend: hookstest.NewBackend(), entered: make(chan context.Context, 1), released: make(chan struct{})}
	m, err := hooks.NewManager(hooks.Options{AppID: "test", PoolSize: 1, Timeout: 200 * time.Millisecond}, b, hookstest.NewStore())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { close(b.released); m.Close() })
	if err := m.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	bundle, err := hooks.NewBundle(map[string][]byte{"main.js": []byte(`
		Parse.Cloud.define('ok', () => 'ok');
		Parse.Cloud.define('stuck', () => new Parse.Query('Stuck').find());
	`)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deploy(context.Background(), bundle, "test"); err != nil {
		t.Fatal(err)
	}
	_, err = m.RunFunction(context.Background(), "stuck", &hooks.Request{})
	wantCode(t, err, core.CodeScriptFailed, "timed out after 200ms")
	ctx := <-b.entered
	if _, ok := ctx.Deadline(); !ok {
		t.Fatal("the backend call had no deadline")
	}
	if ctx.Err() == nil {
		t.Fatal("the backend call's context was not cancelled by the timeout")
	}
	resp, err := m.RunFunction(context.Background(), "ok", &hooks.Request{})
	if err != nil || resp.Result != "ok" {
		t.Fatalf("after a stuck runtime: %v, %v", resp, err)
	}
}

// A caller that goes away stops its script, whether the memory guard
// watches running invocations (it notices) or not (a callback on the
// caller's context does), and the runtime serves the next call. The
// timeout is far off: only the cancellation can end the loop.
func TestSandboxStopsWhenTheCallerGoesAway(t *testing.T) {
	for _, c := range []struct {
		name  string
		limit int64
	}{{"memory guard on", 0}, {"memory guard off", -1}} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, `
				Parse.Cloud.define('spin', () => { for (;;) {} });
				Parse.Cloud.define('ok', () => 'ok');
			`, hooks.Options{PoolSize: 1, Timeout: time.Minute, MemoryLimit: c.limit})
			ctx, cancel := context.WithCancel(context.Background())
			time.AfterFunc(50*time.Millisecond, cancel)
			_, err := e.m.RunFunction(ctx, "spin", &hooks.Request{})
			wantCode(t, err, core.CodeScriptFailed, "function spin was stopped: the request was cancelled")
			if got := e.mustRun(t, "ok", nil); got != "ok" {
				t.Fatalf("after a cancelled call: %v", got)
			}
		})
	}
}
