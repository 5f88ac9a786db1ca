package livequery_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/livequery"
)

// wantEvent checks one event message.
func wantEvent(t *testing.T, m map[string]any, op string, requestID int, id string) (obj, orig map[string]any) {
	t.Helper()
	obj, _ = m["object"].(map[string]any)
	orig, _ = m["original"].(map[string]any)
	if m["op"] != op || num(m["requestId"]) != requestID || obj["objectId"] != id {
		t.Fatalf("got %v, want %s of %s for request %d", m, op, id, requestID)
	}
	return obj, orig
}

func TestEveryEventType(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(anonymous)
	c.mustSubscribe(1, "Game", map[string]any{"score": map[string]any{"$gte": 10}}, nil)

	low := h.create(master, "Game", map[string]any{"score": 5, "player": "ada"})
	high := h.create(master, "Game", map[string]any{"score": 20, "player": "bob"})
	obj, orig := wantEvent(t, c.recv(), "create", 1, high)
	if obj["score"] != 20.0 || obj["player"] != "bob" || obj["className"] != "Game" || orig != nil {
		t.Errorf("create: object %v original %v", obj, orig)
	}
	if _, ok := obj["createdAt"].(string); !ok {
		t.Errorf("create: createdAt is not an ISO string: %v", obj)
	}

	h.update(master, "Game", high, map[string]any{"score": 25})
	obj, orig = wantEvent(t, c.recv(), "update", 1, high)
	if obj["score"] != 25.0 || orig["score"] != 20.0 {
		t.Errorf("update: object %v original %v", obj, orig)
	}
	h.update(master, "Game", low, map[string]any{"score": 12})
	obj, orig = wantEvent(t, c.recv(), "enter", 1, low)
	if obj["score"] != 12.0 || orig["score"] != 5.0 {
		t.Errorf("enter: object %v original %v", obj, orig)
	}
	h.update(master, "Game", high, map[string]any{"score": 1})
	obj, orig = wantEvent(t, c.recv(), "leave", 1, high)
	if obj["score"] != 1.0 || orig["score"] != 25.0 {
		t.Errorf("leave: object %v original %v", obj, orig)
	}
	h.update(master, "Game", high, map[string]any{"player": "nobody"}) // still outside
	h.remove(master, "Game", low)
	obj, _ = wantEvent(t, c.recv(), "delete", 1, low)
	if obj["score"] != 12.0 {
		t.Errorf("delete: object %v", obj)
	}
	h.remove(master, "Game", high) // never matched: nothing
	c.watchFence()
	if got := h.fence(c); len(got[0]) != 0 {
		t.Errorf("events for objects outside the query: %v", got[0])
	}
}

func TestKeysAndWatch(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(anonymous)
	c.watchFence()
	c.mustSubscribe(1, "Doc", nil, map[string]any{"keys": []string{"title"}})
	c.mustSubscribe(2, "Doc", nil, map[string]any{"watch": []string{"title"}})

	id := h.create(master, "Doc", map[string]any{"title": "a", "body": "long", "n": 1})
	got := map[int]map[string]any{}
	for range 2 {
		m := c.recv()
		got[num(m["requestId"])] = m
	}
	obj, _ := wantEvent(t, got[1], "create", 1, id)
	for _, k := range []string{"objectId", "createdAt", "updatedAt", "className", "title"} {
		if _, ok := obj[k]; !ok {
			t.Errorf("keys: %s missing from %v", k, obj)
		}
	}
	if _, ok := obj["body"]; ok {
		t.Errorf("keys: body sent though not asked for: %v", obj)
	}
	// watch: a create sets the watched field, so it fires.
	if obj, _ := wantEvent(t, got[2], "create", 2, id); obj["body"] != "long" {
		t.Errorf("watch does not limit fields: %v", obj)
	}

	h.update(master, "Doc", id, map[string]any{"body": "changed", "n": 2})
	msgs := h.fence(c)[0]
	if len(msgs) != 1 {
		t.Fatalf("an update of unwatched fields: got %v, want only request 1's", msgs)
	}
	obj, orig := wantEvent(t, msgs[0], "update", 1, id)
	if _, ok := obj["body"]; ok || orig["title"] != "a" {
		t.Errorf("keys on update: object %v original %v", obj, orig)
	}
	h.update(master, "Doc", id, map[string]any{"title": "b"})
	msgs = h.fence(c)[0]
	if len(msgs) != 2 {
		t.Fatalf("an update of the watched field: got %v, want both requests'", msgs)
	}
}

