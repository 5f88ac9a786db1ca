package push

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/push/builtin/builtinclient"
)

// device returns the credentials of an installation id on s.
func creds(installationID string) builtinclient.Credentials {
	return builtinclient.Credentials{ApplicationID: appID, InstallationID: installationID}
}

// next waits for one message, failing the test after within.
func next(t *testing.T, d *builtinclient.Device, within time.Duration) builtinclient.Message {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	m, err := d.Next(ctx)
	if err != nil {
		t.Fatalf("no message: %v", err)
	}
	return m
}

// nothing asserts that no message comes: the fence push, sent after, is
// the next message the device gets (messages of one device arrive in
// order).
func nothingBefore(t *testing.T, d *builtinclient.Device, fence string) {
	t.Helper()
	m := next(t, d, 10*time.Second)
	if m.PushID != fence {
		t.Fatalf("got %v before the fence push %s", m, fence)
	}
}

// With no push provider configured, the server starts with the built-in
// channel, and a connected device gets its notification, over WebSocket
// and over Server-Sent Events, with the data as sent and the badge
// incremented from its installation's.
func TestBuiltinDefaultDelivers(t *testing.T) {
	s := start(t, t.TempDir(), map[string]any{})
	s.install(map[string]any{"installationId": "ws-1", "deviceType": "android", "channels": []any{"news"}, "badge": 2})
	s.install(map[string]any{"installationId": "sse-1", "deviceType": "web", "channels": []any{"news"}})
	s.install(map[string]any{"installationId": "other", "deviceType": "android", "channels": []any{"sport"}})

	ctx := context.Background()
	ws, err := builtinclient.Dial(ctx, s.base, creds("WS-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	sse, err := builtinclient.Events(ctx, s.base, creds("sse-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer sse.Close()
	other, err := builtinclient.Dial(ctx, s.base, creds("other"))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()

	id := s.push(map[string]any{"channels": []any{"news"}, "data": map[string]any{"alert": "hello", "badge": "Increment", "k": "v"}})
	for name, d := range map[string]*builtinclient.Device{"websocket": ws, "sse": sse} {
		m := next(t, d, 10*time.Second)
		if m.PushID != id || m.Data["alert"] != "hello" || m.Data["k"] != "v" || m.ID == "" || m.ExpiresAt == "" {
			t.Errorf("%s: got %+v", name, m)
		}
		if err := d.Ack(ctx, m.ID); err != nil {
			t.Errorf("%s: ack: %v", name, err)
		}
		if name == "websocket" && m.Data["badge"] != float64(3) {
			t.Errorf("badge %v, want the stored 2 incremented", m.Data["badge"])
		}
	}
	st := s.waitStatus(id, 30*time.Second)
	if st["status"] != "succeeded" || num(st, "numSent") != 2 || num(st, "numFailed") != 0 || num(st, "count") != 2 {
		t.Fatalf("status %v", st)
	}
	if sub(st, "sentPerType")["android"] != float64(1) || sub(st, "sentPerType")["web"] != float64(1) || sub(st, "providers", "builtin")["sent"] != float64(2) {
		t.Fatalf("per type and provider: %v", st)
	}
	// The increment is stored, as on Parse Server: each installation now
	// holds the badge its device shows, and the next increment counts
	// from it.
	badges := func() map[string]any {
		got := map[string]any{}
		for _, row := range s.query("_Installation", map[string]any{"channels": "news"}) {
			got[row["installationId"].(string)] = row["badge"]
		}
		return got
	}
	if got := badges(); got["ws-1"] != float64(3) || got["sse-1"] != float64(1) {
		t.Fatalf("stored badges after one increment: %v", got)
	}
	second := s.push(map[string]any{"channels": []any{"news"}, "data": map[string]any{"alert": "again", "badge": map[string]any{"__op": "Increment", "amount": 2}}})
	if m := next(t, ws, 10*time.Second); m.PushID != second || m.Data["badge"] != float64(5) {
		t.Fatalf("second increment: got %+v, want badge 5", m)
	} else if err := ws.Ack(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	if m := next(t, sse, 10*time.Second); m.PushID == second {
		if err := sse.Ack(ctx, m.ID); err != nil {
			t.Fatal(err)
		}
	}
	s.waitStatus(second, 30*time.Second)
	if got := badges(); got["ws-1"] != float64(5) || got["sse-1"] != float64(3) {
		t.Fatalf("stored badges after the second increment: %v", got)
	}
	// The other channel's device got nothing: the next push it gets is
	// the fence.
	fence := s.push(map[string]any{"where": map[string]any{"installationId": "other"}, "data": map[string]any{"alert": "fence"}})
	nothingBefore(t, other, fence)
	// Acknowledged messages are gone: reconnecting brings nothing back.
	ws.Close()
	again, err := builtinclient.Dial(ctx, s.base, creds("ws-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	fence2 := s.push(map[string]any{"where": map[string]any{"installationId": "ws-1"}, "data": map[string]any{"alert": "fence"}})
	nothingBefore(t, again, fence2)
}

// An offline device gets its messages when it connects again, before
// their expiration; a message that expired while it was away never comes.
// Unacknowledged messages come again on the next connection.
func TestBuiltinOfflineQueueAndTTL(t *testing.T) {
	s := start(t, t.TempDir(), map[string]any{})
	s.install(map[string]any{"installationId": "off-1", "deviceType": "android"})
	only := map[string]any{"installationId": "off-1"}

	// Sent while the device is offline: one that lives an hour, one that
	// lives a second.
	keep := s.push(map[string]any{"where": only, "expiration_interval": 3600, "data": map[string]any{"alert": "keep"}})
	short := s.push(map[string]any{"where": only, "expiration_interval": 1, "data": map[string]any{"alert": "short"}})
	s.waitStatus(keep, 30*time.Second)
	// The short one is queued (or, on a slow machine, expires before it is
	// sent: then it says so); either way it expires while the device is
	// away.
	st := s.waitStatus(short, 30*time.Second)
	if st["status"] != "succeeded" && sub(st, "providers", "builtin", "errors")["the notification expired before it could be sent"] != float64(1) {
		t.Fatalf("the short push: %v", st)
	}
	time.Sleep(1500 * time.Millisecond)

	ctx := context.Background()
	d, err := builtinclient.Dial(ctx, s.base, creds("off-1"))
	if err != nil {
		t.Fatal(err)
	}
	m := next(t, d, 10*time.Second)
	if m.PushID != keep || m.Data["alert"] != "keep" {
		t.Fatalf("on reconnect: got %+v, want the unexpired push %s", m, keep)
	}
	// Not acknowledged: it comes again on the next connection, and the
	// expired one still does not.
	d.Close()
	d, err = builtinclient.Events(ctx, s.base, creds("off-1"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	again := next(t, d, 10*time.Second)
	if again.ID != m.ID {
		t.Fatalf("unacknowledged message %s not sent again: got %+v", m.ID, again)
	}
	if err := d.Ack(ctx, again.ID); err != nil {
		t.Fatal(err)
	}
	fence := s.push(map[string]any{"where": only, "data": map[string]any{"alert": "fence"}})
	nothingBefore(t, d, fence)
}

// Devices must present the app id and an installation that exists, and
// the session of the installation's user when it has one.
func TestBuiltinRefusesStrangers(t *testing.T) {
	s := start(t, t.TempDir(), map[string]any{})
	user := s.must(http.StatusCreated, http.MethodPost, "/users", map[string]any{"username": "ann", "password": "pw-ann-123"}, false)
	other := s.must(http.StatusCreated, http.MethodPost, "/users", map[string]any{"username": "bob", "password": "pw-bob-123"}, false)
	s.install(map[string]any{"installationId": "owned", "deviceType": "ios",
		"user": map[string]any{"__type": "Pointer", "className": "_User", "objectId": user["objectId"]}})
	s.install(map[string]any{"installationId": "free", "deviceType": "android"})

	ctx := context.Background()
	for _, tc := range []struct {
		name string
		c    builtinclient.Credentials
		code int
	}{
		{"wrong app id", builtinclient.Credentials{ApplicationID: "nope", InstallationID: "free"}, 119},
		{"no installation id", builtinclient.Credentials{ApplicationID: appID}, 135},
		{"unknown installation", creds("never-saved"), 101},
		{"owned, no session", creds("owned"), 119},
		{"owned, another user's session", builtinclient.Credentials{ApplicationID: appID, InstallationID: "owned", SessionToken: other["sessionToken"].(string)}, 119},
		{"bad session", builtinclient.Credentials{ApplicationID: appID, InstallationID: "free", SessionToken: "r:nope"}, 209},
	} {
		for transport, connect := range map[string]func(context.Context, string, builtinclient.Credentials) (*builtinclient.Device, error){
			"websocket": builtinclient.Dial, "sse": builtinclient.Events} {
			d, err := connect(ctx, s.base, tc.c)
			var e *builtinclient.Error
			if !errors.As(err, &e) || e.Code != tc.code {
				if d != nil {
					d.Close()
				}
				t.Errorf("%s over %s: got %v, want code %d", tc.name, transport, err, tc.code)
			}
		}
	}
	d, err := builtinclient.Dial(ctx, s.base, builtinclient.Credentials{ApplicationID: appID, InstallationID: "owned", SessionToken: user["sessionToken"].(string)})
	if err != nil {
		t.Fatalf("the owner's session: %v", err)
	}
	d.Close()

	// A device cannot acknowledge (delete) another device's messages.
	s.push(map[string]any{"where": map[string]any{"installationId": "free"}, "data": map[string]any{"alert": "mine"}})
	victim, err := builtinclient.Dial(ctx, s.base, creds("free"))
	if err != nil {
		t.Fatal(err)
	}
	m := next(t, victim, 10*time.Second)
	victim.Close()
	s.install(map[string]any{"installationId": "thief", "deviceType": "android"})
	thief, err := builtinclient.Events(ctx, s.base, creds("thief"))
	if err != nil {
		t.Fatal(err)
	}
	defer thief.Close()
	if err := thief.Ack(ctx, m.ID); err != nil {
		t.Fatal(err)
	}
	victim, err = builtinclient.Dial(ctx, s.base, creds("free"))
	if err != nil {
		t.Fatal(err)
	}
	defer victim.Close()
	if again := next(t, victim, 10*time.Second); again.ID != m.ID {
		t.Fatalf("another device's ack deleted the message: got %+v", again)
	}
}
