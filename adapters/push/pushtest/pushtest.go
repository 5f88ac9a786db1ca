// Package pushtest is the conformance suite for push providers
// (core.PushSender). Every provider under adapters/push runs it from a
// harness, against its fake (jpushfake, fcmfake, apnsfake, webpushfake),
// which speaks the provider's real protocol:
//
//	func TestConformance(t *testing.T) {
//		pushtest.RunConformance(t, pushtest.Harness{Provider: "jpush", Setup: setup})
//	}
//
// The suite checks the contract of core.PushSender, alone and driven by
// core.PushDispatcher: a notification reaches each device once, with its
// alert, title and custom data; MaxBatch devices go in one Send and larger
// audiences are batched; devices the provider does not know are
// PushTokenInvalid and the others still delivered; the expiration reaches
// the provider as a TTL; rejected credentials are CodePushMisconfigured and
// not retried; the provider's rate limit is CodeConnectionFailed with the
// wait it asked for, and a push honours it without a storm of refused
// requests; an outage is retried and a push after it ends with every device
// delivered once, while a lasting outage ends with every device counted
// failed; a canceled or stalled send returns promptly; unknown options fail
// to open; errors never repeat a secret.
package pushtest

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/internal/conformance"
	"github.com/switchboardhq/switchboard/core"
)

// Received is one notification as the remote side accepted it for one
// device.
type Received struct {
	// Token is how the request named the device (registration id, token,
	// subscription endpoint).
	Token string
	Alert string
	Title string
	// Badge as the protocol carried it ("3", "+1"; "" for none).
	Badge string
	// TTL in seconds as the request carried it; -1 when it carried none.
	TTL int
	// Custom holds the notification's custom keys as delivered.
	Custom map[string]any
}

// Failure is a way a remote side fails transiently; see conformance.
type Failure = conformance.Failure

// The failures a Remote can be told to produce.
const (
	Failing   = conformance.Failing
	Throttled = conformance.Throttled
	Down      = conformance.Down
)

// Remote controls a fake push provider. RateLimit(max) lets max requests
// through per rate window (about a second) and refuses the rest with the
// provider's throttling answer and its wait.
type Remote interface {
	conformance.Remote
	// Refused is the number of requests refused for the rate limit.
	Refused() int
}

// Harness describes one provider to the suite.
type Harness struct {
	// Provider is the name the provider registers in core.PushProviders.
	Provider string
	// Setup starts a fresh remote side for one subtest.
	Setup func(t *testing.T) *Fixture
}

// Fixture is one provider configuration and the means to observe it.
type Fixture struct {
	// Options is the provider's config section, pointing at the fake.
	Options map[string]any
	// Device returns the i-th device the remote knows.
	Device func(i int) core.PushDevice
	// UnknownDevice returns a well-formed device the remote reports as
	// unregistered.
	UnknownDevice func(i int) core.PushDevice
	// MalformedDevice, if set, returns a device whose token the sender
	// must refuse without sending it.
	MalformedDevice func(i int) core.PushDevice
	// TokenOf returns how Received names a device.
	TokenOf func(d core.PushDevice) string
	// Received returns what the remote accepted so far.
	Received func() []Received
	Remote   Remote
	// BadOptions must fail to open, by name.
	BadOptions map[string]map[string]any
	// WrongCredentials opens but the remote rejects its credentials.
	WrongCredentials map[string]any
	// Secrets must never appear in an error.
	Secrets []string
}

// RunConformance runs the suite.
func RunConformance(t *testing.T, h Harness) {
	t.Helper()
	if h.Provider == "" || h.Setup == nil {
		t.Fatal("pushtest: Harness needs Provider and Setup")
	}
	t.Run("Open", func(t *testing.T) { testOpen(t, h) })
	t.Run("Deliver", func(t *testing.T) { testDeliver(t, h) })
	t.Run("Batching", func(t *testing.T) { testBatching(t, h) })
	t.Run("InvalidTokens", func(t *testing.T) { testInvalidTokens(t, h) })
	t.Run("TTL", func(t *testing.T) { testTTL(t, h) })
	t.Run("AuthFailure", func(t *testing.T) { testAuthFailure(t, h) })
	t.Run("RateLimit", func(t *testing.T) { testRateLimit(t, h) })
	t.Run("OutageThenRecovery", func(t *testing.T) { testOutage(t, h) })
	t.Run("LastingOutage", func(t *testing.T) { testLastingOutage(t, h) })
	t.Run("ConnectionDropped", func(t *testing.T) { testDropped(t, h) })
	t.Run("Stalled", func(t *testing.T) { testStalled(t, h) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, h) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, h) })
}

