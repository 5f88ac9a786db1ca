// Package analyticstest is the conformance suite for analytics sinks
// (core.AnalyticsSink). Every sink under adapters/analytics runs it from a
// harness:
//
//	func TestConformance(t *testing.T) {
//		analyticstest.RunConformance(t, analyticstest.Harness{Provider: "store", Env: env})
//	}
//
// It checks the contract: an empty batch is accepted; a batch arrives
// whole with every field (time to the millisecond, day, ids, platform,
// version, channel, dimensions), and so do batches of thousands; a batch written under a cancelled
// context is an error and leaves nothing behind; an unknown option fails
// to open. Sinks that keep events (analytics.Reader) are also checked
// through their reads: writing a batch twice leaves the rollups as once,
// an earlier event arriving later moves an id's first day back, and the
// day rollups count each id once per day.
package analyticstest

import (
	"context"
	"reflect"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/analytics"
)

// Harness opens the sink under test.
type Harness struct {
	// Provider is the sink's registered name.
	Provider string
	// Env returns the environment to open a fresh sink with (its options
	// in Env.Options); the suite opens it and closes it when t ends.
	Env func(t *testing.T) core.ProviderEnv
	// Received returns the events the sink's destination holds, in the
	// order written, for sinks that keep nothing themselves (nil for a
	// sink that is an analytics.Reader).
	Received func(t *testing.T) []core.AnalyticsEvent
}

// Day is the suite's day (2026-03-10) as an AnalyticsDay.
var Day = core.AnalyticsDay(time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC), time.UTC)

func at(day int, h int) time.Time {
	return core.AnalyticsDate(day).Add(time.Duration(h)*time.Hour + 123*time.Millisecond)
}

// Batch is the suite's batch: two devices, one of them logged in, on two
// days, with dimensions.
func Batch() []core.AnalyticsEvent {
	return []core.AnalyticsEvent{
		{Name: "AppOpened", At: at(Day, 8), Day: Day, InstallationID: "dev-a", Platform: "ios", AppVersion: "1.2", Channel: "appstore"},
		{Name: "search", At: at(Day, 9), Day: Day, InstallationID: "dev-a", UserID: "user1", Platform: "ios", AppVersion: "1.2",
			Channel: "appstore", Dimensions: map[string]string{"category": "books", "source": "home"}},
		{Name: "search", At: at(Day, 10), Day: Day, InstallationID: "dev-b", Platform: "android", Dimensions: map[string]string{"category": "music"}},
		{Name: "AppOpened", At: at(Day+1, 8), Day: Day + 1, InstallationID: "dev-a", UserID: "user1", Platform: "ios", AppVersion: "1.3", Channel: "appstore"},
	}
}

func open(t *testing.T, h Harness) core.AnalyticsSink {
	t.Helper()
	sink, err := core.OpenProvider(t.Context(), core.AnalyticsSinks, h.Provider, h.Env(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.CloseProvider(sink) })
	return sink
}

