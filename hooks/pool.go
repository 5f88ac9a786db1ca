package hooks

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// pool holds a deployment's prewarmed runtimes. At most size of them exist
// (plus overflow ones for nested calls); callers that find none free wait in
// a bounded queue with a deadline. A runtime that was interrupted or
// abandoned is replaced by a fresh one in the background, so the pool keeps
// its size.
//
// Free runtimes are taken last in, first out: under a load that needs
// fewer runtimes than the pool holds, the same few serve, their memory
// still in the processor's caches, rather than each in turn.
type pool struct {
	size int
	mu   sync.Mutex
	// idle are the free runtimes, the last freed at the end; waiters, the
	// callers waiting for one, first come first served.
	idle         []*jsvm
	waiters      []chan *jsvm
	queueTimeout time.Duration
	maxWaiting   int64
	maxOverflow  int64
	create       func(ctx context.Context) (*jsvm, error)
	onError      func(err error)

	waiting  atomic.Int64
	overflow atomic.Int64
	busy     atomic.Int64 // runtimes handed out and not back yet
	closed   chan struct{}
	drained  atomic.Bool // closed, quiet, idle runtimes stopped
	once     sync.Once
}

func newPool(size, maxWaiting, maxNesting int, queueTimeout time.Duration, create func(context.Context) (*jsvm, error), onError func(error)) *pool {
	return &pool{
		size:         size,
		idle:         make([]*jsvm, 0, size),
		queueTimeout: queueTimeout,
		maxWaiting:   int64(maxWaiting),
		maxOverflow:  int64(4*size + 2*maxNesting),
		create:       create,
		onError:      onError,
		closed:       make(chan struct{}),
	}
}

// fill adds the first runtime, already created, and creates the others.
func (p *pool) fill(ctx context.Context, first *jsvm) error {
	p.put(first)
	for i := 1; i < p.size; i++ {
		v, err := p.create(ctx)
		if err != nil {
			return err
		}
		p.put(v)
	}
	return nil
}

// take returns a free runtime, the last freed, or nil.
func (p *pool) take() *jsvm {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n := len(p.idle); n > 0 {
		v := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		return v
	}
	return nil
}

// put hands a free runtime to the first waiting caller, or keeps it.
func (p *pool) put(v *jsvm) {
	p.mu.Lock()
	if len(p.waiters) > 0 {
		w := p.waiters[0]
		p.waiters[0] = nil
		p.waiters = p.waiters[1:]
		p.mu.Unlock()
		w <- v // buffered: the waiter takes it, or gives it back (wait)
		return
	}
	p.idle = append(p.idle, v)
	p.mu.Unlock()
}

// wait queues the caller for a runtime until ctx ends or the queue timeout.
func (p *pool) wait(ctx context.Context) (*jsvm, error) {
	w := make(chan *jsvm, 1)
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		// Freed since take looked.
		v := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return v, nil
	}
	p.waiters = append(p.waiters, w)
	p.mu.Unlock()
	t := time.NewTimer(p.queueTimeout)
	defer t.Stop()
	var err error
	select {
	case v := <-w:
		return v, nil
	case <-ctx.Done():
		err = core.Errorf(core.CodeScriptFailed, "cloud code timed out waiting for a free runtime: %v", ctx.Err())
	case <-t.C:
		err = errBusy("no runtime became free within %s; retry later", p.queueTimeout)
	}
	p.mu.Lock()
	for i, x := range p.waiters {
		if x == w {
			p.waiters = append(p.waiters[:i], p.waiters[i+1:]...)
			p.mu.Unlock()
			return nil, err
		}
	}
	p.mu.Unlock()
	// A runtime was handed over as we gave up: take it after all.
	return <-w, nil
}

// errBusy is what a caller gets when no runtime frees up in time.
func errBusy(format string, args ...any) *core.Error {
	return core.Errorf(core.CodeRequestLimitExceeded, "cloud code is busy: "+format, args...)
}

// acquire returns a free runtime. A nested call (cloud code calling cloud
// code, which already holds a runtime) does not queue behind callers that
// may be waiting for the very runtime it holds: it gets an overflow runtime
// when none is free.
func (p *pool) acquire(ctx context.Context, nested bool) (v *jsvm, err error) {
	defer func() {
		if v != nil {
			p.busy.Add(1)
		}
	}()
	if v := p.take(); v != nil {
		return v, nil
	}
	if nested || p.drained.Load() {
		// A caller that kept a deployment long after it was replaced gets a
		// runtime of its own, like a nested call.
		// Waiting could deadlock: the runtimes may all be held by callers
		// of this very call.
		if p.overflow.Add(1) > p.maxOverflow {
			p.overflow.Add(-1)
			return nil, errBusy("%d nested cloud code calls are running at once; retry later", p.maxOverflow)
		}
		v, err := p.create(ctx)
		if err != nil {
			p.overflow.Add(-1)
			return nil, err
		}
		v.overflow = true
		return v, nil
	}
	if p.waiting.Add(1) > p.maxWaiting {
		p.waiting.Add(-1)
		return nil, errBusy("%d calls are already waiting for a runtime; retry later", p.maxWaiting)
	}
	defer p.waiting.Add(-1)
	return p.wait(ctx)
	// A pool whose deployment was replaced keeps serving the callers queued
	// on it: runtimes come back as their invocations end.
}

// release gives a runtime back after an invocation.
func (p *pool) release(v *jsvm) {
	// Counted busy until it is back in the pool: a replaced pool stops its
	// idle runtimes only when none is on its way back.
	defer p.busy.Add(-1)
	if v.overflow {
		p.overflow.Add(-1)
		v.stop()
		return
	}
	if v.broken {
		v.stop()
		p.replace()
		return
	}
	if p.drained.Load() {
		v.stop() // the deployment was replaced long ago
		return
	}
	p.put(v)
}

// discard drops a runtime that cannot be reused (its goroutine may still be
// running it) and makes up for it.
func (p *pool) discard(v *jsvm) {
	p.busy.Add(-1)
	if v.overflow {
		p.overflow.Add(-1)
		return
	}
	p.replace()
}

// replace creates a runtime in place of a discarded one, retrying with
// backoff (loading main.js may fail while the backend is briefly down).
func (p *pool) replace() {
	go func() {
		backoff := 50 * time.Millisecond
		for {
			v, err := p.create(context.Background())
			if err == nil {
				if p.drained.Load() {
					v.stop()
				} else {
					p.put(v)
				}
				return
			}
			p.onError(err)
			select {
			case <-time.After(backoff):
			case <-p.closed:
				return
			}
			backoff = min(2*backoff, 5*time.Second)
		}
	}()
}

// close marks the pool's deployment replaced. Callers that took the
// deployment before the swap are still served from the pool; once it has
// been quiet for a second, its idle runtimes are stopped (and later
// releases stop theirs).
func (p *pool) close() {
	p.once.Do(func() {
		close(p.closed)
		go p.drainWhenQuiet()
	})
}

// quietTicks × quietTick is how long a replaced pool must see no caller
// before its runtimes are stopped.
const (
	quietTick  = 100 * time.Millisecond
	quietTicks = 10
)

func (p *pool) drainWhenQuiet() {
	t := time.NewTicker(quietTick)
	defer t.Stop()
	for quiet := 0; quiet < quietTicks; {
		<-t.C
		if p.waiting.Load() == 0 && p.busy.Load() == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	p.drained.Store(true)
	for {
		v := p.take()
		if v == nil {
			return
		}
		v.stop()
	}
}
