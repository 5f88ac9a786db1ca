package hooks_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

const triggerScript = `
Parse.Cloud.beforeSave('Game', req => {
  if (req.object.get('score') < 0) throw 'score must not be negative';
  if (req.object.get('score') > 1000) throw new Parse.Error(Parse.Error.INVALID_VALUE, 'score too high');
  req.object.set('checked', true);
  if (req.original) req.object.set('previous', req.original.get('score'));
  req.object.increment('saves');
  req.context.fromBefore = 'yes';
});
Parse.Cloud.afterSave('Game', async req => {
  const log = new Parse.Object('Log');
  log.set('game', req.object.id);
  log.set('created', !req.object.existed());
  log.set('ctx', req.context.fromBefore || 'none');
  await log.save(null, { useMasterKey: true });
});
Parse.Cloud.beforeDelete('Game', req => {
  if (req.object.get('locked')) throw new Parse.Error(Parse.Error.OPERATION_FORBIDDEN, 'locked');
});
Parse.Cloud.afterDelete('Game', async req => {
  await new Parse.Object('Log').save({ deleted: req.object.id }, { useMasterKey: true });
});
Parse.Cloud.beforeFind('Secret', req => {
  req.query.equalTo('public', true);
  req.query.limit(1);
});
Parse.Cloud.afterFind('Card', req => {
  return req.objects.filter(o => !o.get('hidden')).map(o => { o.set('seen', true); return o; });
});
Parse.Cloud.define('createGame', async req => {
  const Game = Parse.Object.extend('Game');
  const g = new Game();
  g.set('score', req.params.score);
  await g.save();
  return g;
});
Parse.Cloud.define('updateGame', async req => {
  const g = await new Parse.Query('Game').get(req.params.id);
  g.set('score', req.params.score);
  await g.save();
  return g.toJSON();
});
Parse.Cloud.define('deleteGame', async req => {
  const g = await new Parse.Query('Game').get(req.params.id);
  await g.destroy();
  return 'gone';
});
Parse.Cloud.define('secrets', async () => (await new Parse.Query('Secret').find()).map(o => o.get('name')));
Parse.Cloud.define('cards', async () => (await new Parse.Query('Card').ascending('n').find()).map(o => [o.get('n'), o.get('seen')]));
`

func TestBeforeSaveChangesWhatIsStored(t *testing.T) {
	e := newEnv(t, triggerScript, hooks.Options{})
	got := e.mustRun(t, "createGame", map[string]any{"score": 10.0}).(map[string]any)
	if got["__type"] != "Object" || got["className"] != "Game" {
		t.Fatalf("a returned Parse.Object is encoded with __type Object: %v", got)
	}
	id := got["objectId"].(string)
	stored := e.backend.Object("Game", id)
	if stored["checked"] != true || stored["saves"] != 1.0 || stored["score"] != 10.0 {
		t.Fatalf("stored %v, want the beforeSave's changes", stored)
	}
	if _, ok := stored["previous"]; ok {
		t.Fatalf("no original on create, got previous=%v", stored["previous"])
	}
	// Update: request.original is the stored object; increment applies to it.
	e.mustRun(t, "updateGame", map[string]any{"id": id, "score": 20.0})
	stored = e.backend.Object("Game", id)
	if stored["previous"] != 10.0 || stored["saves"] != 2.0 || stored["score"] != 20.0 {
		t.Fatalf("after update stored %v", stored)
	}
	// afterSave saw created/updated and the beforeSave's context.
	var logs []map[string]any
	for _, c := range e.backend.Calls() {
		if c.Path == "classes/Log" && c.Method == "POST" {
			logs = append(logs, c.Body)
		}
	}
	if len(logs) != 2 || logs[0]["created"] != true || logs[1]["created"] != false || logs[0]["ctx"] != "yes" {
		t.Fatalf("afterSave logs %v", logs)
	}
}

