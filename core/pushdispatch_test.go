package core

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
)

// memSender is an in-memory PushSender that records what it delivers and
// fails the way a test tells it to.
type memSender struct {
	max int
	// respond, when set, decides the outcome of a call: an error for the
	// whole batch, or results (nil results: deliver all).
	respond func(call int, b PushBatch) ([]PushResult, error)

	mu        sync.Mutex
	calls     int
	delivered map[string]int // device ID -> deliveries
	keys      map[string][]string
	inFlight  int
	peak      int
	sizes     []int
}

func newMemSender(max int) *memSender {
	return &memSender{max: max, delivered: map[string]int{}, keys: map[string][]string{}}
}

func (s *memSender) MaxBatch() int { return s.max }
func (s *memSender) Close() error  { return nil }

func (s *memSender) Send(ctx context.Context, b PushBatch) ([]PushResult, error) {
	s.mu.Lock()
	s.calls++
	call := s.calls
	s.inFlight++
	s.peak = max(s.peak, s.inFlight)
	s.sizes = append(s.sizes, len(b.Devices))
	ids := make([]string, len(b.Devices))
	for i, d := range b.Devices {
		ids[i] = d.ID
	}
	if prev, ok := s.keys[b.Key]; ok && !slices.Equal(prev, ids) {
		s.mu.Unlock()
		return nil, Internal(fmt.Errorf("key %s reused for another device set", b.Key))
	}
	s.keys[b.Key] = ids
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.inFlight--
		s.mu.Unlock()
	}()
	if len(b.Devices) == 0 || len(b.Devices) > s.max {
		return nil, Internal(fmt.Errorf("batch of %d devices, max %d", len(b.Devices), s.max))
	}
	time.Sleep(time.Millisecond) // let batches overlap
	var results []PushResult
	if s.respond != nil {
		var err error
		if results, err = s.respond(call, b); err != nil {
			return nil, err
		}
	}
	if results == nil {
		results = make([]PushResult, len(b.Devices))
		for i := range results {
			results[i] = PushResult{Outcome: PushDelivered}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, r := range results {
		if r.Outcome == PushDelivered {
			s.delivered[b.Devices[i].ID]++
		}
	}
	return results, nil
}

func (s *memSender) deliveries() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.delivered))
	for k, v := range s.delivered {
		out[k] = v
	}
	return out
}

func (s *memSender) callCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls
}

// devices is a source of n devices with ids d000000..., typed by kind(i).
func devices(n int, kind func(i int) (deviceType, pushType string)) PushDeviceSource {
	return func(ctx context.Context, after string) iter.Seq2[PushDevice, error] {
		return func(yield func(PushDevice, error) bool) {
			for i := range n {
				id := fmt.Sprintf("d%06d", i)
				if id <= after {
					continue
				}
				dt, pt := kind(i)
				if !yield(PushDevice{ID: id, DeviceType: dt, PushType: pt, DeviceToken: "t" + id}, nil) {
					return
				}
			}
		}
	}
}

func android(int) (string, string) { return "android", "" }

func fastRetry() PushRetryPolicy {
	return PushRetryPolicy{Attempts: 4, Initial: 2 * time.Millisecond, Max: 50 * time.Millisecond}
}

func router(t *testing.T, routes []PushRoute, senders map[string]PushSender) *PushRouter {
	t.Helper()
	r, err := NewPushRouter(routes, senders)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func oneSender(t *testing.T, s *memSender) *PushDispatcher {
	return &PushDispatcher{Router: router(t, []PushRoute{{Provider: "mem"}}, map[string]PushSender{"mem": s}), Concurrency: 3, Retry: fastRetry()}
}

func notification() *PushNotification {
	return &PushNotification{ID: "push1", Data: PushData{Alert: "hi"}}
}

func wantAllOnce(t *testing.T, s *memSender, n int) {
	t.Helper()
	got := s.deliveries()
	if len(got) != n {
		t.Errorf("%d devices delivered, want %d", len(got), n)
	}
	for id, times := range got {
		if times != 1 {
			t.Errorf("device %s delivered %d times", id, times)
		}
	}
}

func TestPushDispatchBatchesAndBoundsConcurrency(t *testing.T) {
	s := newMemSender(100)
	d := oneSender(t, s)
	counts, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: devices(2550, android)})
	if err != nil {
		t.Fatal(err)
	}
	wantAllOnce(t, s, 2550)
	if counts.NumSent != 2550 || counts.NumFailed != 0 || counts.SentPerType["android"] != 2550 || counts.Providers["mem"].Sent != 2550 {
		t.Errorf("counts %+v", counts)
	}
	full := 0
	for _, n := range s.sizes {
		if n == 100 {
			full++
		}
	}
	if full != 25 || len(s.sizes) != 26 {
		t.Errorf("batch sizes %v; want 25 full batches of 100 and one of 50", s.sizes)
	}
	if s.peak > 3 {
		t.Errorf("%d batches in flight at once; Concurrency is 3", s.peak)
	}
}

