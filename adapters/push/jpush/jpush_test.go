package jpush_test

import (
	"context"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/push/jpush"
	"github.com/switchboardhq/switchboard/adapters/push/jpush/jpushfake"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
	"github.com/switchboardhq/switchboard/core"
)

func setup(t *testing.T) *pushtest.Fixture {
	fake := jpushfake.New(t)
	o := fake.Options()
	device := func(rid string, i int) core.PushDevice {
		return core.PushDevice{ID: core.NewObjectID(), DeviceType: "android", PushType: "jpush", RegistrationID: rid}
	}
	return &pushtest.Fixture{
		Options:         o,
		Device:          func(i int) core.PushDevice { return device(fake.RegistrationID(i), i) },
		UnknownDevice:   func(i int) core.PushDevice { return device(fake.UnknownRegistrationID(i), i) },
		MalformedDevice: func(i int) core.PushDevice { return device("../v3/push?x=1", i) },
		TokenOf:         func(d core.PushDevice) string { return d.RegistrationID },
		Received:        fake.Received,
		Remote:          fake,
		BadOptions: map[string]map[string]any{
			"no appKey":            conformance.Without(o, "appKey"),
			"no masterSecret":      conformance.Without(o, "masterSecret"),
			"endpoint with a path": conformance.With(o, "endpoint", fake.URL()+"/v3"),
			"relative endpoint":    conformance.With(o, "endpoint", "api.jpush.cn"),
			"unknown vendor":       conformance.With(o, "thirdPartyChannel", map[string]any{"nokia": map[string]any{}}),
			"bad distribution":     conformance.With(o, "thirdPartyChannel", map[string]any{"xiaomi": map[string]any{"distribution": "carrier"}}),
			"bad classification":   conformance.With(o, "classification", 2),
			"cidPool too large":    conformance.With(o, "cidPool", 5000),
		},
		WrongCredentials: conformance.With(o, "masterSecret", "0000"),
		Secrets:          []string{fake.MasterSecret()},
	}
}

func TestConformance(t *testing.T) {
	pushtest.RunConformance(t, pushtest.Harness{Provider: jpush.Name, Setup: setup})
}

func TestConformanceWithoutCID(t *testing.T) {
	pushtest.RunConformance(t, pushtest.Harness{Provider: jpush.Name, Setup: func(t *testing.T) *pushtest.Fixture {
		fx := setup(t)
		fx.Options = conformance.With(fx.Options, "useCid", false)
		fx.WrongCredentials = conformance.With(fx.WrongCredentials, "useCid", false)
		return fx
	}})
}

func open(t *testing.T, o map[string]any) core.PushSender {
	return pushtest.Open(t, jpush.Name, o)
}

// A retry of the same batch (same key) reuses its cid, so JPush answers
// with the first push's result and the devices get the notification once;
// another batch gets another cid.
func TestRetryIsIdempotent(t *testing.T) {
	fake := jpushfake.New(t)
	s := open(t, fake.Options())
	n := pushtest.Notification()
	dev := []core.PushDevice{{ID: "a", RegistrationID: fake.RegistrationID(1)}}
	for range 3 {
		if _, err := s.Send(context.Background(), core.PushBatch{Key: "k1", Notification: n, Devices: dev}); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(fake.Received()); got != 1 {
		t.Fatalf("three sends of one batch delivered %d notifications, want 1", got)
	}
	if _, err := s.Send(context.Background(), core.PushBatch{Key: "k2", Notification: n, Devices: dev}); err != nil {
		t.Fatal(err)
	}
	if got := len(fake.Received()); got != 2 {
		t.Fatalf("a new batch delivered %d notifications in all, want 2", got)
	}
}

func TestPayload(t *testing.T) {
	fake := jpushfake.New(t)
	o := fake.Options()
	o["thirdPartyChannel"] = map[string]any{"xiaomi": map[string]any{"distribution": "ospush", "channel_id": "123"}, "vivo": map[string]any{"classification": 1}}
	o["classification"] = 1
	s := open(t, o)
	n := pushtest.Notification()
	n.Data.Badge = core.PushBadge{Set: true, Increment: true, Value: 2}
	n.Data.URI = "app://orders/A-1001"
	if _, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: []core.PushDevice{{ID: "a", RegistrationID: fake.RegistrationID(1)}}}); err != nil {
		t.Fatal(err)
	}
	got := fake.Received()
	if len(got) != 1 || got[0].Badge != "+2" || got[0].Custom["uri"] != "app://orders/A-1001" || got[0].TTL != -1 {
		t.Errorf("received %+v; want badge +2, the uri among the extras and no TTL", got)
	}
}

