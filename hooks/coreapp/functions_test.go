package coreapp_test

import (
	"net/http"
	"reflect"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

const functionsJS = `
Parse.Cloud.define('hi', () => 'hi');
Parse.Cloud.define('nothing', () => undefined);
Parse.Cloud.define('echo', req => req.params);
Parse.Cloud.define('who', req => ({
  user: req.user ? req.user.get('username') : null,
  token: req.user ? typeof req.user.getSessionToken() : null,
  master: req.master,
  installationId: req.installationId || null,
  ctx: req.context,
  header: req.headers['x-custom'] || null,
  seesMasterKey: 'x-parse-master-key' in req.headers,
  name: req.functionName,
}));
Parse.Cloud.define('fail', () => { throw new Parse.Error(Parse.Error.INVALID_QUERY, 'bad query'); });
Parse.Cloud.define('failString', () => { throw 'bad stuff happened'; });
Parse.Cloud.define('failError', () => { throw new Error('plain error'); });
Parse.Cloud.define('needsUser', () => 'ok', { requireUser: true });
Parse.Cloud.define('needsField', req => req.params.n * 2, { fields: { n: { type: Number, required: true } } });
Parse.Cloud.define('saveAsUser', async req => {
  const o = new Parse.Object('Note');
  o.set('text', req.params.text);
  o.setACL(new Parse.ACL(req.user));
  await o.save(null, { sessionToken: req.user.getSessionToken() });
  return o;
});
Parse.Cloud.define('countNotes', async req => new Parse.Query('Note').count(req.params.token ? { sessionToken: req.params.token } : {}));
Parse.Cloud.define('date', req => ({ isDate: req.params.when instanceof Date, iso: req.params.when.toISOString() }));
Parse.Cloud.define('nested', () => Parse.Cloud.run('hi'));
Parse.Cloud.define('startJob', () => Parse.Cloud.startJob('noop'));
Parse.Cloud.job('noop', () => 'ok');
`

func TestFunctions(t *testing.T) {
	n := startNode(t, nodeOptions{})
	n.deploy(functionsJS)
	_, token := n.signup("ada")
	_, other := n.signup("bob")
	n.must(http.StatusOK, http.MethodPost, "/functions/saveAsUser", "", map[string]any{"text": "private"}, "X-Parse-Session-Token", token)

	cases := []struct {
		name    string
		fn      string
		params  map[string]any
		headers []string
		status  int
		result  any  // compared when status is 200
		noKey   bool // the answer is {} (the function returned undefined)
		code    float64
		msg     string
	}{
		{name: "result", fn: "hi", status: 200, result: "hi"},
		{name: "undefined answers {}", fn: "nothing", status: 200, noKey: true},
		{name: "params", fn: "echo", params: map[string]any{"a": 1.0, "b": []any{"x"}}, status: 200, result: map[string]any{"a": 1.0, "b": []any{"x"}}},
		{name: "unknown", fn: "missing", status: 400, code: 141, msg: `Invalid function: "missing"`},
		{name: "Parse.Error code", fn: "fail", status: 400, code: 102, msg: "bad query"},
		{name: "thrown string", fn: "failString", status: 400, code: 141, msg: "bad stuff happened"},
		{name: "thrown Error", fn: "failError", status: 400, code: 141, msg: "plain error"},
		{name: "validator requireUser", fn: "needsUser", status: 400, code: 142, msg: "Validation failed. Please login to continue."},
		{name: "validator requireUser passes", fn: "needsUser", headers: []string{"X-Parse-Session-Token", token}, status: 200, result: "ok"},
		{name: "validator field type", fn: "needsField", params: map[string]any{"n": "x"}, status: 400, code: 142, msg: "Validation failed. Invalid type for n. Expected: number"},
		{name: "validator field", fn: "needsField", params: map[string]any{"n": 21.0}, status: 200, result: 42.0},
		{name: "anonymous", fn: "who", status: 200, result: map[string]any{"user": nil, "token": nil, "master": false, "installationId": nil, "ctx": map[string]any{}, "header": nil, "seesMasterKey": false, "name": "who"}},
		{name: "user, installation, context, headers", fn: "who",
			headers: []string{"X-Parse-Session-Token", token, "X-Parse-Installation-Id", "inst-1", "X-Parse-Cloud-Context", `{"k":"v"}`, "X-Custom", "yes"},
			status:  200, result: map[string]any{"user": "ada", "token": "string", "master": false, "installationId": "inst-1", "ctx": map[string]any{"k": "v"}, "header": "yes", "seesMasterKey": false, "name": "who"}},
		{name: "date params decoded", fn: "date", params: map[string]any{"when": map[string]any{"__type": "Date", "iso": "2030-01-02T03:04:05.006Z"}}, status: 200,
			result: map[string]any{"isDate": true, "iso": "2030-01-02T03:04:05.006Z"}},
		{name: "scripts act as nobody by default: ACL hides the note", fn: "countNotes", status: 200, result: 0.0},
		{name: "sessionToken option acts as the user", fn: "countNotes", params: map[string]any{"token": token}, status: 200, result: 1.0},
		{name: "another user's session sees nothing", fn: "countNotes", params: map[string]any{"token": other}, status: 200, result: 0.0},
		{name: "an invalid session is 209", fn: "countNotes", params: map[string]any{"token": "r:nope"}, status: 400, code: 209, msg: "Invalid session token"},
		{name: "Parse.Cloud.run inside a function", fn: "nested", status: 200, result: "hi"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := n.run(tc.fn, tc.params, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.raw)
			}
			if tc.status != 200 {
				if r.code() != tc.code || r.errMsg() != tc.msg {
					t.Fatalf("error %v %q, want %v %q", r.code(), r.errMsg(), tc.code, tc.msg)
				}
				return
			}
			if tc.noKey {
				if r.raw != "{}" {
					t.Fatalf("body %s, want {}", r.raw)
				}
				return
			}
			if !reflect.DeepEqual(r.body["result"], tc.result) {
				t.Fatalf("result %#v, want %#v", r.body["result"], tc.result)
			}
		})
	}

	t.Run("a saved object comes back encoded", func(t *testing.T) {
		r := n.must(http.StatusOK, http.MethodPost, "/functions/saveAsUser", "", map[string]any{"text": "x"}, "X-Parse-Session-Token", token)
		o, _ := r.body["result"].(map[string]any)
		if o["__type"] != "Object" || o["className"] != "Note" || o["objectId"] == nil || o["text"] != "x" {
			t.Fatalf("result %v, want an encoded Note", r.body["result"])
		}
	})

	t.Run("Parse.Cloud.startJob inside a function returns the job status id", func(t *testing.T) {
		r := n.must(http.StatusOK, http.MethodPost, "/functions/startJob", "", map[string]any{})
		id, _ := r.body["result"].(string)
		if id == "" {
			t.Fatalf("result %v, want the job status id", r.body)
		}
		s := n.must(http.StatusOK, http.MethodGet, "/classes/_JobStatus/"+id, "master", nil)
		if s.body["jobName"] != "noop" {
			t.Fatalf("job status %v, want noop", s.body)
		}
	})
}

