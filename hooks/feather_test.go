package hooks_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

// The feather path (feather.go) answers as cloud.js's light object does.
// The same handler is registered on Feather, which takes the feather path,
// and on Light, whose empty validator keeps it on cloud.js's; every mode
// must give both the same write, context and error.
const featherCompare = canonicalJS + `
const kept = {};
function handler(req) {
  const o = req.object;
  const c = req.context;
  switch (c.mode) {
    case 'set': o.set('checked', true); o.set('n', 2); o.set('name', 'changed'); o.set('nothing', null); break;
    case 'setTwice': o.set('a', 1); o.set('a', 'two'); break;
    case 'get':
      o.set('upper', String(o.get('name')).toUpperCase());
      o.set('missing', o.get('nope') === undefined);
      o.set('score2', o.get('score') * 2);
      o.set('tagsLength', Array.isArray(o.get('tags')) ? o.get('tags').length : -1);
      break;
    case 'getAfterSet': o.set('x', 'v'); o.set('y', o.get('x')); break;
    case 'chain': o.set('a', 1).set('b', 2); break;
    case 'unset': o.set('x', 1); o.unset('name'); break;
    case 'increment': o.set('x', 1); o.increment('score', 5); o.increment('fresh'); break;
    case 'dirty': o.set('x', 1); o.set('dirtyKeys', o.dirtyKeys().sort().join(',')); o.set('isDirty', o.dirty('x')); break;
    case 'objectValue': o.set('x', 1); o.set('meta', { a: [1, 2] }); break;
    case 'date': o.set('when', new Date(0)); break;
    case 'acl': { const acl = new Parse.ACL(); acl.setPublicReadAccess(true); o.setACL(acl); break; }
    case 'setMany': o.set({ a: 1, b: 'two' }); break;
    case 'options': o.set('a', 1, { unset: false }); break;
    case 'badValues': o.set('u', undefined); o.set('nan', NaN); break;
    case 'badKey': o.set('bad key', 1); break;
    case 'readOnly': o.set('objectId', 'x'); o.set('createdAt', new Date(0)); break;
    case 'protoKey': o.set('toString', 'x'); o.set('n', o.get('constructor') === undefined); break;
    case 'json': o.set('x', 1); o.set('json', JSON.stringify(canonical(o.toJSON()))); break;
    case 'context': c.flag = 'set'; c.list = [1, { b: true }]; o.set('x', 1); break;
    case 'newContext': req.context = { fresh: 1 }; break;
    case 'replace': req.object = new Parse.Object(o.className); req.object.set('other', 1); break;
    case 'throw': o.set('x', 1); throw new Parse.Error(142, 'nope: ' + o.get('x'));
    case 'throwString': throw 'plain';
    case 'async': return (async () => { o.set('x', 1); })();
    case 'pending': return new Promise(resolve => setTimeout(() => { o.set('x', 'later'); resolve(); }, 1));
    case 'pendingPromote': return new Promise(resolve => setTimeout(() => { o.unset('name'); o.set('y', 2); resolve(); }, 1));
    case 'reject': return Promise.reject(new Parse.Error(142, 'rejected'));
    case 'rejectLater': return new Promise((_, reject) => setTimeout(() => reject(new Parse.Error(141, 'later')), 1));
    case 'keep': kept[o.className] = o; o.set('kept', true); break;
    case 'useKept': {
      const k = kept[o.className];
      o.set('keptName', k.get('name'));
      o.set('keptKept', k.get('kept'));
      k.set('again', 1);
      o.set('keptDirty', k.dirtyKeys().sort().join(','));
      break;
    }
    case 'headers':
      o.set('hdr', req.headers['x-test']);
      req.headers.n = 5;
      o.set('hdrN', req.headers.n);
      o.set('hdrType', typeof req.headers.n);
      delete req.headers['x-test'];
      o.set('hdrKeys', Object.keys(req.headers).sort().join(','));
      o.set('hdrJSON', JSON.stringify(req.headers));
      o.set('hdrIn', 'x-test' in req.headers);
      break;
    case 'manyFields':
      // Past the point where the object indexes its fields: sets, resets
      // and gets of many.
      for (let i = 0; i < 40; i++) o.set('f' + i, i);
      for (let i = 0; i < 40; i += 3) o.set('f' + i, 'again ' + i);
      o.set('sum', Array.from({ length: 40 }, (_, i) => o.get('f' + i)).join(','));
      break;
    case 'thenThrows': return { get then() { throw new Parse.Error(142, 'then getter'); } };
    case 'ctxGetterThrows':
      Object.defineProperty(req.context, 'bad', { enumerable: true, get() { throw new Error('context getter'); } });
      o.set('x', 1);
      break;
    case 'foreignThis': {
      // The object's own methods called on other objects: as cloud.js's.
      const p = Object.getPrototypeOf(o);
      const tryIt = f => { try { return String(f()); } catch (e) { return 'threw ' + (e && e.name); } };
      o.set('plain', tryIt(() => p.get.call({}, 'x')));
      o.set('nul', tryIt(() => p.get.call(null, 'x')));
      o.set('setPlain', tryIt(() => p.set.call({}, 'x', 1) === undefined));
      o.set('other', tryIt(() => p.get.call(req.original || new Parse.Object('Other'), 'score')));
      break;
    }
    case 'identity':
      o.set('isParseObject', o instanceof Parse.Object);
      o.set('ctor', o.constructor.name);
      o.set('className', 'ignored');
      o.set('cls', o.className === 'Feather' || o.className === 'Light');
      o.set('headers', typeof req.headers);
      o.set('ip', req.ip);
      o.set('trigger', req.triggerName);
      o.set('hasOriginal', req.original !== undefined);
      o.set('originalScore', req.original ? req.original.get('score') : -1);
      o.set('id', o.id === undefined ? 'none' : o.id);
      o.set('isNew', o.isNew());
      o.set('ownClass', o instanceof (Parse.Object._getClassMap()[o.className] || Parse.Object));
      o.set('ctorIsClass', o.constructor === (Parse.Object._getClassMap()[o.className] || o.constructor));
      o.set('ctxProto', Object.getPrototypeOf(req.context) === null);
      o.set('ctxGiven', req.context.given);
      break;
  }
}
Parse.Cloud.beforeSave('Feather', handler);
Parse.Cloud.beforeSave('Light', handler, {});
// Classes with a subclass of their own that adds nothing (light and
// feather objects are instances of it), and one that adds a method (the
// SDK's ordinary objects).
const FeatherExt = Parse.Object.extend('FeatherExt');
const LightExt = Parse.Object.extend('LightExt');
Parse.Cloud.beforeSave('FeatherExt', handler);
Parse.Cloud.beforeSave('LightExt', handler, {});
const Rich = Parse.Object.extend('Rich', { doubled() { return this.get('score') * 2; } });
Parse.Cloud.beforeSave('Rich', req => { req.object.set('doubled', req.object.doubled()); });
`