func TestUnsubscribeAndResubscribe(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(anonymous)
	c.watchFence()
	c.mustSubscribe(1, "Note", nil, nil)
	c.send(map[string]any{"op": "unsubscribe", "requestId": 1})
	if m := c.recv(); m["op"] != "unsubscribed" || num(m["requestId"]) != 1 {
		t.Fatalf("unsubscribe: %v", m)
	}
	h.create(master, "Note", map[string]any{"t": 1})
	if msgs := h.fence(c)[0]; len(msgs) != 0 {
		t.Errorf("events after unsubscribe: %v", msgs)
	}
	c.mustSubscribe(1, "Note", map[string]any{"t": 2}, nil)
	h.create(master, "Note", map[string]any{"t": 1})
	id := h.create(master, "Note", map[string]any{"t": 2})
	wantEvent(t, c.recv(), "create", 1, id)
	// update replaces the query of a subscription.
	c.send(map[string]any{"op": "update", "requestId": 1, "query": map[string]any{"className": "Note", "where": map[string]any{"t": 3}}})
	if m := c.recv(); m["op"] != "subscribed" {
		t.Fatalf("update: %v", m)
	}
	h.create(master, "Note", map[string]any{"t": 2})
	id3 := h.create(master, "Note", map[string]any{"t": 3})
	wantEvent(t, c.recv(), "create", 1, id3)
	c.send(map[string]any{"op": "unsubscribe", "requestId": 7})
	if m := c.recv(); m["op"] != "error" || num(m["code"]) != 2 || num(m["requestId"]) != 7 {
		t.Errorf("unsubscribe of an unknown request: %v", m)
	}
}

func TestQueryOp(t *testing.T) {
	h := newHarness(t, nil)
	u := h.signup("reader")
	h.create(master, "Item", map[string]any{"n": 1, "ACL": map[string]any{u.id: map[string]any{"read": true}}})
	h.create(master, "Item", map[string]any{"n": 2})
	h.create(master, "Item", map[string]any{"n": 3, "ACL": map[string]any{}})
	for _, tc := range []struct {
		who  who
		want int
	}{{anonymous, 1}, {u, 2}, {master, 3}} {
		c := h.connect(tc.who)
		c.mustSubscribe(1, "Item", nil, nil)
		c.send(map[string]any{"op": "query", "requestId": 1})
		m := c.recv()
		res, _ := m["results"].([]any)
		if m["op"] != "result" || len(res) != tc.want {
			t.Errorf("%s: query: %v, want %d results", tc.who.name, m, tc.want)
		}
	}
}

