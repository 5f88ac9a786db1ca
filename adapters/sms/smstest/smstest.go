// Package smstest is the conformance suite for sms providers
// (core.SMSSender). Every provider under adapters/sms runs it from a
// harness; a remote provider points itself at its fake (aliyunfake,
// tencentfake, twiliofake), which speaks the provider's real protocol:
//
//	func TestConformance(t *testing.T) {
//		smstest.RunConformance(t, smstest.Harness{Provider: "aliyun", Setup: setup})
//	}
//
// The suite checks the contract of core.SMSSender: a message is delivered
// exactly once, to the right number, with its code; a number the provider
// rejects is CodeInvalidValue; the provider's rate control is
// CodeRequestLimitExceeded and is not retried; a transient failure (server
// error, throttling, dropped connection) is retried and then succeeds; a
// persistent one is reported as CodeConnectionFailed after a bounded number
// of tries, never swallowed; a canceled context stops the send promptly;
// concurrent sends are all delivered; an unknown option fails to open;
// errors never repeat a secret from the options.
//
// The message the suite sends has Purpose "login", Params {"code", "ttl"}
// and a Text that holds the code, so the harness's Options must map the
// purpose "login" to a template that uses both params.
package smstest

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// InvalidNumber is a number every provider must refuse: +86 followed by
// five digits (mainland numbers have eleven).
const InvalidNumber = "+86123"

// Code is the login code in the suite's messages.
const Code = "246810"

// Number returns the i-th test number, a well-formed mainland China mobile
// number in E.164 form (+86138xxxxxxxx).
func Number(i int) string { return fmt.Sprintf("+86138%08d", i) }

// Message returns the login message the suite sends to a number.
func Message(to string) core.SMSMessage {
	return core.SMSMessage{
		To:      to,
		Purpose: "login",
		Text:    "Your Switchboard login code is " + Code + ". It expires in 5 minutes.",
		Params:  map[string]string{"code": Code, "ttl": "5"},
	}
}

// Sent is one message as the remote side accepted it.
type Sent struct {
	// To is the recipient in E.164 form.
	To string
	// Content is what the recipient reads: the rendered template or text.
	Content string
}

// Failure is a way a provider fails transiently.
type Failure int

const (
	// Failing answers with the provider's server error (HTTP 5xx or its
	// internal-error code).
	Failing Failure = iota + 1
	// Throttled answers with the provider's API throttling error, the kind
	// that clears within seconds.
	Throttled
	// Down drops the connection without an answer.
	Down
)

// Failures lists every Failure, for tables.
var Failures = map[string]Failure{"failing": Failing, "throttled": Throttled, "down": Down}

// Remote controls the fake remote side of a provider.
type Remote interface {
	// Fail makes the next n requests fail in the given way; n < 0 makes
	// every request fail until Fail(…, 0).
	Fail(f Failure, n int)
	// RateLimit makes the remote refuse, with its own rate-control error,
	// any message beyond max to one number from one sender (Aliyun and
	// Tencent limit per number, Twilio per sender queue). 0 lifts it.
	RateLimit(max int)
	// Stall makes the remote hold every request without answering until
	// the client gives up or the test ends.
	Stall()
	// Requests is the number of requests the remote received.
	Requests() int
}

// Harness describes one provider to the suite.
type Harness struct {
	// Provider is the name the provider registers in core.SMSProviders.
	Provider string
	// Setup starts a fresh remote side for one subtest and describes it.
	// It is called once per subtest, so counts and failures never leak.
	Setup func(t *testing.T) *Fixture
}

// Fixture is one provider configuration and the means to observe it.
type Fixture struct {
	// Options is the provider's config section.
	Options map[string]any
	// Sent returns the messages delivered so far, oldest first.
	Sent func() []Sent
	// Remote controls the remote side; nil for a provider without one
	// (log), which skips the failure subtests.
	Remote Remote
	// BadOptions are config sections that must fail to open, by name
	// ("no secret", "bad endpoint").
	BadOptions map[string]map[string]any
	// Secrets are option values that must never appear in an error.
	Secrets []string
}

