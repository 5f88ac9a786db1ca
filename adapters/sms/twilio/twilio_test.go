package twilio_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
	"github.com/switchboardhq/switchboard/adapters/sms/twilio"
	"github.com/switchboardhq/switchboard/adapters/sms/twilio/twiliofake"
	"github.com/switchboardhq/switchboard/core"
)

func TestConformance(t *testing.T) {
	smstest.RunConformance(t, smstest.Harness{Provider: twilio.Name, Setup: func(t *testing.T) *smstest.Fixture {
		fake := twiliofake.New(t)
		without := func(key string) map[string]any {
			o := fake.Options()
			delete(o, key)
			return o
		}
		with := func(key string, v any) map[string]any {
			o := fake.Options()
			o[key] = v
			return o
		}
		return &smstest.Fixture{
			Options: fake.Options(),
			Sent:    fake.Sent,
			Remote:  fake,
			BadOptions: map[string]map[string]any{
				"no accountSid":              without("accountSid"),
				"no authToken":               without("authToken"),
				"no sender":                  without("from"),
				"both senders":               with("messagingServiceSid", fake.MessagingServiceSID()),
				"API key instead of account": with("accountSid", "SK0123"),
				"bad messagingServiceSid":    func() map[string]any { o := without("from"); o["messagingServiceSid"] = "PN1"; return o }(),
				"relative endpoint":          with("endpoint", "api.twilio.com"),
			},
			Secrets: []string{fake.AuthToken()},
		}
	}})
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
	for _, tc := range []struct {
		name  string
		edit  func(o map[string]any)
		msg   func(m *core.SMSMessage)
		cause string
	}{
		{"wrong auth token", func(o map[string]any) { o["authToken"] = "0000" }, nil, "error 20003"},
		{"other account", func(o map[string]any) { o["accountSid"] = "AC0000" }, nil, "error 20003"},
		{"sender not ours", func(o map[string]any) { o["from"] = "+15005550001" }, nil, "error 21606"},
		{"unknown messaging service", func(o map[string]any) { delete(o, "from"); o["messagingServiceSid"] = "MG0" }, nil, "check messagingServiceSid"},
		{"message without text", nil, func(m *core.SMSMessage) { m.Text = "" }, "no text"},
		{"wrong endpoint", func(o map[string]any) { o["endpoint"] = notFound.URL }, nil, "check endpoint"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := twiliofake.New(t)
			o := fake.Options()
			if tc.edit != nil {
				tc.edit(o)
			}
			msg := smstest.Message(smstest.Number(1))
			if tc.msg != nil {
				tc.msg(&msg)
			}
			err := send(t, o, msg)
			smstest.WantCode(t, err, core.CodeInternalServerError)
			if !strings.Contains(err.Error(), tc.cause) {
				t.Errorf("error %q does not say %q", err, tc.cause)
			}
			if strings.Contains(err.Error(), fake.AuthToken()) {
				t.Errorf("error %q repeats the auth token", err)
			}
			if n := fake.Requests(); n > 1 {
				t.Errorf("%d requests; a configuration error must not be retried", n)
			}
		})
	}
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
