package integration

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/server"
)

// stageRecorder binds a handler on every stage of the pipeline for one
// class, an Authorizer and a change listener, and records what ran, in
// order: "beforeSave", "store", "afterSave", "event:update", ...
type stageRecorder struct {
	mu  sync.Mutex
	log []string
}

func (r *stageRecorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.log = append(r.log, s)
}

// take returns what was recorded since the last take.
func (r *stageRecorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

// recordingAuthorizer is an Authorizer that allows everything and records
// that it was asked.
type recordingAuthorizer struct {
	rec   *stageRecorder
	class string
}

func (z recordingAuthorizer) Authorize(_ context.Context, in *core.AuthzInput) (core.Expr, error) {
	if in.Class == z.class {
		z.rec.add("authorize:" + in.Action)
	}
	return nil, nil
}

func recordStages(h *harness, class string) *stageRecorder {
	r := &stageRecorder{}
	hk := h.app.Hooks()
	hk.SaveRequest.BindClass(class, func(e *core.SaveEvent) error { r.add("saveRequest"); return e.Next() })
	hk.BeforeSave.BindClass(class, func(e *core.SaveEvent) error { r.add("beforeSave"); return e.Next() })
	hk.Save.BindClass(class, func(e *core.SaveEvent) error {
		r.add("save")
		err := e.Next()
		r.add("stored")
		return err
	})
	hk.AfterSave.BindClass(class, func(e *core.SaveEvent) error { r.add("afterSave"); return e.Next() })
	hk.BeforeDelete.BindClass(class, func(e *core.DeleteEvent) error { r.add("beforeDelete"); return e.Next() })
	hk.Delete.BindClass(class, func(e *core.DeleteEvent) error {
		r.add("delete")
		err := e.Next()
		r.add("deleted")
		return err
	})
	hk.AfterDelete.BindClass(class, func(e *core.DeleteEvent) error { r.add("afterDelete"); return e.Next() })
	hk.BeforeFind.BindClass(class, func(e *core.FindEvent) error { r.add("beforeFind"); return e.Next() })
	hk.AfterFind.BindClass(class, func(e *core.FindEvent) error { r.add("afterFind"); return e.Next() })
	h.app.SetAuthorizer(recordingAuthorizer{rec: r, class: class})
	h.app.Changes().Subscribe(func(_ context.Context, ev *core.ChangeEvent) {
		if ev.ClassName == class {
			r.add("event:" + ev.Kind.String())
		}
	})
	return r
}

var (
	createStages = []string{"saveRequest", "authorize:create", "beforeSave", "save", "stored"}
	updateStages = []string{"saveRequest", "authorize:update", "beforeSave", "save", "stored"}
	afterCreate  = []string{"afterSave", "event:create"}
	afterUpdate  = []string{"afterSave", "event:update"}
)

func concat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

// TestPipelineStageOrder: every entry point runs the same stages in the
// same order, and a transactional batch holds the after-commit stages
// until the whole batch committed.
func TestPipelineStageOrder(t *testing.T) {
	h := newHarness(t, nil)
	rec := recordStages(h, "Staged")
	check := func(what string, want []string) {
		t.Helper()
		if got := rec.take(); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: stages\n got %v\nwant %v", what, got, want)
		}
	}

	res := h.do("POST", "/classes/Staged", "", map[string]any{"n": 1})
	wantStatus(t, res, 201)
	id := res.body["objectId"].(string)
	check("create", concat(createStages, afterCreate))

	wantStatus(t, h.do("PUT", "/classes/Staged/"+id, "", map[string]any{"n": map[string]any{"__op": "Increment", "amount": 1}}), 200)
	check("update", concat(updateStages, afterUpdate))

	wantStatus(t, h.do("GET", "/classes/Staged", "", nil), 200)
	check("find", []string{"authorize:find", "beforeFind", "afterFind"})
	wantStatus(t, h.do("GET", "/classes/Staged/"+id, "", nil), 200)
	check("get", []string{"authorize:get", "beforeFind", "afterFind"})
	wantStatus(t, h.do("GET", withQuery("/classes/Staged", map[string]any{"count": "1", "limit": "0"}), "", nil), 200)
	check("count", []string{"authorize:count", "beforeFind", "afterFind"})

	wantStatus(t, h.do("DELETE", "/classes/Staged/"+id, "", nil), 200)
	check("delete", []string{"authorize:delete", "beforeDelete", "delete", "deleted", "afterDelete", "event:delete"})

	batch := func(transaction bool) {
		t.Helper()
		res := h.do("POST", "/classes/Staged", "", map[string]any{"n": 10})
		wantStatus(t, res, 201)
		other := res.body["objectId"].(string)
		rec.take()
		res = h.do("POST", "/batch", "", map[string]any{"transaction": transaction, "requests": []any{
			map[string]any{"method": "POST", "path": "/parse/classes/Staged", "body": map[string]any{"n": 2}},
			map[string]any{"method": "PUT", "path": "/parse/classes/Staged/" + other, "body": map[string]any{"n": 3}},
			map[string]any{"method": "DELETE", "path": "/parse/classes/Staged/" + other},
		}})
		wantStatus(t, res, 200)
	}
	deleteStages := []string{"authorize:delete", "beforeDelete", "delete", "deleted"}
	afterDelete := []string{"afterDelete", "event:delete"}
	batch(false)
	check("batch", concat(createStages, afterCreate, updateStages, afterUpdate, deleteStages, afterDelete))
	batch(true)
	check("transactional batch", concat(createStages, updateStages, deleteStages, afterCreate, afterUpdate, afterDelete))
}