func TestProtocolErrors(t *testing.T) {
	h := newHarness(t, func(o *livequery.Options) {
		o.AllClasses = false
		o.ClassNames = []string{"Open", "Fence"}
		o.MaxSubscriptions = 2
		o.MaxMessageBytes = 4 << 10
	})
	type step struct {
		name     string
		send     string
		wantCode int
		wantReq  int
	}
	connected := []step{
		{"not JSON", `{"op":`, 1, 0},
		{"unknown op", `{"op":"explode"}`, 3, 0},
		{"second connect", `{"op":"connect","applicationId":"lqtest"}`, 1, 0},
		{"subscribe without requestId", `{"op":"subscribe","query":{"className":"Open"}}`, 1, 0},
		{"requestId not a number", `{"op":"subscribe","requestId":"x","query":{"className":"Open"}}`, 1, 0},
		{"requestId zero", `{"op":"subscribe","requestId":0,"query":{"className":"Open"}}`, 1, 0},
		{"subscribe without query", `{"op":"subscribe","requestId":1}`, 1, 1},
		{"class not enabled", `{"op":"subscribe","requestId":1,"query":{"className":"Secret"}}`, 119, 1},
		{"bad class name", `{"op":"subscribe","requestId":1,"query":{"className":"a-b"}}`, 103, 1},
		{"internal class", `{"op":"subscribe","requestId":1,"query":{"className":"_Idempotency"}}`, 119, 1},
		{"subquery", `{"op":"subscribe","requestId":1,"query":{"className":"Open","where":{"p":{"$inQuery":{"className":"Open"}}}}}`, 102, 1},
		{"bad where", `{"op":"subscribe","requestId":1,"query":{"className":"Open","where":{"$or":3}}}`, 102, 1},
		{"bad regex", `{"op":"subscribe","requestId":1,"query":{"className":"Open","where":{"s":{"$regex":"("}}}}`, 102, 1},
		{"internal field in keys", `{"op":"subscribe","requestId":1,"query":{"className":"Open","keys":["_hashed_password"]}}`, 105, 1},
		{"invalid session token", `{"op":"subscribe","requestId":1,"query":{"className":"Open"},"sessionToken":"r:nope"}`, 209, 1},
		{"query of an unknown subscription", `{"op":"query","requestId":5}`, 2, 5},
	}
	h.create(master, "Open", map[string]any{"s": "x", "p": pointer("Open", "x")})
	c := h.connect(anonymous)
	for _, s := range connected {
		c.sendRaw([]byte(s.send))
		m := c.recv()
		if m["op"] != "error" || num(m["code"]) != s.wantCode || num(m["requestId"]) != s.wantReq || m["error"] == "" || m["reconnect"] != false {
			t.Errorf("%s: got %v, want error %d for request %d", s.name, m, s.wantCode, s.wantReq)
		}
	}
	c.mustSubscribe(1, "Open", nil, nil)
	c.mustSubscribe(2, "Open", nil, nil)
	if m := c.subscribe(3, "Open", nil, nil); m["op"] != "error" || num(m["code"]) != 155 {
		t.Errorf("subscription over the limit: %v", m)
	}
	c.mustSubscribe(2, "Open", map[string]any{"s": "y"}, nil) // replacing one is fine

	// Before connect.
	d := h.dial()
	d.sendRaw([]byte(`{"op":"subscribe","requestId":1,"query":{"className":"Open"}}`))
	if m := d.recv(); m["op"] != "error" || num(m["code"]) != 2 {
		t.Errorf("subscribe before connect: %v", m)
	}
	for _, bad := range []struct {
		name string
		msg  map[string]any
		code int
	}{
		{"wrong application id", map[string]any{"op": "connect", "applicationId": "other"}, 4},
		{"no application id", map[string]any{"op": "connect"}, 4},
		{"invalid session token", map[string]any{"op": "connect", "applicationId": appID, "sessionToken": "r:0123"}, 209},
	} {
		d.send(bad.msg)
		if m := d.recv(); m["op"] != "error" || num(m["code"]) != bad.code {
			t.Errorf("%s: %v", bad.name, m)
		}
	}
	// A wrong master key is no master key, as in the REST API.
	w := h.dial()
	w.send(map[string]any{"op": "connect", "applicationId": appID, "masterKey": "guess"})
	if m := w.recv(); m["op"] != "connected" {
		t.Fatalf("connect with a wrong master key: %v", m)
	}
	if m := w.subscribe(1, "_Idempotency", nil, nil); num(m["code"]) != 119 {
		t.Errorf("a wrong master key opened an internal class: %v", m)
	}

	// An oversized message closes the connection with 1009.
	big := h.connect(anonymous)
	big.sendRaw([]byte(`{"op":"subscribe","requestId":1,"query":{"className":"Open","where":{"s":"` + strings.Repeat("x", 8<<10) + `"}}}`))
	if code := big.closeStatus(); code != websocket.StatusMessageTooBig {
		t.Errorf("oversized message: close %d, want 1009", code)
	}
}

