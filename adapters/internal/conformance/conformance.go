// Package conformance holds what the provider conformance suites
// (smstest, mailtest) share whatever they send: the ways a fake remote side
// can fail, the Remote control every fake implements and the Faults that
// implement most of it, and the subtests that do not depend on the
// message: opening with bad options, errors that repeat no secret, and
// transient, persistent and stalled failures.
package conformance

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Failure is a way a remote side fails transiently.
type Failure int

const (
	// Failing answers with the provider's temporary server error (HTTP
	// 5xx or its internal-error code; SMTP 451).
	Failing Failure = iota + 1
	// Throttled answers with the provider's throttling, the kind that
	// clears within seconds (an API rate limit; SMTP 421 4.7.0).
	Throttled
	// Down drops the connection without an answer.
	Down
)

// Failures lists every Failure by name, for tables.
var Failures = map[string]Failure{"failing": Failing, "throttled": Throttled, "down": Down}

// Remote controls the fake remote side of a provider.
type Remote interface {
	// Fail makes the next n requests fail in the given way; n < 0 makes
	// every request fail until Fail(…, 0).
	Fail(f Failure, n int)
	// RateLimit makes the remote refuse, with its own rate-control or
	// quota error, messages beyond max (per recipient, sender or account,
	// as the provider counts). 0 lifts it.
	RateLimit(max int)
	// Stall makes the remote hold every request without answering until
	// the client gives up or the test ends.
	Stall()
	// Requests is the number of requests (HTTP) or connections (SMTP)
	// the remote received.
	Requests() int
}

// Faults is the state behind a fake's Remote methods, to embed. The fake
// calls Next for each request and Take for each message it would accept.
type Faults struct {
	mu       sync.Mutex
	requests int
	failMode Failure
	failLeft int // < 0: fail until told otherwise
	limit    int
	counts   map[string]int
	stall    bool
	release  chan struct{}
	once     sync.Once
}

// NewFaults returns Faults with nothing wrong.
func NewFaults() *Faults {
	return &Faults{counts: map[string]int{}, release: make(chan struct{})}
}

// Fail implements Remote.
func (f *Faults) Fail(mode Failure, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.failMode, f.failLeft = mode, n
}

// RateLimit implements Remote.
func (f *Faults) RateLimit(max int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limit = max
}

// Stall implements Remote.
func (f *Faults) Stall() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stall = true
}

// Requests implements Remote.
func (f *Faults) Requests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests
}

// Next counts a request and returns the failure to answer it with (0 for
// none) and whether to stall it.
func (f *Faults) Next() (mode Failure, stall bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests++
	if f.failLeft != 0 {
		mode = f.failMode
		if f.failLeft > 0 {
			f.failLeft--
		}
	}
	return mode, f.stall
}

// Take counts one message for key and reports whether the rate limit lets
// it through.
func (f *Faults) Take(key string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.limit > 0 && f.counts[key] >= f.limit {
		return false
	}
	f.counts[key]++
	return true
}

// Released is closed by Release; stalled requests wait on it.
func (f *Faults) Released() <-chan struct{} { return f.release }

// Release ends every stall, for the fake's cleanup.
func (f *Faults) Release() { f.once.Do(func() { close(f.release) }) }

// Without returns a copy of options without key.
func Without(options map[string]any, key string) map[string]any {
	o := maps.Clone(options)
	delete(o, key)
	return o
}

// With returns a copy of options with key set to v.
func With(options map[string]any, key string, v any) map[string]any {
	o := maps.Clone(options)
	if o == nil {
		o = map[string]any{}
	}
	o[key] = v
	return o
}

// WantCode fails the test unless err is a *core.Error with code.
func WantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if !core.IsCode(err, code) {
		t.Fatalf("got error %v, want code %d", err, code)
	}
}

// CheckError checks what every error from a provider must be: a
// *core.Error that repeats none of the secrets.
func CheckError(t *testing.T, err error, secrets []string) {
	t.Helper()
	if err == nil {
		return
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Errorf("got %T (%v); want a *core.Error", err, err)
	}
	for _, s := range secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q repeats a secret from the options", err)
		}
	}
}

// CheckOpen checks that open refuses options with an unknown key, naming
// it, and each of bad, without repeating a secret.
func CheckOpen(t *testing.T, open func(map[string]any) error, options map[string]any, bad map[string]map[string]any, secrets []string) {
	t.Helper()
	if err := open(With(options, "noSuchOption", true)); err == nil {
		t.Error("open with an unknown option succeeded; want an error naming it")
	} else if !strings.Contains(err.Error(), "noSuchOption") {
		t.Errorf("error %q does not name the unknown option", err)
	}
	for _, name := range slices.Sorted(maps.Keys(bad)) {
		err := open(bad[name])
		if err == nil {
			t.Errorf("open with %s succeeded; want an error", name)
			continue
		}
		for _, s := range secrets {
			if s != "" && strings.Contains(err.Error(), s) {
				t.Errorf("open error %q repeats a secret", err)
			}
		}
	}
}

