package push

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/push/builtin/builtinclient"
)

// POST /push refuses what it cannot send with Parse's codes, and never
// stores a push it refused.
func TestPushRequestErrors(t *testing.T) {
	s := start(t, t.TempDir(), map[string]any{}, "SWITCHBOARD_READ_ONLY_MASTER_KEY=ro-key")
	data := map[string]any{"alert": "x"}
	big := strings.Repeat("x", 5000)
	for _, tc := range []struct {
		name    string
		body    map[string]any
		headers map[string]string
		master  bool
		code    int
		want    string
	}{
		{"no audience", map[string]any{"data": data}, nil, true, 115, `requires either "channels" or a "where"`},
		{"both audiences", map[string]any{"where": map[string]any{}, "channels": []any{"a"}, "data": data}, nil, true, 115, "can not be set at the same time"},
		{"channels not a list", map[string]any{"channels": "a", "data": data}, nil, true, 115, "channels must be"},
		{"no data", map[string]any{"where": map[string]any{}}, nil, true, 115, "needs data"},
		{"empty data", map[string]any{"where": map[string]any{}, "data": map[string]any{}}, nil, true, 162, "empty"},
		{"data too large", map[string]any{"where": map[string]any{}, "data": map[string]any{"alert": big}}, nil, true, 162, "4096"},
		{"bad badge", map[string]any{"where": map[string]any{}, "data": map[string]any{"badge": "lots"}}, nil, true, 162, "badge"},
		{"bad push_time", map[string]any{"where": map[string]any{}, "data": data, "push_time": "tomorrow"}, nil, true, 115, "push_time"},
		{"push_time too far", map[string]any{"where": map[string]any{}, "data": data, "push_time": "2099-01-01T00:00:00Z"}, nil, true, 115, "more than a year"},
		{"both expirations", map[string]any{"where": map[string]any{}, "data": data, "expiration_time": "2099-01-01T00:00:00Z", "expiration_interval": 60}, nil, true, 115, "cannot be set"},
		{"expired before it starts", map[string]any{"where": map[string]any{}, "data": data, "expiration_time": "2001-01-01T00:00:00Z"}, nil, true, 115, "after the push time"},
		{"negative interval", map[string]any{"where": map[string]any{}, "data": data, "expiration_interval": -5}, nil, true, 115, "greater than 0"},
		{"unknown key", map[string]any{"where": map[string]any{}, "data": data, "pushTime": "x"}, nil, true, 115, `unknown key "pushTime"`},
		{"bad where", map[string]any{"where": map[string]any{"badge": map[string]any{"$bogus": 1}}, "data": data}, nil, true, 102, ""},
		{"where on an internal field", map[string]any{"where": map[string]any{"_leaseOwner": "x"}, "data": data}, nil, true, 105, ""},
		{"no master key", map[string]any{"where": map[string]any{}, "data": data}, nil, false, 119, "master key"},
		{"read-only master key", map[string]any{"where": map[string]any{}, "data": data}, map[string]string{"X-Parse-Master-Key": "ro-key"}, false, 119, "read-only"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out, hdr := s.call(http.MethodPost, "/push", tc.body, tc.master, tc.headers)
			code, _ := out["code"].(float64)
			msg, _ := out["error"].(string)
			if status != http.StatusBadRequest || int(code) != tc.code || !strings.Contains(msg, tc.want) {
				t.Fatalf("got %d %v, want code %d with %q", status, out, tc.code, tc.want)
			}
			if hdr.Get("X-Parse-Push-Status-Id") != "" {
				t.Fatal("a refused push has a status id")
			}
		})
	}
	if rows := s.query("_PushStatus", map[string]any{}); len(rows) != 0 {
		t.Fatalf("refused pushes were stored: %v", rows)
	}
	// _PushStatus is the master key's, as on Parse Server.
	if status, out, _ := s.call(http.MethodGet, "/classes/_PushStatus", nil, false, nil); status != http.StatusBadRequest || out["code"] != float64(119) {
		t.Fatalf("a client read _PushStatus: %d %v", status, out)
	}
}