// TestPipelineAfterCommitSeesCommittedData: after-triggers and change
// events run once the write is durable, see it from outside the write, and
// carry the original of an update and the object of a delete.
func TestPipelineAfterCommitSeesCommittedData(t *testing.T) {
	h := newHarness(t, nil)
	var mu sync.Mutex
	var events []*core.ChangeEvent
	var seenInAfterSave []any
	h.app.Changes().Subscribe(func(_ context.Context, ev *core.ChangeEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev)
	})
	h.app.Hooks().AfterSave.BindClass("Note", func(e *core.SaveEvent) error {
		// Read back through the App, not the event: what another request
		// would see now.
		got, err := h.app.Get(e.Ctx, core.MasterAuth(), "Note", e.ObjectID, core.FindOptions{})
		mu.Lock()
		defer mu.Unlock()
		if core.IsCode(err, core.CodeObjectNotFound) {
			seenInAfterSave = append(seenInAfterSave, "101")
		} else if err != nil {
			seenInAfterSave = append(seenInAfterSave, err.Error())
		} else {
			seenInAfterSave = append(seenInAfterSave, got["text"])
		}
		return e.Next()
	})

	for _, transaction := range []bool{false, true} {
		t.Run(fmt.Sprintf("transaction=%v", transaction), func(t *testing.T) {
			mu.Lock()
			events, seenInAfterSave = nil, nil
			mu.Unlock()
			res := h.do("POST", "/classes/Note", "", map[string]any{"text": "first", "ACL": map[string]any{"*": map[string]any{"read": true, "write": true}}})
			wantStatus(t, res, 201)
			id := res.body["objectId"].(string)
			res = h.do("POST", "/batch", "", map[string]any{"transaction": transaction, "requests": []any{
				map[string]any{"method": "PUT", "path": "/parse/classes/Note/" + id, "body": map[string]any{"text": "second"}},
				map[string]any{"method": "DELETE", "path": "/parse/classes/Note/" + id},
			}})
			wantStatus(t, res, 200)
			mu.Lock()
			defer mu.Unlock()
			if len(events) != 3 {
				t.Fatalf("got %d events, want create, update, delete", len(events))
			}
			upd, del := events[1], events[2]
			if upd.Kind != core.Updated || upd.Object["text"] != "second" || upd.Original["text"] != "first" {
				t.Errorf("update event: kind %v, object %v, original %v", upd.Kind, upd.Object["text"], upd.Original["text"])
			}
			if del.Kind != core.Deleted || del.Object.ID() != id || del.Object["text"] != "second" {
				t.Errorf("delete event: kind %v, object %v", del.Kind, del.Object)
			}
			if _, ok := del.Object[core.FieldACL].(core.ACL); !ok {
				t.Errorf("delete event object has no ACL: %v", del.Object)
			}
			// The create's afterSave saw "first"; the update's ran after the
			// batch: in a transaction after the delete too, so the object is
			// gone (101), outside one it still reads "second".
			want := []any{"first", "second"}
			if transaction {
				want = []any{"first", "101"}
			}
			if !reflect.DeepEqual(seenInAfterSave, want) {
				t.Errorf("afterSave read %v, want %v", seenInAfterSave, want)
			}
		})
	}
}