func TestFeatherAnswersAsTheLightObject(t *testing.T) {
	e := newEnv(t, featherCompare, hooks.Options{PoolSize: 1})
	stored := map[string]any{"objectId": "s1", "createdAt": "2030-01-02T03:04:05.006Z", "updatedAt": "2030-01-03T03:04:05.006Z",
		"name": "stored", "score": 7.0, "tags": []any{"x"}}
	write := func() map[string]any {
		return map[string]any{"name": "ada", "score": 10.0, "tags": []any{"a", "b"}, "gone": map[string]any{"__op": "Delete"},
			"more": map[string]any{"__op": "Increment", "amount": 2.0}, "objectId": "ignored"}
	}
	modes := []string{"set", "setTwice", "get", "getAfterSet", "chain", "unset", "increment", "dirty", "objectValue", "date",
		"acl", "setMany", "options", "badValues", "badKey", "readOnly", "protoKey", "json", "context", "newContext", "replace",
		"throw", "throwString", "async", "pending", "pendingPromote", "reject", "rejectLater", "keep", "useKept", "identity", "headers", "foreignThis", "thenThrows", "ctxGetterThrows", "manyFields"}
	run := func(className, mode string, object map[string]any) (*hooks.Response, error) {
		return e.m.RunTrigger(context.Background(), hooks.BeforeSave, className, &hooks.Request{
			IP: "10.0.0.1", Headers: map[string]string{"x-test": "1"}, Object: object, Update: write(),
			Context: map[string]any{"mode": mode, "given": "yes"}})
	}
	for _, pair := range [][2]string{{"Feather", "Light"}, {"FeatherExt", "LightExt"}} {
		for _, object := range []map[string]any{nil, stored} {
			for _, mode := range modes {
				before := hooks.FeatherRuns(e.m)
				fr, ferr := run(pair[0], mode, object)
				if hooks.FeatherRuns(e.m) != before+1 {
					t.Fatalf("%s %s: not run on the feather path", pair[0], mode)
				}
				lr, lerr := run(pair[1], mode, object)
				if hooks.FeatherRuns(e.m) != before+1 {
					t.Fatalf("%s: the validated trigger ran on the feather path", mode)
				}
				if (ferr == nil) != (lerr == nil) {
					t.Fatalf("%s (stored %v): feather error %v, light error %v", mode, object != nil, ferr, lerr)
				}
				if ferr != nil {
					var fe, le *core.Error
					if !errors.As(ferr, &fe) || !errors.As(lerr, &le) || fe.Code != le.Code || fe.Message != le.Message {
						t.Fatalf("%s: feather error %v, light error %v", mode, ferr, lerr)
					}
					continue
				}
				if !reflect.DeepEqual(fr.Update, lr.Update) {
					t.Fatalf("%s (stored %v): feather update\n%#v\nlight update\n%#v", mode, object != nil, fr.Update, lr.Update)
				}
				if !reflect.DeepEqual(fr.Context, lr.Context) {
					t.Fatalf("%s: feather context %#v, light context %#v", mode, fr.Context, lr.Context)
				}
			}
		}
	}
	// Spot checks that the comparison compares something.
	resp, err := run("Feather", "set", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"name": "changed", "score": 10.0, "tags": []any{"a", "b"}, "gone": map[string]any{"__op": "Delete"},
		"more": map[string]any{"__op": "Increment", "amount": 2.0}, "checked": true, "n": 2.0, "nothing": nil}
	if !reflect.DeepEqual(resp.Update, want) {
		t.Fatalf("update %#v,\nwant %#v", resp.Update, want)
	}
	resp, err = run("Feather", "identity", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"ctxProto": true, "ctxGiven": "yes", "ctor": "TriggerObject", "isParseObject": true, "trigger": "beforeSave", "ip": "10.0.0.1", "ownClass": true} {
		if got := resp.Update[k]; got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	resp, err = run("FeatherExt", "identity", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"ownClass": true, "ctorIsClass": true, "ctor": "ParseObjectSubclass", "isParseObject": true} {
		if got := resp.Update[k]; got != want {
			t.Errorf("FeatherExt: %s = %#v, want %#v", k, got, want)
		}
	}
	// A subclass with a method of its own: ordinary objects, not the
	// feather path, and the method works.
	before := hooks.FeatherRuns(e.m)
	resp, err = run("Rich", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if hooks.FeatherRuns(e.m) != before {
		t.Error("a subclass with methods ran on the feather path")
	}
	if resp.Update["doubled"] != 20.0 {
		t.Errorf("doubled = %#v, want 20", resp.Update["doubled"])
	}
	// request.headers is the request's map: reads, writes (kept as
	// strings, as header values are), delete and enumeration.
	resp, err = run("Feather", "headers", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]any{"hdr": "1", "hdrN": "5", "hdrType": "string", "hdrKeys": "n", "hdrJSON": `{"n":"5"}`, "hdrIn": false} {
		if got := resp.Update[k]; got != want {
			t.Errorf("%s = %#v, want %#v", k, got, want)
		}
	}
	if _, err := run("Feather", "throw", nil); err == nil {
		t.Fatal("a throwing handler succeeded")
	} else {
		wantCode(t, err, 142, "nope: 1")
	}
}

// What a hostile script does around the feather path stays the script's
// problem: a setter on Object.prototype does not run while Go builds the
// request, and a result whose then getter never returns is stopped by the
// timeout, after which the runtime serves again.
func TestFeatherPathWithHostileScripts(t *testing.T) {
	e := newEnv(t, `
		let setterRuns = 0;
		for (const name of ['master', 'ip', 'object', 'context', 'className', '_objCount', 'triggerName']) {
			Object.defineProperty(Object.prototype, name, { configurable: true, set() { setterRuns++; throw new Error('setter ' + name); } });
		}
		Parse.Cloud.beforeSave('Game', req => {
			if (req.context.mode === 'loop') return { get then() { for (;;) {} } };
			req.object.set('setterRuns', setterRuns);
			req.object.set('ip', req.ip);
			req.object.set('master', req.master);
			req.object.set('cls', req.object.className);
		});
	`, hooks.Options{PoolSize: 1, Timeout: 300 * time.Millisecond})
	run := func(mode string) (*hooks.Response, error) {
		return e.m.RunTrigger(context.Background(), hooks.BeforeSave, "Game", &hooks.Request{IP: "10.0.0.9", Master: true,
			Update: map[string]any{"a": 1.0}, Context: map[string]any{"mode": mode}})
	}
	resp, err := run("plain")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": 1.0, "setterRuns": 0.0, "ip": "10.0.0.9", "master": true, "cls": "Game"}
	if !reflect.DeepEqual(resp.Update, want) {
		t.Fatalf("update %#v, want %#v", resp.Update, want)
	}
	if hooks.FeatherRuns(e.m) == 0 {
		t.Fatal("not run on the feather path")
	}
	_, err = run("loop")
	wantCode(t, err, core.CodeScriptFailed, "timed out")
	if _, err := run("plain"); err != nil {
		t.Fatalf("after a looping then getter: %v", err)
	}
}