func TestClientKeys(t *testing.T) {
	h2 := newHarnessWithClientKey(t)
	c := h2.dial()
	c.send(map[string]any{"op": "connect", "applicationId": appID})
	if m := c.recv(); m["op"] != "error" || num(m["code"]) != 4 {
		t.Errorf("connect without the client key: %v", m)
	}
	c.send(map[string]any{"op": "connect", "applicationId": appID, "javascriptKey": "js-key"})
	if m := c.recv(); m["op"] != "connected" {
		t.Errorf("connect with the client key: %v", m)
	}
	m := h2.dial()
	m.send(map[string]any{"op": "connect", "applicationId": appID, "masterKey": masterKey})
	if got := m.recv(); got["op"] != "connected" {
		t.Errorf("connect with the master key and no client key: %v", got)
	}
}

func TestRateLimit(t *testing.T) {
	h := newHarness(t, func(o *livequery.Options) { o.MessagesPerSecond = 2 })
	c := h.connect(anonymous)
	limited := false
	for i := range 20 {
		c.send(map[string]any{"op": "unsubscribe", "requestId": i + 1})
		if m := c.recv(); num(m["code"]) == int(core.CodeRequestLimitExceeded) {
			limited = true
			break
		}
	}
	if !limited {
		t.Errorf("20 messages in a burst were all answered with a limit of 2 per second")
	}
}

func TestSlowClientDoesNotHoldUpOthers(t *testing.T) {
	h := newHarness(t, func(o *livequery.Options) {
		o.OutboundBuffer = 8
		// The queue, not a write deadline, is what this test is about.
		o.WriteTimeout = 5 * time.Minute
	})
	slow := h.connect(anonymous)
	slow.mustSubscribe(1, "Blob", nil, nil)
	fast := h.connect(anonymous)
	fast.mustSubscribe(1, "Blob", nil, nil)
	id := h.create(master, "Blob", map[string]any{"data": strings.Repeat("z", 256<<10)})
	wantEvent(t, fast.recv(), "create", 1, id)
	wantEvent(t, slow.recv(), "create", 1, id)
	// slow stops reading: its socket buffers, then its queue, fill up.
	const n = 100
	var wg sync.WaitGroup
	wg.Add(1)
	received := 0
	go func() {
		defer wg.Done()
		for received < n {
			m, err := fast.next()
			if err != nil {
				return
			}
			if m["op"] == "update" {
				received++
			}
		}
	}()
	for i := range n {
		h.update(master, "Blob", id, map[string]any{"data": fmt.Sprintf("%d", i) + strings.Repeat("z", 256<<10)})
	}
	wg.Wait()
	if received != n {
		t.Fatalf("the fast client got %d of %d updates", received, n)
	}
	until(t, "the slow client to be disconnected", func() bool { return h.lq.Stats().SlowClients == 1 })
	// Reading what it was sent, the slow client finds an error that says
	// reconnect, then a close frame.
	sawReconnect := false
	for {
		m, err := slow.next()
		if err != nil {
			if code := websocket.CloseStatus(err); code != websocket.StatusTryAgainLater {
				t.Errorf("slow client closed with %v, want 1013", err)
			}
			break
		}
		if m["op"] == "error" && m["reconnect"] == true {
			sawReconnect = true
		}
	}
	if !sawReconnect {
		t.Errorf("the slow client was not told to reconnect")
	}
}

func TestShutdownClosesWithGoingAway(t *testing.T) {
	h := newHarness(t, nil)
	c := h.connect(anonymous)
	c.mustSubscribe(1, "X", nil, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- h.lq.Close(ctx) }()
	if code := c.closeStatus(); code != websocket.StatusGoingAway {
		t.Errorf("close code %d, want 1001", code)
	}
	if err := <-done; err != nil {
		t.Errorf("Close: %v", err)
	}
	// New upgrades are refused once closed.
	_, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.url, "http"), nil)
	if err == nil || res == nil || res.StatusCode != 503 {
		t.Errorf("dial after Close: %v %v", res, err)
	}
}

