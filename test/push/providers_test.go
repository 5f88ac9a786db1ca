package push

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/push/apns/apnsfake"
	"github.com/switchboardhq/switchboard/adapters/push/builtin/builtinclient"
	"github.com/switchboardhq/switchboard/adapters/push/fcm/fcmfake"
	"github.com/switchboardhq/switchboard/adapters/push/jpush/jpushfake"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
	"github.com/switchboardhq/switchboard/adapters/push/webpush/webpushfake"
)

// fleet is a server with every provider, each pointed at its fake, and
// routes that send each kind of device to one of them.
type fleet struct {
	*server
	jpush   *jpushfake.Server
	fcm     *fcmfake.Server
	apns    *apnsfake.Server
	webpush *webpushfake.Server
}

func startFleet(t *testing.T, tweak func(push map[string]any)) *fleet {
	f := &fleet{jpush: jpushfake.New(t), fcm: fcmfake.New(t), apns: apnsfake.New(t), webpush: webpushfake.New(t)}
	push := map[string]any{
		"routes": []any{
			map[string]any{"pushType": "jpush", "provider": "jpush"},
			map[string]any{"deviceType": "ios", "provider": "apns"},
			map[string]any{"deviceType": "web", "provider": "webpush"},
			map[string]any{"deviceType": "android", "provider": "fcm"},
			map[string]any{"provider": "builtin"},
		},
		"jpush": f.jpush.Options(), "fcm": f.fcm.Options(), "apns": f.apns.Options(), "webpush": f.webpush.Options(),
		"builtin": map[string]any{},
	}
	if tweak != nil {
		tweak(push)
	}
	f.server = start(t, t.TempDir(), map[string]any{"push": push})
	return f
}

// tokens returns, sorted, the tokens a fake received for the push whose
// alert is alert.
func tokens(r interface{ Received() []pushtest.Received }, alert string) []string {
	var out []string
	for _, x := range r.Received() {
		if x.Alert == alert {
			out = append(out, x.Token)
		}
	}
	sort.Strings(out)
	return out
}