// Subject is one provider opened against a fresh remote side, for the
// failure subtests.
type Subject struct {
	// Remote controls the remote side; nil skips the subtest.
	Remote Remote
	// Send sends the suite's message; every call sends the same one.
	Send func(ctx context.Context) error
	// Delivered fails the test unless exactly that message was
	// delivered (once) or, if !once, nothing was.
	Delivered func(t *testing.T, once bool)
}

// start runs setup in a parallel subtest and skips it without a remote.
func start(t *testing.T, setup func(t *testing.T) Subject) Subject {
	t.Helper()
	t.Parallel()
	s := setup(t)
	if s.Remote == nil {
		t.Skip("provider has no remote side")
	}
	return s
}

// Transient checks that one failure of each kind is retried and the
// message then delivered once.
func Transient(t *testing.T, setup func(t *testing.T) Subject) {
	for _, name := range slices.Sorted(maps.Keys(Failures)) {
		t.Run(name, func(t *testing.T) {
			s := start(t, setup)
			s.Remote.Fail(Failures[name], 1)
			if err := s.Send(context.Background()); err != nil {
				t.Fatalf("Send after one %s failure: %v; want it retried", name, err)
			}
			if got := s.Remote.Requests(); got != 2 {
				t.Errorf("%d requests, want 2 (one failure, one retry)", got)
			}
			s.Delivered(t, true)
		})
	}
}

// Persistent checks that a failure that does not clear is reported as
// CodeConnectionFailed after a bounded number of tries.
func Persistent(t *testing.T, setup func(t *testing.T) Subject) {
	for _, name := range slices.Sorted(maps.Keys(Failures)) {
		t.Run(name, func(t *testing.T) {
			s := start(t, setup)
			s.Remote.Fail(Failures[name], -1)
			err := s.Send(context.Background())
			WantCode(t, err, core.CodeConnectionFailed)
			if got := s.Remote.Requests(); got < 2 || got > 10 {
				t.Errorf("%d requests; want a bounded number of retries (2 to 10)", got)
			}
			s.Delivered(t, false)
		})
	}
}

// Stalled checks that a send to a remote that never answers returns
// promptly once its context ends, as a retryable error that wraps the
// context's.
func Stalled(t *testing.T, setup func(t *testing.T) Subject) {
	s := start(t, setup)
	s.Remote.Stall()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	begin := time.Now()
	err := s.Send(ctx)
	if d := time.Since(begin); d > 2*time.Second {
		t.Errorf("Send returned %v after its context ended; want it prompt", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send on a stalled remote = %v; want an error wrapping context.DeadlineExceeded", err)
	}
	WantCode(t, err, core.CodeConnectionFailed)
	s.Delivered(t, false)
}

// Canceled checks that a send with a context already canceled fails with
// an error wrapping context.Canceled and delivers nothing.
func Canceled(t *testing.T, s Subject) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Send(ctx); err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a canceled context = %v; want an error wrapping context.Canceled", err)
	}
	s.Delivered(t, false)
}

// Open looks provider up with lookup (a registry's Lookup) and opens it
// with options.
func Open[P any, F ~func(context.Context, core.ProviderEnv) (P, error)](lookup func(string) (F, error), provider string, options map[string]any) (P, error) {
	var zero P
	open, err := lookup(provider)
	if err != nil {
		return zero, err
	}
	p, err := open(context.Background(), core.ProviderEnv{Options: options})
	if err == nil && any(p) == nil {
		return zero, errors.New("open " + provider + " returned nil")
	}
	return p, err
}

// MustOpen is Open that fails the test on error.
func MustOpen[P any, F ~func(context.Context, core.ProviderEnv) (P, error)](t *testing.T, lookup func(string) (F, error), provider string, options map[string]any) P {
	t.Helper()
	p, err := Open(lookup, provider, options)
	if err != nil {
		t.Fatalf("open %s: %v", provider, err)
	}
	return p
}

// One is the Subject that sends msg with send and checks with delivered,
// which takes the messages that must have arrived.
func One[M any](remote Remote, msg M, send func(ctx context.Context, msg M) error, delivered func(t *testing.T, msgs ...M)) Subject {
	return Subject{
		Remote: remote,
		Send:   func(ctx context.Context) error { return send(ctx, msg) },
		Delivered: func(t *testing.T, once bool) {
			if once {
				delivered(t, msg)
			} else {
				delivered(t)
			}
		},
	}
}
