// Package analytics benchmarks analytics ingestion and reports: generated
// events go through the ingestion path (analytics.Ingestor.Add, as the
// /events handler calls it, batched into the store sink's multi-row
// inserts and rollup upserts), then the DAU/MAU, new and retention reports
// are timed on the result, and the raw table's size is measured.
//
//	go test ./bench/analytics -run '^$' -bench Ingest -benchtime 1x -args -store=postgres -events=10000000
//
// -store is sqlite (a temporary file) or postgres (a new schema on the
// test server, see pgtest); -events the number of events (default 1M);
// -devices the distinct devices (default 200k) spread over -days days
// (default 30), half of them logged in.
package analytics

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	astore "github.com/switchboardhq/switchboard/adapters/analytics/store"
	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/analytics"
)

var (
	storeName = flag.String("store", "sqlite", "sqlite or postgres")
	nEvents   = flag.Int("events", 1_000_000, "events to ingest")
	nDevices  = flag.Int("devices", 200_000, "distinct devices")
	nDays     = flag.Int("days", 30, "days the events spread over")
	batchSize = flag.Int("batch", 0, "analytics.batchSize (0: the default)")
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func openStore(b *testing.B) core.Store {
	var st core.Store
	var err error
	if *storeName == "postgres" {
		st, err = postgres.Open(context.Background(), core.StoreConfig{URL: pgtest.Fresh(b)})
	} else {
		st, err = sqlite.Open(context.Background(), core.StoreConfig{DataDir: b.TempDir()})
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return st
}

func BenchmarkIngest(b *testing.B) {
	for range b.N {
		runIngest(b)
	}
}

func runIngest(b *testing.B) {
	ctx := context.Background()
	sink, err := astore.Open(ctx, core.ProviderEnv{Store: openStore(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer core.CloseProvider(sink)
	// The clock moves through the days as the events are generated, so
	// that every event is "now" when it is taken in.
	start := time.Now().Add(-time.Duration(*nDays) * 24 * time.Hour).Truncate(24 * time.Hour)
	span := time.Duration(*nDays) * 24 * time.Hour
	var clock atomic.Int64
	clock.Store(start.UnixNano())
	ing := analytics.New(analytics.Options{Sink: sink, BatchSize: *batchSize, Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	var full atomic.Int64
	const producers = 2
	began := time.Now()
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := uint64(p + 1)
			for i := p; i < *nEvents; i += producers {
				rnd ^= rnd << 13
				rnd ^= rnd >> 7
				rnd ^= rnd << 17
				at := start.Add(time.Duration(float64(span) * float64(i) / float64(*nEvents)))
				if p == 0 {
					clock.Store(at.UnixNano())
				}
				d := int(rnd % uint64(*nDevices))
				ev := core.AnalyticsEvent{Name: names[rnd>>32%uint64(len(names))], At: at, InstallationID: fmt.Sprintf("dev%07d", d),
					Platform: platforms[d%3], AppVersion: "1.0", Channel: "store"}
				if d%2 == 0 {
					ev.UserID = fmt.Sprintf("u%07d", d)
				}
				if ev.Name == "search" {
					ev.Dimensions = map[string]string{"category": platforms[rnd>>40%3]}
				}
				for {
					err := ing.Add(ev)
					if err == nil {
						break
					}
					if !errors.Is(err, analytics.ErrBufferFull) {
						b.Error(err)
						return
					}
					full.Add(1)
					time.Sleep(time.Millisecond) // backpressure: wait for the sink
				}
			}
		}()
	}
	wg.Wait()
	if err := ing.Flush(ctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(began)
	rate := float64(*nEvents) / elapsed.Seconds()
	b.ReportMetric(rate, "events/s")
	b.Logf("%s: %d events from %d devices over %d days in %s: %.0f events/s (%d refusals while the buffer was full)",
		*storeName, *nEvents, *nDevices, *nDays, elapsed.Round(time.Millisecond), rate, full.Load())

	svc := analytics.NewService(nil, ing, sink.(analytics.Reader), 0)
	to := core.AnalyticsDay(time.Unix(0, clock.Load()), time.UTC)
	from := to - *nDays + 1
	params := map[string]any{"from": date(from), "to": date(to)}
	for _, q := range []struct{ report, of string }{{"active", "devices"}, {"active", "users"}, {"new", ""}, {"retention", "devices"}} {
		p := map[string]any{"of": q.of}
		for k, v := range params {
			p[k] = v
		}
		if q.of == "" {
			delete(p, "of")
		}
		var times []time.Duration
		for range 5 {
			t0 := time.Now()
			if _, err := svc.Report(ctx, core.MasterAuth(), q.report, p); err != nil {
				b.Fatal(err)
			}
			times = append(times, time.Since(t0))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		b.Logf("report %s %s over %d days: median %s (min %s, max %s)", q.report, q.of, *nDays, times[2].Round(time.Microsecond),
			times[0].Round(time.Microsecond), times[4].Round(time.Microsecond))
	}
	if sizer, ok := sink.(interface {
		TableBytes(context.Context) (int64, int64, error)
	}); ok {
		ev, roll, err := sizer.TableBytes(ctx)
		if err != nil {
			b.Logf("table sizes: %v", err)
		} else {
			perM := float64(ev) / (float64(*nEvents) / 1e6) / (1 << 20)
			b.ReportMetric(perM, "MB/Mevents")
			b.Logf("raw events table (with its indexes): %.1f MB, %.1f MB per million events; rollups %.1f MB", float64(ev)/(1<<20), perM, float64(roll)/(1<<20))
		}
	}
	if err := ing.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

var (
	names     = []string{"AppOpened", "AppOpened", "search", "view", "view", "cart", "buy", "share"}
	platforms = []string{"ios", "android", "web"}
)

func date(day int) string { return core.AnalyticsDate(day).Format(time.DateOnly) }