// Notification is the suite's notification: alert, title, badge, a custom
// key, and an hour to live.
func Notification() *core.PushNotification {
	return &core.PushNotification{
		ID: "pushtest" + core.NewObjectID(),
		Data: core.PushData{
			Alert: "Your order has shipped", Title: "Orders",
			Badge:  core.PushBadge{Set: true, Value: 3},
			Custom: map[string]any{"orderId": "A-1001"},
		},
	}
}

// Open opens the provider from options, failing the test on error.
func Open(t *testing.T, provider string, options map[string]any) core.PushSender {
	t.Helper()
	s := conformance.MustOpen(t, core.PushProviders.Lookup, provider, options)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

type run struct {
	h  Harness
	fx *Fixture
	s  core.PushSender
}

func setup(t *testing.T, h Harness) *run {
	t.Helper()
	fx := h.Setup(t)
	if fx.Device == nil || fx.UnknownDevice == nil || fx.TokenOf == nil || fx.Received == nil || fx.Remote == nil {
		t.Fatal("pushtest: Fixture needs Device, UnknownDevice, TokenOf, Received and Remote")
	}
	return &run{h: h, fx: fx, s: Open(t, h.Provider, fx.Options)}
}

func (r *run) devices(from, n int) []core.PushDevice {
	out := make([]core.PushDevice, n)
	for i := range n {
		out[i] = r.fx.Device(from + i)
	}
	return out
}

// send sends one batch and checks what every answer must be.
func (r *run) send(t *testing.T, ctx context.Context, n *core.PushNotification, devs []core.PushDevice) ([]core.PushResult, error) {
	t.Helper()
	results, err := r.s.Send(ctx, core.PushBatch{Key: n.ID + "/" + core.NewObjectID(), Notification: n, Devices: devs})
	conformance.CheckError(t, err, r.fx.Secrets)
	if err == nil && len(results) != len(devs) {
		t.Fatalf("Send returned %d results for %d devices", len(results), len(devs))
	}
	for i, res := range results {
		if res.Outcome != core.PushDelivered {
			if res.Err == nil {
				t.Errorf("device %d: outcome %v without a reason", i, res.Outcome)
			} else {
				conformance.CheckError(t, res.Err, r.fx.Secrets)
				if tok := devs[i].DeviceToken + devs[i].RegistrationID; tok != "" && strings.Contains(res.Err.Message, tok) {
					t.Errorf("device %d: reason %q repeats the device token", i, res.Err.Message)
				}
			}
		}
	}
	return results, err
}

// dispatch pushes n to count devices through core.PushDispatcher.
func (r *run) dispatch(t *testing.T, n *core.PushNotification, devs []core.PushDevice, concurrency int) core.PushCounts {
	t.Helper()
	router, err := core.NewPushRouter([]core.PushRoute{{Provider: r.h.Provider}}, map[string]core.PushSender{r.h.Provider: r.s})
	if err != nil {
		t.Fatal(err)
	}
	d := &core.PushDispatcher{Router: router, Concurrency: concurrency, Retry: core.PushRetryPolicy{Attempts: 6, Initial: 20 * time.Millisecond, Max: 3 * time.Second}}
	slices.SortFunc(devs, func(a, b core.PushDevice) int { return strings.Compare(a.ID, b.ID) })
	src := func(ctx context.Context, after string) iter.Seq2[core.PushDevice, error] {
		return func(yield func(core.PushDevice, error) bool) {
			for _, dev := range devs {
				if dev.ID > after && !yield(dev, nil) {
					return
				}
			}
		}
	}
	counts, err := d.Run(context.Background(), core.PushRun{Notification: n, Devices: src})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return counts
}

// delivered checks that exactly devs received the notification, each
// once, with its content.
func (r *run) delivered(t *testing.T, devs ...core.PushDevice) []Received {
	t.Helper()
	got := r.fx.Received()
	var tokens []string
	for _, rc := range got {
		tokens = append(tokens, rc.Token)
		if rc.Alert != "Your order has shipped" {
			t.Errorf("device %s got alert %q", rc.Token, rc.Alert)
		}
		if rc.Custom["orderId"] != "A-1001" {
			t.Errorf("device %s got custom data %v; want orderId A-1001", rc.Token, rc.Custom)
		}
	}
	var want []string
	for _, d := range devs {
		want = append(want, r.fx.TokenOf(d))
	}
	slices.Sort(tokens)
	slices.Sort(want)
	if !slices.Equal(tokens, want) {
		if len(tokens) > 10 || len(want) > 10 {
			t.Fatalf("%d notifications received, want %d, one per device", len(tokens), len(want))
		}
		t.Fatalf("received by %v, want exactly %v", tokens, want)
	}
	return got
}

func testOpen(t *testing.T, h Harness) {
	fx := h.Setup(t)
	conformance.CheckOpen(t, func(o map[string]any) error {
		s, err := conformance.Open(core.PushProviders.Lookup, h.Provider, o)
		if err == nil {
			_ = s.Close()
		}
		return err
	}, fx.Options, fx.BadOptions, fx.Secrets)
}

func testDeliver(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	devs := r.devices(0, 3)
	results, err := r.send(t, context.Background(), Notification(), devs)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	for i, res := range results {
		if res.Outcome != core.PushDelivered {
			t.Errorf("device %d: %v (%v)", i, res.Outcome, res.Err)
		}
	}
	for _, rc := range r.delivered(t, devs...) {
		if rc.Title != "" && rc.Title != "Orders" {
			t.Errorf("device %s got title %q", rc.Token, rc.Title)
		}
	}
}

func testBatching(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	max := r.s.MaxBatch()
	if max < 1 || max > 1000 {
		t.Fatalf("MaxBatch %d; want 1 to 1000", max)
	}
	if _, err := r.send(t, context.Background(), Notification(), r.devices(0, max+1)); !core.IsCode(err, core.CodeInternalServerError) {
		t.Errorf("Send of MaxBatch+1 devices = %v; want an internal error, nothing sent", err)
	}
	if n := len(r.fx.Received()); n != 0 {
		t.Fatalf("an oversized batch delivered %d notifications", n)
	}
	devs := r.devices(0, min(2*max+1, 2001))
	counts := r.dispatch(t, Notification(), devs, 2)
	r.delivered(t, devs...)
	if counts.NumSent != int64(len(devs)) || counts.NumFailed != 0 {
		t.Errorf("counts %+v", counts)
	}
}

func testInvalidTokens(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	devs := []core.PushDevice{r.fx.Device(0), r.fx.UnknownDevice(1), r.fx.Device(2), r.fx.UnknownDevice(3)}
	want := []core.PushOutcome{core.PushDelivered, core.PushTokenInvalid, core.PushDelivered, core.PushTokenInvalid}
	if r.fx.MalformedDevice != nil {
		devs = append(devs, r.fx.MalformedDevice(4))
		want = append(want, core.PushTokenInvalid)
	}
	results, err := r.send(t, context.Background(), Notification(), devs)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	for i, res := range results {
		if res.Outcome != want[i] {
			t.Errorf("device %d: %v (%v), want %v", i, res.Outcome, res.Err, want[i])
		}
	}
	r.delivered(t, devs[0], devs[2])

	// A batch of unknown devices only is reported the same way.
	results, err = r.send(t, context.Background(), Notification(), []core.PushDevice{r.fx.UnknownDevice(5), r.fx.UnknownDevice(6)})
	if err != nil {
		t.Fatalf("Send to unknown devices only: %v", err)
	}
	for i, res := range results {
		if res.Outcome != core.PushTokenInvalid {
			t.Errorf("unknown device %d: %v (%v)", i, res.Outcome, res.Err)
		}
	}
}

func testTTL(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	n := Notification()
	n.Expiration = time.Now().Add(time.Hour)
	if _, err := r.send(t, context.Background(), n, r.devices(0, 2)); err != nil {
		t.Fatal(err)
	}
	for _, rc := range r.delivered(t, r.devices(0, 2)...) {
		if rc.TTL < 3500 || rc.TTL > 3600 {
			t.Errorf("device %s got a TTL of %ds; the notification expires in an hour", rc.Token, rc.TTL)
		}
	}
}

func testAuthFailure(t *testing.T, h Harness) {
	t.Parallel()
	fx := h.Setup(t)
	if fx.WrongCredentials == nil {
		t.Skip("provider has no credentials")
	}
	r := &run{h: h, fx: fx, s: Open(t, h.Provider, fx.WrongCredentials)}
	_, err := r.send(t, context.Background(), Notification(), r.devices(0, 2))
	conformance.WantCode(t, err, core.CodePushMisconfigured)
	if n := fx.Remote.Requests(); n > 2 {
		t.Errorf("%d requests; rejected credentials must not be retried", n)
	}
	r.delivered(t)
	// Through the dispatcher the provider is stopped after the first refusal.
	counts := r.dispatch(t, Notification(), r.devices(0, 3*r.s.MaxBatch()), 1)
	if counts.NumFailed != int64(3*r.s.MaxBatch()) || counts.NumSent != 0 {
		t.Errorf("counts %+v", counts)
	}
	if n := fx.Remote.Requests(); n > 6 {
		t.Errorf("%d requests in all; a misconfigured provider must not be called for every batch, nor for every device of one", n)
	}
}

func testRateLimit(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	// The provider's throttling answer is retryable, with its wait.
	r.fx.Remote.Fail(Throttled, 1)
	_, err := r.send(t, context.Background(), Notification(), r.devices(0, 1))
	conformance.WantCode(t, err, core.CodeConnectionFailed)
	if d, ok := core.RetryAfter(err); !ok || d <= 0 {
		t.Errorf("a throttled Send = %v; want the wait the provider asked for", err)
	}
	r.fx.Remote.RateLimit(1)

	// A push over the limit gets through by waiting, not by hammering. The
	// batches are cut small so that even a provider with one request per
	// batch makes several.
	r.fx.Remote.RateLimit(2)
	before := r.fx.Remote.Refused()
	requestsBefore := r.fx.Remote.Requests()
	devs := r.devices(10, 8)
	r.s = smallBatches{r.s, 2}
	counts := r.dispatch(t, Notification(), devs, 2)
	if counts.NumSent != int64(len(devs)) {
		t.Fatalf("counts %+v; every device must be delivered once the limit resets", counts)
	}
	refused := r.fx.Remote.Refused() - before
	accepted := r.fx.Remote.Requests() - requestsBefore - refused
	if refused > 2*(accepted+1) {
		t.Errorf("%d requests refused for %d accepted: the push did not wait for the rate limit to reset", refused, accepted)
	}
}

// smallBatches makes a sender take smaller batches.
type smallBatches struct {
	core.PushSender
	max int
}

func (s smallBatches) MaxBatch() int { return s.max }

func testOutage(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	r.fx.Remote.Fail(Failing, 2)
	devs := r.devices(0, min(2*r.s.MaxBatch()+1, 120))
	counts := r.dispatch(t, Notification(), devs, 1)
	if counts.NumSent != int64(len(devs)) || counts.NumFailed != 0 {
		t.Errorf("counts after an outage %+v; want every device delivered", counts)
	}
	r.delivered(t, devs...)
}

func testLastingOutage(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	r.fx.Remote.Fail(Failing, -1)
	devs := r.devices(0, 5)
	_, err := r.send(t, context.Background(), Notification(), devs)
	conformance.WantCode(t, err, core.CodeConnectionFailed)
	counts := r.dispatch(t, Notification(), devs, 1)
	pc := counts.Providers[h.Provider]
	if counts.NumFailed != 5 || counts.NumSent != 0 || pc == nil || len(pc.Errors) == 0 {
		t.Errorf("counts %+v; want every device failed with a reason", counts)
	}
	if n := r.fx.Remote.Requests(); n > 60 {
		t.Errorf("%d requests for one batch; retries must be bounded", n)
	}
	r.delivered(t)
}

func testDropped(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	r.fx.Remote.Fail(Down, 1)
	devs := r.devices(0, 3)
	counts := r.dispatch(t, Notification(), devs, 1)
	if counts.NumSent != 3 {
		t.Errorf("counts %+v after a dropped connection", counts)
	}
	r.delivered(t, devs...)
}

func testStalled(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	r.fx.Remote.Stall()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	begin := time.Now()
	_, err := r.send(t, ctx, Notification(), r.devices(0, 2))
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("Send returned %v after its context ended; want it prompt", d)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send to a stalled remote = %v; want an error wrapping context.DeadlineExceeded", err)
	}
	conformance.WantCode(t, err, core.CodeConnectionFailed)
}

func testCanceled(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := r.send(t, ctx, Notification(), r.devices(0, 2))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send with a canceled context = %v; want an error wrapping context.Canceled", err)
	}
	r.delivered(t)
}

func testConcurrent(t *testing.T, h Harness) {
	t.Parallel()
	r := setup(t, h)
	n := Notification()
	var wg sync.WaitGroup
	var all []core.PushDevice
	errs := make(chan error, 4)
	for g := range 4 {
		devs := r.devices(g*10, 3)
		all = append(all, devs...)
		wg.Go(func() {
			results, err := r.s.Send(context.Background(), core.PushBatch{Key: fmt.Sprintf("%s/%d", n.ID, g), Notification: n, Devices: devs})
			if err == nil {
				for _, res := range results {
					if res.Outcome != core.PushDelivered {
						err = fmt.Errorf("outcome %v: %v", res.Outcome, res.Err)
					}
				}
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	r.delivered(t, all...)
}
