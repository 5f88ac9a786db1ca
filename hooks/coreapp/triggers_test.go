package coreapp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

const triggersJS = `
async function log(what, data) {
  const o = new Parse.Object('TriggerLog');
  await o.save({ what, data }, { useMasterKey: true });
}

Parse.Cloud.beforeSave('Post', req => {
  const title = req.object.get('title');
  if (title === 'forbidden') throw new Parse.Error(Parse.Error.VALIDATION_ERROR, 'no forbidden titles');
  if (title === 'throw') throw 'nope';
  req.object.set('slug', String(title || '').toLowerCase());
  if (req.object.get('drop') !== undefined) req.object.unset('drop');
  req.context.fromBefore = req.context.fromClient ? 'client:' + req.context.fromClient : 'yes';
});
Parse.Cloud.afterSave('Post', async req => {
  await log('afterSave', {
    id: req.object.id, slug: req.object.get('slug'), title: req.object.get('title'),
    original: req.original ? req.original.get('title') : null, existed: req.object.existed(),
    ctx: req.context.fromBefore || null, user: req.user ? req.user.get('username') : null,
  });
});
Parse.Cloud.beforeDelete('Post', req => { if (req.object.get('locked')) throw 'locked'; });
Parse.Cloud.afterDelete('Post', async req => { await log('afterDelete', { id: req.object.id, title: req.object.get('title') }); });
Parse.Cloud.beforeFind('Post', req => {
  if (req.query._where.magic) {
    const o = new Parse.Object('Post');
    o.set('title', 'made up');
    return [o];
  }
  if (!req.isGet) req.query.notEqualTo('hidden', true);
});
Parse.Cloud.afterFind('Post', req => req.objects.map(o => { o.set('seen', true); return o; }));

Parse.Cloud.beforeSave('Guarded', async req => { await log('beforeSave Guarded', { id: req.object.id || null }); });
Parse.Cloud.beforeDelete('Guarded', async req => { await log('beforeDelete Guarded', { id: req.object.id }); });

Parse.Cloud.beforeLogin(req => { if (req.object.get('username') === 'banned') throw 'banned user'; });
Parse.Cloud.afterLogin(async req => { await log('afterLogin', { user: req.object.get('username'), hasToken: !!req.user.getSessionToken() }); });
Parse.Cloud.afterLogout(async req => { await log('afterLogout', { hasToken: !!req.object.get('sessionToken') }); });

Parse.Cloud.beforeSave(Parse.File, req => {
  if (req.file.name().startsWith('bad')) throw 'no bad files';
  return new Parse.File('renamed-' + req.file.name(), { base64: 'AA==' });
});

Parse.Cloud.define('savePost', async req => {
  const p = new Parse.Object('Post');
  await p.save({ title: req.params.title }, { useMasterKey: true });
  return p.get('slug');
});
`

// logs returns the TriggerLog entries of one kind, oldest first.
func (n *node) logs(what string) []map[string]any {
	n.t.Helper()
	where, _ := json.Marshal(map[string]any{"what": what})
	r := n.must(http.StatusOK, http.MethodGet, "/classes/TriggerLog?order=createdAt&where="+url.QueryEscape(string(where)), "master", nil)
	var out []map[string]any
	for _, x := range r.body["results"].([]any) {
		out = append(out, x.(map[string]any)["data"].(map[string]any))
	}
	return out
}

