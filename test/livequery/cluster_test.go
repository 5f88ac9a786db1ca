package livequery_test

import (
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
