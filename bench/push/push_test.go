// Package push benchmarks a push fan-out end to end: core.PushDispatcher
// streaming generated installations through the jpush provider to the
// JPush protocol fake (jpushfake) over real HTTP, with a checkpoint
// encoded after every batch as _PushStatus would store it.
//
//	go test ./bench/push -run '^$' -bench Push1M -benchtime 1x
//
// reports the wall time, devices per second and the peak RSS of the whole
// process (client, engine and fake together) in MB.
package push

import (
	"context"
	"encoding/json"
	"fmt"
	"iter"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/switchboardhq/switchboard/adapters/push/jpush"
	"github.com/switchboardhq/switchboard/adapters/push/jpush/jpushfake"
	"github.com/switchboardhq/switchboard/core"
)

// run pushes to n generated devices and returns the totals.
func run(tb testing.TB, n int) (core.PushCounts, *jpushfake.Server) {
	fake := jpushfake.New(tb)
	fake.CountOnly()
	router, err := core.OpenPush(context.Background(), core.PushConfig{Providers: map[string]map[string]any{"jpush": fake.Options()}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = router.Close() })
	src := func(ctx context.Context, after string) iter.Seq2[core.PushDevice, error] {
		return func(yield func(core.PushDevice, error) bool) {
			for i := range n {
				id := fmt.Sprintf("i%09d", i)
				if id <= after {
					continue
				}
				d := core.PushDevice{ID: id, DeviceType: "android", PushType: "jpush", RegistrationID: fake.RegistrationID(i)}
				if !yield(d, nil) {
					return
				}
			}
		}
	}
	var stored []byte
	d := &core.PushDispatcher{Router: router, Concurrency: 8}
	counts, err := d.Run(context.Background(), core.PushRun{
		Notification: &core.PushNotification{ID: "bench", Data: core.PushData{Alert: "Hello", Title: "News", Custom: map[string]any{"id": 7}}, Expiration: time.Now().Add(time.Hour)},
		Devices:      src,
		OnProgress: func(ctx context.Context, p core.PushProgress) error {
			stored, err = json.Marshal(p.Checkpoint)
			return err
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	if len(stored) == 0 {
		tb.Fatal("no checkpoint stored")
	}
	return counts, fake
}

func TestPushSmall(t *testing.T) {
	const n = 20000
	counts, fake := run(t, n)
	if counts.NumSent != n || counts.NumFailed != 0 || fake.Count() != n {
		t.Fatalf("counts %+v, fake received %d; want %d sent", counts, fake.Count(), n)
	}
}

func BenchmarkPush1M(b *testing.B) {
	const n = 1_000_000
	for b.Loop() {
		start := time.Now()
		counts, fake := run(b, n)
		elapsed := time.Since(start)
		if counts.NumSent != n || fake.Count() != n {
			b.Fatalf("counts %+v, fake received %d", counts, fake.Count())
		}
		b.ReportMetric(elapsed.Seconds(), "s/push")
		b.ReportMetric(float64(n)/elapsed.Seconds(), "devices/s")
	}
	b.ReportMetric(peakRSSMB(), "peak-RSS-MB")
}

// peakRSSMB is the process's peak resident set (VmHWM) in MB.
func peakRSSMB() float64 { return procStatusMB("VmHWM:") }

func procStatusMB(field string) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return -1
}