// With idempotencyOptions on functions/.* and jobs/.*, a request id seen
// before is refused with 159 and the function or job does not run again.
func TestIdempotency(t *testing.T) {
	n := startNode(t, nodeOptions{tweak: func(o *core.Options) {
		o.Idempotency = core.IdempotencyOptions{Paths: []string{"functions/.*", "jobs/.*"}}
	}})
	n.deploy(`
Parse.Cloud.define('once', () => new Parse.Object('IdempotencyItem').save(null, { useMasterKey: true }));
Parse.Cloud.job('onceJob', () => new Parse.Object('IdempotencyJob').save(null, { useMasterKey: true }));
`)
	count := func(class string) int {
		return len(n.must(http.StatusOK, http.MethodGet, "/classes/"+class, "master", nil).body["results"].([]any))
	}
	n.must(http.StatusOK, http.MethodPost, "/functions/once", "", map[string]any{}, "X-Parse-Request-Id", "fn-1")
	for range 2 {
		if r := n.call(http.MethodPost, "/functions/once", "", map[string]any{}, "X-Parse-Request-Id", "fn-1"); r.code() != 159 || r.errMsg() != "Duplicate request" {
			t.Fatalf("a repeated function request: %d %s, want 159 Duplicate request", r.status, r.raw)
		}
	}
	n.must(http.StatusOK, http.MethodPost, "/functions/once", "", map[string]any{}, "X-Parse-Request-Id", "fn-2")
	if got := count("IdempotencyItem"); got != 2 {
		t.Fatalf("%d objects, want 2 (one per distinct request id)", got)
	}
	id := n.must(http.StatusOK, http.MethodPost, "/jobs/onceJob", "master", map[string]any{"startedBy": "x"}, "X-Parse-Request-Id", "job-1").header.Get("X-Parse-Job-Status-Id")
	if r := n.call(http.MethodPost, "/jobs/onceJob", "master", map[string]any{}, "X-Parse-Request-Id", "job-1"); r.code() != 159 {
		t.Fatalf("a repeated job request: %d %s, want 159", r.status, r.raw)
	}
	n.jobStatus(id, "succeeded")
	if got := count("IdempotencyJob"); got != 1 {
		t.Fatalf("the job ran %d times, want once", got)
	}
}
