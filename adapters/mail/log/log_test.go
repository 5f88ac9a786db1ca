package log_test

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	maillog "github.com/switchboardhq/switchboard/adapters/mail/log"
	"github.com/switchboardhq/switchboard/adapters/mail/mailtest"
)

func TestConformance(t *testing.T) {
	// One capture for the whole suite, emptied by each Setup: the suite
	// runs the subtests that observe deliveries one after another (the
	// parallel ones need a remote side and skip).
	c := conformance.CaptureLog(t)
	mailtest.RunConformance(t, mailtest.Harness{Provider: maillog.Name, Setup: func(t *testing.T) *mailtest.Fixture {
		c.Reset()
		return &mailtest.Fixture{
			Sent: func() []mailtest.Sent {
				var out []mailtest.Sent
				for _, r := range c.Records() {
					a := r.Attrs
					out = append(out, mailtest.Sent{To: []string{a["to"]}, Subject: a["subject"], Text: a["text"], HTML: a["html"]})
				}
				return out
			},
			BadOptions: map[string]map[string]any{"any option": {"from": "a@example.com"}},
		}
	}})
}

func TestLogsOnlyTheMessage(t *testing.T) {
	c := conformance.CaptureLog(t)
	m := mailtest.Open(t, maillog.Name, nil)
	if err := m.Send(context.Background(), mailtest.Message(mailtest.Address(1), true)); err != nil {
		t.Fatal(err)
	}
	records := c.Records()
	if len(records) != 1 {
		t.Fatalf("%d records, want 1", len(records))
	}
	r := records[0]
	if r.Level != slog.LevelInfo || r.Message != "mail message" {
		t.Errorf("record %v %q", r.Level, r.Message)
	}
	if keys := slices.Sorted(maps.Keys(r.Attrs)); !slices.Equal(keys, []string{"html", "subject", "text", "to"}) {
		t.Errorf("attributes %v, want exactly html, subject, text, to", keys)
	}
}
