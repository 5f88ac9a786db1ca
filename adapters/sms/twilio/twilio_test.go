package twilio_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/adapters/sms/twilio"
	"github.com/switchboardhq/switchboard/adapters/sms/twilio/twiliofake"
	"github.com/switchboardhq/switchboard/core"
)

var harness = smstest.Harness{Provider: twilio.Name, Setup: setup}

func TestConformance(t *testing.T) { smstest.RunConformance(t, harness) }

func setup(t *testing.T) *smstest.Fixture {
	fake := twiliofake.New(t)
	o := fake.Options()
	viaService := conformance.With(conformance.Without(o, "from"), "messagingServiceSid", fake.MessagingServiceSID())
	return &smstest.Fixture{
		Options: o,
		Sent:    fake.Sent,
		Remote:  fake,
		BadOptions: map[string]map[string]any{
			"no accountSid":              conformance.Without(o, "accountSid"),
			"no authToken":               conformance.Without(o, "authToken"),
			"no sender":                  conformance.Without(o, "from"),
			"both senders":               conformance.With(o, "messagingServiceSid", fake.MessagingServiceSID()),
			"API key instead of account": conformance.With(o, "accountSid", "SK0123"),
			"bad messagingServiceSid":    conformance.With(viaService, "messagingServiceSid", "PN1"),
			"relative endpoint":          conformance.With(o, "endpoint", "api.twilio.com"),
			"endpoint with a path":       conformance.With(o, "endpoint", fake.URL()+"/2010-04-01"),
		},
		Secrets: []string{fake.AuthToken()},
	}
}

func send(t *testing.T, options map[string]any, msg core.SMSMessage) error {
	t.Helper()
	return smstest.Open(t, twilio.Name, options).Send(context.Background(), msg)
}

func TestMessagingService(t *testing.T) {
	fake := twiliofake.New(t)
	o := fake.Options()
	delete(o, "from")
	o["messagingServiceSid"] = fake.MessagingServiceSID()
	if err := send(t, o, smstest.Message(smstest.Number(3))); err != nil {
		t.Fatal(err)
	}
	if sent := fake.Sent(); len(sent) != 1 || sent[0].Content != smstest.Message("").Text {
		t.Fatalf("sent %+v", sent)
	}
}

func TestMisconfigured(t *testing.T) {
	notFound := httptest.NewServer(http.NotFoundHandler())
	defer notFound.Close()
	smstest.RunMisconfigured(t, harness, []smstest.Mistake{
		{Name: "wrong auth token", Edit: func(o map[string]any) { o["authToken"] = "0000" }, Cause: "error 20003"},
		{Name: "other account", Edit: func(o map[string]any) { o["accountSid"] = "AC0000" }, Cause: "error 20003"},
		{Name: "sender not ours", Edit: func(o map[string]any) { o["from"] = "+15005550001" }, Cause: "error 21606"},
		{Name: "unknown messaging service", Edit: func(o map[string]any) { delete(o, "from"); o["messagingServiceSid"] = "MG0" }, Cause: "check messagingServiceSid"},
		{Name: "message without text", Message: func(m *core.SMSMessage) { m.Text = "" }, Cause: "no text"},
		{Name: "wrong endpoint", Edit: func(o map[string]any) { o["endpoint"] = notFound.URL }, Cause: "check endpoint"},
	})
}

func TestLongBodyRejected(t *testing.T) {
	fake := twiliofake.New(t)
	msg := smstest.Message(smstest.Number(1))
	msg.Text = strings.Repeat("x", 1601)
	smstest.WantCode(t, send(t, fake.Options(), msg), core.CodeInvalidValue)
}

// A 429 with Retry-After waits that long before the next try; the wait is
// capped, so a huge value cannot hold a login request for long.
func TestRetryAfter(t *testing.T) {
	for _, tc := range []struct {
		header   string
		min, max time.Duration
	}{
		{"1", time.Second, 3 * time.Second},
		{"3600", 4 * time.Second, 6 * time.Second},
	} {
		t.Run(tc.header, func(t *testing.T) {
			t.Parallel()
			fake := twiliofake.New(t)
			fake.RetryAfter(tc.header)
			fake.Fail(smstest.Throttled, 1)
			start := time.Now()
			if err := send(t, fake.Options(), smstest.Message(smstest.Number(1))); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < tc.min || d > tc.max {
				t.Errorf("took %v with Retry-After %s; want %v to %v", d, tc.header, tc.min, tc.max)
			}
		})
	}
}