func TestPushDispatchRoutes(t *testing.T) {
	jp, apns, web, fcm := newMemSender(1000), newMemSender(100), newMemSender(10), newMemSender(500)
	r := router(t, DefaultPushRoutes([]string{"jpush", "apns", "webpush", "fcm"}), map[string]PushSender{"jpush": jp, "apns": apns, "webpush": web, "fcm": fcm})
	kinds := []struct{ deviceType, pushType string }{{"android", "jpush"}, {"ios", ""}, {"web", ""}, {"android", "fcm"}, {"android", ""}, {"ios", "jpush"}}
	d := &PushDispatcher{Router: r, Retry: fastRetry()}
	counts, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: devices(600, func(i int) (string, string) {
		k := kinds[i%len(kinds)]
		return k.deviceType, k.pushType
	})})
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]struct {
		s *memSender
		n int
	}{"jpush": {jp, 200}, "apns": {apns, 100}, "webpush": {web, 100}, "fcm": {fcm, 200}} {
		if got := len(want.s.deliveries()); got != want.n {
			t.Errorf("%s got %d devices, want %d", name, got, want.n)
		}
	}
	if counts.NumSent != 600 || counts.SentPerType["ios"] != 200 || counts.SentPerType["web"] != 100 {
		t.Errorf("counts %+v", counts)
	}
}

func TestPushDispatchUnroutedDevicesFail(t *testing.T) {
	s := newMemSender(10)
	d := &PushDispatcher{Router: router(t, []PushRoute{{DeviceType: "ios", Provider: "apns"}}, map[string]PushSender{"apns": s}), Retry: fastRetry()}
	counts, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: devices(10, func(i int) (string, string) {
		if i%2 == 0 {
			return "ios", ""
		}
		return "android", ""
	})})
	if err != nil {
		t.Fatal(err)
	}
	if counts.NumSent != 5 || counts.NumFailed != 5 || counts.FailedPerType["android"] != 5 {
		t.Fatalf("counts %+v", counts)
	}
	none := counts.Providers[noRoute]
	if none == nil || none.Failed != 5 || len(none.Errors) != 1 {
		t.Fatalf("unrouted counts %+v", none)
	}
	for reason := range none.Errors {
		if !strings.Contains(reason, `"android"`) {
			t.Errorf("reason %q does not name the deviceType", reason)
		}
	}
}

func unavailable(msg string) *Error { return Errorf(CodeConnectionFailed, "%s", msg) }

func TestPushDispatchRetriesTransientFailures(t *testing.T) {
	s := newMemSender(50)
	s.respond = func(call int, b PushBatch) ([]PushResult, error) {
		if call <= 3 {
			return nil, unavailable("provider is down")
		}
		return nil, nil
	}
	d := oneSender(t, s)
	d.Concurrency = 1
	counts, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: devices(120, android)})
	if err != nil {
		t.Fatal(err)
	}
	wantAllOnce(t, s, 120)
	if counts.NumSent != 120 || counts.NumFailed != 0 {
		t.Errorf("counts %+v", counts)
	}
	if got := s.callCount(); got != 6 {
		t.Errorf("%d calls; want 3 failures and 3 batches", got)
	}
}

func TestPushDispatchReportsPersistentFailure(t *testing.T) {
	s := newMemSender(50)
	s.respond = func(int, PushBatch) ([]PushResult, error) { return nil, unavailable("provider is down") }
	d := oneSender(t, s)
	counts, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: devices(120, android)})
	if err != nil {
		t.Fatalf("Run = %v; provider failures are counts, not errors of Run", err)
	}
	if counts.NumFailed != 120 || counts.NumSent != 0 || counts.Providers["mem"].Errors["provider is down"] != 120 {
		t.Errorf("counts %+v", counts)
	}
	if got := s.callCount(); got != 3*d.Retry.Attempts {
		t.Errorf("%d calls; want %d attempts for each of 3 batches", got, d.Retry.Attempts)
	}
}

