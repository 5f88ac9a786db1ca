// Package pushfake is the machinery the push provider fakes share: the
// Remote controls of pushtest (transient failures, stalls, a per-window
// rate limit) and a record of what was delivered. Each fake wraps it in
// its own provider's wire protocol, auth checks and error bodies.
package pushfake

import (
	"encoding/pem"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/adapters/push/pushtest"
)

// RateWindow is the length of a fake's rate-limit window.
const RateWindow = time.Second

// Control is the state behind one fake. It implements pushtest.Remote.
type Control struct {
	*conformance.Faults

	mu          sync.Mutex
	received    []pushtest.Received
	count       int
	countOnly   bool
	rateMax     int
	windowStart time.Time
	windowUsed  int
	refused     int
}

var _ pushtest.Remote = (*Control)(nil)

// New returns a Control with nothing wrong.
func New() *Control { return &Control{Faults: conformance.NewFaults()} }

// Serve runs h on srv (started by the caller, plain or TLS) until tb ends;
// stalled requests are released first so closing does not wait on them.
func (c *Control) Serve(tb testing.TB, srv *httptest.Server) {
	tb.Cleanup(srv.Close)
	tb.Cleanup(c.Release)
}

// RateLimit lets max requests through per RateWindow; 0 lifts the limit.
func (c *Control) RateLimit(max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.rateMax, c.windowStart, c.windowUsed = max, time.Now(), 0
}

// Rate is the rate-limit state after one request.
type Rate struct {
	// Allowed is false when the request is over the limit.
	Allowed bool
	// Limit and Remaining are the window's quota and what is left of it
	// (Limit 0: no limit).
	Limit, Remaining int
	// Reset is the time until the window resets.
	Reset time.Duration
}

// Take counts one request against the rate limit.
func (c *Control) Take() Rate {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rateMax <= 0 {
		return Rate{Allowed: true}
	}
	now := time.Now()
	if now.Sub(c.windowStart) >= RateWindow {
		c.windowStart, c.windowUsed = now, 0
	}
	reset := RateWindow - now.Sub(c.windowStart)
	if c.windowUsed >= c.rateMax {
		c.refused++
		return Rate{Limit: c.rateMax, Reset: reset}
	}
	c.windowUsed++
	return Rate{Allowed: true, Limit: c.rateMax, Remaining: c.rateMax - c.windowUsed, Reset: reset}
}

// Refused implements pushtest.Remote.
func (c *Control) Refused() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused
}

// CountOnly makes the fake count deliveries without keeping them, for
// benchmarks with millions of devices.
func (c *Control) CountOnly() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.countOnly = true
}

// Record adds delivered notifications.
func (c *Control) Record(rs ...pushtest.Received) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.count += len(rs)
	if !c.countOnly {
		c.received = append(c.received, rs...)
	}
}

// Received returns the delivered notifications, oldest first.
func (c *Control) Received() []pushtest.Received {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]pushtest.Received(nil), c.received...)
}

// Count is the number of notifications delivered.
func (c *Control) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// WriteJSON answers with v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) { conformance.WriteJSON(w, status, v) }

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string { return conformance.RandomHex(n) }

// RetryAfter is the Retry-After value for a refused request: the seconds
// until the rate window resets, at least 1.
func (r Rate) RetryAfter() string { return strconv.Itoa(max(1, int(math.Ceil(r.Reset.Seconds())))) }

// WriteCA writes srv's TLS certificate as PEM to a file under tb's temp
// folder and returns its path, for a provider's caCertFile option.
func WriteCA(tb testing.TB, srv *httptest.Server) string {
	file := filepath.Join(tb.TempDir(), "fake-ca.pem")
	cert := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})
	if err := os.WriteFile(file, cert, 0o600); err != nil {
		tb.Fatal(err)
	}
	return file
}
