// Package mailtest is the conformance suite for mail providers
// (core.Mailer). Every provider under adapters/mail runs it from a
// harness; the smtp provider points itself at smtpfake, a real SMTP server
// that checks AUTH and parses what it receives:
//
//	func TestConformance(t *testing.T) {
//		mailtest.RunConformance(t, mailtest.Harness{Provider: "smtp", Setup: setup})
//	}
//
// The suite checks the contract of core.Mailer: a message is delivered
// exactly once to the right address with its subject and text, and with an
// HTML alternative exactly when HTML is set; an invalid address, or one the
// server refuses, is CodeInvalidValue; the server's sending quota is
// CodeRequestLimitExceeded and is not retried; a transient failure (4xx
// reply, throttling, dropped connection) is retried and then succeeds; a
// persistent one is reported as CodeConnectionFailed after a bounded
// number of tries, never swallowed; a canceled context stops the send
// promptly; concurrent sends are all delivered; an unknown option fails to
// open; errors never repeat a secret from the options.
package mailtest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/core"
)

// InvalidAddress is not an e-mail address.
const InvalidAddress = "not an address"

// RefusedAddress is a well-formed address at a domain that cannot exist
// (RFC 2606); remote sides refuse it as a recipient.
const RefusedAddress = "nobody@example.invalid"

// Address returns the i-th test address.
func Address(i int) string { return fmt.Sprintf("user%d@example.com", i) }

// Message returns the message the suite sends: a subject outside ASCII,
// a text body and, if html, an HTML alternative.
func Message(to string, html bool) core.MailMessage {
	m := core.MailMessage{
		To:      to,
		Subject: "Vérifiez votre adresse — Switchboard 验证",
		Text:    "Hello,\n\nConfirm your address with this link:\nhttps://example.com/verify?token=246810\n",
	}
	if html {
		m.HTML = `<p>Hello,</p><p><a href="https://example.com/verify?token=246810">Confirm your address</a></p>`
	}
	return m
}

// Sent is one message as the remote side received it, decoded.
type Sent struct {
	// To are the envelope recipients.
	To []string
	// From is the address in the From header.
	From    string
	Subject string
	// Text and HTML are the decoded text/plain and text/html parts; HTML
	// is "" when the message has no HTML part.
	Text string
	HTML string
}

// Failure is a way a remote side fails transiently; see
// conformance.Failure.
type Failure = conformance.Failure

// The failures a Remote can be told to produce.
const (
	Failing   = conformance.Failing
	Throttled = conformance.Throttled
	Down      = conformance.Down
)

// Remote controls the fake remote side of a provider. For mail fakes,
// Requests counts connections and RateLimit is a sending quota for the
// account.
type Remote = conformance.Remote

// Harness describes one provider to the suite.
type Harness struct {
	// Provider is the name the provider registers in core.MailProviders.
	Provider string
	// Setup starts a fresh remote side for one subtest and describes it.
	Setup func(t *testing.T) *Fixture
}

// Fixture is one provider configuration and the means to observe it.
type Fixture struct {
	// Options is the provider's config section.
	Options map[string]any
	// Sent returns the messages delivered so far, oldest first.
	Sent func() []Sent
	// From is the address delivered messages must come from.
	From string
	// Remote controls the remote side; nil for a provider without one.
	Remote Remote
	// BadOptions are config sections that must fail to open, by name.
	BadOptions map[string]map[string]any
	// Secrets are option values that must never appear in an error.
	Secrets []string
}

// RunConformance runs the suite.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	if h.Provider == "" || h.Setup == nil {
		t.Fatal("mailtest: Harness needs Provider and Setup")
	}
	subject := func(t *testing.T) conformance.Subject {
		r := setup(t, h)
		send := func(ctx context.Context, msg core.MailMessage) error { return r.send(t, ctx, msg) }
		return conformance.One(r.fx.Remote, Message(Address(1), true), send, r.delivered)
	}
	t.Run("Open", func(t *testing.T) { testOpen(t, h) })
	t.Run("Deliver", func(t *testing.T) { testDeliver(t, h) })
	t.Run("InvalidAddress", func(t *testing.T) { testInvalidAddress(t, h) })
	t.Run("Canceled", func(t *testing.T) { conformance.Canceled(t, subject(t)) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, h) })
	t.Run("RefusedAddress", func(t *testing.T) { testRefusedAddress(t, h) })
	t.Run("RateLimit", func(t *testing.T) { testRateLimit(t, h) })
	t.Run("Transient", func(t *testing.T) { conformance.Transient(t, subject) })
	t.Run("Persistent", func(t *testing.T) { conformance.Persistent(t, subject) })
	t.Run("Stalled", func(t *testing.T) { conformance.Stalled(t, subject) })
}

// Open opens the provider from options, failing the test on error.
func Open(t *testing.T, provider string, options map[string]any) core.Mailer {
	t.Helper()
	return conformance.MustOpen(t, core.MailProviders.Lookup, provider, options)
}