// A provider's requested wait holds back every batch of that provider:
// the refused batch is not sent again before the wait is over, and the
// other workers send nothing once they know of it (at most the calls
// already under way when the refusal came can land early).
func TestPushDispatchHonoursRetryAfter(t *testing.T) {
	s := newMemSender(10)
	var mu sync.Mutex
	var notBefore time.Time
	var refusedKey string
	early, earlyRetry := 0, false
	s.respond = func(call int, b PushBatch) ([]PushResult, error) {
		mu.Lock()
		defer mu.Unlock()
		if time.Now().Before(notBefore) {
			early++
			earlyRetry = earlyRetry || b.Key == refusedKey
		}
		if call == 2 {
			notBefore = time.Now().Add(100 * time.Millisecond)
			refusedKey = b.Key
			return nil, WithRetryAfter(unavailable("rate limited"), 100*time.Millisecond)
		}
		return nil, nil
	}
	d := oneSender(t, s)
	d.Retry.Max = time.Second
	if _, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: devices(100, android)}); err != nil {
		t.Fatal(err)
	}
	wantAllOnce(t, s, 100)
	if earlyRetry {
		t.Error("the refused batch was sent again before the wait it was given")
	}
	if early > d.Concurrency-1 {
		t.Errorf("%d calls came before the provider's requested wait was over; at most %d could have been under way", early, d.Concurrency-1)
	}
}

func TestPushDispatchStopsMisconfiguredProvider(t *testing.T) {
	for _, code := range []Code{CodePushMisconfigured, CodeRequestLimitExceeded, CodeInvalidValue} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			s := newMemSender(10)
			s.respond = func(int, PushBatch) ([]PushResult, error) { return nil, Errorf(code, "refused") }
			d := oneSender(t, s)
			d.Concurrency = 1
			counts, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: devices(100, android)})
			if err != nil {
				t.Fatal(err)
			}
			if got := s.callCount(); got != 1 {
				t.Errorf("%d calls; a provider that answered %d must not be called again", got, code)
			}
			if counts.NumFailed != 100 || counts.Providers["mem"].Errors["refused"] != 100 {
				t.Errorf("counts %+v", counts)
			}
		})
	}
}