// RunConformance runs the suite.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	if h.Provider == "" || h.Setup == nil {
		t.Fatal("smstest: Harness needs Provider and Setup")
	}
	t.Run("Open", func(t *testing.T) { testOpen(t, h) })
	t.Run("Deliver", func(t *testing.T) { testDeliver(t, h) })
	t.Run("InvalidNumber", func(t *testing.T) { testInvalidNumber(t, h) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, h) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("RateLimit", func(t *testing.T) { testRateLimit(t, h) })
	t.Run("Transient", func(t *testing.T) { testTransient(t, h) })
	t.Run("Persistent", func(t *testing.T) { testPersistent(t, h) })
	t.Run("Stalled", func(t *testing.T) { testStalled(t, h) })
}

// Open opens the provider from options, failing the test on error.
func Open(t *testing.T, provider string, options map[string]any) core.SMSSender {
	t.Helper()
	open, err := core.SMSProviders.Lookup(provider)
	if err != nil {
		t.Fatal(err)
	}
	s, err := open(context.Background(), options)
	if err != nil {
		t.Fatalf("open %s: %v", provider, err)
	}
	if s == nil {
		t.Fatalf("open %s returned a nil sender", provider)
	}
	return s
}

// WantCode fails the test unless err is a *core.Error with code.
func WantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	if !core.IsCode(err, code) {
		t.Fatalf("got error %v, want code %d", err, code)
	}
}

type run struct {
	fx *Fixture
	s  core.SMSSender
}

func setup(t *testing.T, h Harness) *run {
	t.Helper()
	fx := h.Setup(t)
	if fx.Sent == nil {
		t.Fatal("smstest: Fixture needs Sent")
	}
	return &run{fx: fx, s: Open(t, h.Provider, fx.Options)}
}

func remote(t *testing.T, h Harness) *run {
	t.Helper()
	t.Parallel()
	r := setup(t, h)
	if r.fx.Remote == nil {
		t.Skip("provider has no remote side")
	}
	return r
}

// send sends msg and checks what every error must be: a *core.Error that
// repeats no secret, with the caller's message left alone.
func (r *run) send(t *testing.T, ctx context.Context, msg core.SMSMessage) error {
	t.Helper()
	params := maps.Clone(msg.Params)
	err := r.s.Send(ctx, msg)
	if !reflect.DeepEqual(params, msg.Params) {
		t.Errorf("Send changed the caller's params: %v -> %v", params, msg.Params)
	}
	if err == nil {
		return nil
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Errorf("Send returned %T (%v); want a *core.Error", err, err)
	}
	for _, s := range r.fx.Secrets {
		if s != "" && strings.Contains(err.Error(), s) {
			t.Errorf("error %q repeats a secret from the options", err)
		}
	}
	return err
}

// delivered checks that exactly the given numbers got the message.
func (r *run) delivered(t *testing.T, numbers ...string) {
	t.Helper()
	sent := r.fx.Sent()
	var got []string
	for _, s := range sent {
		got = append(got, s.To)
		if !strings.Contains(s.Content, Code) {
			t.Errorf("message to %s reads %q; want it to hold the code %s", s.To, s.Content, Code)
		}
	}
	slices.Sort(got)
	want := slices.Sorted(slices.Values(numbers))
	if !slices.Equal(got, want) {
		t.Fatalf("delivered to %v, want exactly %v", got, want)
	}
}

