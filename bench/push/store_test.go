package push

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/push/jpush/jpushfake"
	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/server"
)

// The end-to-end benchmark: n installations stored in the database, one
// POST /push to all of them through the REST API, and the push service
// streaming them from the store (keyset pages of _Installation) through
// the dispatcher and the jpush provider to the JPush protocol fake over
// HTTP, storing its progress and checkpoints in _PushStatus, until the
// status is succeeded. The store is SQLite in a temporary folder, or the
// PostgreSQL at SWITCHBOARD_BENCH_DATABASE_URL. SQLite maps its database
// into memory by default (store.sqlite.mmapSize): the pages it reads then
// count in the RSS as file-backed memory (RssFile), reported apart from
// the process's own (RssAnon); SWITCHBOARD_BENCH_SQLITE_NO_MMAP=1 turns
// the mapping off.
//
//	go test ./bench/push -run '^$' -bench Push1MFromStore -benchtime 1x -timeout 30m
//
// reports the time from the request to the final status, devices per
// second, and the peak RSS of the whole process (server, store and fake
// together; the installations are inserted first, in the same process).

type storeBench struct {
	app  *core.App
	fake *jpushfake.Server
	url  string
}

func newStoreBench(tb testing.TB, n int) *storeBench {
	ctx := context.Background()
	provider, cfg := "sqlite", core.StoreConfig{DataDir: tb.TempDir()}
	if os.Getenv("SWITCHBOARD_BENCH_SQLITE_NO_MMAP") != "" {
		// SQLite reads through its page cache instead of mapping the
		// database: the file's pages then do not count in the RSS.
		cfg.Options = map[string]any{"mmapSize": -1}
	}
	if u := os.Getenv("SWITCHBOARD_BENCH_DATABASE_URL"); u != "" {
		provider, cfg.URL = "postgres", u
	}
	open, _ := core.Stores.Lookup(provider)
	st, err := open(ctx, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	app, err := core.NewApp(ctx, st, core.Options{AppID: "bench", MasterKey: "mk"})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { app.Close() })
	fake := jpushfake.New(tb)
	fake.CountOnly()

	// The installations, straight into the store in large transactions.
	start := time.Now()
	if _, err := app.Create(ctx, core.MasterAuth(), "_Installation", map[string]any{"installationId": "seed", "deviceType": "web"}); err != nil {
		tb.Fatal(err)
	}
	class := app.Class("_Installation")
	now := core.Now()
	const perTx = 5000
	for i := 0; i < n; i += perTx {
		err := st.Tx(ctx, func(ctx context.Context, tx core.Store) error {
			for k := i; k < min(i+perTx, n); k++ {
				obj := core.Object{core.FieldObjectID: core.NewObjectID(), core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
					"installationId": fmt.Sprintf("dev-%08d", k), "deviceType": "android", "pushType": "jpush",
					"registrationId": fake.RegistrationID(k), "channels": []any{"all"}}
				if err := tx.Insert(ctx, class, obj); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	tb.Logf("%d installations stored in %s (%s)", n, time.Since(start).Round(time.Millisecond), provider)

	router, err := core.OpenPush(ctx, core.PushConfig{Providers: map[string]map[string]any{"jpush": fake.Options()}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = router.Close() })
	svc, err := core.NewPushService(app, core.PushServiceOptions{Router: router})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = svc.Close() })
	srv, err := server.New(server.Options{API: api.New(app), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	tb.Cleanup(ts.Close)
	return &storeBench{app: app, fake: fake, url: ts.URL + "/parse"}
}

// push sends a push to the channel "all" and waits for its final status.
func (b *storeBench) push(tb testing.TB) (map[string]any, time.Duration) {
	body, _ := json.Marshal(map[string]any{"channels": []any{"all"}, "data": map[string]any{"alert": "Hello", "title": "News", "id": 7}})
	req, _ := http.NewRequest(http.MethodPost, b.url+"/push", bytes.NewReader(body))
	req.Header.Set("X-Parse-Application-Id", "bench")
	req.Header.Set("X-Parse-Master-Key", "mk")
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	id := resp.Header.Get("X-Parse-Push-Status-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		tb.Fatalf("POST /push: %s", resp.Status)
	}
	for {
		st, err := b.app.Get(context.Background(), core.MasterAuth(), "_PushStatus", id, core.FindOptions{})
		if err != nil {
			tb.Fatal(err)
		}
		if s := st["status"]; s == "succeeded" || s == "failed" {
			return st, time.Since(start)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestPushFromStoreSmall(t *testing.T) {
	const n = 5000
	b := newStoreBench(t, n)
	st, _ := b.push(t)
	if st["status"] != "succeeded" || st["numSent"] != float64(n) || b.fake.Count() != n {
		t.Fatalf("status %v, fake received %d; want %d sent", st, b.fake.Count(), n)
	}
}

func BenchmarkPush1MFromStore(b *testing.B) {
	n := 1_000_000
	if v, err := strconv.Atoi(os.Getenv("BENCH_PUSH_DEVICES")); err == nil && v > 0 {
		n = v // for profiling a smaller run
	}
	sb := newStoreBench(b, n)
	// The peak is the push's: inserting the installations (in this process,
	// before the push) does not count.
	runtime.GC()
	debug.FreeOSMemory()
	resetPeakRSS(b)
	stop := sampleRSS()
	if f := os.Getenv("BENCH_PUSH_CPUPROFILE"); f != "" {
		// The push alone, not the insertion of the installations.
		out, err := os.Create(f)
		if err != nil {
			b.Fatal(err)
		}
		_ = pprof.StartCPUProfile(out)
		defer pprof.StopCPUProfile()
	}
	for b.Loop() {
		before := sb.fake.Count()
		st, elapsed := sb.push(b)
		if st["status"] != "succeeded" || st["numSent"] != float64(n) || sb.fake.Count()-before != n {
			b.Fatalf("status %v, fake received %d", st, sb.fake.Count()-before)
		}
		b.ReportMetric(elapsed.Seconds(), "s/push")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "devices/s")
	}
	anon, file := stop()
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
	b.ReportMetric(anon, "peak-RssAnon-MB")
	b.ReportMetric(file, "peak-RssFile-MB")
}

// sampleRSS samples the process's anonymous memory (heap, stacks) and its
// file-backed resident pages (SQLite's memory-mapped database) every 20ms
// until the returned function is called, which returns their peaks in MB.
func sampleRSS() func() (anon, file float64) {
	done := make(chan struct{})
	var peakAnon, peakFile float64
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			peakAnon = max(peakAnon, procStatusMB("RssAnon:"))
			peakFile = max(peakFile, procStatusMB("RssFile:"))
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() (float64, float64) {
		close(done)
		<-finished
		return peakAnon, peakFile
	}
}

// resetPeakRSS restarts the kernel's count of the process's peak RSS
// (VmHWM), so that it measures what follows.
func resetPeakRSS(tb testing.TB) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		tb.Logf("cannot reset the peak RSS (%v): it includes the setup", err)
	}
}