// RunConformance runs the suite.
func RunConformance(t *testing.T, h Harness) {
	t.Run("EmptyBatch", func(t *testing.T) {
		if err := open(t, h).WriteEvents(t.Context(), nil); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("BatchArrivesWhole", func(t *testing.T) {
		sink := open(t, h)
		if err := sink.WriteEvents(t.Context(), Batch()); err != nil {
			t.Fatal(err)
		}
		got := received(t, h, sink)
		if !reflect.DeepEqual(got, Batch()) {
			t.Fatalf("events:\n got %+v\nwant %+v", got, Batch())
		}
	})
	t.Run("BigBatches", func(t *testing.T) {
		// Larger than a sink's statements (2000 rows in the store sink),
		// twice, so that a statement kept between batches is used again.
		sink := open(t, h)
		for b := range 2 {
			batch := make([]core.AnalyticsEvent, 4500)
			for i := range batch {
				batch[i] = core.AnalyticsEvent{Name: "bulk", At: at(Day, 12).Add(time.Duration(b*len(batch)+i) * time.Millisecond), Day: Day,
					InstallationID: "dev-" + strconv.Itoa(i%300)}
			}
			if err := sink.WriteEvents(t.Context(), batch); err != nil {
				t.Fatal(err)
			}
		}
		if got := received(t, h, sink); len(got) != 9000 {
			t.Fatalf("%d events kept, want 9000", len(got))
		}
	})
	t.Run("CancelledWriteLeavesNothing", func(t *testing.T) {
		sink := open(t, h)
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := sink.WriteEvents(ctx, Batch()); err == nil {
			t.Fatal("a write under a cancelled context succeeded")
		}
		if got := received(t, h, sink); len(got) != 0 {
			t.Fatalf("a failed write left %d events", len(got))
		}
	})
	t.Run("UnknownOption", func(t *testing.T) {
		env := h.Env(t)
		opts := map[string]any{"noSuchOption": true}
		for k, v := range env.Options {
			opts[k] = v
		}
		env.Options = opts
		if sink, err := core.OpenProvider(t.Context(), core.AnalyticsSinks, h.Provider, env); err == nil {
			core.CloseProvider(sink)
			t.Fatal("an unknown option was accepted")
		}
	})
	if h.Received != nil {
		return
	}
	t.Run("Rollups", func(t *testing.T) {
		sink := open(t, h)
		r, ok := sink.(analytics.Reader)
		if !ok {
			t.Fatalf("%T keeps events (no Received in the harness) but is not an analytics.Reader", sink)
		}
		// The later day first, then the whole batch twice: dev-a and
		// user1 move back to Day, and nothing counts twice.
		batch := Batch()
		for _, b := range [][]core.AnalyticsEvent{batch[3:], batch, batch} {
			if err := sink.WriteEvents(t.Context(), b); err != nil {
				t.Fatal(err)
			}
		}
		check := func(kind core.AnalyticsIDKind, set analytics.DaySet, want ...int) {
			t.Helper()
			days, err := r.Days(t.Context(), kind, set, Day-1, Day+1)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]int, len(days))
			for i, d := range days {
				got[i] = int(d.GetCardinality())
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s per day: got %v, want %v", kind, set, got, want)
			}
		}
		check(core.AnalyticsDevices, analytics.DayActive, 0, 2, 1)
		check(core.AnalyticsDevices, analytics.DayNew, 0, 2, 0)
		check(core.AnalyticsUsers, analytics.DayActive, 0, 1, 1)
		check(core.AnalyticsUsers, analytics.DayNew, 0, 1, 0)
		var first []analytics.FirstSeen
		if err := r.FirstSeen(t.Context(), core.AnalyticsDevices, Day-1, Day+1, func(f analytics.FirstSeen) error {
			first = append(first, f)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		sort.Slice(first, func(i, j int) bool { return first[i].ID < first[j].ID })
		want := []analytics.FirstSeen{
			{ID: "dev-a", Day: Day, At: at(Day, 8), Platform: "ios", AppVersion: "1.2", Channel: "appstore"},
			{ID: "dev-b", Day: Day, At: at(Day, 10), Platform: "android"},
		}
		if !reflect.DeepEqual(first, want) {
			t.Errorf("first seen:\n got %+v\nwant %+v", first, want)
		}
		counts, err := r.CountEvents(t.Context(), analytics.Count{Name: "search", FromDay: Day, ToDay: Day + 1, GroupBy: "dimension", Dimension: "category"})
		if err != nil {
			t.Fatal(err)
		}
		if want := []analytics.Bucket{{Key: "books", Count: 2, Devices: 1, Users: 1}, {Key: "music", Count: 2, Devices: 1}}; !reflect.DeepEqual(counts, want) {
			t.Errorf("search by category: got %+v, want %+v", counts, want)
		}
	})
}

// received reads back what the sink kept, in time order.
func received(t *testing.T, h Harness, sink core.AnalyticsSink) []core.AnalyticsEvent {
	t.Helper()
	if h.Received != nil {
		return h.Received(t)
	}
	r, ok := sink.(analytics.Reader)
	if !ok {
		t.Fatalf("%T keeps events (no Received in the harness) but is not an analytics.Reader", sink)
	}
	var out []core.AnalyticsEvent
	err := r.Events(t.Context(), analytics.EventFilter{FromDay: Day - 1, ToDay: Day + 2}, func(ev *core.AnalyticsEvent) error {
		out = append(out, *ev)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
