package log_test

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"

	smslog "github.com/switchboardhq/switchboard/adapters/sms/log"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
)

// capture is a slog.Handler that keeps the records it is given.
type capture struct {
	mu      sync.Mutex
	records []slog.Record
}

func (c *capture) Enabled(context.Context, slog.Level) bool { return true }
func (c *capture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}
func (c *capture) WithAttrs([]slog.Attr) slog.Handler { return c }
func (c *capture) WithGroup(string) slog.Handler      { return c }

func (c *capture) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = nil
}

func (c *capture) take() []slog.Record {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.records)
}

// logTo makes slog.Default write to a fresh capture for the rest of t.
func logTo(t *testing.T) *capture {
	c := &capture{}
	prev := slog.Default()
	slog.SetDefault(slog.New(c))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return c
}

func attrs(r slog.Record) map[string]slog.Value {
	m := map[string]slog.Value{}
	r.Attrs(func(a slog.Attr) bool { m[a.Key] = a.Value; return true })
	return m
}

func TestConformance(t *testing.T) {
	// One capture for the whole suite, emptied by each Setup: the suite
	// runs the subtests that observe deliveries one after another (the
	// parallel ones need a remote side and skip).
	c := logTo(t)
	smstest.RunConformance(t, smstest.Harness{Provider: smslog.Name, Setup: func(t *testing.T) *smstest.Fixture {
		c.reset()
		return &smstest.Fixture{
			Options: nil,
			Sent: func() []smstest.Sent {
				var out []smstest.Sent
				for _, r := range c.take() {
					a := attrs(r)
					out = append(out, smstest.Sent{To: a["to"].String(), Content: a["text"].String()})
				}
				return out
			},
			BadOptions: map[string]map[string]any{"any option": {"level": "debug"}},
		}
	}})
}

func TestLogsOnlyTheMessage(t *testing.T) {
	c := logTo(t)
	s := smstest.Open(t, smslog.Name, map[string]any{})
	msg := smstest.Message(smstest.Number(7))
	msg.Text = ""
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatal(err)
	}
	records := c.take()
	if len(records) != 1 {
		t.Fatalf("%d records, want 1", len(records))
	}
	r := records[0]
	if r.Level != slog.LevelInfo || r.Message != "sms message" {
		t.Errorf("record %v %q", r.Level, r.Message)
	}
	a := attrs(r)
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if !slices.Equal(keys, []string{"params", "purpose", "text", "to"}) {
		t.Errorf("attributes %v, want exactly params, purpose, text, to", keys)
	}
	if a["purpose"].String() != "login" || !strings.Contains(a["params"].String(), smstest.Code) {
		t.Errorf("purpose %v, params %v", a["purpose"], a["params"])
	}
}
