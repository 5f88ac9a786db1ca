package app

import (
	"io"
	"log/slog"
	"runtime"
	"runtime/debug"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core/config"
)

// gcPercent reads GOGC as the runtime has it now.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

func TestGCPercentFor(t *testing.T) {
	for _, c := range []struct {
		live, target uint64
		want         int
	}{
		{live: 10 << 20, target: 48 << 20, want: 380},    // the next collection at 48 MB
		{live: 1 << 20, target: 48 << 20, want: 1000},    // at most 10× the live heap
		{live: 40 << 20, target: 48 << 20, want: 100},    // never faster than Go's default
		{live: 60 << 20, target: 48 << 20, want: 100},    // over the target: the default
		{live: 0, target: 48 << 20, want: 100},           // nothing measured yet
		{live: 24 << 20, target: 48 << 20, want: 100},    // exactly the default
		{live: 16 << 20, target: 48 << 20, want: 200},    // 16 + 32 = 48
		{live: 5 << 20, target: 96 << 20, want: 1000},    // bounded
		{live: 12 << 20, target: 96 << 20, want: 700},    // 12 + 84 = 96
		{live: 100, target: 1 << 40, want: gcMaxPercent}, // no overflow
	} {
		if got := gcPercentFor(c.live, c.target); got != c.want {
			t.Errorf("gcPercentFor(%d, %d) = %d, want %d", c.live, c.target, got, c.want)
		}
	}
}

// The tuner raises GOGC in a running process whose live heap is far below
// the target, and an operator's GOGC turns it off.
func TestTuneGC(t *testing.T) {
	t.Cleanup(func() { debug.SetGCPercent(100) })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")

	cfg := config.Default()
	cfg.GCHeapTarget = "1gb"
	tuner := tuneGC(cfg, quiet)
	if tuner == nil {
		t.Fatal("no tuner for a 1 GB target")
	}
	deadline := time.Now().Add(5 * time.Second)
	for rounds := 0; rounds < 3 || gcPercent() <= 100; rounds++ {
		runtime.GC() // the tuner runs after each collection, again and again
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	if p := gcPercent(); p <= 100 || p > gcMaxPercent {
		t.Fatalf("GOGC = %d with a small live heap and a 1 GB target, want in (100, %d]", p, gcMaxPercent)
	}
	tuner.stop()
	runtime.GC()
	if p := gcPercent(); p != 100 {
		t.Fatalf("GOGC = %d after stop, want 100", p)
	}

	// An operator's GOGC wins, and so does gcHeapTarget: off.
	t.Setenv("GOGC", "100")
	if tuneGC(cfg, quiet) != nil {
		t.Error("a tuner despite GOGC in the environment")
	}
	t.Setenv("GOGC", "")
	cfg.GCHeapTarget = "off"
	if tuneGC(cfg, quiet) != nil {
		t.Error("a tuner with gcHeapTarget: off")
	}
}
