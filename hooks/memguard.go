package hooks

import (
	"log/slog"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"
)

// memGuard stops scripts before they exhaust the process's memory. goja has
// no per-runtime memory limit and Go cannot attribute heap to a goroutine,
// so the guard watches the whole Go heap while scripts run: above the limit
// it collects garbage (the heap counts dead objects until then) and, if the
// heap is still above, interrupts the oldest running invocation (a bomb is
// the one that keeps running while allocating; short legitimate invocations
// come and go). The interrupted runtime is discarded, its garbage freed at
// the next collection, and the guard waits for that before choosing again.
//
// The process-wide soft limit (debug.SetMemoryLimit) is the binary's to set,
// a little above this limit, so that the collector works harder near it.
//
// While it watches, the guard also stops invocations whose caller went away
// (their context is done), within an interval: cheaper than a callback
// registered on each caller's context.
type memGuard struct {
	limit    uint64
	interval time.Duration
	logger   *slog.Logger

	mu      sync.Mutex
	running map[*invocation]struct{}
	wake    chan struct{}
	victim  *invocation
	stop    chan struct{}
	once    sync.Once

	// peak is the highest heap size seen while scripts ran, for tests and
	// measurements.
	peak uint64
	// stopped counts invocations the guard interrupted.
	stopped int
}

const heapMetric = "/memory/classes/heap/objects:bytes"

func newMemGuard(limit int64, logger *slog.Logger) *memGuard {
	g := &memGuard{
		interval: 5 * time.Millisecond,
		logger:   logger,
		running:  map[*invocation]struct{}{},
		wake:     make(chan struct{}, 1),
		stop:     make(chan struct{}),
	}
	if limit > 0 {
		g.limit = uint64(limit)
		go g.watch()
	}
	return g
}

func (g *memGuard) add(inv *invocation) {
	if g == nil || g.limit == 0 {
		return
	}
	g.mu.Lock()
	g.running[inv] = struct{}{}
	first := len(g.running) == 1
	g.mu.Unlock()
	if first {
		select {
		case g.wake <- struct{}{}:
		default:
		}
	}
}

// watching reports whether the guard runs, and so also stops invocations
// whose caller went away.
func (g *memGuard) watching() bool { return g != nil && g.limit > 0 }

func (g *memGuard) remove(inv *invocation) {
	if g == nil || g.limit == 0 {
		return
	}
	g.mu.Lock()
	delete(g.running, inv)
	g.mu.Unlock()
}

func (g *memGuard) close() {
	if g == nil {
		return
	}
	g.once.Do(func() { close(g.stop) })
}

func heapBytes(s []metrics.Sample) uint64 {
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

func (g *memGuard) watch() {
	sample := []metrics.Sample{{Name: heapMetric}}
	ticker := time.NewTicker(g.interval)
	defer ticker.Stop()
	for {
		g.mu.Lock()
		idle := len(g.running) == 0
		g.mu.Unlock()
		if idle {
			select {
			case <-g.wake:
			case <-g.stop:
				return
			}
		}
		select {
		case <-ticker.C:
		case <-g.stop:
			return
		}
		g.check(sample)
	}
}

func (g *memGuard) check(sample []metrics.Sample) {
	g.stopAbandoned()
	heap := heapBytes(sample)
	g.mu.Lock()
	if heap > g.peak {
		g.peak = heap
	}
	if g.victim != nil {
		if _, still := g.running[g.victim]; still {
			g.mu.Unlock()
			return // its runtime has not let go yet
		}
		g.victim = nil
	}
	g.mu.Unlock()
	if heap <= g.limit {
		return
	}
	runtime.GC()
	if heap = heapBytes(sample); heap <= g.limit {
		return
	}
	g.mu.Lock()
	var oldest *invocation
	for inv := range g.running {
		if oldest == nil || inv.started.Before(oldest.started) {
			oldest = inv
		}
	}
	if oldest != nil {
		g.victim = oldest
		g.stopped++
	}
	g.mu.Unlock()
	if oldest != nil {
		g.logger.Warn("cloud code: memory limit reached, stopping the oldest script", "heapMiB", heap>>20, "limitMiB", g.limit>>20, "script", oldest.label, "ranFor", time.Since(oldest.started).Round(time.Millisecond))
		oldest.interrupt(errMemory)
	}
}

// stopAbandoned interrupts the running invocations whose caller's context
// is done.
func (g *memGuard) stopAbandoned() {
	var gone []*invocation
	g.mu.Lock()
	for inv := range g.running {
		if inv.parent.Err() != nil {
			gone = append(gone, inv)
		}
	}
	g.mu.Unlock()
	for _, inv := range gone {
		inv.interrupt(errCancelled)
	}
}

// stats returns the peak heap seen since the last call and how many scripts
// were stopped in all.
func (g *memGuard) stats() (peak uint64, stopped int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	peak, g.peak = g.peak, 0
	return peak, g.stopped
}