// TestPipelineRollbackSendsNothing: a transactional batch that fails
// stores nothing, sends no verification e-mail and emits no event.
func TestPipelineRollbackSendsNothing(t *testing.T) {
	mail := &mailbox{}
	h := newHarness(t, func(o *core.Options) { o.Mailer = mail; o.Users.VerifyUserEmails = true })
	var mu sync.Mutex
	var events []string
	h.app.Changes().Subscribe(func(_ context.Context, ev *core.ChangeEvent) {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, ev.ClassName+":"+ev.Kind.String())
	})
	res := h.do("POST", "/batch", "", map[string]any{"transaction": true, "requests": []any{
		map[string]any{"method": "POST", "path": "/parse/users", "body": map[string]any{"username": "rolled", "password": "pw", "email": "rolled@example.com"}},
		map[string]any{"method": "PUT", "path": "/parse/classes/Nothing/nope", "body": map[string]any{"x": 1}},
	}})
	wantError(t, res, 101)
	if n := mail.count(); n != 0 {
		t.Errorf("a rolled-back signup sent %d e-mails", n)
	}
	mu.Lock()
	if len(events) != 0 {
		t.Errorf("a rolled-back batch emitted events: %v", events)
	}
	mu.Unlock()
	found := h.do("GET", withQuery("/users", map[string]any{"where": `{"username":"rolled"}`}), "master", nil)
	if len(found.results()) != 0 {
		t.Errorf("the rolled-back user is stored: %s", found.raw)
	}

	// The same signup alone commits, and then mails.
	wantStatus(t, h.do("POST", "/users", "", map[string]any{"username": "kept", "password": "pw", "email": "kept@example.com"}), 201)
	if mail.count() != 1 || mail.latest(t).To != "kept@example.com" {
		t.Errorf("a committed signup sent %d e-mails", mail.count())
	}
}

// TestPipelineCloudContext: the request's cloud-code context reaches the
// triggers, from the JS SDK's _context and from X-Parse-Cloud-Context.
func TestPipelineCloudContext(t *testing.T) {
	h := newHarness(t, nil)
	var mu sync.Mutex
	var seen []map[string]any
	h.app.Hooks().BeforeSave.BindClass("Ctx", func(e *core.SaveEvent) error {
		mu.Lock()
		seen = append(seen, e.Context)
		mu.Unlock()
		return e.Next()
	})
	h.app.Hooks().BeforeFind.BindClass("Ctx", func(e *core.FindEvent) error {
		mu.Lock()
		seen = append(seen, e.Context)
		mu.Unlock()
		return e.Next()
	})
	// The JS SDK's envelope.
	wantStatus(t, h.request("POST", "/classes/Ctx", map[string]any{"_ApplicationId": appID, "n": 1, "_context": map[string]any{"from": "envelope"}},
		map[string]string{"Content-Type": "text/plain"}), 201)
	// The header, on a read.
	wantStatus(t, h.request("GET", "/classes/Ctx", nil, map[string]string{"X-Parse-Cloud-Context": `{"from":"header"}`}), 200)
	// Not an object: refused.
	wantError(t, h.request("GET", "/classes/Ctx", nil, map[string]string{"X-Parse-Cloud-Context": `[1]`}), 107)
	mu.Lock()
	defer mu.Unlock()
	want := []map[string]any{{"from": "envelope"}, {"from": "header"}}
	if !reflect.DeepEqual(seen, want) {
		t.Errorf("triggers saw contexts %v, want %v", seen, want)
	}
}

// TestEveryRouteHasItsOwnLabel: the route table names every route once,
// and a request to each is counted in /metrics under that name.
func TestEveryRouteHasItsOwnLabel(t *testing.T) {
	st := openStore(t)
	app, err := core.NewApp(context.Background(), st, core.Options{AppID: appID, MasterKey: masterKey})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{API: api.New(app), Store: st, MetricsPath: "/metrics",
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() { ts.Close(); _ = app.Close() })

	labels := map[string]string{}
	fill := strings.NewReplacer("{class}", "Labelled", "{id}", "abc", "{code}", "123456", "{name}", "nojob")
	for _, r := range api.Routes() {
		if prev, dup := labels[r.Label]; dup {
			t.Errorf("label %q names both %q and %q", r.Label, prev, r.Pattern)
		}
		labels[r.Label] = r.Pattern
		method, path, _ := strings.Cut(r.Pattern, " ")
		req, _ := http.NewRequest(method, ts.URL+"/parse"+fill.Replace(path), strings.NewReader("{}"))
		req.Header.Set("X-Parse-Application-Id", appID)
		req.Header.Set("X-Parse-Master-Key", masterKey)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = res.Body.Close()
	}
	res, err := http.Get(ts.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	for label, pattern := range labels {
		if !strings.Contains(string(body), `switchboard_http_requests_total{route="`+label+`"`) {
			t.Errorf("no request counted under %q (%s)", label, pattern)
		}
	}
	for _, bad := range []string{"other", "no_route", "unknown"} {
		if strings.Contains(string(body), `route="`+bad+`"`) {
			t.Errorf("a request was counted under %q", bad)
		}
	}
}