func TestPushDispatchPerDeviceOutcomes(t *testing.T) {
	s := newMemSender(10)
	s.respond = func(call int, b PushBatch) ([]PushResult, error) {
		results := make([]PushResult, len(b.Devices))
		for i, dev := range b.Devices {
			n := int(dev.ID[len(dev.ID)-1] - '0')
			switch {
			case n == 3:
				results[i] = PushResult{Outcome: PushTokenInvalid, Err: Errorf(CodeInvalidValue, "unregistered")}
			case n == 5:
				results[i] = PushResult{Outcome: PushFailed, Err: Errorf(CodeInvalidValue, "message too big")}
			case n == 7 && strings.HasSuffix(b.Key, ".0"):
				results[i] = PushResult{Outcome: PushRetry, Err: unavailable("busy"), RetryAfter: time.Millisecond}
			default:
				results[i] = PushResult{Outcome: PushDelivered}
			}
		}
		return results, nil
	}
	var mu sync.Mutex
	var invalid []string
	d := oneSender(t, s)
	counts, err := d.Run(context.Background(), PushRun{
		Notification: notification(), Devices: devices(50, android),
		OnInvalidTokens: func(ctx context.Context, provider string, devs []PushDevice) error {
			if provider != "mem" {
				t.Errorf("provider %q", provider)
			}
			mu.Lock()
			defer mu.Unlock()
			for _, dev := range devs {
				invalid = append(invalid, dev.ID)
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(invalid)
	if want := []string{"d000003", "d000013", "d000023", "d000033", "d000043"}; !slices.Equal(invalid, want) {
		t.Errorf("invalid tokens %v, want %v", invalid, want)
	}
	pc := counts.Providers["mem"]
	if counts.NumSent != 40 || counts.NumFailed != 10 || pc.InvalidTokens != 5 || pc.Errors["unregistered"] != 5 || pc.Errors["message too big"] != 5 {
		t.Errorf("counts %+v, provider %+v", counts, pc)
	}
	got := s.deliveries()
	for i := 7; i < 50; i += 10 {
		if got[fmt.Sprintf("d%06d", i)] != 1 {
			t.Errorf("device %d (retried) delivered %d times", i, got[fmt.Sprintf("d%06d", i)])
		}
	}
}

func TestPushDispatchSkipsExpired(t *testing.T) {
	s := newMemSender(10)
	n := notification()
	n.Expiration = time.Now().Add(-time.Second)
	counts, err := oneSender(t, s).Run(context.Background(), PushRun{Notification: n, Devices: devices(25, android)})
	if err != nil {
		t.Fatal(err)
	}
	if s.callCount() != 0 || counts.NumFailed != 25 {
		t.Errorf("%d calls, counts %+v; an expired notification is not sent", s.callCount(), counts)
	}
}

// A run that dies (here: its progress store fails) resumes from the last
// stored checkpoint: devices done before it are not sent again, every
// device is delivered, and the totals count each device once.
func TestPushDispatchResumesFromCheckpoint(t *testing.T) {
	const n = 3000
	s := newMemSender(100)
	d := oneSender(t, s)
	var stored *PushCheckpoint
	var writes int
	crash := errors.New("node died")
	_, err := d.Run(context.Background(), PushRun{
		Notification: notification(), Devices: devices(n, android),
		OnProgress: func(ctx context.Context, p PushProgress) error {
			writes++
			if writes == 8 {
				return crash
			}
			cp := p.Checkpoint
			stored = &cp
			return nil
		},
	})
	if !errors.Is(err, crash) {
		t.Fatalf("Run = %v, want the progress error", err)
	}
	if stored == nil || stored.Counts.NumSent == 0 {
		t.Fatalf("no progress stored before the crash: %+v", stored)
	}
	before := s.deliveries()
	done := func(id string) bool { return id <= stored.Cursor || slices.Contains(stored.Done, id) }

	s2 := newMemSender(100)
	counts, err := oneSender(t, s2).Run(context.Background(), PushRun{Notification: notification(), Devices: devices(n, android), Resume: stored})
	if err != nil {
		t.Fatal(err)
	}
	after := s2.deliveries()
	for id := range after {
		if done(id) {
			t.Fatalf("device %s was done at the checkpoint and was sent again", id)
		}
	}
	for i := range n {
		id := fmt.Sprintf("d%06d", i)
		if before[id]+after[id] == 0 {
			t.Fatalf("device %s was never delivered", id)
		}
	}
	if counts.NumSent != n {
		t.Errorf("NumSent %d after resume, want %d", counts.NumSent, n)
	}
}

// However many devices one provider holds back, the checkpoint never lists
// more than Window devices: partial batches are sent when the window fills.
func TestPushDispatchWindowBoundsCheckpoint(t *testing.T) {
	slow, fast := newMemSender(100), newMemSender(100)
	r := router(t, []PushRoute{{DeviceType: "ios", Provider: "slow"}, {Provider: "fast"}}, map[string]PushSender{"slow": slow, "fast": fast})
	d := &PushDispatcher{Router: r, Window: 300, Concurrency: 2, Retry: fastRetry()}
	var biggest int
	counts, err := d.Run(context.Background(), PushRun{
		Notification: notification(),
		Devices: devices(5000, func(i int) (string, string) {
			if i%1000 == 1 {
				return "ios", ""
			}
			return "android", ""
		}),
		OnProgress: func(ctx context.Context, p PushProgress) error {
			biggest = max(biggest, len(p.Checkpoint.Done))
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if counts.NumSent != 5000 || len(slow.deliveries()) != 5 {
		t.Fatalf("counts %+v", counts)
	}
	if biggest > 300 {
		t.Errorf("a checkpoint listed %d done devices; Window is 300", biggest)
	}
}

func TestPushDispatchSourceErrors(t *testing.T) {
	s := newMemSender(10)
	d := oneSender(t, s)
	broken := errors.New("cursor lost")
	src := func(ctx context.Context, after string) iter.Seq2[PushDevice, error] {
		return func(yield func(PushDevice, error) bool) {
			if yield(PushDevice{ID: "a", DeviceType: "android"}, nil) {
				yield(PushDevice{}, broken)
			}
		}
	}
	if _, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: src}); !errors.Is(err, broken) {
		t.Errorf("Run = %v, want the source's error", err)
	}
	unordered := func(ctx context.Context, after string) iter.Seq2[PushDevice, error] {
		return func(yield func(PushDevice, error) bool) {
			_ = yield(PushDevice{ID: "b"}, nil) && yield(PushDevice{ID: "a"}, nil)
		}
	}
	_, err := d.Run(context.Background(), PushRun{Notification: notification(), Devices: unordered})
	if !IsCode(err, CodeInternalServerError) || !strings.Contains(err.Error(), "ascending") {
		t.Errorf("Run over an unordered source = %v; want an internal error about the order", err)
	}
}

func TestPushDispatchCanceled(t *testing.T) {
	s := newMemSender(10)
	ctx, cancel := context.WithCancel(context.Background())
	s.respond = func(call int, b PushBatch) ([]PushResult, error) {
		if call == 3 {
			cancel()
		}
		return nil, unavailable("down")
	}
	d := oneSender(t, s)
	d.Retry = PushRetryPolicy{Attempts: 100, Initial: time.Hour, Max: time.Hour}
	done := make(chan error, 1)
	go func() {
		_, err := d.Run(ctx, PushRun{Notification: notification(), Devices: devices(1000, android)})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after its context was canceled")
	}
}

func TestPushDispatchRejectsWrongResultCount(t *testing.T) {
	s := newMemSender(10)
	s.respond = func(int, PushBatch) ([]PushResult, error) { return []PushResult{{Outcome: PushDelivered}}, nil }
	counts, err := oneSender(t, s).Run(context.Background(), PushRun{Notification: notification(), Devices: devices(5, android)})
	if err != nil {
		t.Fatal(err)
	}
	if counts.NumFailed != 5 || counts.NumSent != 0 {
		t.Errorf("counts %+v; a sender that returns the wrong number of results fails its batch", counts)
	}
}
