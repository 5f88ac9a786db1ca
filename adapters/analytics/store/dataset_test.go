package store_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strconv"
	"testing"
	"time"

	astore "github.com/switchboardhq/switchboard/adapters/analytics/store"
	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/analytics"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// stores are the data stores the sink is tested on.
var stores = []struct {
	name string
	open func(t *testing.T) core.Store
}{
	{"sqlite", func(t *testing.T) core.Store {
		st, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
	{"postgres", func(t *testing.T) core.Store {
		url := pgtest.Fresh(t)
		st, err := postgres.Open(t.Context(), core.StoreConfig{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

func openSink(t *testing.T, st core.Store) core.AnalyticsSink {
	t.Helper()
	sink, err := astore.Open(t.Context(), core.ProviderEnv{Store: st})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { core.CloseProvider(sink) })
	return sink
}

// The dataset: 10,000 devices over 60 days in Asia/Shanghai. Device i is
// new on day i%60 (its cohort; j = i/60 its rank in it) and comes back on
// day k after it when (j+k)%100 < keep(k): a planted retention curve whose
// classic and rolling values differ. Even devices are logged in as user
// "u<i>". On its first day each device goes through a planted funnel
// view -> cart -> buy (with a window of 1h): ranks j%10 < 6 add to cart 10
// minutes later, j%10 < 3 buy 10 minutes after that, j%10 == 9 buy before
// viewing and add to cart after (reaching cart only), j%10 == 8 add to
// cart two hours later (outside the window).
const (
	nDevices = 10000
	nDays    = 60
)

var zone = mustZone("Asia/Shanghai")

func mustZone(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(err)
	}
	return loc
}

var start = time.Date(2026, 9, 1, 0, 0, 0, 0, zone)

func keep(k int) int {
	switch {
	case k == 1:
		return 45
	case k <= 3:
		return 30
	case k <= 7:
		return 20
	case k <= 14:
		return 12
	case k <= 30:
		return 7
	}
	return 3
}

// dataset returns the events of each day, in time order within a day.
func dataset() [][]core.AnalyticsEvent {
	days := make([][]core.AnalyticsEvent, nDays)
	plans := []string{"free", "pro", "team"}
	for i := 0; i < nDevices; i++ {
		c, j := i%nDays, i/nDays
		dev := fmt.Sprintf("d%05d", i)
		user := ""
		if i%2 == 0 {
			user = fmt.Sprintf("u%05d", i)
		}
		platform := []string{"ios", "android", "web"}[i%3]
		ev := func(day int, at time.Duration, name string, dims map[string]string) {
			days[day] = append(days[day], core.AnalyticsEvent{Name: name, At: start.AddDate(0, 0, day).Add(at),
				InstallationID: dev, UserID: user, Platform: platform, AppVersion: "1." + strconv.Itoa(i%4), Channel: "ch" + strconv.Itoa(i%2), Dimensions: dims})
		}
		ev(c, 9*time.Hour+time.Duration(i%20)*time.Minute, analytics.EventAppOpened, nil)
		view := map[string]string{"plan": plans[j%3]}
		switch r := j % 10; {
		case r < 3:
			ev(c, 10*time.Hour, "view", view)
			ev(c, 10*time.Hour+10*time.Minute, "cart", nil)
			ev(c, 10*time.Hour+20*time.Minute, "buy", nil)
		case r < 6:
			ev(c, 10*time.Hour, "view", view)
			ev(c, 10*time.Hour+10*time.Minute, "cart", nil)
		case r == 9:
			ev(c, 9*time.Hour+50*time.Minute, "buy", nil)
			ev(c, 10*time.Hour, "view", view)
			ev(c, 10*time.Hour+5*time.Minute, "cart", nil)
		case r == 8:
			ev(c, 10*time.Hour, "view", view)
			ev(c, 12*time.Hour, "cart", nil)
		default:
			ev(c, 10*time.Hour, "view", view)
		}
		for k := 1; c+k < nDays; k++ {
			if (j+k)%100 < keep(k) {
				// Late in the evening: the UTC date is the next day, the
				// app's date is not.
				ev(c+k, 20*time.Hour+time.Duration(i%50)*time.Minute, analytics.EventAppOpened, nil)
			}
		}
	}
	for _, d := range days {
		sort.SliceStable(d, func(a, b int) bool { return d[a].At.Before(d[b].At) })
	}
	return days
}

// expected answers, computed from the dataset by brute force.
type expected struct {
	firstDay map[core.AnalyticsIDKind]map[string]int
	active   map[core.AnalyticsIDKind][]map[string]bool // by day
}

func expect(days [][]core.AnalyticsEvent) *expected {
	e := &expected{firstDay: map[core.AnalyticsIDKind]map[string]int{core.AnalyticsDevices: {}, core.AnalyticsUsers: {}},
		active: map[core.AnalyticsIDKind][]map[string]bool{}}
	for _, kind := range []core.AnalyticsIDKind{core.AnalyticsDevices, core.AnalyticsUsers} {
		e.active[kind] = make([]map[string]bool, nDays)
		for d := range e.active[kind] {
			e.active[kind][d] = map[string]bool{}
		}
	}
	for d, evs := range days {
		for _, ev := range evs {
			for kind, id := range map[core.AnalyticsIDKind]string{core.AnalyticsDevices: ev.InstallationID, core.AnalyticsUsers: ev.UserID} {
				if id == "" {
					continue
				}
				if _, ok := e.firstDay[kind][id]; !ok {
					e.firstDay[kind][id] = d
				}
				e.active[kind][d][id] = true
			}
		}
	}
	return e
}

func (e *expected) distinct(kind core.AnalyticsIDKind, from, to int) int {
	set := map[string]bool{}
	for d := max(from, 0); d <= to; d++ {
		for id := range e.active[kind][d] {
			set[id] = true
		}
	}
	return len(set)
}

// TestDataset loads the dataset through the Ingestor, day by day with the
// clock on that day, and checks every report against brute force.
func TestDataset(t *testing.T) {
	days := dataset()
	want := expect(days)
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			if s.name == "postgres" {
				pgtest.Require(t)
			}
			sink := openSink(t, s.open(t))
			now := start
			ing := analytics.New(analytics.Options{Sink: sink, Location: zone, Now: func() time.Time { return now }, FlushInterval: time.Hour})
			t.Cleanup(func() { ing.Close(context.Background()) })
			for d, evs := range days {
				now = start.AddDate(0, 0, d).Add(23 * time.Hour)
				for _, ev := range evs {
					if err := ing.Add(ev); err != nil {
						t.Fatal(err)
					}
				}
				if err := ing.Flush(t.Context()); err != nil {
					t.Fatal(err)
				}
			}
			svc := analytics.NewService(nil, ing, sink.(analytics.Reader), 0)
			checkDataset(t, svc, want, days)
		})
	}
}

func report(t *testing.T, svc *analytics.Service, name string, params map[string]any) map[string]any {
	t.Helper()
	out, err := svc.Report(t.Context(), core.MasterAuth(), name, params)
	if err != nil {
		t.Fatalf("%s %v: %v", name, params, err)
	}
	return out
}

func date(d int) string { return start.AddDate(0, 0, d).Format(time.DateOnly) }

func checkDataset(t *testing.T, svc *analytics.Service, want *expected, days [][]core.AnalyticsEvent) {
	all := map[string]any{"from": date(0), "to": date(nDays - 1)}
	kinds := map[string]core.AnalyticsIDKind{"devices": core.AnalyticsDevices, "users": core.AnalyticsUsers}

	t.Run("new", func(t *testing.T) {
		out := report(t, svc, "new", all)
		rows := out["results"].([]map[string]any)
		for d, r := range rows {
			for field, kind := range kinds {
				n := 0
				for _, fd := range want.firstDay[kind] {
					if fd == d {
						n++
					}
				}
				if r[field] != n {
					t.Errorf("new %s on %s: got %v, want %d", field, r["date"], r[field], n)
				}
			}
		}
	})

	for of, kind := range kinds {
		t.Run("active/"+of, func(t *testing.T) {
			out := report(t, svc, "active", map[string]any{"from": date(0), "to": date(nDays - 1), "of": of})
			for d, r := range out["results"].([]map[string]any) {
				checks := map[string]int{"dau": len(want.active[kind][d]), "wauRolling7d": want.distinct(kind, d-6, d), "mauRolling30d": want.distinct(kind, d-29, d)}
				for k, n := range checks {
					if r[k] != n {
						t.Errorf("%s on %s: got %v, want %d", k, r["date"], r[k], n)
					}
				}
			}
			for _, w := range out["weeks"].([]map[string]any) {
				monday, _ := time.ParseInLocation(time.DateOnly, w["week"].(string), zone)
				if monday.Weekday() != time.Monday {
					t.Errorf("week %v does not start on a Monday", w["week"])
				}
				from := int(monday.Sub(start).Hours() / 24)
				if n := want.distinct(kind, from, min(from+6, nDays-1)); w["wauCalendar"] != n {
					t.Errorf("calendar week %v: got %v, want %d", w["week"], w["wauCalendar"], n)
				}
			}
			months := out["months"].([]map[string]any)
			// September and October 2026 (start is September 1st, 60 days).
			if len(months) != 2 || months[0]["month"] != "2026-09" || months[1]["month"] != "2026-10" {
				t.Fatalf("months: %v", months)
			}
			if n := want.distinct(kind, 0, 29); months[0]["mauCalendar"] != n {
				t.Errorf("September: got %v, want %d", months[0]["mauCalendar"], n)
			}
			if n := want.distinct(kind, 30, nDays-1); months[1]["mauCalendar"] != n || months[1]["partial"] != true {
				t.Errorf("October: got %v, want %d (partial: the range ends October 30th)", months[1], n)
			}
		})

		t.Run("retention/"+of, func(t *testing.T) {
			out := report(t, svc, "retention", map[string]any{"from": date(0), "to": date(nDays - 1), "of": of})
			today := nDays - 1
			for c, r := range out["results"].([]map[string]any) {
				var cohort []string
				for id, fd := range want.firstDay[kind] {
					if fd == c {
						cohort = append(cohort, id)
					}
				}
				if r["cohort"] != len(cohort) {
					t.Errorf("cohort %s: got %v, want %d", r["date"], r["cohort"], len(cohort))
				}
				classic, rolling := r["classic"].(map[string]int), r["rolling"].(map[string]int)
				for _, n := range analytics.DefaultRetentionDays {
					key := strconv.Itoa(n)
					if c+n > today {
						if _, ok := classic[key]; ok {
							t.Errorf("cohort %s reports day %d before it happened", r["date"], n)
						}
						continue
					}
					wc, wr := 0, 0
					for _, id := range cohort {
						if want.active[kind][c+n][id] {
							wc++
						}
						for d := c + n; d <= today; d++ {
							if want.active[kind][d][id] {
								wr++
								break
							}
						}
					}
					if classic[key] != wc || rolling[key] != wr {
						t.Errorf("cohort %s day %d: classic %d rolling %d, want %d and %d", r["date"], n, classic[key], rolling[key], wc, wr)
					}
				}
			}
			// The planted curve shows: day 1 keeps about 45%, day 30 about 7%.
			r0 := out["results"].([]map[string]any)[0]
			if of == "devices" && (r0["classic"].(map[string]int)["1"] < 60 || r0["classic"].(map[string]int)["30"] > 20) {
				t.Errorf("retention curve not as planted: %v", r0)
			}
		})
	}

	t.Run("funnel", func(t *testing.T) {
		out := report(t, svc, "funnel", map[string]any{"from": date(0), "to": date(nDays - 1), "steps": "view,cart,buy", "window": "1h"})
		got := out["results"].([]map[string]any)
		var reach [3]int
		for i := 0; i < nDevices; i++ {
			j := (i / nDays) % 10
			reach[0]++
			if j < 6 || j == 9 {
				reach[1]++
			}
			if j < 3 {
				reach[2]++
			}
		}
		for k, r := range got {
			if r["count"] != reach[k] {
				t.Errorf("funnel step %v: got %v, want %d", r["step"], r["count"], reach[k])
			}
		}
	})

	t.Run("events", func(t *testing.T) {
		out := report(t, svc, "events", map[string]any{"from": date(0), "to": date(nDays - 1), "name": "view", "by": "dimension", "dimension": "plan"})
		counts := map[string]int64{}
		for i := 0; i < nDevices; i++ {
			counts[[]string{"free", "pro", "team"}[(i/nDays)%3]]++
		}
		buckets := out["results"].([]analytics.Bucket)
		if len(buckets) != 3 {
			t.Fatalf("plans: %v", buckets)
		}
		for _, b := range buckets {
			if b.Count != counts[b.Key] || b.Devices != counts[b.Key] || b.Users != counts[b.Key]/2 {
				t.Errorf("plan %s: %+v, want %d events and devices, %d users", b.Key, b, counts[b.Key], counts[b.Key]/2)
			}
		}
		byName := report(t, svc, "events", all)["results"].([]analytics.Bucket)
		names := map[string]int64{}
		for _, evs := range days {
			for _, ev := range evs {
				names[ev.Name]++
			}
		}
		for _, b := range byName {
			if b.Count != names[b.Key] {
				t.Errorf("event %s: %d, want %d", b.Key, b.Count, names[b.Key])
			}
		}
		plat := report(t, svc, "events", map[string]any{"from": date(0), "to": date(nDays - 1), "name": "buy", "by": "platform"})["results"].([]analytics.Bucket)
		var total int64
		for _, b := range plat {
			total += b.Count
		}
		if total != names["buy"] || len(plat) != 3 {
			t.Errorf("buy by platform: %+v, want 3 platforms summing to %d", plat, names["buy"])
		}
	})

	t.Run("sessions", func(t *testing.T) {
		out := report(t, svc, "sessions", all)
		// Brute force: every device's events of a day, split at gaps over 30m.
		want := make([]int, nDays)
		for d, evs := range days {
			last := map[string]time.Time{}
			for _, ev := range evs {
				if l, ok := last[ev.InstallationID]; !ok || ev.At.Sub(l) > 30*time.Minute {
					want[d]++
				}
				last[ev.InstallationID] = ev.At
			}
		}
		for d, r := range out["results"].([]map[string]any) {
			if r["sessions"] != want[d] {
				t.Errorf("sessions on %s: got %v, want %d", r["date"], r["sessions"], want[d])
			}
		}
	})
}
