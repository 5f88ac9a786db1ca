package builtin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/switchboardhq/switchboard/adapters/push/builtin/builtinclient"
	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

const testApp = "app"

// rig is a channel on a store, served over HTTP at base (as the API mounts
// it), whose devices are identified by a table: installationId → objectId.
type rig struct {
	ch      *Channel
	base    string
	devices map[string]string
}

func newRig(t *testing.T, st core.Store, options map[string]any) *rig {
	t.Helper()
	s, err := Open(context.Background(), core.ProviderEnv{Store: st, Options: options})
	if err != nil {
		t.Fatal(err)
	}
	ch := s.(*Channel)
	r := &rig{ch: ch, devices: map[string]string{}}
	ctx, cancel := context.WithCancel(context.Background())
	h := ch.Handler(ctx, func(_ context.Context, c core.PushCredentials) (string, error) {
		if c.ApplicationID != testApp {
			return "", core.Errorf(core.CodeOperationForbidden, "unauthorized")
		}
		id, ok := r.devices[strings.ToLower(c.InstallationID)]
		if !ok {
			return "", core.Errorf(core.CodeObjectNotFound, "no installation %s", c.InstallationID)
		}
		return id, nil
	})
	srv := httptest.NewServer(http.StripPrefix("/parse", h))
	r.base = srv.URL + "/parse"
	t.Cleanup(func() {
		cancel()
		srv.Close()
		_ = ch.Close()
	})
	return r
}

func sqliteStore(t *testing.T) core.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), core.StoreConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func postgresStore(t *testing.T, url string) core.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), core.StoreConfig{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// send pushes data to the devices (objectIds) as the dispatcher would.
func (r *rig) send(t *testing.T, pushID string, data core.PushData, exp time.Time, objectIDs ...string) {
	t.Helper()
	var devs []core.PushDevice
	for _, id := range objectIDs {
		devs = append(devs, core.PushDevice{ID: id, DeviceType: "android"})
	}
	for len(devs) > 0 {
		n := min(len(devs), r.ch.MaxBatch())
		res, err := r.ch.Send(context.Background(), core.PushBatch{Key: pushID, Notification: &core.PushNotification{ID: pushID, Data: data, Expiration: exp}, Devices: devs[:n]})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range res {
			if x.Outcome != core.PushDelivered {
				t.Fatalf("outcome %v", x)
			}
		}
		devs = devs[n:]
	}
}

func (r *rig) dial(t *testing.T, installationID string) *builtinclient.Device {
	t.Helper()
	d, err := builtinclient.Dial(context.Background(), r.base, builtinclient.Credentials{ApplicationID: testApp, InstallationID: installationID})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}

func next(t *testing.T, d *builtinclient.Device) builtinclient.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := d.Next(ctx)
	if err != nil {
		t.Fatalf("no message: %v", err)
	}
	return m
}

func TestOpenOptions(t *testing.T) {
	st := sqliteStore(t)
	for _, tc := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"ttl": "1h"}, "ttl"},
		{map[string]any{"pingInterval": "10ms"}, "pingInterval"},
		{map[string]any{"defaultTTL": "0.5s"}, "defaultTTL"},
		{map[string]any{"maxBatch": 9000}, "maxBatch"},
	} {
		if _, err := Open(context.Background(), core.ProviderEnv{Store: st, Options: tc.opts}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error about %s", tc.opts, err, tc.want)
		}
	}
	if _, err := Open(context.Background(), core.ProviderEnv{}); err == nil {
		t.Error("opened without a store")
	}
}

// A device with more waiting messages than may be in flight gets them all,
// in order, as it acknowledges them.
func TestBacklogDrainsInOrder(t *testing.T) {
	r := newRig(t, sqliteStore(t), nil)
	r.devices["dev"] = "D000000001"
	const n = 2*maxInflight + 37
	for i := range n {
		r.send(t, fmt.Sprintf("p%04d", i), core.PushData{Alert: fmt.Sprint(i)}, time.Time{}, "D000000001")
	}
	d := r.dial(t, "dev")
	for i := range n {
		m := next(t, d)
		if m.PushID != fmt.Sprintf("p%04d", i) {
			t.Fatalf("message %d is %s, want p%04d", i, m.PushID, i)
		}
		if err := d.Ack(context.Background(), m.ID); err != nil {
			t.Fatal(err)
		}
	}
	// All acknowledged: the queue empties.
	c, _ := r.ch.queue(context.Background())
	poll(t, "the queue to empty", func() bool {
		k, err := r.ch.store.Count(context.Background(), c, &core.Query{})
		return err == nil && k == 0
	})
}