func sorted(s ...string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

// Tag, channel and where audiences reach exactly the matching devices,
// each through the provider its route names, and _PushStatus counts them
// per type and per provider.
func TestAudiences(t *testing.T) {
	f := startFleet(t, nil)
	j, fc, ap, wp := f.jpush, f.fcm, f.apns, f.webpush
	f.installMany([]map[string]any{
		{"installationId": "j0", "deviceType": "android", "pushType": "jpush", "registrationId": j.RegistrationID(0), "tags": []any{"vip", "beijing"}, "channels": []any{"news"}},
		{"installationId": "j1", "deviceType": "android", "pushType": "jpush", "registrationId": j.RegistrationID(1), "tags": []any{"beijing"}, "alias": "u1"},
		{"installationId": "j2", "deviceType": "ios", "pushType": "jpush", "registrationId": j.RegistrationID(2), "tags": []any{"vip"}},
		{"installationId": "f0", "deviceType": "android", "deviceToken": fc.Token(0), "channels": []any{"news", "sport"}, "appVersion": "2.1"},
		{"installationId": "f1", "deviceType": "android", "deviceToken": fc.Token(1), "tags": []any{"vip"}, "appVersion": "1.9"},
		{"installationId": "a0", "deviceType": "ios", "deviceToken": ap.Token(0), "channels": []any{"news"}, "appVersion": "2.0"},
		{"installationId": "a1", "deviceType": "ios", "deviceToken": ap.Token(1), "appVersion": "3.0"},
		{"installationId": "w0", "deviceType": "web", "deviceToken": wp.Subscription(0), "channels": []any{"news"}},
		{"installationId": "b0", "deviceType": "embedded", "channels": []any{"news"}},
	})
	ctx := context.Background()
	b0, err := builtinclient.Dial(ctx, f.base, creds("b0"))
	if err != nil {
		t.Fatal(err)
	}
	defer b0.Close()

	for _, tc := range []struct {
		name     string
		audience map[string]any
		jpush    []string
		fcm      []string
		apns     []string
		webpush  []string
		builtin  bool
		perType  map[string]int
	}{
		{
			name:     "channel",
			audience: map[string]any{"channels": []any{"news"}},
			jpush:    []string{j.RegistrationID(0)}, fcm: []string{fc.Token(0)}, apns: []string{ap.Token(0)},
			webpush: []string{wp.Endpoint(0)}, builtin: true,
			perType: map[string]int{"android": 2, "ios": 1, "web": 1, "embedded": 1},
		},
		{
			name:     "tag",
			audience: map[string]any{"where": map[string]any{"tags": "vip"}},
			jpush:    []string{j.RegistrationID(0), j.RegistrationID(2)}, fcm: []string{fc.Token(1)},
			perType: map[string]int{"android": 2, "ios": 1},
		},
		{
			name:     "tags and alias",
			audience: map[string]any{"where": map[string]any{"$or": []any{map[string]any{"tags": map[string]any{"$all": []any{"vip", "beijing"}}}, map[string]any{"alias": "u1"}}}},
			jpush:    []string{j.RegistrationID(0), j.RegistrationID(1)},
			perType:  map[string]int{"android": 2},
		},
		{
			name:     "where",
			audience: map[string]any{"where": map[string]any{"deviceType": map[string]any{"$in": []any{"ios", "android"}}, "appVersion": map[string]any{"$gte": "2.0"}}},
			fcm:      []string{fc.Token(0)}, apns: []string{ap.Token(0), ap.Token(1)},
			perType: map[string]int{"android": 1, "ios": 2},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alert := "to " + tc.name
			body := map[string]any{"data": map[string]any{"alert": alert, "title": "T"}}
			for k, v := range tc.audience {
				body[k] = v
			}
			id := f.push(body)
			st := f.waitStatus(id, 60*time.Second)
			want := len(tc.jpush) + len(tc.fcm) + len(tc.apns) + len(tc.webpush)
			if tc.builtin {
				want++
			}
			if st["status"] != "succeeded" || num(st, "numSent") != want || num(st, "numFailed") != 0 || num(st, "count") != want {
				t.Fatalf("status %v, want %d sent", st, want)
			}
			for typ, n := range tc.perType {
				if got := sub(st, "sentPerType")[typ]; got != float64(n) {
					t.Errorf("sentPerType[%s] = %v, want %d (%v)", typ, got, n, st["sentPerType"])
				}
			}
			for name, c := range map[string]struct {
				got, want []string
			}{
				"jpush": {tokens(j, alert), sorted(tc.jpush...)}, "fcm": {tokens(fc, alert), sorted(tc.fcm...)},
				"apns": {tokens(ap, alert), sorted(tc.apns...)}, "webpush": {tokens(wp, alert), sorted(tc.webpush...)},
			} {
				if !slices.Equal(c.got, c.want) {
					t.Errorf("%s received %v, want %v", name, c.got, c.want)
				}
				if n := len(c.want); n > 0 && sub(st, "providers", name)["sent"] != float64(n) {
					t.Errorf("providers.%s = %v, want %d sent", name, sub(st, "providers", name), n)
				}
			}
			if tc.builtin {
				m := next(t, b0, 10*time.Second)
				if m.PushID != id || m.Data["alert"] != alert {
					t.Errorf("the built-in device got %+v", m)
				}
				_ = b0.Ack(ctx, m.ID)
			}
		})
	}
}

// A token a provider reports unknown marks its installation inactive: the
// push counts it as an invalid token, later pushes skip it, and a new
// token saved by the device makes it reachable again.
func TestInvalidTokensAreCleanedUp(t *testing.T) {
	f := startFleet(t, nil)
	j, fc, ap, wp := f.jpush, f.fcm, f.apns, f.webpush
	devices := []map[string]any{
		{"installationId": "j-ok", "deviceType": "android", "pushType": "jpush", "registrationId": j.RegistrationID(0)},
		{"installationId": "j-bad", "deviceType": "android", "pushType": "jpush", "registrationId": j.UnknownRegistrationID(1)},
		{"installationId": "f-ok", "deviceType": "android", "deviceToken": fc.Token(0)},
		{"installationId": "f-bad", "deviceType": "android", "deviceToken": fc.UnknownToken(1)},
		{"installationId": "a-ok", "deviceType": "ios", "deviceToken": ap.Token(0)},
		{"installationId": "a-bad", "deviceType": "ios", "deviceToken": ap.UnknownToken(1)},
		{"installationId": "w-ok", "deviceType": "web", "deviceToken": wp.Subscription(0)},
		{"installationId": "w-bad", "deviceType": "web", "deviceToken": wp.UnknownSubscription(1)},
	}
	f.installMany(devices)
	id := f.push(map[string]any{"where": map[string]any{}, "data": map[string]any{"alert": "first"}})
	st := f.waitStatus(id, 60*time.Second)
	if num(st, "numSent") != 4 || num(st, "numFailed") != 4 {
		t.Fatalf("status %v", st)
	}
	for _, p := range []string{"jpush", "fcm", "apns", "webpush"} {
		if got := sub(st, "providers", p); got["invalidTokens"] != float64(1) || got["sent"] != float64(1) {
			t.Errorf("providers.%s = %v, want 1 sent and 1 invalid token", p, got)
		}
	}
	inactive := f.query("_Installation", map[string]any{"active": false})
	var names []string
	for _, o := range inactive {
		names = append(names, o["installationId"].(string))
	}
	if want := []string{"a-bad", "f-bad", "j-bad", "w-bad"}; !slices.Equal(sorted(names...), want) {
		t.Fatalf("inactive installations %v, want %v", names, want)
	}

	// The next push skips them: nothing is sent to a known-bad token.
	id = f.push(map[string]any{"where": map[string]any{}, "data": map[string]any{"alert": "second"}})
	st = f.waitStatus(id, 60*time.Second)
	if num(st, "numSent") != 4 || num(st, "numFailed") != 0 || num(st, "count") != 4 {
		t.Fatalf("the second push: %v", st)
	}
	if got := tokens(j, "second"); !slices.Equal(got, []string{j.RegistrationID(0)}) {
		t.Errorf("jpush got %v", got)
	}

	// A new token reactivates the installation.
	bad := f.query("_Installation", map[string]any{"installationId": "f-bad"})[0]
	status, out, _ := f.call(http.MethodPut, "/installations/"+bad["objectId"].(string), map[string]any{"deviceToken": fc.Token(7)}, false,
		map[string]string{"X-Parse-Installation-Id": "f-bad"})
	if status != http.StatusOK {
		t.Fatalf("new token: %d %v", status, out)
	}
	id = f.push(map[string]any{"where": map[string]any{"installationId": "f-bad"}, "data": map[string]any{"alert": "third"}})
	if st := f.waitStatus(id, 60*time.Second); num(st, "numSent") != 1 {
		t.Fatalf("after a new token: %v", st)
	}
	if got := tokens(fc, "third"); !slices.Equal(got, []string{fc.Token(7)}) {
		t.Errorf("fcm got %v", got)
	}
}

