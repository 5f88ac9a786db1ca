package hooks_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
	"github.com/switchboardhq/switchboard/hooks/hookstest"
)

func bundle(t testing.TB, files ...string) *hooks.Bundle {
	t.Helper()
	m := map[string][]byte{}
	for i := 0; i+1 < len(files); i += 2 {
		m[files[i]] = []byte(files[i+1])
	}
	b, err := hooks.NewBundle(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBundleRefusals(t *testing.T) {
	for _, c := range []struct {
		files map[string][]byte
		msg   string
	}{
		{map[string][]byte{}, "the bundle is empty"},
		{map[string][]byte{"lib.js": nil}, "has no main.js"},
		{map[string][]byte{"main.js": nil, "../x.js": nil}, `segment ".." is not allowed`},
		{map[string][]byte{"main.js": nil, "/etc/x.js": nil}, "must be relative"},
		{map[string][]byte{"main.js": nil, `a\b.js`: nil}, "forward slashes"},
		{map[string][]byte{"main.js": nil, "a//b.js": nil}, "is not allowed"},
		{map[string][]byte{"main.js": nil, "run.sh": nil}, "only .js, .cjs, .json and .rego"},
		{map[string][]byte{"main.js": make([]byte, hooks.MaxFileBytes+1)}, "a file may have at most"},
	} {
		_, err := hooks.NewBundle(c.files)
		wantCode(t, err, core.CodeScriptFailed, c.msg)
	}
}

func TestDeployRefusesBrokenBundlesAndKeepsServing(t *testing.T) {
	e := newEnv(t, `Parse.Cloud.define('v', () => 1);`, hooks.Options{Timeout: time.Second})
	for _, c := range []struct {
		files []string
		msg   string
	}{
		{[]string{"main.js", "Parse.Cloud.define('v', () => 2);\nfunction (\n"}, "main.js:2:10: SyntaxError"},
		{[]string{"main.js", "require('./lib');", "lib.js", "let x = 1;\nlet x = 2;"}, "lib.js:2:5: SyntaxError"},
		{[]string{"main.js", "const c = require('./c.json');", "c.json", "{oops}"}, "c.json is not valid JSON"},
		{[]string{"main.js", "Parse.Cloud.define('v', () => 2);\nnull.boom;"}, "/main.js:2"},
		{[]string{"main.js", "require('./missing');"}, "Invalid module"},
		{[]string{"main.js", "while (true) {}"}, "timed out"},
		{[]string{"main.js", "(" + strings.Repeat("[", 5000) + ")"}, "brackets nest deeper"},
		{[]string{"main.js", "Parse.Cloud.beforeSave('_Session', () => {});"}, "Only the afterLogout trigger is allowed for the _Session class."},
	} {
		_, err := e.m.Deploy(context.Background(), bundle(t, c.files...), "bad")
		wantCode(t, err, core.CodeScriptFailed, c.msg)
		if got := e.mustRun(t, "v", nil); got != 1.0 {
			t.Fatalf("after refusing %q the active version must serve: %v", c.msg, got)
		}
	}
	list, err := e.m.Versions(context.Background())
	if err != nil || len(list) != 1 {
		t.Fatalf("refused bundles are not stored: %v %v", list, err)
	}
}

func hmacSHA256(key, msg string) string {
	h := hmac.New(sha256.New, []byte(key))
	h.Write([]byte(msg))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

func TestRequireAndModules(t *testing.T) {
	e := newEnv(t, `
		const util = require('./lib/util');
		const data = require('./data.json');
		const Parse2 = require('parse/node');
		const { createHash, createHmac, randomUUID } = require('crypto');
		const EventEmitter = require('events');
		Parse.Cloud.define('mods', () => ({
		  twice: util.twice(21), name: data.name, same: Parse2 === Parse,
		  sha: createHash('sha256').update('abc').digest('hex'),
		  hmac: createHmac('sha256', 'key').update('msg').digest('base64'),
		  uuid: /^[0-9a-f-]{36}$/.test(randomUUID()),
		  url: new URL('https://a.example/x?y=1').searchParams.get('y'),
		  buf: Buffer.from('hi').toString('base64'),
		  ee: typeof new EventEmitter().on,
		  dep: require('leftpad')('7', 3),
		}));
	`, hooks.Options{}, "lib/util.js", "exports.twice = n => n * 2;", "data.json", `{"name":"cfg"}`,
		"node_modules/leftpad/package.json", `{"main": "lib/index.js"}`,
		"node_modules/leftpad/lib/index.js", "module.exports = (s, n) => s.padStart(n, '0');")
	got := e.mustRun(t, "mods", nil).(map[string]any)
	want := map[string]any{"twice": 42.0, "name": "cfg", "same": true,
		"sha":  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		"hmac": hmacSHA256("key", "msg"), "uuid": true, "url": "1", "buf": "aGk=", "ee": "function", "dep": "007"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

// Deploy and roll back while calls keep flowing: no call fails, and every
// answer comes from one whole version.
func TestSwapUnderLoad(t *testing.T) {
	e := newEnv(t, `Parse.Cloud.define('v', async () => { await null; return 'v1'; });`, hooks.Options{PoolSize: 2})
	ctx := context.Background()
	stop := make(chan struct{})
	var calls, failures atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := e.m.RunFunction(ctx, "v", &hooks.Request{})
				calls.Add(1)
				if err != nil || (resp.Result != "v1" && resp.Result != "v2") {
					failures.Add(1)
					t.Errorf("call failed during a swap: %v %v", resp, err)
					return
				}
			}
		}()
	}
	for i := 0; i < 4; i++ {
		if _, err := e.m.Deploy(ctx, bundle(t, "main.js", `Parse.Cloud.define('v', () => 'v2');`), ""); err != nil {
			t.Fatal(err)
		}
		if _, err := e.m.Activate(ctx, 1); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if calls.Load() < 10 || failures.Load() != 0 {
		t.Fatalf("%d calls, %d failures", calls.Load(), failures.Load())
	}
}

// Two nodes sharing a store: a version deployed on one serves on the other.
func TestTwoNodesSeeNewVersion(t *testing.T) {
	store := hookstest.NewStore()
	var nodes []*hooks.Manager
	for i := 0; i < 2; i++ {
		m, err := hooks.NewManager(hooks.Options{AppID: "app", PoolSize: 1}, hookstest.NewBackend(), store)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		if err := m.Start(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
		nodes = append(nodes, m)
	}
	for v := 1; v <= 3; v++ {
		if _, err := nodes[0].Deploy(context.Background(), bundle(t, "main.js", fmt.Sprintf("Parse.Cloud.define('v', () => %d);", v)), ""); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			resp, err := nodes[1].RunFunction(context.Background(), "v", &hooks.Request{})
			if err == nil && resp.Result == float64(v) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("node 2 still serves %v (%v) after version %d", resp, err, v)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func TestPoolQueue(t *testing.T) {
	// slow runs far longer than the queue timeout, so that the three calls
	// overlap even when a loaded machine starts them late.
	e := newEnv(t, `Parse.Cloud.define('slow', () => new Promise(r => setTimeout(() => r('done'), 2000)));`,
		hooks.Options{PoolSize: 1, QueueLength: 1, QueueTimeout: 100 * time.Millisecond})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.m.RunFunction(ctx, "slow", &hooks.Request{})
			errs <- err
		}()
		time.Sleep(20 * time.Millisecond)
	}
	wg.Wait()
	close(errs)
	var ok, busy int
	for err := range errs {
		switch {
		case err == nil:
			ok++
		case core.IsCode(err, core.CodeRequestLimitExceeded):
			busy++
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	// One runs; one waits 100ms and gives up; one finds the queue full.
	if ok != 1 || busy != 2 {
		t.Fatalf("ok %d, busy %d", ok, busy)
	}
	if resp, err := e.m.RunFunction(ctx, "slow", &hooks.Request{}); err != nil || resp.Result != "done" {
		t.Fatalf("after the burst: %v %v", resp, err)
	}
}

// Cloud code calling cloud code does not deadlock on a full pool.
func TestNestedCallsDoNotDeadlock(t *testing.T) {
	e := newEnv(t, `
		Parse.Cloud.define('inner', req => req.params.n);
		Parse.Cloud.define('outer', async () => Parse.Cloud.run('inner', { n: 7 }));
		Parse.Cloud.define('recurse', async req => req.params.n > 0 ? Parse.Cloud.run('recurse', { n: req.params.n - 1 }) : 'bottom');
	`, hooks.Options{PoolSize: 1})
	if got := e.mustRun(t, "outer", nil); got != 7.0 {
		t.Fatalf("outer = %v", got)
	}
	_, err := e.run(t, "recurse", map[string]any{"n": 50.0})
	wantCode(t, err, core.CodeScriptFailed, "more than 8 levels deep")
	if got := e.mustRun(t, "recurse", map[string]any{"n": 3.0}); got != "bottom" {
		t.Fatalf("recurse = %v", got)
	}
}

func TestStartFromFolder(t *testing.T) {
	dir := t.TempDir()
	write := func(src string) {
		if err := writeFile(dir+"/main.js", src); err != nil {
			t.Fatal(err)
		}
	}
	write(`Parse.Cloud.define('v', () => 'folder1');`)
	store := hookstest.NewStore()
	start := func() *hooks.Manager {
		m, err := hooks.NewManager(hooks.Options{AppID: "app", PoolSize: 1}, hookstest.NewBackend(), store)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		if err := m.Start(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
		return m
	}
	call := func(m *hooks.Manager) any {
		resp, err := m.RunFunction(context.Background(), "v", &hooks.Request{})
		if err != nil {
			t.Fatal(err)
		}
		return resp.Result
	}
	m := start()
	if call(m) != "folder1" {
		t.Fatal("folder not loaded")
	}
	// An upload, then a restart with the folder unchanged: the upload stays.
	if _, err := m.Deploy(context.Background(), bundle(t, "main.js", `Parse.Cloud.define('v', () => 'upload');`), "cli"); err != nil {
		t.Fatal(err)
	}
	m.Close()
	if m = start(); call(m) != "upload" {
		t.Fatal("an unchanged folder must not replace an uploaded version")
	}
	m.Close()
	// The folder changed: it wins at restart, as on Parse Server.
	write(`Parse.Cloud.define('v', () => 'folder2');`)
	if m = start(); call(m) != "folder2" {
		t.Fatal("an edited folder takes effect at restart")
	}
}

// The pool hands out the runtime freed last: calls one after another are
// all served by the same runtime (whose memory is still in the caches), not
// by each runtime of the pool in turn.
func TestPoolReusesTheLastFreedRuntime(t *testing.T) {
	e := newEnv(t, `Parse.Cloud.define('count', () => { globalThis.calls = (globalThis.calls || 0) + 1; return globalThis.calls; });`,
		hooks.Options{PoolSize: 4})
	for i := 1; i <= 10; i++ {
		if got := e.mustRun(t, "count", nil); got != float64(i) {
			t.Fatalf("call %d was runtime's call %v: the calls went round the pool", i, got)
		}
	}
}
