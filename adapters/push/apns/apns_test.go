package apns_test

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/push/apns"
	"github.com/switchboardhq/switchboard/adapters/push/apns/apnsfake"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
	"github.com/switchboardhq/switchboard/core"
)

func setup(t *testing.T) *pushtest.Fixture {
	fake := apnsfake.New(t)
	o := fake.Options()
	device := func(token string) core.PushDevice {
		return core.PushDevice{ID: core.NewObjectID(), DeviceType: "ios", DeviceToken: token}
	}
	return &pushtest.Fixture{
		Options:         o,
		Device:          func(i int) core.PushDevice { return device(fake.Token(i)) },
		UnknownDevice:   func(i int) core.PushDevice { return device(fake.UnknownToken(i)) },
		MalformedDevice: func(i int) core.PushDevice { return device("../../3/device/" + fake.Token(i)) },
		TokenOf:         func(d core.PushDevice) string { return d.DeviceToken },
		Received:        fake.Received,
		Remote:          fake,
		BadOptions: map[string]map[string]any{
			"no key":           conformance.Without(o, "key"),
			"not a p8 key":     conformance.With(o, "key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
			"no topic":         conformance.Without(o, "topic"),
			"short keyId":      conformance.With(o, "keyId", "KEY1"),
			"plain endpoint":   conformance.With(o, "endpoint", "http://api.push.apple.com"),
			"missing CA file":  conformance.With(o, "caCertFile", "/nonexistent/ca.pem"),
			"parallel too big": conformance.With(o, "parallel", 1000),
		},
		WrongCredentials: conformance.With(o, "key", apnsfake.OtherKey(t)),
		Secrets:          []string{fake.Key()},
	}
}

func TestConformance(t *testing.T) {
	pushtest.RunConformance(t, pushtest.Harness{Provider: apns.Name, Setup: setup})
}

func send(t *testing.T, o map[string]any, n *core.PushNotification, devs ...core.PushDevice) ([]core.PushResult, error) {
	t.Helper()
	return pushtest.Open(t, apns.Name, o).Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: devs})
}

func TestWrongTopic(t *testing.T) {
	fake := apnsfake.New(t)
	o := fake.Options()
	o["topic"] = "com.example.other"
	_, err := send(t, o, pushtest.Notification(), core.PushDevice{ID: "a", DeviceToken: fake.Token(1)})
	conformance.WantCode(t, err, core.CodePushMisconfigured)
}

// An increment is resolved against each device's stored badge, and a
// silent push goes as a background push.
func TestBadgeAndBackground(t *testing.T) {
	fake := apnsfake.New(t)
	n := pushtest.Notification()
	n.Data.Badge = core.PushBadge{Set: true, Increment: true, Value: 1}
	if _, err := send(t, fake.Options(), n, core.PushDevice{ID: "a", DeviceToken: fake.Token(1), Badge: 6}, core.PushDevice{ID: "b", DeviceToken: fake.Token(2)}); err != nil {
		t.Fatal(err)
	}
	badges := map[string]string{}
	for _, rc := range fake.Received() {
		badges[rc.Token] = rc.Badge
	}
	if badges[fake.Token(1)] != "7" || badges[fake.Token(2)] != "1" {
		t.Errorf("badges %v; want 7 and 1", badges)
	}
	silent := &core.PushNotification{ID: "s", Data: core.PushData{ContentAvailable: true, Custom: map[string]any{"sync": "inbox"}}}
	results, err := send(t, fake.Options(), silent, core.PushDevice{ID: "a", DeviceToken: fake.Token(3)})
	if err != nil || results[0].Outcome != core.PushDelivered {
		t.Fatalf("background push: %v %+v", err, results)
	}
}

func TestTooLarge(t *testing.T) {
	fake := apnsfake.New(t)
	n := pushtest.Notification()
	blob := make([]byte, 4100)
	for i := range blob {
		blob[i] = 'x'
	}
	n.Data.Custom["blob"] = string(blob)
	_, err := send(t, fake.Options(), n, core.PushDevice{ID: "a", DeviceToken: fake.Token(1)})
	conformance.WantCode(t, err, core.CodeInvalidValue)
	if fake.Requests() != 0 {
		t.Errorf("%d requests; an oversized payload is refused before sending", fake.Requests())
	}
}

func TestExpirationHeader(t *testing.T) {
	fake := apnsfake.New(t)
	n := pushtest.Notification()
	n.Expiration = time.Now().Add(2 * time.Hour)
	if _, err := send(t, fake.Options(), n, core.PushDevice{ID: "a", DeviceToken: fake.Token(1)}); err != nil {
		t.Fatal(err)
	}
	if ttl := fake.Received()[0].TTL; ttl < 7100 || ttl > 7200 {
		t.Errorf("TTL %d; want about 7200", ttl)
	}
}
