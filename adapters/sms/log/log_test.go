package log_test

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	smslog "github.com/switchboardhq/switchboard/adapters/sms/log"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
)

func TestConformance(t *testing.T) {
	// One capture for the whole suite, emptied by each Setup: the suite
	// runs the subtests that observe deliveries one after another (the
	// parallel ones need a remote side and skip).
	c := conformance.CaptureLog(t)
	smstest.RunConformance(t, smstest.Harness{Provider: smslog.Name, Setup: func(t *testing.T) *smstest.Fixture {
		c.Reset()
		return &smstest.Fixture{
			Sent: func() []smstest.Sent {
				var out []smstest.Sent
				for _, r := range c.Records() {
					out = append(out, smstest.Sent{To: r.Attrs["to"], Content: r.Attrs["text"]})
				}
				return out
			},
			BadOptions: map[string]map[string]any{"any option": {"level": "debug"}},
		}
	}})
}

func TestLogsOnlyTheMessage(t *testing.T) {
	c := conformance.CaptureLog(t)
	s := smstest.Open(t, smslog.Name, map[string]any{})
	msg := smstest.Message(smstest.Number(7))
	msg.Text = ""
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	records := c.Records()
	if len(records) != 1 {
		t.Fatalf("%d records, want 1", len(records))
	}
	r := records[0]
	if r.Level != slog.LevelInfo || r.Message != "sms message" {
		t.Errorf("record %v %q", r.Level, r.Message)
	}
	if keys := slices.Sorted(maps.Keys(r.Attrs)); !slices.Equal(keys, []string{"params", "purpose", "text", "to"}) {
		t.Errorf("attributes %v, want exactly params, purpose, text, to", keys)
	}
	if r.Attrs["purpose"] != "login" || !strings.Contains(r.Attrs["params"], smstest.Code) {
		t.Errorf("attributes %v", r.Attrs)
	}
}
