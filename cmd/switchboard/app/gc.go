package app

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"

	"github.com/switchboardhq/switchboard/core/config"
)

// GC percent bounds of the tuning: never below Go's default, so a big live
// heap is collected as usual, and at most 10× the live heap of garbage.
const (
	gcMinPercent = 100
	gcMaxPercent = 1000
)

// tuneGC lets the heap grow by cfg's gcHeadroom past the live heap before
// the garbage collector runs again. Go's default lets it grow by the live
// heap, a few megabytes here, so under load it collected about 30 times a
// second; with 32 MB of headroom, about 6 times, and a get by id used
// 5–15% less CPU. A fixed headroom rather than a fixed heap size: the cost
// of collecting grows with the live heap and falls with the headroom, and
// cloud code's runtimes each add megabytes of live heap that a fixed size
// would eat into. An operator's own GOGC or GOMEMLIMIT wins: then nothing
// is tuned. It returns the tuner (nil when off).
func tuneGC(cfg *config.Config, log *slog.Logger) *gcTuner {
	headroom := cfg.GCHeadroomBytes()
	if headroom <= 0 {
		return nil
	}
	for _, env := range []string{"GOGC", "GOMEMLIMIT"} {
		if os.Getenv(env) != "" {
			log.Info("garbage collector: "+env+" is set, gcHeadroom is not applied", env, os.Getenv(env))
			return nil
		}
	}
	t := &gcTuner{headroom: uint64(headroom)}
	t.tune()
	t.arm()
	return t
}

// gcTuner sets GOGC after every collection so that the next one comes when
// the heap has grown by the headroom: GOGC = headroom / live, within
// [gcMinPercent, gcMaxPercent]. Hand-written rather than bytedance's
// gctuner, which paces from HeapInuse: read right after a collection, that
// still counts the unswept garbage, three times the live heap here. The
// live heap the pacer itself uses is /gc/heap/live:bytes.
type gcTuner struct {
	headroom uint64

	mu      sync.Mutex // a tuning under way finishes before stop resets GOGC
	stopped bool
}

// gcSentinel is garbage as soon as it is made: its finalizer runs after
// the next collection, tunes, and makes the next sentinel.
type gcSentinel struct{ t *gcTuner }

func (t *gcTuner) arm() {
	runtime.SetFinalizer(&gcSentinel{t: t}, func(s *gcSentinel) {
		if s.t.tune() {
			s.t.arm()
		}
	})
}

// tune sets GOGC for the live heap now; false once stopped.
func (t *gcTuner) tune() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	sample := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(sample)
	if sample[0].Value.Kind() == metrics.KindUint64 {
		debug.SetGCPercent(gcPercentFor(sample[0].Value.Uint64(), t.headroom))
	}
	return true
}

// stop leaves GOGC at Go's default.
func (t *gcTuner) stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	debug.SetGCPercent(gcMinPercent)
}

// gcPercentFor is the GOGC that starts the next collection when a heap of
// live bytes has grown by headroom.
func gcPercentFor(live, headroom uint64) int {
	if live == 0 {
		return gcMinPercent
	}
	if headroom/live >= gcMaxPercent/100 {
		return gcMaxPercent // and headroom*100 cannot overflow below
	}
	return int(max(headroom*100/live, gcMinPercent))
}
