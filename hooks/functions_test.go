package hooks_test

import (
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
