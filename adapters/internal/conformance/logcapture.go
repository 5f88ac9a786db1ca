package conformance

import (
	"context"
	"log/slog"
	"sync"
	"testing"
)

// LogCapture is a slog.Handler that keeps what it is given, for the
// providers that write messages to the log.
type LogCapture struct {
	mu      sync.Mutex
	records []slog.Record
}

// CaptureLog makes slog.Default write to a fresh LogCapture until t ends.
func CaptureLog(t *testing.T) *LogCapture {
	c := &LogCapture{}
	prev := slog.Default()
	slog.SetDefault(slog.New(c))
	t.Cleanup(func() { slog.SetDefault(prev) })
	return c
}

// Enabled implements slog.Handler.
func (c *LogCapture) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (c *LogCapture) Handle(_ context.Context, r slog.Record) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = append(c.records, r.Clone())
	return nil
}

// WithAttrs implements slog.Handler; the providers add no attributes.
func (c *LogCapture) WithAttrs([]slog.Attr) slog.Handler { return c }

// WithGroup implements slog.Handler.
func (c *LogCapture) WithGroup(string) slog.Handler { return c }

// Reset forgets what was captured.
func (c *LogCapture) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.records = nil
}

// LogRecord is one captured record: its level and message, and its
// attributes as strings by key.
type LogRecord struct {
	Level   slog.Level
	Message string
	Attrs   map[string]string
}

// Records returns what was captured, oldest first.
func (c *LogCapture) Records() []LogRecord {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]LogRecord, 0, len(c.records))
	for _, r := range c.records {
		lr := LogRecord{Level: r.Level, Message: r.Message, Attrs: map[string]string{}}
		r.Attrs(func(a slog.Attr) bool { lr.Attrs[a.Key] = a.Value.String(); return true })
		out = append(out, lr)
	}
	return out
}