// WantCode fails the test unless err is a *core.Error with code.
func WantCode(t *testing.T, err error, code core.Code) {
	t.Helper()
	conformance.WantCode(t, err, code)
}

// Normalize turns CRLF line ends into LF and drops trailing line ends, so
// bodies compare regardless of how the wire format wrapped them.
func Normalize(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

type run struct {
	fx *Fixture
	m  core.Mailer
}

func setup(t *testing.T, h Harness) *run {
	t.Helper()
	fx := h.Setup(t)
	if fx.Sent == nil {
		t.Fatal("mailtest: Fixture needs Sent")
	}
	return &run{fx: fx, m: Open(t, h.Provider, fx.Options)}
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

// send sends msg and checks what every error must be.
func (r *run) send(t *testing.T, ctx context.Context, msg core.MailMessage) error {
	t.Helper()
	err := r.m.Send(ctx, msg)
	conformance.CheckError(t, err, r.fx.Secrets)
	return err
}

// delivered checks that exactly the given messages arrived, in any order.
func (r *run) delivered(t *testing.T, msgs ...core.MailMessage) {
	t.Helper()
	sent := r.fx.Sent()
	if len(sent) != len(msgs) {
		t.Fatalf("%d messages delivered, want %d: %+v", len(sent), len(msgs), sent)
	}
	byTo := map[string]core.MailMessage{}
	for _, m := range msgs {
		byTo[m.To] = m
	}
	for _, s := range sent {
		if len(s.To) != 1 {
			t.Errorf("message delivered to %v, want one recipient", s.To)
			continue
		}
		want, ok := byTo[s.To[0]]
		if !ok {
			t.Errorf("message delivered to %s, want one of %v", s.To[0], slices.Collect(maps.Keys(byTo)))
			continue
		}
		delete(byTo, s.To[0])
		if r.fx.From != "" && s.From != r.fx.From {
			t.Errorf("From = %q, want %q", s.From, r.fx.From)
		}
		if s.Subject != want.Subject {
			t.Errorf("Subject = %q, want %q", s.Subject, want.Subject)
		}
		if Normalize(s.Text) != Normalize(want.Text) {
			t.Errorf("text part = %q, want %q", s.Text, want.Text)
		}
		if Normalize(s.HTML) != Normalize(want.HTML) {
			t.Errorf("HTML part = %q, want %q", s.HTML, want.HTML)
		}
	}
}

func testOpen(t *testing.T, h Harness) {
	fx := h.Setup(t)
	conformance.CheckOpen(t, func(o map[string]any) error {
		_, err := conformance.Open(core.MailProviders.Lookup, h.Provider, o)
		return err
	}, fx.Options, fx.BadOptions, fx.Secrets)
}

func testDeliver(t *testing.T, h Harness) {
	for _, html := range []bool{false, true} {
		t.Run(fmt.Sprintf("html=%v", html), func(t *testing.T) {
			r := setup(t, h)
			msg := Message(Address(1), html)
			if err := r.send(t, context.Background(), msg); err != nil {
				t.Fatalf("Send: %v", err)
			}
			r.delivered(t, msg)
		})
	}
}

func testInvalidAddress(t *testing.T, h Harness) {
	r := setup(t, h)
	for _, to := range []string{InvalidAddress, "", "a@b@c", "two@example.com, three@example.com", "x@example.com\r\nBcc: y@example.com"} {
		err := r.send(t, context.Background(), Message(to, false))
		WantCode(t, err, core.CodeInvalidValue)
	}
	r.delivered(t)
}

func testConcurrent(t *testing.T, h Harness) {
	r := setup(t, h)
	const n = 8
	var msgs []core.MailMessage
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		msg := Message(Address(100+i), i%2 == 0)
		msgs = append(msgs, msg)
		wg.Go(func() { errs <- r.m.Send(context.Background(), msg) })
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

func testRefusedAddress(t *testing.T, h Harness) {
	r := remote(t, h)
	err := r.send(t, context.Background(), Message(RefusedAddress, false))
	WantCode(t, err, core.CodeInvalidValue)
	if n := r.fx.Remote.Requests(); n != 1 {
		t.Errorf("%d connections; a refused recipient must not be retried", n)
	}
	r.delivered(t)
}

func testRateLimit(t *testing.T, h Harness) {
	r := remote(t, h)
	r.fx.Remote.RateLimit(1)
	first := Message(Address(1), false)
	if err := r.send(t, context.Background(), first); err != nil {
		t.Fatalf("first Send: %v", err)
	}
	before := r.fx.Remote.Requests()
	err := r.send(t, context.Background(), Message(Address(2), false))
	WantCode(t, err, core.CodeRequestLimitExceeded)
	if got := r.fx.Remote.Requests() - before; got != 1 {
		t.Errorf("the refused send made %d connections; a quota refusal must not be retried", got)
	}
	r.delivered(t, first)
}
