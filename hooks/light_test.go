package hooks_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

// The light request.object of object triggers answers as the SDK's own
// Parse.Object does. The beforeSave below builds, from the same stored
// object and write, an ordinary Parse.Object the way triggers always did,
// applies the same steps to both, and throws on the first difference in
// what a script or the server can see.
const lightCompare = canonicalJS + `
function real(className, object, update) {
  const o = Parse.Object.fromJSON(Object.assign({}, object, { className }));
  const attrs = {};
  for (const k of Object.keys(update)) {
    if (['objectId', 'createdAt', 'updatedAt', 'className', '__type'].includes(k)) continue;
    attrs[k] = k === 'ACL' && !update[k].__op ? new Parse.ACL(update[k]) : Parse._decode(undefined, update[k]);
  }
  if (Object.keys(attrs).length) o.set(attrs, { ignoreValidation: true });
  return o;
}
function apply(o, step) {
  const [op, key, v] = step;
  switch (op) {
    case 'set': return o.set(key, v);
    case 'setMany': return o.set(v);
    case 'unset': return o.unset(key);
    case 'increment': return v === undefined ? o.increment(key) : o.increment(key, v);
    case 'decrement': return o.decrement(key, v);
    case 'date': return o.set(key, new Date(v));
    case 'acl': { const acl = new Parse.ACL(); acl.setPublicReadAccess(true); acl.setWriteAccess(v, true); return o.setACL(acl); }
    case 'aclInPlace': return o.getACL().setPublicWriteAccess(true);
    case 'push': return o.get(key).push(v);
    case 'nested': o.get(key).inner = v; return;
    case 'add': return o.add(key, v);
    case 'pointer': return o.set(key, Parse.Object.createWithoutData('Other', v));
    case 'revert': return o.revert(key);
    case 'relation': return o.relation(key).add(Parse.Object.createWithoutData('_User', v));
    case 'escape': return o.escape(key);
    case 'attributes': return Object.keys(o.attributes).sort().join(',');
    case 'save-json': return o._getSaveJSON();
  }
  throw new Error('unknown step ' + op);
}
function snapshot(o, keys) {
  const out = {
    json: o.toJSON(), save: o._getSaveJSON(), dirtyKeys: o.dirtyKeys().sort(), dirty: o.dirty(),
    existed: o.existed(), isNew: o.isNew(), id: o.id || null,
    createdAt: o.createdAt ? o.createdAt.toISOString() : null, updatedAt: o.updatedAt ? o.updatedAt.toISOString() : null,
    acl: o.getACL() ? o.getACL().toJSON() : null,
  };
  for (const k of keys) {
    out['get.' + k] = Parse._encode(o.get(k));
    out['has.' + k] = o.has(k);
    out['dirty.' + k] = o.dirty(k);
  }
  return JSON.stringify(canonical(out));
}
// A light object is a TriggerObject, or for a class with a subclass of its
// own (GameExt below), an instance of the subclass that does not have its
// prototype.
function isLight(o) {
  return o.constructor.name === 'TriggerObject' || Object.getPrototypeOf(o) !== o.constructor.prototype;
}
const GameExt = Parse.Object.extend('GameExt');
function compare(req) {
  const c = req.context;
  if (c.expectLight && !isLight(req.object)) throw 'not a light object: ' + req.object.constructor.name;
  if (!(req.object instanceof (Parse.Object._getClassMap()[req.object.className] || Parse.Object))) throw 'not an instance of its class';
  const ref = real(req.object.className, c.object || {}, c.update || {});
  const keys = Object.keys(Object.assign({}, c.object, c.update)).concat(c.keys || []);
  for (const step of c.steps) {
    let a, b, ea, eb;
    try { a = apply(req.object, step); } catch (e) { ea = String(e && e.message || e); }
    try { b = apply(ref, step); } catch (e) { eb = String(e && e.message || e); }
    if (ea !== eb) throw 'step ' + JSON.stringify(step) + ': light threw ' + ea + ', SDK threw ' + eb;
    const sa = snapshot(req.object, keys), sb = snapshot(ref, keys);
    if (sa !== sb) throw 'after ' + JSON.stringify(step) + ':\nlight ' + sa + '\nSDK   ' + sb;
  }
}
Parse.Cloud.beforeSave('Game', compare);
Parse.Cloud.beforeSave('GameExt', compare);
`

