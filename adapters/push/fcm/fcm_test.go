package fcm_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/push/fcm"
	"github.com/switchboardhq/switchboard/adapters/push/fcm/fcmfake"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
	"github.com/switchboardhq/switchboard/core"
)

func setup(t *testing.T) *pushtest.Fixture {
	fake := fcmfake.New(t)
	o := fake.Options()
	device := func(token string) core.PushDevice {
		return core.PushDevice{ID: core.NewObjectID(), DeviceType: "android", PushType: "fcm", DeviceToken: token}
	}
	return &pushtest.Fixture{
		Options:         o,
		Device:          func(i int) core.PushDevice { return device(fake.Token(i)) },
		UnknownDevice:   func(i int) core.PushDevice { return device(fake.UnknownToken(i)) },
		MalformedDevice: func(i int) core.PushDevice { return device("not a token/..") },
		TokenOf:         func(d core.PushDevice) string { return d.DeviceToken },
		Received:        fake.Received,
		Remote:          fake,
		BadOptions: map[string]map[string]any{
			"no credentials":                   conformance.Without(o, "unauthenticated"),
			"unauthenticated without endpoint": conformance.Without(o, "endpoint"),
			"not a service account":            conformance.With(conformance.Without(o, "unauthenticated"), "credentialsJSON", `{"type":"authorized_user"}`),
			"relative endpoint":                conformance.With(o, "endpoint", "fcm.googleapis.com/v1"),
			"missing key file":                 conformance.With(conformance.Without(o, "unauthenticated"), "credentialsFile", "/nonexistent/key.json"),
		},
		WrongCredentials: conformance.With(o, "projectId", "someone-else"),
	}
}

func TestConformance(t *testing.T) {
	pushtest.RunConformance(t, pushtest.Harness{Provider: fcm.Name, Setup: setup})
}

// Each platform gets its own block: badge and expiration for iOS, the TTL
// header for the web, ttl for Android.
func TestPlatforms(t *testing.T) {
	fake := fcmfake.New(t)
	s := pushtest.Open(t, fcm.Name, fake.Options())
	n := pushtest.Notification()
	n.Expiration = time.Now().Add(10 * time.Minute)
	n.Data.Badge = core.PushBadge{Set: true, Increment: true, Value: 1}
	devs := []core.PushDevice{
		{ID: "a", DeviceType: "ios", DeviceToken: fake.Token(1), Badge: 4},
		{ID: "b", DeviceType: "web", DeviceToken: fake.Token(2)},
		{ID: "c", DeviceType: "android", DeviceToken: fake.Token(3)},
	}
	results, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: devs})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Outcome != core.PushDelivered {
			t.Fatalf("device %d: %v %v", i, r.Outcome, r.Err)
		}
	}
	for _, rc := range fake.Received() {
		if rc.TTL < 590 || rc.TTL > 600 {
			t.Errorf("%s: TTL %d, want about 600", rc.Token, rc.TTL)
		}
		if rc.Token == fake.Token(1) && rc.Badge != "5" {
			t.Errorf("iOS badge %q; want the stored 4 incremented to 5", rc.Badge)
		}
	}
}

// Custom values that are not strings travel as JSON, as FCM data must be
// strings.
func TestDataValuesAreStrings(t *testing.T) {
	fake := fcmfake.New(t)
	s := pushtest.Open(t, fcm.Name, fake.Options())
	n := pushtest.Notification()
	n.Data.Custom["count"] = float64(3)
	n.Data.Custom["tags"] = []any{"a", "b"}
	if _, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: []core.PushDevice{{ID: "a", DeviceToken: fake.Token(1)}}}); err != nil {
		t.Fatal(err)
	}
	got := fake.Received()[0].Custom
	if got["count"] != "3" || got["tags"] != `["a","b"]` {
		t.Errorf("data %v", got)
	}
}

// A data key FCM reserves makes every message invalid: the batch fails
// with CodeInvalidValue, so the push stops using FCM instead of failing
// device by device.
func TestReservedDataKey(t *testing.T) {
	fake := fcmfake.New(t)
	s := pushtest.Open(t, fcm.Name, fake.Options())
	n := pushtest.Notification()
	n.Data.Custom["google.sent_time"] = "x"
	_, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: []core.PushDevice{{ID: "a", DeviceToken: fake.Token(1)}, {ID: "b", DeviceToken: fake.Token(2)}}})
	conformance.WantCode(t, err, core.CodeInvalidValue)
}