func TestConnectTimeoutAndDeadPeers(t *testing.T) {
	h := newHarness(t, func(o *livequery.Options) {
		o.ConnectTimeout = 200 * time.Millisecond
		o.PingInterval = 50 * time.Millisecond
		o.PongTimeout = 200 * time.Millisecond
	})
	silent := h.dial()
	m := silent.recv()
	if m["op"] != "error" || num(m["code"]) != 2 {
		t.Errorf("no connect: %v", m)
	}
	if code := silent.closeStatus(); code != websocket.StatusPolicyViolation {
		t.Errorf("no connect: close %d, want 1008", code)
	}
	// A live client answers pings (its reads do) and stays connected
	// across many ping intervals.
	live := h.connect(anonymous)
	live.mustSubscribe(1, "P", nil, nil)
	inbox := make(chan map[string]any, 10)
	go func() {
		for {
			m, err := live.next()
			if err != nil {
				close(inbox)
				return
			}
			inbox <- m
		}
	}()
	// A client that never reads never answers a ping: it is closed.
	h.connect(anonymous)
	until(t, "the unresponsive client to be closed", func() bool { return h.lq.Stats().Connections == 1 })
	id := h.create(master, "P", map[string]any{"a": 1})
	wantEvent(t, <-inbox, "create", 1, id)
}

func TestIdleConnectionsWithoutSubscriptionsAreClosed(t *testing.T) {
	h := newHarness(t, func(o *livequery.Options) {
		o.IdleTimeout = 300 * time.Millisecond
		o.PingInterval = 50 * time.Millisecond
	})
	busy := h.connect(anonymous)
	busy.mustSubscribe(1, "Q", nil, nil)
	inbox := make(chan map[string]any, 10)
	go func() {
		for {
			m, err := busy.next()
			if err != nil {
				close(inbox)
				return
			}
			inbox <- m
		}
	}()
	idle := h.connect(anonymous)
	if code := idle.closeStatus(); code != websocket.StatusNormalClosure {
		t.Errorf("idle connection closed with %d, want 1000", code)
	}
	// The one with a subscription stays, however quiet.
	id := h.create(master, "Q", map[string]any{"a": 1})
	wantEvent(t, <-inbox, "create", 1, id)
}

func TestBeforeSubscribeAndAfterEventHooks(t *testing.T) {
	h := newHarness(t, func(o *livequery.Options) {
		o.BeforeConnect = func(ctx context.Context, in *livequery.ConnectInfo) error {
			if in.InstallationID == "banned" {
				return fmt.Errorf("this device is banned")
			}
			return nil
		}
		o.BeforeSubscribe = func(ctx context.Context, in *livequery.SubscribeInfo) error {
			if in.Query.ClassName == "Forbidden" {
				return core.Errorf(core.CodeOperationForbidden, "not this one")
			}
			in.Query.Where = map[string]any{"visible": true} // narrowed by the hook
			return nil
		}
		o.AfterEvent = func(ctx context.Context, in *livequery.EventInfo) error {
			if in.Object["drop"] == true {
				in.Send = false
			}
			in.Object["stamped"] = true
			return nil
		}
	})
	b := h.dial()
	b.send(map[string]any{"op": "connect", "applicationId": appID, "installationId": "banned"})
	if m := b.recv(); m["op"] != "error" || num(m["code"]) != 141 {
		t.Errorf("beforeConnect refusal: %v", m)
	}
	c := h.connect(anonymous)
	if m := c.subscribe(1, "Forbidden", nil, nil); num(m["code"]) != 119 {
		t.Errorf("beforeSubscribe refusal: %v", m)
	}
	c.mustSubscribe(2, "Thing", nil, nil)
	h.create(master, "Thing", map[string]any{"visible": false})
	h.create(master, "Thing", map[string]any{"visible": true, "drop": true})
	id := h.create(master, "Thing", map[string]any{"visible": true})
	obj, _ := wantEvent(t, c.recv(), "create", 2, id)
	if obj["stamped"] != true {
		t.Errorf("afterLiveQueryEvent's change not sent: %v", obj)
	}
}

func newHarnessWithClientKey(t *testing.T) *harness {
	t.Helper()
	return newHarnessOpts(t, core.Options{ClientKeys: []string{"js-key"}}, nil)
}