func withRelation(o map[string]any) map[string]any {
	out := map[string]any{"friends": map[string]any{"__type": "Relation", "className": "_User"}}
	for k, v := range o {
		out[k] = v
	}
	return out
}

func TestLightObjectMatchesTheSDK(t *testing.T) {
	e := newEnv(t, lightCompare, hooks.Options{})
	stored := map[string]any{
		"objectId": "g1", "createdAt": "2030-01-02T03:04:05.006Z", "updatedAt": "2030-01-03T03:04:05.006Z",
		"score": 10.0, "name": "ada", "tags": []any{"a"}, "meta": map[string]any{"inner": 1.0},
		"when":  map[string]any{"__type": "Date", "iso": "2030-01-01T00:00:00.000Z"},
		"owner": map[string]any{"__type": "Pointer", "className": "_User", "objectId": "u1"},
		"ACL":   map[string]any{"*": map[string]any{"read": true}},
		"where": map[string]any{"__type": "GeoPoint", "latitude": 1.0, "longitude": 2.0},
	}
	cases := []struct {
		name   string
		object map[string]any
		update map[string]any
		steps  [][]any
		light  bool
	}{
		{"create, set one field", nil, map[string]any{"name": "x", "score": 1.0}, [][]any{{"set", "checked", true}}, true},
		{"create, no change", nil, map[string]any{"name": "x", "tags": []any{"a", "b"}}, [][]any{{"save-json"}}, true},
		{"create, unset and increments", nil, map[string]any{"name": "x", "n": 5.0},
			[][]any{{"unset", "name"}, {"increment", "n", 2.0}, {"increment", "m"}, {"decrement", "m", 3.0}, {"increment", "name", 1.0}}, true},
		{"create with operators", nil, map[string]any{"n": map[string]any{"__op": "Increment", "amount": 2.0}, "gone": map[string]any{"__op": "Delete"}},
			[][]any{{"increment", "n", 1.0}, {"set", "gone", "back"}}, true},
		{"update, read stored fields", stored, map[string]any{"score": 11.0},
			[][]any{{"set", "label", "x"}, {"increment", "score"}, {"date", "at", "2031-01-01T00:00:00.000Z"}}, true},
		{"update, increment a string fails alike", stored, map[string]any{}, [][]any{{"increment", "name", 1.0}}, true},
		{"update, change in place", stored, map[string]any{}, [][]any{{"push", "tags", "b"}, {"nested", "meta", 2.0}}, true},
		{"update, ACL", stored, map[string]any{}, [][]any{{"acl", "", "u1"}, {"save-json"}}, true},
		{"update, ACL changed in place", stored, map[string]any{}, [][]any{{"aclInPlace"}}, true},
		{"update, setMany with a date", stored, map[string]any{"name": "b"}, [][]any{{"setMany", "", map[string]any{"a": 1.0, "b": []any{1.0, "x"}, "c": nil}}}, true},
		{"update, the SDK takes over for an array op", stored, map[string]any{"score": 3.0},
			[][]any{{"set", "x", 1.0}, {"add", "tags", "c"}, {"increment", "score", 2.0}, {"push", "tags", "d"}}, true},
		{"update, the SDK takes over for a pointer", stored, map[string]any{}, [][]any{{"pointer", "other", "o1"}, {"set", "y", true}}, true},
		{"update, the SDK takes over for revert", stored, map[string]any{"name": "changed"}, [][]any{{"set", "k", 1.0}, {"revert", "name"}}, true},
		{"update, a relation field", withRelation(stored), map[string]any{}, [][]any{{"relation", "friends", "u9"}, {"set", "z", 1.0}}, true},
		{"update, attributes and escape take the SDK's way", stored, map[string]any{"name": "<b>"}, [][]any{{"attributes"}, {"escape", "name"}, {"increment", "score"}}, true},
		{"a write with an array operator is an ordinary object", stored, map[string]any{"tags": map[string]any{"__op": "Add", "objects": []any{"z"}}},
			[][]any{{"set", "k", 1.0}}, false},
	}
	// GameExt has a subclass of its own (Parse.Object.extend), whose light
	// objects are instances of it.
	for _, className := range []string{"Game", "GameExt"} {
		for _, c := range cases {
			t.Run(className+": "+c.name, func(t *testing.T) {
				ctx := map[string]any{"object": c.object, "update": c.update, "steps": c.steps, "expectLight": c.light,
					"keys": []any{"checked", "n", "m", "label", "at", "gone", "x", "k", "y", "other", "a", "b", "c"}}
				req := &hooks.Request{Object: c.object, Update: c.update, Context: ctx}
				if _, err := e.m.RunTrigger(context.Background(), hooks.BeforeSave, className, req); err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

// A trigger's answer is read without JSON; it must come out as JSON would
// have it, and refuse what the JSON guards refuse.
func TestTriggerAnswerExport(t *testing.T) {
	e := newEnv(t, `
Parse.Cloud.beforeSave('Shapes', req => {
  const c = req.context;
  switch (c.mode) {
    case 'values':
      c.when = new Date('2030-01-02T03:04:05.006Z');
      c.nothing = undefined;
      c.fn = () => 1;
      c.nan = NaN;
      c.list = [1, undefined, 'x', () => 2];
      c.acl = new Parse.ACL({ '*': { read: true } });
      c.nested = { a: { b: [true, null] } };
      req.object.set('n', 2);
      break;
    case 'deep': {
      let o = {};
      for (let i = 0; i < 5000; i++) o = { o };
      c.deep = o;
      break;
    }
    case 'cycle': {
      const o = {};
      o.self = o;
      c.cycle = o;
      break;
    }
    case 'sparse': {
      const a = [];
      a.length = 1e9;
      c.sparse = a;
      break;
    }
  }
});
Parse.Cloud.define('ok', () => 'ok');
`, hooks.Options{})
	run := func(mode string) (*hooks.Response, error) {
		return e.m.RunTrigger(context.Background(), hooks.BeforeSave, "Shapes", &hooks.Request{Update: map[string]any{"a": 1.0}, Context: map[string]any{"mode": mode}})
	}
	resp, err := run("values")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"mode": "values", "when": "2030-01-02T03:04:05.006Z", "nan": nil, "list": []any{1.0, nil, "x", nil},
		"acl": map[string]any{"*": map[string]any{"read": true}}, "nested": map[string]any{"a": map[string]any{"b": []any{true, nil}}}}
	if !reflect.DeepEqual(resp.Context, want) {
		t.Fatalf("context %#v,\nwant %#v", resp.Context, want)
	}
	if !reflect.DeepEqual(resp.Update, map[string]any{"a": 1.0, "n": 2.0}) {
		t.Fatalf("update %#v", resp.Update)
	}
	for mode, msg := range map[string]string{"deep": "nests deeper than 1000 levels", "cycle": "nests deeper than 1000 levels", "sparse": "longer than cloud code allows"} {
		_, err := run(mode)
		wantCode(t, err, core.CodeScriptFailed, msg)
		if got := e.mustRun(t, "ok", nil); got != "ok" {
			t.Fatalf("after %s: %v", mode, got)
		}
	}
}

// A light request.object of the write answers with only the fields the
// script touched (cloud.js's deltaJSON), which the server applies to the
// write. The result must be the write the whole _getSaveJSON() gives: the
// trigger below applies the same steps to an ordinary Parse.Object built
// from the same stored object and write, and puts its _getSaveJSON() in
// request.context for the test to compare with the answer.
const lightDelta = lightCompare + `
Parse.Cloud.beforeSave('Delta', req => {
  const c = req.context;
  if (c.expectLight && req.object.constructor.name !== 'TriggerObject') throw 'not a light object: ' + req.object.constructor.name;
  const ref = real('Delta', c.object || {}, c.update || {});
  for (const step of c.steps) {
    if (step[0] === 'throw') throw new Parse.Error(142, 'refused ' + step[1]);
    if (step[0] === 'get') { req.object.get(step[1]); ref.get(step[1]); continue; }
    apply(req.object, step);
    apply(ref, step);
  }
  c.want = ref._getSaveJSON();
  delete c.object; delete c.update; delete c.steps; delete c.expectLight;
});
`

func TestLightAnswerIsTheWholeWrite(t *testing.T) {
	e := newEnv(t, lightDelta, hooks.Options{})
	stored := map[string]any{
		"objectId": "d1", "createdAt": "2030-01-02T03:04:05.006Z", "updatedAt": "2030-01-03T03:04:05.006Z",
		"score": 10.0, "name": "ada", "tags": []any{"a"}, "meta": map[string]any{"inner": 1.0},
	}
	write := func() map[string]any {
		return map[string]any{"name": "item", "score": 1.0, "tags": []any{"a", "b"}, "active": true,
			"when": map[string]any{"__type": "Date", "iso": "2030-01-01T00:00:00.000Z"}}
	}
	withReadOnly := write()
	withReadOnly["objectId"], withReadOnly["createdAt"], withReadOnly["className"] = "x1", "2030-01-01T00:00:00.000Z", "Delta"
	cases := []struct {
		name   string
		object map[string]any
		update map[string]any
		steps  [][]any
		light  bool
	}{
		{"create, set one field", nil, write(), [][]any{{"set", "checked", true}}, true},
		{"create, no change", nil, write(), nil, true},
		{"create, read-only fields in the write", nil, withReadOnly, [][]any{{"set", "checked", true}}, true},
		{"create, change the write's fields", nil, write(),
			[][]any{{"unset", "name"}, {"increment", "score", 2.0}, {"set", "active", false}, {"push", "tags", "c"}}, true},
		{"create, read a field of the write", nil, write(), [][]any{{"get", "tags"}, {"get", "when"}}, true},
		{"update, the write's operators untouched", stored,
			map[string]any{"n": map[string]any{"__op": "Increment", "amount": 2.0}, "gone": map[string]any{"__op": "Delete"}, "label": "x"},
			[][]any{{"set", "checked", true}}, true},
		{"update, the write's operators changed", stored,
			map[string]any{"n": map[string]any{"__op": "Increment", "amount": 2.0}, "gone": map[string]any{"__op": "Delete"}},
			[][]any{{"increment", "n", 1.0}, {"set", "gone", "back"}}, true},
		{"update, stored fields changed in place", stored, map[string]any{"score": 11.0},
			[][]any{{"push", "tags", "b"}, {"nested", "meta", 2.0}, {"increment", "score"}}, true},
		{"update, the SDK takes over", stored, write(), [][]any{{"pointer", "other", "o1"}, {"set", "y", true}}, true},
		{"names Object.prototype has", nil, map[string]any{"name": "n"},
			[][]any{{"set", "toString", 1.0}, {"set", "valueOf", true}, {"set", "hasOwnProperty", "h"}}, true},
		{"a write with an array operator", stored, map[string]any{"tags": map[string]any{"__op": "Add", "objects": []any{"z"}}, "k": 1.0},
			[][]any{{"set", "checked", true}}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ctx := map[string]any{"object": c.object, "update": c.update, "steps": c.steps, "expectLight": c.light}
			resp, err := e.m.RunTrigger(context.Background(), hooks.BeforeSave, "Delta", &hooks.Request{Object: c.object, Update: c.update, Context: ctx})
			if err != nil {
				t.Fatal(err)
			}
			want, _ := resp.Context["want"].(map[string]any)
			if want == nil || !reflect.DeepEqual(resp.Update, want) {
				t.Fatalf("answered the write\n%#v\nthe whole _getSaveJSON() is\n%#v", resp.Update, want)
			}
		})
	}
	// A script that throws after changing the object answers its error,
	// not a write.
	resp, err := e.m.RunTrigger(context.Background(), hooks.BeforeSave, "Delta", &hooks.Request{Update: write(),
		Context: map[string]any{"steps": []any{[]any{"set", "checked", true}, []any{"throw", "it"}}}})
	wantCode(t, err, 142, "refused it")
	if resp != nil {
		t.Fatalf("a failed trigger answered %#v", resp)
	}
}

// The server's own check of a write (plainUpdate) takes only what
// cloud.js's lightWrite takes; what it does not recognise, cloud.js checks.
func TestPlainUpdateMatchesLightWrite(t *testing.T) {
	deep := any("x")
	for i := 0; i < 40; i++ {
		deep = []any{deep}
	}
	cases := []struct {
		name  string
		write map[string]any
		want  bool
	}{
		{"plain values", map[string]any{"a": "x", "b": 1.0, "c": true, "d": nil, "e": []any{"a", map[string]any{"k": 1.0}}}, true},
		{"dates, pointers, files", map[string]any{"when": map[string]any{"__type": "Date", "iso": "2030-01-01T00:00:00.000Z"},
			"p": map[string]any{"__type": "Pointer", "className": "A", "objectId": "x"}}, true},
		{"read-only fields are left out", map[string]any{"objectId": "x", "className": "Y", "__type": "Object", "a": 1.0}, true},
		{"Delete and a numeric Increment", map[string]any{"a": map[string]any{"__op": "Delete"}, "b": map[string]any{"__op": "Increment", "amount": 2.0}}, true},
		{"dotted name", map[string]any{"meta.a": 1.0}, true},
		{"underscore first", map[string]any{"_x": 1.0}, true},
		{"digit first", map[string]any{"1a": 1.0}, false},
		{"dot first", map[string]any{".a": 1.0}, false},
		{"dash", map[string]any{"a-b": 1.0}, false},
		{"empty name", map[string]any{"": 1.0}, false},
		{"non-ASCII name", map[string]any{"é": 1.0}, false},
		{"Increment of a string", map[string]any{"a": map[string]any{"__op": "Increment", "amount": "1"}}, false},
		{"Add", map[string]any{"a": map[string]any{"__op": "Add", "objects": []any{1.0}}}, false},
		{"an operator inside a value", map[string]any{"a": map[string]any{"b": map[string]any{"__op": "Delete"}}}, false},
		{"a full object", map[string]any{"a": []any{map[string]any{"__type": "Object", "className": "A"}}}, false},
		{"a relation", map[string]any{"a": map[string]any{"__type": "Relation", "className": "A"}}, false},
		{"nested too deeply", map[string]any{"a": deep}, false},
		{"a Go value JSON does not make", map[string]any{"a": 1}, false},
	}
	for _, c := range cases {
		if got := hooks.PlainUpdate(c.write); got != c.want {
			t.Errorf("%s: plainUpdate %v, want %v", c.name, got, c.want)
		}
	}
}

// A script that puts fields on Object.prototype does not reach the light
// object's own state.
func TestLightObjectIgnoresObjectPrototype(t *testing.T) {
	e := newEnv(t, `
Parse.Cloud.beforeSave('Proto', req => {
  for (const k of ['decoded', 'encoded', 'clientKeys', 'promoted', 'keys', 'changes']) Object.prototype[k] = { junk: true };
  try {
    req.object.set('checked', req.object.get('score') + 1);
    req.context.dirty = req.object.dirtyKeys().sort().join(',');
    req.context.tags = req.object.get('tags').length;
  } finally {
    for (const k of ['decoded', 'encoded', 'clientKeys', 'promoted', 'keys', 'changes']) delete Object.prototype[k];
  }
});
`, hooks.Options{})
	stored := map[string]any{"objectId": "p1", "score": 1.0, "tags": []any{"a", "b"}}
	resp, err := e.m.RunTrigger(context.Background(), hooks.BeforeSave, "Proto", &hooks.Request{Object: stored, Update: map[string]any{"name": "n"}})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(resp.Update, map[string]any{"name": "n", "checked": 2.0}) || resp.Context["dirty"] != "checked,name" || resp.Context["tags"] != 2.0 {
		t.Fatalf("update %#v, context %#v", resp.Update, resp.Context)
	}
}