// Expired messages are never sent and are deleted by the sweep.
func TestExpiredMessages(t *testing.T) {
	r := newRig(t, sqliteStore(t), nil)
	r.devices["dev"] = "D000000002"
	r.send(t, "gone", core.PushData{Alert: "old"}, time.Now().Add(50*time.Millisecond), "D000000002")
	r.send(t, "kept", core.PushData{Alert: "new"}, time.Now().Add(time.Hour), "D000000002")
	time.Sleep(100 * time.Millisecond)
	d := r.dial(t, "dev")
	if m := next(t, d); m.PushID != "kept" {
		t.Fatalf("got %+v, want only the unexpired message", m)
	}
	r.ch.expire()
	c, _ := r.ch.queue(context.Background())
	rows, err := r.ch.store.Find(context.Background(), c, &core.Query{Limit: -1})
	if err != nil || len(rows) != 1 || rows[0]["push"] != "kept" {
		t.Fatalf("after the sweep: %v %v", rows, err)
	}
}

// The protocol's refusals: each closes the connection with an error
// message, and nothing panics or hangs.
func TestWebSocketProtocolErrors(t *testing.T) {
	r := newRig(t, sqliteStore(t), nil)
	r.devices["dev"] = "D000000003"
	wsURL := strings.Replace(r.base, "http", "ws", 1) + "/pushChannel"
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for _, tc := range []struct {
		name     string
		messages []string // sent in order
		binary   bool
		want     string // in the error message, "" for a plain close
	}{
		{"not a connect first", []string{`{"op":"ack","ids":[]}`}, false, "first message must be"},
		{"not JSON", []string{`hello`}, false, ""},
		{"binary", []string{`{"op":"connect"}`}, true, ""},
		{"wrong app", []string{`{"op":"connect","applicationId":"other","installationId":"dev"}`}, false, "unauthorized"},
		{"unknown device", []string{`{"op":"connect","applicationId":"app","installationId":"nobody"}`}, false, "no installation"},
		{"unknown op", []string{`{"op":"connect","applicationId":"app","installationId":"dev"}`, `{"op":"subscribe"}`}, false, "unknown op"},
		{"too many ids", []string{`{"op":"connect","applicationId":"app","installationId":"dev"}`, `{"op":"ack","ids":[` + strings.Repeat(`"x",`, maxAckIDs) + `"x"]}`}, false, "at most"},
		{"too large", []string{`{"op":"connect","applicationId":"app","installationId":"dev"}`, `{"op":"ack","ids":["` + strings.Repeat("x", maxClientMessage) + `"]}`}, false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws, _, err := websocket.Dial(ctx, wsURL, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer ws.CloseNow()
			ws.SetReadLimit(1 << 20)
			typ := websocket.MessageText
			if tc.binary {
				typ = websocket.MessageBinary
			}
			for _, m := range tc.messages {
				if err := ws.Write(ctx, typ, []byte(m)); err != nil {
					break
				}
			}
			var lastErr string
			for {
				_, data, err := ws.Read(ctx)
				if err != nil {
					if websocket.CloseStatus(err) == -1 && !errors.Is(err, context.Canceled) && !strings.Contains(err.Error(), "EOF") {
						t.Fatalf("the connection did not close cleanly: %v", err)
					}
					break
				}
				var m map[string]any
				_ = json.Unmarshal(data, &m)
				if m["op"] == "error" {
					lastErr, _ = m["error"].(string)
				}
			}
			if !strings.Contains(lastErr, tc.want) {
				t.Fatalf("error %q, want %q", lastErr, tc.want)
			}
		})
	}
}

