package livequery_test

import (
	"context"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

// Parse Server once let LiveQuery deliver objects of classes whose
// class-level permissions forbade the subscriber a find (GHSA-h4mf-75hf-67w4
// and its siblings). Here the CLP is checked when subscribing and again for
// every event after the schema changes: tightening the CLP of a class ends
// the subscriptions it no longer allows, before any event goes out.
func TestCLPChangeEndsSubscriptionsItNoLongerAllows(t *testing.T) {
	h := newHarness(t, nil)
	u := h.signup("member")
	anon := h.connect(anonymous)
	anon.watchFence()
	anon.mustSubscribe(1, "Board", nil, nil)
	user := h.connect(u)
	user.watchFence()
	user.mustSubscribe(1, "Board", nil, nil)
	h.create(master, "Board", map[string]any{"msg": "hello"})
	for i, msgs := range h.fence(anon, user) {
		if len(msgs) != 1 || msgs[0]["op"] != "create" {
			t.Fatalf("client %d before the CLP change: %v", i, msgs)
		}
	}

	h.mustREST(master, "PUT", "/schemas/Board", map[string]any{"classLevelPermissions": map[string]any{
		"find": map[string]any{"requiresAuthentication": true}, "get": map[string]any{"requiresAuthentication": true},
	}})
	id := h.create(master, "Board", map[string]any{"msg": "members only"})
	got := h.fence(anon, user)
	if len(got[0]) != 1 || got[0][0]["op"] != "error" || num(got[0][0]["requestId"]) != 1 {
		t.Fatalf("anonymous after requiresAuthentication: %v, want only an error for request 1", got[0])
	}
	if _, code := h.findAs(anonymous, "Board", id); code != num(got[0][0]["code"]) {
		t.Errorf("the error code %v differs from the find's %d", got[0][0]["code"], code)
	}
	if len(got[1]) != 1 || got[1][0]["op"] != "create" {
		t.Errorf("a logged-in user after requiresAuthentication: %v", got[1])
	}
	// The subscription is gone, not paused: later events do not reach it.
	h.create(master, "Board", map[string]any{"msg": "still members only"})
	got = h.fence(anon, user)
	if len(got[0]) != 0 {
		t.Errorf("LEAK: anonymous still receives %v", got[0])
	}
	if len(got[1]) != 1 {
		t.Errorf("the member got %v", got[1])
	}
	// And a new subscription is refused as the find is.
	if m := anon.subscribe(2, "Board", nil, nil); m["op"] != "error" {
		t.Errorf("anonymous resubscribing: %v", m)
	}

	// Pointer permissions narrow to the objects that point at the caller.
	h.mustREST(master, "PUT", "/schemas/Board", map[string]any{"classLevelPermissions": map[string]any{
		"find": map[string]any{}, "get": map[string]any{}, "readUserFields": []any{"reader"},
	}})
	other := h.signup("other")
	h.create(master, "Board", map[string]any{"msg": "for other", "reader": pointer("_User", other.id)})
	mine := h.create(master, "Board", map[string]any{"msg": "for member", "reader": pointer("_User", u.id)})
	msgs := h.fence(user)[0]
	if len(msgs) != 1 || msgs[0]["object"].(map[string]any)["objectId"] != mine {
		t.Errorf("pointer permissions: %v, want only %s", msgs, mine)
	}
}

// Protected fields may not be probed: not in where, not in watch (an
// update event would reveal when the field changes), and never sent.
func TestProtectedFieldsCannotBeProbed(t *testing.T) {
	h := newHarness(t, nil)
	h.mustREST(master, "POST", "/schemas/Person", map[string]any{
		"fields":                map[string]any{"name": map[string]any{"type": "String"}, "salary": map[string]any{"type": "Number"}},
		"classLevelPermissions": map[string]any{"protectedFields": map[string]any{"*": []any{"salary"}}},
	})
	c := h.connect(anonymous)
	if m := c.subscribe(1, "Person", map[string]any{"salary": map[string]any{"$gt": 100}}, nil); num(m["code"]) != 119 {
		t.Errorf("where on a protected field: %v", m)
	}
	if m := c.subscribe(2, "Person", nil, map[string]any{"watch": []string{"salary"}}); num(m["code"]) != 119 {
		t.Errorf("watch on a protected field: %v", m)
	}
	c.watchFence()
	c.mustSubscribe(3, "Person", nil, map[string]any{"keys": []string{"name", "salary"}})
	id := h.create(master, "Person", map[string]any{"name": "ada", "salary": 500})
	h.update(master, "Person", id, map[string]any{"salary": 600})
	msgs := h.fence(c)[0]
	if len(msgs) != 2 {
		t.Fatalf("got %v", msgs)
	}
	for _, m := range msgs {
		for _, part := range []string{"object", "original"} {
			if o, ok := m[part].(map[string]any); ok {
				if _, leaked := o["salary"]; leaked {
					t.Errorf("LEAK: salary in the %s of %s", part, m["op"])
				}
			}
		}
	}
	// A field that becomes protected ends subscriptions that probe it.
	c.mustSubscribe(4, "Person", map[string]any{"name": "ada"}, nil)
	h.mustREST(master, "PUT", "/schemas/Person", map[string]any{"classLevelPermissions": map[string]any{
		"protectedFields": map[string]any{"*": []any{"salary", "name"}},
	}})
	h.update(master, "Person", id, map[string]any{"salary": 700})
	var sawError bool
	for _, m := range h.fence(c)[0] {
		if num(m["requestId"]) == 4 {
			sawError = m["op"] == "error" && num(m["code"]) == 119
			if !sawError {
				t.Errorf("LEAK: the subscription on a newly protected field got %v", m)
			}
		}
	}
	if !sawError {
		t.Errorf("the subscription on a newly protected field was not ended")
	}
}

func TestRevokedSessionEndsSubscriptions(t *testing.T) {
	h := newHarness(t, nil)
	u := h.signup("leaver")
	stay := h.signup("stayer")
	c := h.connect(u)
	c.mustSubscribe(1, "Chat", nil, nil)
	c.mustSubscribe(2, "Chat", nil, map[string]any{"sessionToken": stay.token})

	// Logout: the pipeline publishes the deleted _Session.
	sess := h.sessionOf(u.token)
	h.mustREST(u, "POST", "/logout", nil)
	h.publish(core.Deleted, "_Session", sess, nil)
	m := c.recv()
	if m["op"] != "error" || num(m["code"]) != 209 || num(m["requestId"]) != 1 {
		t.Fatalf("after logout: %v, want 209 for request 1", m)
	}
	// The other user's subscription on the same socket goes on; the
	// revoked one gets nothing more.
	id := h.create(master, "Chat", map[string]any{"t": "hi"})
	wantEvent(t, c.recv(), "create", 2, id)
	if m := c.subscribe(3, "Chat", nil, nil); num(m["code"]) != 209 {
		t.Errorf("subscribing with the connection's revoked token: %v", m)
	}

	// A revocation no event announced (another node, a bulk delete) is
	// found by the recheck.
	c2 := h.connect(stay)
	c2.mustSubscribe(1, "Chat", nil, nil)
	h.mustREST(stay, "POST", "/logout", nil)
	h.lq.RecheckAuth()
	for _, cl := range []*client{c, c2} {
		if m := cl.recv(); m["op"] != "error" || num(m["code"]) != 209 {
			t.Errorf("after a recheck: %v, want 209", m)
		}
	}
	if n := h.lq.Stats().Subscriptions; n != 0 {
		t.Errorf("%d subscriptions of revoked sessions remain", n)
	}
}

func TestRoleChangeTakesEffect(t *testing.T) {
	h := newHarness(t, nil)
	u := h.signup("joiner")
	role := h.mustREST(master, "POST", "/roles", map[string]any{"name": "editors", "ACL": map[string]any{"*": map[string]any{"read": true}}})
	c := h.connect(u)
	c.watchFence()
	c.mustSubscribe(1, "Draft", nil, nil)
	editorsOnly := map[string]any{"role:editors": map[string]any{"read": true}}
	h.create(master, "Draft", map[string]any{"ACL": editorsOnly})
	if msgs := h.fence(c)[0]; len(msgs) != 0 {
		t.Fatalf("LEAK: a non-member got %v", msgs)
	}
	h.mustREST(master, "PUT", "/roles/"+role["objectId"].(string), map[string]any{
		"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", u.id)}}})
	h.lq.RecheckAuth()
	id := h.create(master, "Draft", map[string]any{"ACL": editorsOnly})
	wantEvent(t, c.recv(), "create", 1, id)

	h.mustREST(master, "PUT", "/roles/"+role["objectId"].(string), map[string]any{
		"users": map[string]any{"__op": "RemoveRelation", "objects": []any{pointer("_User", u.id)}}})
	h.lq.RecheckAuth()
	h.update(master, "Draft", id, map[string]any{"t": 1})
	if msgs := h.fence(c)[0]; len(msgs) != 0 {
		t.Errorf("LEAK: a removed member got %v", msgs)
	}
}

// sessionOf reads the _Session object of a token, as the pipeline holds it.
func (h *harness) sessionOf(token string) core.Object {
	h.t.Helper()
	c := h.app.Class("_Session")
	objs, err := h.app.Store().Find(context.Background(), c, &core.Query{Where: core.Cmp{Field: "sessionToken", Op: core.OpEq, Value: token}, Limit: 1})
	if err != nil || len(objs) != 1 {
		h.t.Fatalf("session of %s: %v %v", token, objs, err)
	}
	return objs[0]
}