func TestBeforeSaveRejects(t *testing.T) {
	e := newEnv(t, triggerScript, hooks.Options{})
	_, err := e.run(t, "createGame", map[string]any{"score": -1.0})
	wantCode(t, err, core.CodeScriptFailed, "score must not be negative")
	_, err = e.run(t, "createGame", map[string]any{"score": 5000.0})
	wantCode(t, err, core.CodeInvalidValue, "score too high")
	// Direct trigger call, as the core makes it: the update comes back with
	// the script's changes as fields and operators.
	resp, err := e.m.RunTrigger(context.Background(), hooks.BeforeSave, "Game", &hooks.Request{
		Object: map[string]any{"objectId": "abc", "score": 3.0, "saves": 4.0},
		Update: map[string]any{"score": map[string]any{"__op": "Increment", "amount": 2.0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Update["checked"] != true || resp.Update["previous"] != 3.0 {
		t.Fatalf("update %v", resp.Update)
	}
	if op, _ := resp.Update["score"].(map[string]any); op["__op"] != "Increment" || op["amount"] != 2.0 {
		t.Fatalf("the client's operator is kept: %v", resp.Update["score"])
	}
	if op, _ := resp.Update["saves"].(map[string]any); op["__op"] != "Increment" || op["amount"] != 1.0 {
		t.Fatalf("the trigger's increment is an operator: %v", resp.Update["saves"])
	}
	if resp.Context["fromBefore"] != "yes" {
		t.Fatalf("context %v", resp.Context)
	}
	if e.m.HasTrigger(hooks.BeforeSave, "Other") {
		t.Fatal("no trigger on Other")
	}
	if r, err := e.m.RunTrigger(context.Background(), hooks.BeforeSave, "Other", &hooks.Request{}); r != nil || err != nil {
		t.Fatalf("no trigger: want nil, nil; got %v %v", r, err)
	}
}

func TestDeleteTriggers(t *testing.T) {
	e := newEnv(t, triggerScript, hooks.Options{})
	e.backend.Put("Game", map[string]any{"objectId": "g1", "locked": true})
	e.backend.Put("Game", map[string]any{"objectId": "g2"})
	_, err := e.run(t, "deleteGame", map[string]any{"id": "g1"})
	wantCode(t, err, core.CodeOperationForbidden, "locked")
	if e.backend.Object("Game", "g1") == nil {
		t.Fatal("beforeDelete refused: the object stays")
	}
	if got := e.mustRun(t, "deleteGame", map[string]any{"id": "g2"}); got != "gone" {
		t.Fatal(got)
	}
	found := false
	for _, c := range e.backend.Calls() {
		if c.Path == "classes/Log" && c.Body["deleted"] == "g2" {
			found = true
		}
	}
	if !found || e.backend.Object("Game", "g2") != nil {
		t.Fatal("afterDelete did not run")
	}
}

func TestFindTriggers(t *testing.T) {
	e := newEnv(t, triggerScript, hooks.Options{})
	e.backend.Put("Secret", map[string]any{"objectId": "s1", "name": "a", "public": true, "createdAt": "1"})
	e.backend.Put("Secret", map[string]any{"objectId": "s2", "name": "b", "public": false, "createdAt": "2"})
	e.backend.Put("Secret", map[string]any{"objectId": "s3", "name": "c", "public": true, "createdAt": "3"})
	got := e.mustRun(t, "secrets", nil).([]any)
	if len(got) != 1 || got[0] != "a" {
		t.Fatalf("beforeFind narrows and limits the query: %v", got)
	}
	resp, err := e.m.RunTrigger(context.Background(), hooks.BeforeFind, "Secret", &hooks.Request{
		Query: map[string]any{"where": map[string]any{"name": "c"}, "order": "-name", "limit": 10.0}, IsGet: false,
	})
	if err != nil {
		t.Fatal(err)
	}
	where := resp.Query["where"].(map[string]any)
	if where["name"] != "c" || where["public"] != true || resp.Query["limit"] != 1.0 || resp.Query["order"] != "-name" {
		t.Fatalf("query %v", resp.Query)
	}

	e.backend.Put("Card", map[string]any{"objectId": "c1", "n": 1.0})
	e.backend.Put("Card", map[string]any{"objectId": "c2", "n": 2.0, "hidden": true})
	e.backend.Put("Card", map[string]any{"objectId": "c3", "n": 3.0})
	cards := e.mustRun(t, "cards", nil).([]any)
	if len(cards) != 2 || cards[0].([]any)[0] != 1.0 || cards[0].([]any)[1] != true || cards[1].([]any)[0] != 3.0 {
		t.Fatalf("afterFind replaces the results: %v", cards)
	}
}

func TestValidators(t *testing.T) {
	e := newEnv(t, `
		Parse.Cloud.define('needsUser', req => req.user.get('username'), { requireUser: true });
		Parse.Cloud.define('needsMaster', () => 'ok', { requireMaster: true });
		Parse.Cloud.define('fields', req => req.params, {
		  fields: {
		    name: { type: String, required: true },
		    size: { type: Number, default: 3 },
		    color: { options: ['red', 'blue'] },
		    even: { options: v => v % 2 === 0, error: 'even numbers only' },
		  },
		});
		Parse.Cloud.define('limited', () => 'ok', { rateLimit: { requestTimeWindow: 60000, requestCount: 2 } });
		Parse.Cloud.define('custom', () => 'ok', req => { if (!req.params.pass) throw 'custom says no'; });
		Parse.Cloud.beforeSave('Thing', () => {}, { fields: { kind: { required: true } } });
	`, hooks.Options{})
	ctx := context.Background()
	_, err := e.m.RunFunction(ctx, "needsUser", &hooks.Request{})
	wantCode(t, err, core.CodeValidationError, "Validation failed. Please login to continue.")
	resp, err := e.m.RunFunction(ctx, "needsUser", &hooks.Request{User: map[string]any{"objectId": "u1", "username": "ada", "sessionToken": "r:1"}})
	if err != nil || resp.Result != "ada" {
		t.Fatalf("with a user: %v %v", resp, err)
	}
	_, err = e.m.RunFunction(ctx, "needsMaster", &hooks.Request{})
	wantCode(t, err, core.CodeValidationError, "Master key is required")
	if resp, err := e.m.RunFunction(ctx, "needsMaster", &hooks.Request{Master: true}); err != nil || resp.Result != "ok" {
		t.Fatalf("master: %v %v", resp, err)
	}
	for _, c := range []struct {
		params map[string]any
		msg    string
	}{
		{map[string]any{}, "Please specify data for name."},
		{map[string]any{"name": 5.0}, "Invalid type for name. Expected: string"},
		{map[string]any{"name": "x", "color": "green"}, "Invalid option for color. Expected: red, blue"},
		{map[string]any{"name": "x", "even": 3.0}, "even numbers only"},
	} {
		_, err := e.m.RunFunction(ctx, "fields", &hooks.Request{Params: c.params})
		wantCode(t, err, core.CodeValidationError, c.msg)
	}
	resp, err = e.m.RunFunction(ctx, "fields", &hooks.Request{Params: map[string]any{"name": "x", "color": "red", "even": 4.0}})
	if err != nil || resp.Result.(map[string]any)["size"] != 3.0 {
		t.Fatalf("default applied: %v %v", resp, err)
	}
	for i := 0; i < 2; i++ {
		if _, err := e.m.RunFunction(ctx, "limited", &hooks.Request{IP: "1.2.3.4"}); err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.m.RunFunction(ctx, "limited", &hooks.Request{IP: "1.2.3.4"})
	wantCode(t, err, core.CodeRequestLimitExceeded, "Too many requests.")
	if _, err := e.m.RunFunction(ctx, "limited", &hooks.Request{IP: "5.6.7.8"}); err != nil {
		t.Fatalf("another caller has its own count: %v", err)
	}
	_, err = e.m.RunFunction(ctx, "custom", &hooks.Request{Params: map[string]any{}})
	wantCode(t, err, core.CodeValidationError, "custom says no")
	_, err = e.m.RunTrigger(ctx, hooks.BeforeSave, "Thing", &hooks.Request{Update: map[string]any{"x": 1.0}})
	wantCode(t, err, core.CodeValidationError, "Please specify data for kind.")
}

func TestLoginAndOtherTriggers(t *testing.T) {
	e := newEnv(t, `
		Parse.Cloud.beforeLogin(req => { if (req.object.get('banned')) throw new Error('banned'); });
		Parse.Cloud.afterLogin(req => { req.log.info('login', req.object.get('username')); });
		Parse.Cloud.afterLogout(req => { req.log.info('logout', req.object.className); });
		Parse.Cloud.beforeSave(Parse.File, req => { if (req.fileSize > 10) throw 'too big'; });
		Parse.Cloud.beforeConnect(() => {});
		Parse.Cloud.beforeSubscribe('Game', () => {});
		Parse.Cloud.afterLiveQueryEvent('Game', () => {});
		Parse.Cloud.job('j', req => { req.message('halfway'); return 'done'; });
		try { Parse.Cloud.beforeLogin('Game', () => {}); } catch (e) { console.log('refused:', e); }
	`, hooks.Options{})
	ctx := context.Background()
	d := e.m.Active()
	want := []string{"afterEvent.Game", "afterLogin._User", "afterLogout._Session", "beforeConnect.@Connect", "beforeLogin._User", "beforeSave.@File", "beforeSubscribe.Game"}
	if got := strings.Join(d.Triggers(), ","); got != strings.Join(want, ",") {
		t.Fatalf("triggers %s", got)
	}
	_, err := e.m.RunTrigger(ctx, hooks.BeforeLogin, hooks.UserClass, &hooks.Request{Object: map[string]any{"objectId": "u", "banned": true}})
	wantCode(t, err, core.CodeScriptFailed, "banned")
	if _, err := e.m.RunTrigger(ctx, hooks.AfterLogin, hooks.UserClass, &hooks.Request{Object: map[string]any{"objectId": "u", "username": "ada"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.m.RunTrigger(ctx, hooks.AfterLogout, hooks.SessionClass, &hooks.Request{Object: map[string]any{"objectId": "s"}}); err != nil {
		t.Fatal(err)
	}
	_, err = e.m.RunTrigger(ctx, hooks.BeforeSave, hooks.FileClass, &hooks.Request{File: map[string]any{"__type": "File", "name": "a.txt", "url": "http://x/a.txt"}, FileSize: 11})
	wantCode(t, err, core.CodeScriptFailed, "too big")
	resp, err := e.m.RunTrigger(ctx, hooks.BeforeSave, hooks.FileClass, &hooks.Request{File: map[string]any{"__type": "File", "name": "a.txt", "url": "http://x/a.txt"}, FileSize: 5})
	if err != nil || resp.File["name"] != "a.txt" {
		t.Fatalf("file trigger: %v %v", resp, err)
	}
	var msgs []string
	resp, err = e.m.RunJob(ctx, "j", &hooks.Request{}, func(m string) { msgs = append(msgs, m) })
	if err != nil || resp.Result != "done" || len(msgs) != 1 || msgs[0] != "halfway" {
		t.Fatalf("job: %v %v %v", resp, err, msgs)
	}
	if got := strings.Join(e.m.Jobs(), ","); got != "j" {
		t.Fatalf("jobs %q", got)
	}
	logs := e.m.Logs(hooks.LogQuery{Size: 100, Ascending: true})
	var text []string
	for _, l := range logs {
		text = append(text, l.Level+" "+l.Source+": "+l.Message)
	}
	all := strings.Join(text, "\n")
	for _, w := range []string{"refused: Only the _User class is allowed", "info afterLogin _User: login ada", "info afterLogout _Session: logout _Session", "error beforeLogin _User: failed with code 141: banned"} {
		if !strings.Contains(all, w) {
			t.Errorf("logs lack %q:\n%s", w, all)
		}
	}
	_ = time.Second
}