func TestTriggers(t *testing.T) {
	n := startNode(t, nodeOptions{runtime: hooks.Options{PoolSize: 1}})
	n.deploy(triggersJS)
	_, token := n.signup("ada")

	t.Run("beforeSave changes what is stored and the reply says so", func(t *testing.T) {
		r := n.must(http.StatusCreated, http.MethodPost, "/classes/Post", "", map[string]any{"title": "Hello", "drop": 1.0})
		if r.body["slug"] != "hello" {
			t.Fatalf("create reply %v, want the slug the trigger set", r.body)
		}
		id := r.body["objectId"].(string)
		got := n.must(http.StatusOK, http.MethodGet, "/classes/Post/"+id, "master", nil).body
		if got["slug"] != "hello" || got["drop"] != nil {
			t.Fatalf("stored %v, want slug hello and no drop (unset by the trigger)", got)
		}
		u := n.must(http.StatusOK, http.MethodPut, "/classes/Post/"+id, "", map[string]any{"title": "World"})
		if u.body["slug"] != "world" || u.body["updatedAt"] == nil {
			t.Fatalf("update reply %v, want updatedAt and slug world", u.body)
		}
		logs := n.logs("afterSave")
		if len(logs) != 2 {
			t.Fatalf("afterSave ran %d times, want 2: %v", len(logs), logs)
		}
		want0 := map[string]any{"id": id, "slug": "hello", "title": "Hello", "original": nil, "existed": false, "ctx": "yes", "user": nil}
		want1 := map[string]any{"id": id, "slug": "world", "title": "World", "original": "Hello", "existed": true, "ctx": "yes", "user": nil}
		if !reflect.DeepEqual(logs[0], want0) || !reflect.DeepEqual(logs[1], want1) {
			t.Fatalf("afterSave saw %v, want %v then %v", logs, want0, want1)
		}
	})

	t.Run("the client's context reaches the triggers, and beforeSave's reaches afterSave", func(t *testing.T) {
		n.must(http.StatusCreated, http.MethodPost, "/classes/Post", "", map[string]any{"title": "ctx"},
			"X-Parse-Cloud-Context", `{"fromClient":"c1"}`, "X-Parse-Session-Token", token)
		logs := n.logs("afterSave")
		last := logs[len(logs)-1]
		if last["ctx"] != "client:c1" || last["user"] != "ada" {
			t.Fatalf("afterSave saw %v, want ctx client:c1 and user ada", last)
		}
	})

	t.Run("a throw refuses the save", func(t *testing.T) {
		for _, c := range []struct {
			title string
			code  float64
			msg   string
		}{{"forbidden", 142, "no forbidden titles"}, {"throw", 141, "nope"}} {
			r := n.call(http.MethodPost, "/classes/Post", "", map[string]any{"title": c.title})
			if r.status != 400 || r.code() != c.code || r.errMsg() != c.msg {
				t.Fatalf("title %s: %d %s, want %v %q", c.title, r.status, r.raw, c.code, c.msg)
			}
		}
		where, _ := json.Marshal(map[string]any{"title": map[string]any{"$in": []any{"forbidden", "throw"}}})
		if r := n.must(200, http.MethodGet, "/classes/Post?where="+url.QueryEscape(string(where)), "master", nil); len(r.body["results"].([]any)) != 0 {
			t.Fatalf("refused saves were stored: %v", r.body)
		}
	})

	t.Run("no trigger for a caller who cannot write the object", func(t *testing.T) {
		acl := map[string]any{"*": map[string]any{"read": true}}
		id := n.must(http.StatusCreated, http.MethodPost, "/classes/Guarded", "master", map[string]any{"ACL": acl}).body["objectId"].(string)
		before := len(n.logs("beforeSave Guarded"))
		if r := n.call(http.MethodPut, "/classes/Guarded/"+id, "", map[string]any{"x": 1.0}); r.status != 404 || r.code() != 101 {
			t.Fatalf("update without write access: %d %s, want 404 101", r.status, r.raw)
		}
		if r := n.call(http.MethodDelete, "/classes/Guarded/"+id, "", nil); r.status != 404 || r.code() != 101 {
			t.Fatalf("delete without write access: %d %s, want 404 101", r.status, r.raw)
		}
		if got := len(n.logs("beforeSave Guarded")); got != before {
			t.Fatalf("beforeSave ran for a caller who cannot write (%d → %d)", before, got)
		}
		if got := n.logs("beforeDelete Guarded"); len(got) != 0 {
			t.Fatalf("beforeDelete ran for a caller who cannot write: %v", got)
		}
		n.must(http.StatusOK, http.MethodPut, "/classes/Guarded/"+id, "master", map[string]any{"x": 1.0})
		if got := len(n.logs("beforeSave Guarded")); got != before+1 {
			t.Fatalf("beforeSave did not run for the master key")
		}
	})

	t.Run("beforeDelete refuses, afterDelete sees the object", func(t *testing.T) {
		locked := n.must(http.StatusCreated, http.MethodPost, "/classes/Post", "", map[string]any{"title": "L", "locked": true}).body["objectId"].(string)
		if r := n.call(http.MethodDelete, "/classes/Post/"+locked, "", nil); r.status != 400 || r.code() != 141 || r.errMsg() != "locked" {
			t.Fatalf("delete of a locked post: %d %s, want 141 locked", r.status, r.raw)
		}
		n.must(http.StatusOK, http.MethodGet, "/classes/Post/"+locked, "master", nil)
		free := n.must(http.StatusCreated, http.MethodPost, "/classes/Post", "", map[string]any{"title": "Gone"}).body["objectId"].(string)
		n.must(http.StatusOK, http.MethodDelete, "/classes/Post/"+free, "", nil)
		logs := n.logs("afterDelete")
		if len(logs) != 1 || logs[0]["id"] != free || logs[0]["title"] != "Gone" {
			t.Fatalf("afterDelete saw %v, want the deleted post", logs)
		}
	})

	t.Run("beforeFind changes the query, afterFind the results", func(t *testing.T) {
		hidden := n.must(http.StatusCreated, http.MethodPost, "/classes/Post", "master", map[string]any{"title": "H", "hidden": true}).body["objectId"].(string)
		r := n.must(http.StatusOK, http.MethodGet, "/classes/Post", "", nil)
		for _, x := range r.body["results"].([]any) {
			o := x.(map[string]any)
			if o["objectId"] == hidden {
				t.Fatalf("find returned the hidden post: beforeFind's condition was not applied")
			}
			if o["seen"] != true || o["className"] != nil {
				t.Fatalf("result %v, want seen: true set by afterFind, and no className", o)
			}
		}
		if g := n.must(http.StatusOK, http.MethodGet, "/classes/Post/"+hidden, "", nil); g.body["seen"] != true {
			t.Fatalf("get %v: want the hidden post by id (isGet) with afterFind's change", g.body)
		}
		where, _ := json.Marshal(map[string]any{"magic": true})
		m := n.must(http.StatusOK, http.MethodGet, "/classes/Post?where="+url.QueryEscape(string(where)), "", nil)
		list := m.body["results"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["title"] != "made up" {
			t.Fatalf("find answered by beforeFind: %v, want the one object it returned", m.body)
		}
	})

	t.Run("login and logout triggers", func(t *testing.T) {
		n.signup("banned")
		if r := n.call(http.MethodPost, "/login", "", map[string]any{"username": "banned", "password": "pw-banned"}); r.status != 400 || r.code() != 141 || r.errMsg() != "banned user" {
			t.Fatalf("login refused by beforeLogin: %d %s", r.status, r.raw)
		}
		r := n.must(http.StatusOK, http.MethodPost, "/login", "", map[string]any{"username": "ada", "password": "pw-ada"})
		tok := r.body["sessionToken"].(string)
		if logs := n.logs("afterLogin"); len(logs) != 1 || logs[0]["user"] != "ada" || logs[0]["hasToken"] != true {
			t.Fatalf("afterLogin saw %v", logs)
		}
		n.must(http.StatusOK, http.MethodPost, "/logout", "", map[string]any{}, "X-Parse-Session-Token", tok)
		if logs := n.logs("afterLogout"); len(logs) != 1 || logs[0]["hasToken"] != true {
			t.Fatalf("afterLogout saw %v", logs)
		}
	})

	t.Run("triggers fired by a script's own save, with one runtime", func(t *testing.T) {
		// The function holds the pool's only runtime while its save runs
		// beforeSave and afterSave: nested calls must not wait for it.
		r := n.must(http.StatusOK, http.MethodPost, "/functions/savePost", "", map[string]any{"title": "Nested"})
		if r.body["result"] != "nested" {
			t.Fatalf("function saw slug %v, want nested (set by beforeSave)", r.body)
		}
	})

	t.Run("file triggers on the file chains", func(t *testing.T) {
		h := n.app.Hooks()
		e := &core.FileEvent{Ctx: context.Background(), Auth: &core.Auth{}, Name: "photo.png", Size: 10}
		if err := h.BeforeSaveFile.Trigger("", e, nil); err != nil || e.Name != "renamed-photo.png" {
			t.Fatalf("beforeSave(Parse.File): err %v, name %q, want renamed-photo.png", err, e.Name)
		}
		bad := &core.FileEvent{Ctx: context.Background(), Auth: &core.Auth{}, Name: "bad.png"}
		if err := h.BeforeSaveFile.Trigger("", bad, nil); !core.IsCode(err, core.CodeScriptFailed) {
			t.Fatalf("beforeSave(Parse.File) throwing: %v, want 141", err)
		}
	})

	t.Run("only classes with triggers have handlers", func(t *testing.T) {
		bound := n.cloud.BoundChains()
		for _, want := range []string{"SaveRequest Post", "BeforeSave Post", "AfterSave Post", "BeforeDelete Post", "AfterDelete Post",
			"BeforeFind Post", "AfterFind Post", "BeforeLogin _User", "AfterLogin _User", "AfterLogout _User", "BeforeSaveFile "} {
			if bound[want] != 1 {
				t.Errorf("no handler on %s (bound: %v)", want, bound)
			}
		}
		if n.app.Hooks().BeforeSave.Has("TriggerLog") || n.app.Hooks().AfterFind.Has("Note") {
			t.Errorf("a class without triggers has a handler: it would pay for cloud code it does not use")
		}
	})
}
