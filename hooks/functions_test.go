package hooks_test

import (
	"context"
	"fmt"
	"reflect"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

func TestFunctionBasics(t *testing.T) {
	e := newEnv(t, `
		Parse.Cloud.define('hi', () => 'hi');
		Parse.Cloud.define('echo', req => ({params: req.params, master: req.master, name: req.functionName}));
		Parse.Cloud.define('undef', () => undefined);
		Parse.Cloud.define('fails', () => { throw 'bad stuff happened'; });
		Parse.Cloud.define('parseError', () => { throw new Parse.Error(Parse.Error.OBJECT_NOT_FOUND, 'nope'); });
		Parse.Cloud.define('async', async req => { await new Promise(r => setTimeout(r, 20)); return req.params.n * 2; });
	`, hooks.Options{})
	if got := e.mustRun(t, "hi", nil); got != "hi" {
		t.Fatalf("hi = %v", got)
	}
	got := e.mustRun(t, "echo", map[string]any{"a": 1.0}).(map[string]any)
	if got["name"] != "echo" || got["master"] != false || got["params"].(map[string]any)["a"] != 1.0 {
		t.Fatalf("echo = %v", got)
	}
	resp, err := e.run(t, "undef", nil)
	if err != nil || resp.HasResult {
		t.Fatalf("undef = %+v %v, want no result", resp, err)
	}
	_, err = e.run(t, "fails", nil)
	wantCode(t, err, core.CodeScriptFailed, "bad stuff happened")
	_, err = e.run(t, "parseError", nil)
	wantCode(t, err, core.CodeObjectNotFound, "nope")
	if got := e.mustRun(t, "async", map[string]any{"n": 21.0}); got != 42.0 {
		t.Fatalf("async = %v", got)
	}
	_, err = e.run(t, "missing", nil)
	wantCode(t, err, core.CodeScriptFailed, `Invalid function: "missing"`)
}

// A runtime serves one invocation after another with the same request
// object underneath: what one request had, the next one without it must
// not see.
func TestRequestFieldsDoNotCarryOver(t *testing.T) {
	e := newEnv(t, `
		Parse.Cloud.define('who', req => ({installationId: req.installationId === undefined ? 'none' : req.installationId,
			ip: req.ip, headers: req.headers, context: req.context, params: req.params, master: req.master, user: req.user ? req.user.id : 'none'}));
		Parse.Cloud.beforeSave('Thing', req => { req.context.sawUpdate = req.object.get('a') === undefined ? 'none' : req.object.get('a'); });
	`, hooks.Options{PoolSize: 1})
	ctx := context.Background()
	full := &hooks.Request{Master: true, InstallationID: "i1", IP: "10.0.0.1", Headers: map[string]string{"x-a": "b"},
		Context: map[string]any{"k": "v"}, Params: map[string]any{"p": 1.0},
		User: map[string]any{"objectId": "u1", "sessionToken": "r:t"}}
	resp, err := e.m.RunFunction(ctx, "who", full)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"installationId": "i1", "ip": "10.0.0.1", "headers": map[string]any{"x-a": "b"}, "context": map[string]any{"k": "v"},
		"params": map[string]any{"p": 1.0}, "master": true, "user": "u1"}
	if !reflect.DeepEqual(resp.Result, want) {
		t.Fatalf("first call saw %#v", resp.Result)
	}
	resp, err = e.m.RunFunction(ctx, "who", &hooks.Request{})
	if err != nil {
		t.Fatal(err)
	}
	want = map[string]any{"installationId": "none", "ip": "", "headers": map[string]any{}, "context": map[string]any{},
		"params": map[string]any{}, "master": false, "user": "none"}
	if !reflect.DeepEqual(resp.Result, want) {
		t.Fatalf("second call saw %#v", resp.Result)
	}
	// A trigger after a write, then one without a write.
	if _, err := e.m.RunTrigger(ctx, hooks.BeforeSave, "Thing", &hooks.Request{Update: map[string]any{"a": 1.0}}); err != nil {
		t.Fatal(err)
	}
	resp, err = e.m.RunTrigger(ctx, hooks.BeforeSave, "Thing", &hooks.Request{})
	if err != nil || resp.Context["sawUpdate"] != "none" {
		t.Fatalf("a trigger without a write saw %v (%v)", resp, err)
	}
}

// Callers that share a runtime, one after another as it frees up, each get
// their own invocation's answer.
func TestEachCallerGetsItsOwnAnswer(t *testing.T) {
	e := newEnv(t, `
		Parse.Cloud.define('echo', req => req.params.n);
		Parse.Cloud.beforeSave('Echo', req => { req.object.set('n2', req.object.get('n')); });
	`, hooks.Options{PoolSize: 1})
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 300 {
				n := float64(w*1000 + i)
				if w%2 == 0 {
					resp, err := e.m.RunFunction(ctx, "echo", &hooks.Request{Params: map[string]any{"n": n}})
					if err != nil || resp.Result != n {
						errs <- fmt.Errorf("echo %v answered %+v, %v", n, resp, err)
						return
					}
					continue
				}
				resp, err := e.m.RunTrigger(ctx, hooks.BeforeSave, "Echo", &hooks.Request{Update: map[string]any{"n": n}})
				if err != nil || resp.Update["n2"] != n {
					errs <- fmt.Errorf("beforeSave of %v answered %+v, %v", n, resp, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
