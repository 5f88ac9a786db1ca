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
// errors never repeat a secret from the options. RunMisconfigured checks
// that configuration mistakes are internal errors that say what to fix.
//
// The message the suite sends has Purpose "login", Params {"code", "ttl"}
// and a Text that holds the code, so the harness's Options must map the
// purpose "login" to a template that uses both params.
package smstest

import (
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
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

// Failure is a way a provider fails transiently; see conformance.Failure.
type Failure = conformance.Failure

// The failures a Remote can be told to produce.
const (
	Failing   = conformance.Failing
	Throttled = conformance.Throttled
	Down      = conformance.Down
)

// Remote controls the fake remote side of a provider. For sms fakes,
// RateLimit limits messages to one number from one sender (Aliyun and
// Tencent limit per number, Twilio per sender queue).
type Remote = conformance.Remote

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
	subject := func(t *testing.T) conformance.Subject {
		r := setup(t, h)
		send := func(ctx context.Context, msg core.SMSMessage) error { return r.send(t, ctx, msg) }
		return conformance.One(r.fx.Remote, Message(Number(1)), send, r.delivered)
	}
	t.Run("Open", func(t *testing.T) { testOpen(t, h) })
	t.Run("Deliver", func(t *testing.T) { testDeliver(t, h) })
	t.Run("InvalidNumber", func(t *testing.T) { testInvalidNumber(t, h) })
	t.Run("Canceled", func(t *testing.T) { conformance.Canceled(t, subject(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("RateLimit", func(t *testing.T) { testRateLimit(t, h) })
	t.Run("Transient", func(t *testing.T) { conformance.Transient(t, subject) })
	t.Run("Persistent", func(t *testing.T) { conformance.Persistent(t, subject) })
	t.Run("Stalled", func(t *testing.T) { conformance.Stalled(t, subject) })
}

// Open opens the provider from options, failing the test on error.
func Open(t *testing.T, provider string, options map[string]any) core.SMSSender {
	t.Helper()
	return conformance.MustOpen(t, core.SMSProviders.Lookup, provider, options)
}

// WantCode fails the test unless err is a *core.Error with code.
func WantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	conformance.WantCode(t, err, code)
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

// send sends msg and checks what every error must be, and that the
// caller's message is left alone.
func (r *run) send(t *testing.T, ctx context.Context, msg core.SMSMessage) error {
	t.Helper()
	params := maps.Clone(msg.Params)
	err := r.s.Send(ctx, msg)
	if !reflect.DeepEqual(params, msg.Params) {
		t.Errorf("Send changed the caller's params: %v -> %v", params, msg.Params)
	}
	conformance.CheckError(t, err, r.fx.Secrets)
	return err
}

// delivered checks that exactly the given messages arrived, each once.
func (r *run) delivered(t *testing.T, msgs ...core.SMSMessage) {
	t.Helper()
	var numbers []string
	for _, m := range msgs {
		numbers = append(numbers, m.To)
	}
	var got []string
	for _, s := range r.fx.Sent() {
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
	conformance.CheckOpen(t, func(o map[string]any) error {
		_, err := conformance.Open(core.SMSProviders.Lookup, h.Provider, o)
		return err
	}, fx.Options, fx.BadOptions, fx.Secrets)
}

func testDeliver(t *testing.T, h Harness) {
	r := setup(t, h)
	if err := r.send(t, context.Background(), Message(Number(1))); err != nil {
		t.Fatalf("Send: %v", err)
	}
	r.delivered(t, Message(Number(1)))
}

func testInvalidNumber(t *testing.T, h Harness) {
	r := setup(t, h)
	err := r.send(t, context.Background(), Message(InvalidNumber))
	WantCode(t, err, core.CodeInvalidValue)
	r.delivered(t)
}

func testConcurrent(t *testing.T, h Harness) {
	r := setup(t, h)
	const n = 8
	var msgs []core.SMSMessage
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		msg := Message(Number(100 + i))
		msgs = append(msgs, msg)
		wg.Go(func() { errs <- r.s.Send(context.Background(), msg) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	r.delivered(t, msgs...)
}

func testRateLimit(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	if r.fx.Remote == nil {
		t.Skip("provider has no remote side")
	}
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
	r.delivered(t, Message(Number(1)))
}

// Mistake is a configuration mistake: Edit changes the fixture's options
// or Message the suite's message, and the send must then fail with an
// internal error whose logged cause holds Cause.
type Mistake struct {
	Name    string
	Edit    func(options map[string]any)
	Message func(msg *core.SMSMessage)
	Cause   string
}

// RunMisconfigured checks that each mistake fails with an internal error
// (the client can do nothing about it) whose cause says what to fix, that
// repeats no secret and that is not retried.
func RunMisconfigured(t *testing.T, h Harness, mistakes []Mistake) {
	for _, m := range mistakes {
		t.Run(m.Name, func(t *testing.T) {
			fx := h.Setup(t)
			o := maps.Clone(fx.Options)
			if m.Edit != nil {
				m.Edit(o)
			}
			msg := Message(Number(1))
			if m.Message != nil {
				m.Message(&msg)
			}
			r := &run{fx: fx, s: Open(t, h.Provider, o)}
			err := r.send(t, context.Background(), msg)
			WantCode(t, err, core.CodeInternalServerError)
			if !strings.Contains(err.Error(), m.Cause) {
				t.Errorf("error %q does not say %q", err, m.Cause)
			}
			if fx.Remote != nil {
				if n := fx.Remote.Requests(); n > 1 {
					t.Errorf("%d requests; a configuration mistake must not be retried", n)
				}
			}
			r.delivered(t)
		})
	}
}
