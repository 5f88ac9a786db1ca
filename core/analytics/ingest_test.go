package analytics

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// memSink keeps batches; block holds writes until closed; fail fails the
// next writes.
type memSink struct {
	mu      sync.Mutex
	events  []core.AnalyticsEvent
	batches int
	fail    int
	block   chan struct{}
}

func (s *memSink) WriteEvents(ctx context.Context, evs []core.AnalyticsEvent) error {
	if s.block != nil {
		<-s.block
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		return errors.New("database unavailable")
	}
	s.batches++
	s.events = append(s.events, evs...)
	return nil
}

func (s *memSink) all() []core.AnalyticsEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]core.AnalyticsEvent(nil), s.events...)
}

func TestClientTimeWithinADay(t *testing.T) {
	now := time.Date(2026, 12, 6, 1, 30, 0, 0, time.UTC)
	sink := &memSink{}
	shanghai, _ := time.LoadLocation("Asia/Shanghai")
	g := New(Options{Sink: sink, Location: shanghai, Now: func() time.Time { return now }})
	for _, at := range []time.Time{{}, now.Add(-23 * time.Hour), now.Add(-25 * time.Hour), now.Add(23 * time.Hour), now.Add(25 * time.Hour)} {
		if err := g.Add(core.AnalyticsEvent{Name: "e", At: at}); err != nil {
			t.Fatal(err)
		}
	}
	if err := g.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	got := sink.all()
	want := []time.Time{now, now.Add(-23 * time.Hour), now, now.Add(23 * time.Hour), now}
	for i, ev := range got {
		if !ev.At.Equal(want[i]) {
			t.Errorf("event %d: at %s, want %s", i, ev.At, want[i])
		}
		if d := core.AnalyticsDay(want[i], shanghai); ev.Day != d {
			t.Errorf("event %d: day %d, want %d (its date in Shanghai)", i, ev.Day, d)
		}
	}
	// 01:30 UTC is 09:30 in Shanghai: the same date there.
	if got[0].Day != core.AnalyticsDay(time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC), time.UTC) {
		t.Errorf("day of now: %s", core.AnalyticsDate(got[0].Day))
	}
}

// A sink that cannot keep up fills the buffer: Add then refuses with 155
// at once (never waits), and everything accepted is written once the
// sink recovers.
func TestBackpressure(t *testing.T) {
	sink := &memSink{block: make(chan struct{})}
	g := New(Options{Sink: sink, BufferSize: 100, BatchSize: 10, FlushInterval: time.Millisecond})
	accepted := 0
	var refusal error
	for range 1000 {
		if err := g.Add(core.AnalyticsEvent{Name: "e"}); err != nil {
			refusal = err
			break
		}
		accepted++
	}
	var perr *core.Error
	if !errors.As(refusal, &perr) || perr.Code != core.CodeRequestLimitExceeded || perr.HTTPStatus() != 429 {
		t.Fatalf("a full buffer answered %v, want 155 with HTTP 429", refusal)
	}
	if accepted != 100 {
		t.Errorf("accepted %d events before refusing, want the buffer size 100", accepted)
	}
	close(sink.block)
	if err := g.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := len(sink.all()); n != accepted {
		t.Errorf("%d events written, want %d", n, accepted)
	}
}

// A batch the sink refuses stays buffered and is written later, once.
func TestFailedBatchIsRetried(t *testing.T) {
	sink := &memSink{fail: 2}
	g := New(Options{Sink: sink, FlushInterval: time.Millisecond})
	for i := range 5 {
		if err := g.Add(core.AnalyticsEvent{Name: "e", InstallationID: string(rune('a' + i))}); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := g.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	got := sink.all()
	if len(got) != 5 || got[0].InstallationID != "a" || got[4].InstallationID != "e" {
		t.Fatalf("after two failures: %+v", got)
	}
	g.Close(t.Context())
	if err := g.Add(core.AnalyticsEvent{Name: "late"}); err == nil {
		t.Error("a closed Ingestor took an event")
	}
}

// Events of a device are tagged with its installation's platform, version
// and channel: known ones from SetDevice, others looked up once per batch.
func TestDevicesTagEvents(t *testing.T) {
	sink := &memSink{}
	var lookups [][]string
	g := New(Options{Sink: sink, FlushInterval: time.Hour, Devices: func(ctx context.Context, ids []string) (map[string]Device, error) {
		lookups = append(lookups, ids)
		return map[string]Device{"b": {Platform: "android", AppVersion: "2.0", Channel: "huawei"}}, nil
	}})
	g.SetDevice("a", Device{Platform: "ios", AppVersion: "1.0", Channel: "appstore"})
	for _, id := range []string{"a", "b", "b", "c", ""} {
		g.Add(core.AnalyticsEvent{Name: "e", InstallationID: id})
	}
	g.Add(core.AnalyticsEvent{Name: "e", InstallationID: "a", Platform: "web"}) // tagged by its source already
	g.Close(t.Context())
	got := sink.all()
	want := []Device{{"ios", "1.0", "appstore"}, {"android", "2.0", "huawei"}, {"android", "2.0", "huawei"}, {}, {}, {Platform: "web"}}
	for i, ev := range got {
		if d := (Device{ev.Platform, ev.AppVersion, ev.Channel}); d != want[i] {
			t.Errorf("event %d of %q: %+v, want %+v", i, ev.InstallationID, d, want[i])
		}
	}
	if len(lookups) != 1 || len(lookups[0]) != 2 {
		t.Errorf("lookups: %v, want one of [b c]", lookups)
	}
}

func TestDimensions(t *testing.T) {
	in := map[string]any{}
	for _, k := range []string{"j", "i", "h", "g", "f", "e", "d", "c", "b", "a"} {
		in[k] = k + "!"
	}
	got, err := dimensions(in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 8 || got["a"] != "a!" || got["h"] != "h!" || got["i"] != "" {
		t.Errorf("kept %v, want a..h", got)
	}
	for _, bad := range []any{"str", []any{}, map[string]any{"n": 1.0}, map[string]any{"": "x"}} {
		if _, err := dimensions(bad); err == nil {
			t.Errorf("dimensions %v accepted", bad)
		}
	}
	if _, err := parseAt(map[string]any{"__type": "Date", "iso": "2026-12-06T08:00:00.000Z"}); err != nil {
		t.Error(err)
	}
	if _, err := parseAt("yesterday"); err == nil {
		t.Error(`at "yesterday" accepted`)
	}
}

func TestFunnelFurthest(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	ev := func(step int, min int) stepAt {
		return stepAt{steps: []int{step}, at: t0.Add(time.Duration(min) * time.Minute)}
	}
	for _, c := range []struct {
		evs  []stepAt
		want int
	}{
		{[]stepAt{ev(0, 0), ev(1, 1), ev(2, 2)}, 3},
		{[]stepAt{ev(2, 0), ev(0, 1), ev(1, 2)}, 2},               // the last step before the first does not count
		{[]stepAt{ev(0, 0), ev(1, 90)}, 1},                        // outside the hour
		{[]stepAt{ev(0, 0), ev(0, 80), ev(1, 90), ev(2, 100)}, 3}, // a later start makes it
		{[]stepAt{ev(1, 0)}, 0},
	} {
		if got := furthest(c.evs, 3, time.Hour); got != c.want {
			t.Errorf("%v: %d steps, want %d", c.evs, got, c.want)
		}
	}
}
