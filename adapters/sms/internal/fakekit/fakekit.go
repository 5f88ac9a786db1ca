// Package fakekit is the machinery the sms provider fakes share: the
// Remote controls (conformance.Faults) applied to HTTP, number checks and
// a record of what was delivered. Each fake wraps it in its own provider's
// wire protocol and error bodies.
package fakekit

import (
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
)

// Control is the state behind one fake. It implements smstest.Remote.
type Control struct {
	*conformance.Faults
	mu   sync.Mutex
	sent []smstest.Sent
}

var _ smstest.Remote = (*Control)(nil)

// New returns a Control.
func New() *Control { return &Control{Faults: conformance.NewFaults()} }

// Start serves h on a local HTTP server until tb ends. Stalled requests
// are released first, so that closing the server does not wait on them.
func (c *Control) Start(tb testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	tb.Cleanup(c.Release)
	return srv
}

// Sent returns the delivered messages, oldest first.
func (c *Control) Sent() []smstest.Sent {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]smstest.Sent(nil), c.sent...)
}

// Begin starts serving one request: it counts it, stalls it or drops its
// connection when told to, and returns the failure the fake must answer
// with (0 for none). ok is false when the handler must return at once.
func (c *Control) Begin(w http.ResponseWriter, r *http.Request) (f smstest.Failure, ok bool) {
	return c.BeginHTTP(w, r)
}

// Record adds a delivered message.
func (c *Control) Record(to, content string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sent = append(c.sent, smstest.Sent{To: to, Content: content})
}

var e164 = regexp.MustCompile(`^\+[1-9][0-9]{7,14}$`)

// ValidNumber reports whether n is a plausible E.164 mobile number, the
// way the providers check it: "+", a country code and 8 to 15 digits in
// all; a mainland China (+86) number has 11 digits starting with 1.
func ValidNumber(n string) bool {
	if !e164.MatchString(n) {
		return false
	}
	if cn, ok := strings.CutPrefix(n, "+86"); ok {
		return len(cn) == 11 && cn[0] == '1'
	}
	return true
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) { conformance.WriteJSON(w, status, v) }

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string { return conformance.RandomHex(n) }