func testOpen(t *testing.T, h Harness) {
	fx := h.Setup(t)
	open, err := core.SMSProviders.Lookup(h.Provider)
	if err != nil {
		t.Fatal(err)
	}
	opts := maps.Clone(fx.Options)
	if opts == nil {
		opts = map[string]any{}
	}
	opts["noSuchOption"] = true
	if s, err := open(context.Background(), opts); err == nil {
		t.Errorf("open with an unknown option succeeded (%T); want an error naming it", s)
	} else if !strings.Contains(err.Error(), "noSuchOption") {
		t.Errorf("error %q does not name the unknown option", err)
	}
	for _, name := range slices.Sorted(maps.Keys(fx.BadOptions)) {
		if s, err := open(context.Background(), fx.BadOptions[name]); err == nil {
			t.Errorf("open with %s succeeded (%T); want an error", name, s)
		} else {
			for _, secret := range fx.Secrets {
				if secret != "" && strings.Contains(err.Error(), secret) {
					t.Errorf("open error %q repeats a secret", err)
				}
			}
		}
	}
}

func testDeliver(t *testing.T, h Harness) {
	r := setup(t, h)
	if err := r.send(t, context.Background(), Message(Number(1))); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r.delivered(t, Number(1))
}

func testInvalidNumber(t *testing.T, h Harness) {
	r := setup(t, h)
	err := r.send(t, context.Background(), Message(InvalidNumber))
	WantCode(t, err, core.CodeInvalidValue)
	r.delivered(t)
}

func testCanceled(t *testing.T, h Harness) {
	r := setup(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := r.send(t, ctx, Message(Number(1)))
	if err == nil || !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a canceled context = %v; want an error wrapping context.Canceled", err)
	}
	r.delivered(t)
}

func testConcurrent(t *testing.T, h Harness) {
	r := setup(t, h)
	const n = 8
	var numbers []string
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		to := Number(100 + i)
		numbers = append(numbers, to)
		wg.Go(func() { errs <- r.s.Send(context.Background(), Message(to)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	r.delivered(t, numbers...)
}

func testRateLimit(t *testing.T, h Harness) {
	r := remote(t, h)
	r.fx.Remote.RateLimit(1)
	if err := r.send(t, context.Background(), Message(Number(1))); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	before := r.fx.Remote.Requests()
	err := r.send(t, context.Background(), Message(Number(1)))
	WantCode(t, err, core.CodeRequestLimitExceeded)
	if got := r.fx.Remote.Requests() - before; got != 1 {
		t.Errorf("the refused send made %d requests; rate control must not be retried", got)
	}
	r.delivered(t, Number(1))
}

func testTransient(t *testing.T, h Harness) {
	for _, name := range slices.Sorted(maps.Keys(Failures)) {
		t.Run(name, func(t *testing.T) {
			r := remote(t, h)
			r.fx.Remote.Fail(Failures[name], 1)
			if err := r.send(t, context.Background(), Message(Number(1))); err != nil {
				t.Fatalf("Send after one %s failure: %v; want it retried", name, err)
			}
			if got := r.fx.Remote.Requests(); got != 2 {
				t.Errorf("%d requests, want 2 (one failure, one retry)", got)
			}
			r.delivered(t, Number(1))
		})
	}
}

func testPersistent(t *testing.T, h Harness) {
	for _, name := range slices.Sorted(maps.Keys(Failures)) {
		t.Run(name, func(t *testing.T) {
			r := remote(t, h)
			r.fx.Remote.Fail(Failures[name], -1)
			err := r.send(t, context.Background(), Message(Number(1)))
			WantCode(t, err, core.CodeConnectionFailed)
			if got := r.fx.Remote.Requests(); got < 2 || got > 10 {
				t.Errorf("%d requests; want a bounded number of retries (2 to 10)", got)
			}
			r.delivered(t)
		})
	}
}

func testStalled(t *testing.T, h Harness) {
	r := remote(t, h)
	r.fx.Remote.Stall()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := r.send(t, ctx, Message(Number(1)))
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send returned %v after its context ended; want it prompt", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send on a stalled remote = %v; want an error wrapping context.DeadlineExceeded", err)
	}
	WantCode(t, err, core.CodeConnectionFailed)
	r.delivered(t)
}
