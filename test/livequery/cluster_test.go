package livequery_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core"
)

// Two nodes on one PostgreSQL database: a change committed on node A
// reaches the subscribers of node B, through LISTEN/NOTIFY.
func TestTwoNodes(t *testing.T) {
	pgtest.Require(t)
	url := pgtest.Fresh(t)
	a := newNode(t, "postgres", core.StoreConfig{URL: url}, core.Options{}, nil)
	b := newNode(t, "postgres", core.StoreConfig{URL: url}, core.Options{}, nil)
	reader := a.signup("reader")
	// Node B learns of the classes node A created through the App's own
	// cluster sync.
	until(t, "node B to see _Session", func() bool { return b.app.Class("_Session") != nil })

	cb := b.connect(reader)
	cb.mustSubscribe(1, "Feed", map[string]any{"n": map[string]any{"$gt": 0}}, nil)
	anon := b.connect(anonymous)
	anon.watchFence()
	anon.mustSubscribe(1, "Feed", nil, nil)

	// A notification sent before node B listens is lost.
	until(t, "node B to listen", func() bool { return b.lq.Stats().RelayListening })
	probe := a.create(master, "Feed", map[string]any{"n": 1})
	wantEvent(t, cb.recv(), "create", 1, probe)
	wantEvent(t, anon.recv(), "create", 1, probe)

	start := time.Now()
	id := a.create(master, "Feed", map[string]any{"n": 5, "ACL": map[string]any{reader.id: map[string]any{"read": true}}})
	wantEvent(t, cb.recv(), "create", 1, id)
	t.Logf("node A commit → node B client: %v", time.Since(start))

	// Originals cross too: B decides enter and leave from them.
	a.update(master, "Feed", probe, map[string]any{"n": -1})
	if _, orig := wantEvent(t, cb.recv(), "leave", 1, probe); orig["n"] != 1.0 {
		t.Errorf("leave original: %v", orig)
	}
	wantEvent(t, anon.recv(), "update", 1, probe)
	// A large object crosses in parts, a deleted one whole.
	big := strings.Repeat("é", 30_000) // 60 KB of two-byte characters
	a.update(master, "Feed", id, map[string]any{"text": big})
	obj, _ := wantEvent(t, cb.recv(), "update", 1, id)
	if obj["text"] != big {
		t.Errorf("the large object arrived damaged: %d bytes", len(obj["text"].(string)))
	}
	a.remove(master, "Feed", id)
	wantEvent(t, cb.recv(), "delete", 1, id)
	// The ACL still applies on B: anonymous saw none of the private object.
	if msgs := b.fence(anon)[0]; len(msgs) != 0 {
		t.Errorf("LEAK: anonymous on node B got %v", msgs)
	}

	// A session revoked on A ends its subscriptions on B (only a hash of
	// the token travels).
	sess := a.sessionOf(reader.token)
	a.mustREST(reader, "POST", "/logout", nil)
	a.publish(core.Deleted, "_Session", sess, nil)
	if m := cb.recv(); m["op"] != "error" || num(m["code"]) != 209 {
		t.Errorf("after logout on the other node: %v", m)
	}
	if st := b.lq.Stats(); st.RelayReceived < 5 || st.RelayLost != 0 {
		t.Errorf("node B relay counters: %+v", st)
	}
	if st := a.lq.Stats(); st.Relayed < 5 || st.RelayLost != 0 {
		t.Errorf("node A relay counters: %+v", st)
	}
}

// An event from another node may arrive before this node's App has heard
// of the class the other node just created: it is matched, and its CLP
// applied, with the schema read from the store, not dropped and never
// delivered without its CLP.
func TestEventForAClassThisNodeHasNotLoaded(t *testing.T) {
	h := newHarness(t, nil)
	u := h.signup("member")
	c := h.connect(anonymous)
	c.watchFence()
	c.mustSubscribe(1, "Elsewhere", map[string]any{"n": 5}, nil)
	c.mustSubscribe(2, "Guarded", nil, nil)
	member := h.connect(u)
	member.mustSubscribe(1, "Guarded", nil, nil)

	// What another node did: the classes exist in the store only.
	st := h.app.Store()
	ctx := context.Background()
	elsewhere := &core.Class{Name: "Elsewhere", Fields: map[string]core.Field{"n": {Type: core.TypeNumber}}}
	guarded := &core.Class{Name: "Guarded", Fields: map[string]core.Field{}, CLP: map[string]any{"find": map[string]any{"requiresAuthentication": true}}}
	for _, cl := range []*core.Class{elsewhere, guarded} {
		for k, v := range core.DefaultFields {
			cl.Fields[k] = v
		}
		if err := st.CreateClass(ctx, cl); err != nil {
			t.Fatal(err)
		}
	}
	if h.app.Class("Elsewhere") != nil {
		t.Fatal("the App already knows the class; the test proves nothing")
	}
	now := core.Now()
	for _, o := range []struct {
		class *core.Class
		obj   core.Object
	}{
		{elsewhere, core.Object{"objectId": "e1", "createdAt": now, "updatedAt": now, "n": 4.0}},
		{elsewhere, core.Object{"objectId": "e2", "createdAt": now, "updatedAt": now, "n": 5.0}},
		{guarded, core.Object{"objectId": "g1", "createdAt": now, "updatedAt": now}},
	} {
		h.publish(core.Created, o.class.Name, o.obj, nil)
	}
	msgs := h.fence(c)[0]
	if len(msgs) != 2 || msgs[0]["op"] != "create" || msgs[0]["object"].(map[string]any)["objectId"] != "e2" {
		t.Fatalf("anonymous got %v, want the create of e2 then an error for Guarded", msgs)
	}
	if msgs[1]["op"] != "error" || num(msgs[1]["requestId"]) != 2 {
		t.Errorf("LEAK? anonymous on a requiresAuthentication class: %v", msgs[1])
	}
	wantEvent(t, member.recv(), "create", 1, "g1")
}