// A scheduled push waits for its time, and can be cancelled before it:
// then it is never sent.
func TestScheduledPushAndCancel(t *testing.T) {
	s := start(t, t.TempDir(), map[string]any{})
	s.install(map[string]any{"installationId": "sched", "deviceType": "android"})
	ctx := context.Background()
	d, err := builtinclient.Dial(ctx, s.base, creds("sched"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	only := map[string]any{"installationId": "sched"}

	at := time.Now().Add(2 * time.Second).UTC()
	sent := s.push(map[string]any{"where": only, "push_time": at.Format(time.RFC3339Nano), "data": map[string]any{"alert": "on time"}})
	cancelled := s.push(map[string]any{"where": only, "push_time": at.Add(time.Second).Format(time.RFC3339Nano), "data": map[string]any{"alert": "never"}})
	if st := s.status(sent); st["status"] != "scheduled" || st["pushTime"] != at.Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z") {
		t.Fatalf("a push for later: %v", st)
	}
	s.must(http.StatusOK, http.MethodPost, "/push/"+cancelled+"/cancel", nil, true)
	if st := s.status(cancelled); st["status"] != "cancelled" {
		t.Fatalf("after cancel: %v", st)
	}
	m := next(t, d, 30*time.Second)
	if m.PushID != sent {
		t.Fatalf("got %+v, want the scheduled push %s", m, sent)
	}
	if time.Now().Before(at) {
		t.Fatalf("the push came before its time (%s)", at)
	}
	_ = d.Ack(ctx, m.ID)
	if st := s.waitStatus(sent, 30*time.Second); st["status"] != "succeeded" || num(st, "numSent") != 1 {
		t.Fatalf("status %v", st)
	}
	time.Sleep(1500 * time.Millisecond) // past the cancelled push's time
	fence := s.push(map[string]any{"where": only, "data": map[string]any{"alert": "fence"}})
	nothingBefore(t, d, fence)
	if st := s.status(cancelled); st["status"] != "cancelled" || num(st, "numSent") != 0 {
		t.Fatalf("the cancelled push: %v", st)
	}
	// A finished push cannot be cancelled; an unknown one is 101.
	if status, out, _ := s.call(http.MethodPost, "/push/"+sent+"/cancel", nil, true, nil); status != http.StatusBadRequest || out["code"] != float64(115) {
		t.Fatalf("cancelling a finished push: %d %v", status, out)
	}
	if status, out, _ := s.call(http.MethodPost, "/push/NoSuchPush/cancel", nil, true, nil); status != http.StatusNotFound || out["code"] != float64(101) {
		t.Fatalf("cancelling an unknown push: %d %v", status, out)
	}
	if status, out, _ := s.call(http.MethodPost, "/push/"+sent+"/cancel", nil, false, nil); out["code"] != float64(119) {
		t.Fatalf("a client cancelled: %d %v", status, out)
	}
}

// A push_time without a zone is each device's local time: a device whose
// zone reached it gets the push at once, one without a zone at that time in
// UTC, one whose zone is hours behind not yet.
func TestLocalTimePush(t *testing.T) {
	s := start(t, t.TempDir(), map[string]any{})
	s.install(map[string]any{"installationId": "tokyo", "deviceType": "android", "timeZone": "Asia/Tokyo"})
	s.install(map[string]any{"installationId": "nozone", "deviceType": "android"})
	s.install(map[string]any{"installationId": "bogus", "deviceType": "android", "timeZone": "Not/AZone"})
	s.install(map[string]any{"installationId": "newyork", "deviceType": "android", "timeZone": "America/New_York"})
	ctx := context.Background()
	conns := map[string]*builtinclient.Device{}
	for _, id := range []string{"tokyo", "nozone", "bogus", "newyork"} {
		d, err := builtinclient.Dial(ctx, s.base, creds(id))
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		conns[id] = d
	}
	// Two seconds from now on a UTC wall clock: in Tokyo that moment
	// passed nine hours ago, in New York it comes in five hours.
	local := time.Now().UTC().Add(2 * time.Second).Format("2006-01-02T15:04:05")
	id := s.push(map[string]any{"where": map[string]any{}, "push_time": local, "expiration_interval": 86400, "data": map[string]any{"alert": "local"}})
	st := s.status(id)
	if st["pushTime"] != local+".000" {
		t.Fatalf("pushTime %v, want the local time %s without a zone", st["pushTime"], local)
	}
	m := next(t, conns["tokyo"], 30*time.Second)
	if m.PushID != id {
		t.Fatalf("tokyo got %+v", m)
	}
	for _, name := range []string{"nozone", "bogus"} {
		m := next(t, conns[name], 30*time.Second)
		if m.PushID != id {
			t.Fatalf("%s got %+v", name, m)
		}
	}
	poll(t, 30*time.Second, "the UTC wave to be counted", func() bool {
		st = s.status(id)
		return num(st, "numSent") == 3
	})
	if st["status"] != "running" {
		t.Fatalf("with New York still to come the push is %v", st["status"])
	}
	fence := s.push(map[string]any{"where": map[string]any{"installationId": "newyork"}, "data": map[string]any{"alert": "fence"}})
	nothingBefore(t, conns["newyork"], fence)
	s.must(http.StatusOK, http.MethodPost, "/push/"+id+"/cancel", nil, true)
	if st := s.status(id); st["status"] != "cancelled" || num(st, "numSent") != 3 {
		t.Fatalf("cancelled between waves: %v", st)
	}
}

// Without a job queue, pushes still go out: immediate ones at once, and
// scheduled ones at their time (the storing node's timer; any node's sweep
// would find them due too).
func TestPushWithoutJobQueue(t *testing.T) {
	s := start(t, t.TempDir(), map[string]any{}, "SWITCHBOARD_JOBS__PROVIDER=none", "SWITCHBOARD_PUSH__RESUME_AFTER=3s")
	s.install(map[string]any{"installationId": "nojobs", "deviceType": "android"})
	d, err := builtinclient.Dial(context.Background(), s.base, creds("nojobs"))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	only := map[string]any{"installationId": "nojobs"}
	now := s.push(map[string]any{"where": only, "data": map[string]any{"alert": "now"}})
	if m := next(t, d, 10*time.Second); m.PushID != now {
		t.Fatalf("got %+v", m)
	}
	at := time.Now().Add(time.Second)
	later := s.push(map[string]any{"where": only, "push_time": at.UTC().Format(time.RFC3339Nano), "data": map[string]any{"alert": "later"}})
	if m := next(t, d, 30*time.Second); m.PushID != later || time.Now().Before(at) {
		t.Fatalf("got %+v at %s, want the push scheduled for %s", m, time.Now(), at)
	}
}