// A provider outage (connections dropped, then 500s) followed by recovery
// ends with every device delivered once and the counts right; a provider
// that refuses its credentials fails its devices with the reason, while
// the other providers' devices are sent.
func TestOutageThenRecovery(t *testing.T) {
	f := startFleet(t, func(push map[string]any) {
		opts := push["apns"].(map[string]any)
		opts["key"] = apnsfake.OtherKey(t) // not the key the fake trusts
	})
	const n = 2500 // three JPush batches
	var list []map[string]any
	for i := range n {
		list = append(list, map[string]any{"installationId": fmt.Sprintf("j%05d", i), "deviceType": "android", "pushType": "jpush", "registrationId": f.jpush.RegistrationID(i)})
	}
	list = append(list,
		map[string]any{"installationId": "ios-1", "deviceType": "ios", "deviceToken": f.apns.Token(1)},
		map[string]any{"installationId": "ios-2", "deviceType": "ios", "deviceToken": f.apns.Token(2)},
		map[string]any{"installationId": "fcm-1", "deviceType": "android", "deviceToken": f.fcm.Token(1)})
	f.installMany(list)

	f.jpush.Fail(pushtest.Down, 2)
	f.fcm.Fail(pushtest.Failing, 2)
	id := f.push(map[string]any{"where": map[string]any{}, "data": map[string]any{"alert": "outage"}})
	st := f.waitStatus(id, 120*time.Second)
	if st["status"] != "succeeded" || num(st, "numSent") != n+1 || num(st, "numFailed") != 2 {
		t.Fatalf("status %v", st)
	}
	if got := sub(st, "providers", "jpush"); got["sent"] != float64(n) || got["failed"] != float64(0) {
		t.Errorf("jpush: %v", got)
	}
	if got := sub(st, "providers", "fcm"); got["sent"] != float64(1) {
		t.Errorf("fcm: %v", got)
	}
	apns := sub(st, "providers", "apns")
	if apns["failed"] != float64(2) || len(sub(apns, "errors")) != 1 {
		t.Errorf("apns: %v", apns)
	}
	for reason := range sub(apns, "errors") {
		if !contains(reason, "misconfigured") {
			t.Errorf("apns error %q does not say it is misconfigured", reason)
		}
	}
	if sub(st, "failedPerType")["ios"] != float64(2) || sub(st, "errorMessage")["message"] == nil {
		t.Errorf("failures: %v / %v", st["failedPerType"], st["errorMessage"])
	}
	// Each JPush device once, despite the retries.
	got := tokens(f.jpush, "outage")
	if len(got) != n || len(slices.Compact(got)) != n {
		t.Fatalf("jpush received %d notifications for %d distinct devices, want %d once each", len(got), len(slices.Compact(slices.Clone(got))), n)
	}
	if f.jpush.Requests() < 5 {
		t.Errorf("jpush saw %d requests: the dropped ones were not retried", f.jpush.Requests())
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
