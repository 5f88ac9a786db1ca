// Package fakekit is the machinery the sms provider fakes share: counting
// requests, injecting transient failures, stalling, per-recipient rate
// control and recording what was delivered. Each fake wraps it in its own
// provider's wire protocol and error bodies.
package fakekit

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/sms/smstest"
)

// Control is the state behind one fake. It implements smstest.Remote.
type Control struct {
	mu       sync.Mutex
	requests int
	failMode smstest.Failure
	failLeft int // < 0: fail until told otherwise
	limit    int
	counts   map[string]int
	stall    bool
	sent     []smstest.Sent
	release  chan struct{}
}

var _ smstest.Remote = (*Control)(nil)

// New returns a Control.
func New() *Control {
	return &Control{counts: map[string]int{}, release: make(chan struct{})}
}

// Start serves h on a local HTTP server until tb ends. Stalled requests
// are released first, so that closing the server does not wait on them.
func (c *Control) Start(tb testing.TB, h http.Handler) *httptest.Server {
	srv := httptest.NewServer(h)
	tb.Cleanup(srv.Close)
	tb.Cleanup(func() { close(c.release) })
	return srv
}

// Fail implements smstest.Remote.
func (c *Control) Fail(f smstest.Failure, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.failMode, c.failLeft = f, n
}

// RateLimit implements smstest.Remote.
func (c *Control) RateLimit(max int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = max
}

// Stall implements smstest.Remote.
func (c *Control) Stall() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stall = true
}

// Requests implements smstest.Remote.
func (c *Control) Requests() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.requests
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
	c.mu.Lock()
	c.requests++
	stall := c.stall
	if c.failLeft != 0 {
		f = c.failMode
		if c.failLeft > 0 {
			c.failLeft--
		}
	}
	c.mu.Unlock()
	// Read the body now: the server notices a client that hangs up (and
	// cancels r.Context()) only once the body has been read.
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return 0, false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if stall {
		select {
		case <-r.Context().Done():
		case <-c.release:
		}
		return 0, false
	}
	if f == smstest.Down {
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return 0, false
			}
		}
		panic(http.ErrAbortHandler)
	}
	return f, true
}

// Take counts one message for key (a number, or a sender and a number) and
// reports whether the rate limit allows it.
func (c *Control) Take(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.limit > 0 && c.counts[key] >= c.limit {
		return false
	}
	c.counts[key]++
	return true
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
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// RandomHex returns n random bytes in hex.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