// Data with no alert or title is a JPush message (透传), not a notification.
func TestSilentPushIsAMessage(t *testing.T) {
	fake := jpushfake.New(t)
	s := open(t, fake.Options())
	n := &core.PushNotification{ID: "p", Data: core.PushData{ContentAvailable: true, Custom: map[string]any{"sync": "inbox"}}}
	if _, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: []core.PushDevice{{ID: "a", RegistrationID: fake.RegistrationID(1)}}}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Received(); len(got) != 1 || got[0].Alert != "" || got[0].Custom["sync"] != "inbox" {
		t.Errorf("received %+v", got)
	}
}

func TestTooLarge(t *testing.T) {
	fake := jpushfake.New(t)
	s := open(t, fake.Options())
	n := pushtest.Notification()
	n.Data.Custom = map[string]any{"blob": strings.Repeat("x", 2500)}
	_, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: n, Devices: []core.PushDevice{{ID: "a", RegistrationID: fake.RegistrationID(1)}}})
	conformance.WantCode(t, err, core.CodeInvalidValue)
}

func TestAudience(t *testing.T) {
	fake := jpushfake.New(t)
	fake.Tag("beijing", fake.RegistrationID(1), fake.RegistrationID(2))
	fake.Tag("vip", fake.RegistrationID(2), fake.RegistrationID(3))
	fake.Alias("user42", fake.RegistrationID(3))
	s := open(t, fake.Options()).(core.PushAudienceSender)
	for _, tc := range []struct {
		aud  core.PushAudience
		want []string
	}{
		{core.PushAudience{Tags: []string{"beijing"}}, []string{fake.RegistrationID(1), fake.RegistrationID(2)}},
		{core.PushAudience{TagsAnd: []string{"beijing", "vip"}}, []string{fake.RegistrationID(2)}},
		{core.PushAudience{Aliases: []string{"user42"}}, []string{fake.RegistrationID(3)}},
	} {
		before := len(fake.Received())
		receipt, err := s.SendAudience(context.Background(), pushtest.Notification(), tc.aud)
		if err != nil || receipt.MessageID == "" {
			t.Fatalf("%+v: %v, %+v", tc.aud, err, receipt)
		}
		var got []string
		for _, r := range fake.Received()[before:] {
			got = append(got, r.Token)
		}
		if strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("%+v reached %v, want %v", tc.aud, got, tc.want)
		}
	}
	_, err := s.SendAudience(context.Background(), pushtest.Notification(), core.PushAudience{Tags: []string{"nobody"}})
	conformance.WantCode(t, err, core.CodeObjectNotFound)
	_, err = s.SendAudience(context.Background(), pushtest.Notification(), core.PushAudience{})
	conformance.WantCode(t, err, core.CodeInvalidValue)
}

// An endpoint that is not JPush (a web page, a proxy error) is reported as
// a configuration problem, not retried as an outage.
func TestWrongEndpoint(t *testing.T) {
	fake := jpushfake.New(t)
	o := fake.Options()
	o["useCid"] = false
	o["endpoint"] = fake.URL() + "/"
	s := open(t, o)
	if _, err := s.Send(context.Background(), core.PushBatch{Key: "k", Notification: pushtest.Notification(), Devices: []core.PushDevice{{ID: "a", RegistrationID: fake.RegistrationID(1)}}}); err != nil {
		t.Fatalf("a trailing slash on the endpoint: %v", err)
	}
}
