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
		live, headroom uint64
		want           int
	}{
		{live: 10 << 20, headroom: 32 << 20, want: 320},    // the next collection at 42 MB
		{live: 15 << 20, headroom: 32 << 20, want: 213},    // cloud code's runtimes: at 47 MB
		{live: 1 << 20, headroom: 32 << 20, want: 1000},    // at most 10× the live heap
		{live: 40 << 20, headroom: 32 << 20, want: 100},    // never faster than Go's default
		{live: 0, headroom: 32 << 20, want: 100},           // nothing measured yet
		{live: 32 << 20, headroom: 32 << 20, want: 100},    // exactly the default
		{live: 100, headroom: 1 << 40, want: gcMaxPercent}, // no overflow
		{live: 3, headroom: 1<<64 - 1, want: gcMaxPercent}, // none here either
	} {
		if got := gcPercentFor(c.live, c.headroom); got != c.want {
			t.Errorf("gcPercentFor(%d, %d) = %d, want %d", c.live, c.headroom, got, c.want)
		}
	}
}

// The tuner raises GOGC in a running process whose live heap is far below
// the headroom, and an operator's GOGC turns it off.
func TestTuneGC(t *testing.T) {
	t.Cleanup(func() { debug.SetGCPercent(100) })
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")

	cfg := config.Default()
	cfg.GCHeadroom = "1gb"
	tuner := tuneGC(cfg, quiet)
	if tuner == nil {
		t.Fatal("no tuner for a 1 GB headroom")
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
		t.Fatalf("GOGC = %d with a small live heap and a 1 GB headroom, want in (100, %d]", p, gcMaxPercent)
	}
	tuner.stop()
	runtime.GC()
	if p := gcPercent(); p != 100 {
		t.Fatalf("GOGC = %d after stop, want 100", p)
	}

	// An operator's GOGC wins, and so does gcHeadroom: off.
	t.Setenv("GOGC", "100")
	if tuneGC(cfg, quiet) != nil {
		t.Error("a tuner despite GOGC in the environment")
	}
	t.Setenv("GOGC", "")
	cfg.GCHeadroom = "off"
	if tuneGC(cfg, quiet) != nil {
		t.Error("a tuner with gcHeadroom: off")
	}
}