// Server-Sent Events: the refusals of the stream and of acknowledgements
// are Parse errors; an unknown path is one too.
func TestEventsAndAckErrors(t *testing.T) {
	r := newRig(t, sqliteStore(t), nil)
	r.devices["dev"] = "D000000004"
	post := func(path, body string, hdr map[string]string) (int, map[string]any) {
		req, _ := http.NewRequest(http.MethodPost, r.base+path, strings.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	creds := map[string]string{"X-Parse-Application-Id": testApp, "X-Parse-Installation-Id": "dev"}
	for _, tc := range []struct {
		name, path, body string
		hdr              map[string]string
		code             float64
	}{
		{"not JSON", "/pushChannel/ack", "nope", creds, 107},
		{"no ids", "/pushChannel/ack", `{}`, creds, 162},
		{"ids not strings", "/pushChannel/ack", `{"ids":[1]}`, creds, 162},
		{"too large", "/pushChannel/ack", `{"ids":["` + strings.Repeat("x", maxClientMessage) + `"]}`, creds, 116},
		{"wrong app", "/pushChannel/ack", `{"ids":["a"]}`, map[string]string{"X-Parse-Application-Id": "other", "X-Parse-Installation-Id": "dev"}, 119},
		{"credentials in the body", "/pushChannel/ack", `{"ids":["a"],"applicationId":"app","installationId":"nobody"}`, nil, 101},
		{"unknown path", "/pushChannel/../../etc/passwd", `{}`, creds, 107},
		{"unknown route", "/pushChannel/subscribe", `{}`, creds, 107},
	} {
		status, out := post(tc.path, tc.body, tc.hdr)
		if status < 400 || out["code"] != tc.code {
			t.Errorf("%s: %d %v, want code %v", tc.name, status, out, tc.code)
		}
	}
	// A well-formed ack of ids this device was never sent deletes nothing.
	if status, out := post("/pushChannel/ack", `{"ids":["AAAAAAAAAA"]}`, creds); status != 200 || out["acked"] != float64(0) {
		t.Errorf("ack of unknown ids: %d %v", status, out)
	}
	_, err := builtinclient.Events(context.Background(), r.base, builtinclient.Credentials{ApplicationID: "other", InstallationID: "dev"})
	var e *builtinclient.Error
	if !errors.As(err, &e) || e.Code != 119 {
		t.Errorf("a stream with the wrong app: %v", err)
	}
}

// Closing the channel ends its connections with "going away", so devices
// reconnect to another node; their messages stay queued.
func TestCloseEndsConnections(t *testing.T) {
	st := sqliteStore(t)
	r := newRig(t, st, nil)
	r.devices["dev"] = "D000000005"
	d := r.dial(t, "dev")
	if err := r.ch.Close(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := d.Next(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Fatalf("after Close: %v, want status 1001", err)
	}
}

// On PostgreSQL, a message stored through one channel (node) reaches the
// device connected to another, through LISTEN/NOTIFY.
func TestAcrossNodes(t *testing.T) {
	url := pgtest.Fresh(t)
	a := newRig(t, postgresStore(t, url), nil)
	b := newRig(t, postgresStore(t, url), nil)
	for _, r := range []*rig{a, b} {
		r.devices["on-b"] = "D00000000B"
		r.devices["on-a"] = "D00000000A"
	}
	onB := b.dial(t, "on-b")
	onA := a.dial(t, "on-a")
	// Let both listeners start before the first notification.
	time.Sleep(300 * time.Millisecond)
	a.send(t, "cross", core.PushData{Alert: "hi", Custom: map[string]any{"n": 1.0}}, time.Time{}, "D00000000B", "D00000000A")
	for name, d := range map[string]*builtinclient.Device{"on b": onB, "on a": onA} {
		m := next(t, d)
		if m.PushID != "cross" || m.Data["alert"] != "hi" || m.Data["n"] != 1.0 {
			t.Errorf("%s: %+v", name, m)
		}
	}
}

func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A device may acknowledge a message before its transaction commits (it is
// sent while it is stored): the acknowledgement waits for the commit, and
// then deletes it.
func TestAckWaitsForCommit(t *testing.T) {
	r := newRig(t, sqliteStore(t), nil)
	r.send(t, "stored", core.PushData{Alert: "x"}, time.Time{}, "D000000009")
	c, _ := r.ch.queue(context.Background())
	rows, _ := r.ch.store.Find(context.Background(), c, &core.Query{Limit: -1})
	if len(rows) != 1 {
		t.Fatalf("%d rows", len(rows))
	}
	m := message{ID: rows[0].ID()}
	r.ch.storing([]message{m}, true) // as if its transaction were still running
	r.ch.ack([]string{m.ID})
	time.Sleep(200 * time.Millisecond) // several flushes
	if n, _ := r.ch.store.Count(context.Background(), c, &core.Query{}); n != 1 {
		t.Fatal("an acknowledgement deleted a message before its commit")
	}
	r.ch.storing([]message{m}, false)
	poll(t, "the acknowledged message to be deleted after its commit", func() bool {
		n, err := r.ch.store.Count(context.Background(), c, &core.Query{})
		return err == nil && n == 0
	})
}
