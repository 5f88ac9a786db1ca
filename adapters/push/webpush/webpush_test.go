package webpush_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
	"github.com/switchboardhq/switchboard/adapters/push/webpush"
	"github.com/switchboardhq/switchboard/adapters/push/webpush/webpushfake"
	"github.com/switchboardhq/switchboard/core"
)

func device(sub string) core.PushDevice {
	return core.PushDevice{ID: core.NewObjectID(), DeviceType: "web", DeviceToken: sub}
}

func endpointOf(d core.PushDevice) string {
	var sub struct{ Endpoint string }
	_ = json.Unmarshal([]byte(d.DeviceToken), &sub)
	return sub.Endpoint
}

func setup(t *testing.T) *pushtest.Fixture {
	fake := webpushfake.New(t)
	o := fake.Options()
	otherPub, otherPriv := webpushfake.OtherKeys(t)
	return &pushtest.Fixture{
		Options:       o,
		Device:        func(i int) core.PushDevice { return device(fake.Subscription(i)) },
		UnknownDevice: func(i int) core.PushDevice { return device(fake.UnknownSubscription(i)) },
		MalformedDevice: func(i int) core.PushDevice {
			return device(`{"endpoint":"https://x/push","keys":{"p256dh":"AAAA","auth":"AAAA"}}`)
		},
		TokenOf:  endpointOf,
		Received: fake.Received,
		Remote:   fake,
		BadOptions: map[string]map[string]any{
			"no private key":       conformance.Without(o, "vapidPrivateKey"),
			"keys not a pair":      conformance.With(o, "vapidPublicKey", otherPub),
			"key not base64":       conformance.With(o, "vapidPrivateKey", "not a key!"),
			"subscriber not a URL": conformance.With(o, "subscriber", "ops@example.com"),
			"bad urgency":          conformance.With(o, "urgency", "urgent"),
			"missing CA file":      conformance.With(o, "caCertFile", "/nonexistent/ca.pem"),
		},
		WrongCredentials: conformance.With(conformance.With(o, "vapidPublicKey", otherPub), "vapidPrivateKey", otherPriv),
		Secrets:          []string{fake.VAPIDPrivateKey()},
	}
}

func TestConformance(t *testing.T) {
	pushtest.RunConformance(t, pushtest.Harness{Provider: webpush.Name, Setup: setup})
}

// Endpoints come from clients: without allowPrivateEndpoints a subscription
// pointing at a loopback or private address, or not over https, is an
// invalid token and is never called.
func TestRefusesPrivateEndpoints(t *testing.T) {
	fake := webpushfake.New(t)
	o := fake.Options()
	delete(o, "allowPrivateEndpoints")
	s := pushtest.Open(t, webpush.Name, o)
	sub := fake.Subscription(1)
	plain := strings.Replace(sub, "https://", "http://", 1)
	metadata := strings.Replace(sub, fake.Endpoint(1), "https://169.254.169.254/latest/meta-data", 1)
	results, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: pushtest.Notification(), Devices: []core.PushDevice{device(sub), device(plain), device(metadata)}})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range results {
		if r.Outcome != core.PushTokenInvalid {
			t.Errorf("device %d: %v (%v); want an invalid token", i, r.Outcome, r.Err)
		}
	}
	if n := fake.Requests(); n != 0 {
		t.Errorf("the fake on 127.0.0.1 got %d requests", n)
	}
}

// The payload is Parse's data shape, encrypted per subscription, with the
// badge resolved for the device.
func TestPayload(t *testing.T) {
	fake := webpushfake.New(t)
	s := pushtest.Open(t, webpush.Name, fake.Options())
	n := pushtest.Notification()
	n.Data.Badge = core.PushBadge{Set: true, Increment: true, Value: 1}
	n.Data.URI = "https://shop.example.com/orders/A-1001"
	d := device(fake.Subscription(1))
	d.Badge = 2
	if _, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: []core.PushDevice{d}}); err != nil {
		t.Fatal(err)
	}
	got := fake.Received()
	if len(got) != 1 || got[0].Badge != "3" || got[0].Title != "Orders" || got[0].Custom["uri"] != n.Data.URI {
		t.Errorf("received %+v", got)
	}
}

func TestTooLarge(t *testing.T) {
	fake := webpushfake.New(t)
	s := pushtest.Open(t, webpush.Name, fake.Options())
	n := pushtest.Notification()
	n.Data.Custom["blob"] = strings.Repeat("x", 4000)
	_, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: []core.PushDevice{device(fake.Subscription(1))}})
	conformance.WantCode(t, err, core.CodeInvalidValue)
}
