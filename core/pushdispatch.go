package core

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// PushDeviceSource streams the devices of a push: those with ID greater
// than after ("" for all), in ascending ID order, compared byte by byte as
// Go compares strings (on PostgreSQL: ORDER BY "objectId" COLLATE "C").
// It reads them from a database cursor or in pages, never all at once, and
// stops when the consumer stops ranging. An error ends the stream.
type PushDeviceSource func(ctx context.Context, after string) iter.Seq2[PushDevice, error]

// PushCheckpoint is how far a push got, stored (in _PushStatus) so that a
// push whose node died resumes on another node without sending again to
// the devices already done. It is plain JSON.
type PushCheckpoint struct {
	// Cursor: every device with an ID up to and including it is done.
	Cursor string `json:"cursor,omitempty"`
	// Done lists devices after Cursor that are done too, in ascending
	// order. It is bounded by PushDispatcher.Window.
	Done []string `json:"done,omitempty"`
	// Counts are the totals of the devices done.
	Counts PushCounts `json:"counts"`
}

// PushCounts are a push's totals in _PushStatus's terms.
type PushCounts struct {
	NumSent   int64 `json:"numSent"`
	NumFailed int64 `json:"numFailed"`
	// SentPerType and FailedPerType count by deviceType.
	SentPerType   map[string]int64 `json:"sentPerType,omitempty"`
	FailedPerType map[string]int64 `json:"failedPerType,omitempty"`
	// Providers counts by provider name; devices no route matched count
	// under "none".
	Providers map[string]*PushProviderCounts `json:"providers,omitempty"`
}

// PushProviderCounts are one provider's totals.
type PushProviderCounts struct {
	Sent          int64 `json:"sent"`
	Failed        int64 `json:"failed"`
	InvalidTokens int64 `json:"invalidTokens"`
	// Errors counts failed devices by reason (an operator-safe message),
	// at most maxErrorReasons reasons; the rest count under "other errors".
	Errors map[string]int64 `json:"errors,omitempty"`
}

// Clone returns a deep copy.
func (c PushCounts) Clone() PushCounts {
	c.SentPerType = maps.Clone(c.SentPerType)
	c.FailedPerType = maps.Clone(c.FailedPerType)
	if c.Providers != nil {
		ps := make(map[string]*PushProviderCounts, len(c.Providers))
		for name, p := range c.Providers {
			cp := *p
			cp.Errors = maps.Clone(p.Errors)
			ps[name] = &cp
		}
		c.Providers = ps
	}
	return c
}

// PushProgress is a snapshot of a running push.
type PushProgress struct {
	Checkpoint PushCheckpoint
	// Finished is true for the last report of a push that went through
	// every device.
	Finished bool
}

// PushRun is one push for PushDispatcher.Run.
type PushRun struct {
	Notification *PushNotification
	Devices      PushDeviceSource
	// Resume continues a push from its last checkpoint; nil starts it.
	Resume *PushCheckpoint
	// Generation tells the runs of one push apart (a resume after a crash
	// is another run). It is part of every batch key: batches are cut
	// afresh in each run, so a key must never name another device set
	// than in an earlier run (JPush would take the batch for a retry).
	Generation int
	// OnProgress stores a snapshot (in _PushStatus). It is called from one
	// goroutine at a time, after batches complete (coalesced when it is
	// slower than they are) and once at the end with Finished set. An error
	// stops the push; Run returns it, and the push can resume from the last
	// snapshot stored.
	OnProgress func(ctx context.Context, p PushProgress) error
	// OnInvalidTokens marks installations inactive. It is called with the
	// devices a provider reported as invalid before they count as done, so a
	// crash never loses one, from several goroutines at once (one per batch
	// in flight). An error stops the push like OnProgress's.
	OnInvalidTokens func(ctx context.Context, provider string, devices []PushDevice) error
	// OnDelivered is called, when set, with the devices a batch reached,
	// before they count as done and from several goroutines at once. A
	// badge increment stores each device's new badge through it. An error
	// stops the push like OnProgress's.
	OnDelivered func(ctx context.Context, provider string, devices []PushDevice) error
}

// PushRetryPolicy bounds the tries of one batch.
type PushRetryPolicy struct {
	// Attempts is the total number of sends of a batch, the first included.
	Attempts int
	// Initial is the wait before the first retry; it doubles after each,
	// with jitter, up to Max.
	Initial time.Duration
	// Max caps any wait, including one a provider asked for.
	Max time.Duration
}

// DefaultPushRetry tries a batch 6 times over about a minute.
var DefaultPushRetry = PushRetryPolicy{Attempts: 6, Initial: time.Second, Max: 30 * time.Second}

// PushDispatcher fans pushes out to the providers of a router:
//   - devices stream from the source, so memory is bounded by Window, not
//     by the audience;
//   - each provider's devices are cut into batches of its MaxBatch, and at
//     most Concurrency batches are in flight at once;
//   - a batch that fails with CodeConnectionFailed is sent again with
//     backoff; a provider that asks for a wait (Retry-After, rate-limit
//     reset) gets no request from any batch until the wait is over;
//   - a provider that reports misconfiguration, a lasting quota or a
//     notification it refuses is not called again during the push: its
//     remaining devices fail with that reason;
//   - devices are done once delivered, failed or reported invalid, and the
//     checkpoint moves past them; devices in batches in flight when a node
//     dies are sent again on resume (at least once), devices done before
//     the last stored checkpoint never are.
//
// A PushDispatcher is safe for concurrent use: each Run has its own state.
type PushDispatcher struct {
	Router *PushRouter
	// Concurrency bounds the batches in flight (default 8).
	Concurrency int
	// Window bounds the devices read past the checkpoint cursor (default
	// twice Concurrency times the largest batch, at least 1000). When it is
	// full, partial batches are sent and reading waits.
	Window int
	// Retry bounds the tries of one batch (default DefaultPushRetry).
	Retry PushRetryPolicy
	// Now is the clock (default time.Now), for expirations.
	Now func() time.Time
}

// maxErrorReasons bounds the distinct reasons kept per provider.
const maxErrorReasons = 20

// noRoute is the provider name devices without a route count under.
const noRoute = "none"

// Run sends run.Notification to every device of run.Devices and returns the
// totals. It returns an error only when the push could not go through every
// device: the context ended, the source or a callback failed. Provider
// failures are not errors of Run: they count as failed devices, with their
// reasons, in the totals.
func (d *PushDispatcher) Run(ctx context.Context, run PushRun) (PushCounts, error) {
	if d.Router == nil || run.Notification == nil || run.Devices == nil {
		return PushCounts{}, Internal(errors.New("push: Run needs a Router, a Notification and a device source"))
	}
	x := newPushRun(d, run)
	return x.execute(ctx)
}

// pushRun is the state of one Run.
type pushRun struct {
	d      *PushDispatcher
	run    PushRun
	now    func() time.Time
	retry  PushRetryPolicy
	window int

	ctx    context.Context
	cancel context.CancelCauseFunc
	sem    chan struct{}
	wg     sync.WaitGroup
	kick   chan struct{} // wakes the progress writer

	mu        sync.Mutex
	advanced  *sync.Cond    // broadcast when entries complete or a batch ends
	entries   []windowEntry // the window: devices read past the cursor
	base      int           // the position of entries[0]
	cursor    string
	skip      map[string]struct{} // resumed Done entries not yet seen
	counts    PushCounts
	providers map[string]*providerRun
}

type windowEntry struct {
	id   string
	done bool
}

// providerRun is one provider's state during a Run.
type providerRun struct {
	name    string
	sender  PushSender
	max     int
	pending []queued // devices waiting for a full batch (reader only)
	seq     int      // batches cut (reader only)

	mu       sync.Mutex
	resumeAt time.Time // no send before this (a requested wait)
	stopped  *Error    // set once the provider must not be called again
}

// queued is a device with its place in the window.
type queued struct {
	dev PushDevice
	pos int // the device's position in the stream (see pushRun.base)
}

func newPushRun(d *PushDispatcher, run PushRun) *pushRun {
	x := &pushRun{d: d, run: run, now: d.Now, retry: d.Retry, providers: map[string]*providerRun{}}
	if x.now == nil {
		x.now = time.Now
	}
	if x.retry.Attempts < 1 {
		x.retry = DefaultPushRetry
	}
	conc := d.Concurrency
	if conc < 1 {
		conc = 8
	}
	x.sem = make(chan struct{}, conc)
	x.window = d.Window
	if x.window < 1 {
		largest := 1
		for _, s := range d.Router.senders {
			largest = max(largest, s.MaxBatch())
		}
		x.window = max(2*conc*largest, 1000)
	}
	x.advanced = sync.NewCond(&x.mu)
	x.kick = make(chan struct{}, 1)
	if r := run.Resume; r != nil {
		x.cursor = r.Cursor
		x.counts = r.Counts.Clone()
		x.skip = make(map[string]struct{}, len(r.Done))
		for _, id := range r.Done {
			if id > r.Cursor {
				x.skip[id] = struct{}{}
			}
		}
	}
	return x
}

func (x *pushRun) execute(parent context.Context) (PushCounts, error) {
	x.ctx, x.cancel = context.WithCancelCause(parent)
	defer x.cancel(nil)

	writerDone := make(chan struct{})
	go x.writeProgress(writerDone)

	readErr := x.read()
	x.flushAll()
	x.wg.Wait()
	close(x.kick)
	<-writerDone

	if err := x.failure(readErr); err != nil {
		x.mu.Lock()
		defer x.mu.Unlock()
		return x.counts.Clone(), err
	}
	final := x.snapshot()
	if x.run.OnProgress != nil {
		if err := x.run.OnProgress(x.ctx, PushProgress{Checkpoint: final, Finished: true}); err != nil {
			return final.Counts, fmt.Errorf("push: storing the final progress: %w", err)
		}
	}
	return final.Counts, nil
}

// failure is the error that ended the run early, if any.
func (x *pushRun) failure(readErr error) error {
	if readErr != nil {
		return readErr
	}
	if cause := context.Cause(x.ctx); cause != nil {
		return cause
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if len(x.entries) > 0 {
		return Internal(fmt.Errorf("push: %d devices were read but never finished", len(x.entries)))
	}
	return nil
}

// fail stops the run with err (the first one wins).
func (x *pushRun) fail(err error) {
	x.cancel(err)
	x.mu.Lock()
	x.advanced.Broadcast()
	x.mu.Unlock()
}

// read streams the devices into batches. It returns the source's error.
func (x *pushRun) read() error {
	last := x.cursor
	for dev, err := range x.run.Devices(x.ctx, x.cursor) {
		if err != nil {
			if x.ctx.Err() != nil {
				return nil // the run is ending anyway; its cause is reported
			}
			return fmt.Errorf("push: reading devices: %w", err)
		}
		if x.ctx.Err() != nil {
			return nil
		}
		if dev.ID <= last {
			return Internal(fmt.Errorf("push: the device source is not in ascending id order (%q after %q); order by objectId with byte-wise collation", dev.ID, last))
		}
		last = dev.ID
		if !x.admit(dev) {
			return nil
		}
	}
	return nil
}

// admit places one device in the window and in its provider's batch. It
// returns false when the run is over.
func (x *pushRun) admit(dev PushDevice) bool {
	x.mu.Lock()
	_, resumedDone := x.skip[dev.ID]
	if resumedDone {
		delete(x.skip, dev.ID)
	}
	pos := x.base + len(x.entries)
	x.entries = append(x.entries, windowEntry{id: dev.ID, done: resumedDone})
	if resumedDone {
		x.advanceLocked()
	}
	full := len(x.entries) >= x.window
	x.mu.Unlock()

	if !resumedDone {
		name, sender, ok := x.d.Router.Route(&dev)
		if !ok {
			err := Errorf(CodePushMisconfigured, "no push provider is routed for deviceType %q, pushType %q; add a push route", dev.DeviceType, dev.PushType)
			x.finish(noRoute, []queued{{dev: dev, pos: pos}}, PushFailed, err)
		} else {
			p := x.provider(name, sender)
			p.pending = append(p.pending, queued{dev: dev, pos: pos})
			if len(p.pending) >= p.max {
				x.dispatch(p)
			}
		}
	}
	if full {
		return x.waitForRoom()
	}
	return x.ctx.Err() == nil
}

// waitForRoom sends every partial batch (the oldest devices may be in them)
// and waits until the window has room.
func (x *pushRun) waitForRoom() bool {
	x.flushAll()
	x.mu.Lock()
	defer x.mu.Unlock()
	for len(x.entries) >= x.window && x.ctx.Err() == nil {
		x.advanced.Wait()
	}
	return x.ctx.Err() == nil
}

func (x *pushRun) provider(name string, s PushSender) *providerRun {
	p, ok := x.providers[name]
	if !ok {
		p = &providerRun{name: name, sender: s, max: s.MaxBatch()}
		x.providers[name] = p
	}
	return p
}

// flushAll sends every provider's partial batch.
func (x *pushRun) flushAll() {
	for _, name := range slices.Sorted(maps.Keys(x.providers)) {
		if p := x.providers[name]; len(p.pending) > 0 {
			x.dispatch(p)
		}
	}
}

// dispatch starts a worker for p's pending devices once a slot is free.
func (x *pushRun) dispatch(p *providerRun) {
	batch := p.pending
	p.pending = nil
	p.seq++
	seq := p.seq
	select {
	case x.sem <- struct{}{}:
	case <-x.ctx.Done():
		return // the devices stay unfinished: they are sent again on resume
	}
	x.wg.Add(1)
	go func() {
		defer func() {
			<-x.sem
			x.mu.Lock()
			x.advanced.Broadcast()
			x.mu.Unlock()
			x.wg.Done()
		}()
		x.sendBatch(p, seq, batch)
	}()
}

// sendBatch sends one batch until every device in it is done, or the run
// ends.
func (x *pushRun) sendBatch(p *providerRun, seq int, batch []queued) {
	n := x.run.Notification
	for round, attempt := 0, 1; len(batch) > 0; attempt++ {
		if x.ctx.Err() != nil {
			return
		}
		if err := p.stoppedErr(); err != nil {
			x.finish(p.name, batch, PushFailed, err)
			return
		}
		if !p.waitTurn(x.ctx) {
			return
		}
		if n.Expired(x.now()) {
			x.finish(p.name, batch, PushFailed, Errorf(CodeTimeout, "the notification expired before it could be sent"))
			return
		}
		devices := make([]PushDevice, len(batch))
		for i, q := range batch {
			devices[i] = q.dev
		}
		key := fmt.Sprintf("%s/%d/%s/%d.%d", n.ID, x.run.Generation, p.name, seq, round)
		results, err := p.sender.Send(x.ctx, PushBatch{Key: key, Notification: n, Devices: devices})
		if x.ctx.Err() != nil {
			return // unknown whether it went out: not done, so resent on resume
		}
		if err != nil {
			if !x.batchFailed(p, batch, attempt, err) {
				return
			}
			continue
		}
		if len(results) != len(batch) {
			x.finish(p.name, batch, PushFailed, Internal(fmt.Errorf("push.%s returned %d results for %d devices", p.name, len(results), len(batch))))
			return
		}
		var ok bool
		batch, ok = x.settle(p, batch, results, attempt)
		if !ok {
			return
		}
		if len(batch) > 0 {
			round++ // a different device set: a different key
		}
	}
}

// batchFailed handles an error for a whole batch. It returns true to send
// the batch again (after waiting), false when the batch is finished or the
// run is over.
func (x *pushRun) batchFailed(p *providerRun, batch []queued, attempt int, err error) bool {
	e := AsError(err)
	switch e.Code {
	case CodeConnectionFailed:
		wait := x.backoff(attempt)
		if hint, ok := RetryAfter(err); ok {
			wait = max(wait, min(hint, x.retry.Max))
			p.pause(time.Now().Add(wait))
		}
		if attempt >= x.retry.Attempts {
			x.finish(p.name, batch, PushFailed, e)
			return false
		}
		return sleepCtx(x.ctx, wait)
	case CodePushMisconfigured, CodeRequestLimitExceeded, CodeInvalidValue:
		p.stop(e)
		x.finish(p.name, batch, PushFailed, e)
		return false
	default:
		x.finish(p.name, batch, PushFailed, e)
		return false
	}
}

// settle records a batch's per-device results and returns the devices to
// send again; false when the run is over.
func (x *pushRun) settle(p *providerRun, batch []queued, results []PushResult, attempt int) ([]queued, bool) {
	var delivered, again []queued
	var hint time.Duration
	type failure struct {
		q   queued
		err *Error
	}
	var failed, invalid []failure
	for i, r := range results {
		q := batch[i]
		switch r.Outcome {
		case PushDelivered:
			delivered = append(delivered, q)
		case PushTokenInvalid:
			invalid = append(invalid, failure{q, orInternal(r.Err, p.name)})
		case PushRetry:
			if attempt < x.retry.Attempts {
				again = append(again, q)
				hint = max(hint, r.RetryAfter)
				continue
			}
			failed = append(failed, failure{q, orInternal(r.Err, p.name)})
		case PushFailed:
			failed = append(failed, failure{q, orInternal(r.Err, p.name)})
		default:
			failed = append(failed, failure{q, Internal(fmt.Errorf("push.%s returned outcome %v", p.name, r.Outcome))})
		}
	}
	if len(invalid) > 0 && x.run.OnInvalidTokens != nil {
		devs := make([]PushDevice, len(invalid))
		for i, f := range invalid {
			devs[i] = f.q.dev
		}
		if err := x.run.OnInvalidTokens(x.ctx, p.name, devs); err != nil {
			x.fail(fmt.Errorf("push: marking %d invalid installations inactive: %w", len(devs), err))
			return nil, false
		}
	}
	if len(delivered) > 0 && x.run.OnDelivered != nil {
		devs := make([]PushDevice, len(delivered))
		for i, q := range delivered {
			devs[i] = q.dev
		}
		if err := x.run.OnDelivered(x.ctx, p.name, devs); err != nil {
			x.fail(fmt.Errorf("push: recording %d delivered devices: %w", len(devs), err))
			return nil, false
		}
	}
	x.finish(p.name, delivered, PushDelivered, nil)
	for _, f := range invalid {
		x.finish(p.name, []queued{f.q}, PushTokenInvalid, f.err)
	}
	for _, f := range failed {
		x.finish(p.name, []queued{f.q}, PushFailed, f.err)
	}
	if len(again) > 0 {
		wait := x.backoff(attempt)
		if hint > 0 {
			wait = max(wait, min(hint, x.retry.Max))
		}
		if !sleepCtx(x.ctx, wait) {
			return nil, false
		}
	}
	return again, true
}

func orInternal(e *Error, provider string) *Error {
	if e != nil {
		return e
	}
	return Internal(fmt.Errorf("push.%s gave no reason", provider))
}

// finish marks devices done with one outcome and counts them.
func (x *pushRun) finish(provider string, qs []queued, outcome PushOutcome, err *Error) {
	if len(qs) == 0 {
		return
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	c := &x.counts
	if c.Providers == nil {
		c.Providers = map[string]*PushProviderCounts{}
	}
	pc := c.Providers[provider]
	if pc == nil {
		pc = &PushProviderCounts{}
		c.Providers[provider] = pc
	}
	n := int64(len(qs))
	for _, q := range qs {
		t := q.dev.DeviceType
		if t == "" {
			t = "unknown"
		}
		if outcome == PushDelivered {
			c.SentPerType = incr(c.SentPerType, t, 1)
		} else {
			c.FailedPerType = incr(c.FailedPerType, t, 1)
		}
		x.entries[q.pos-x.base].done = true
	}
	switch outcome {
	case PushDelivered:
		c.NumSent += n
		pc.Sent += n
	default:
		c.NumFailed += n
		pc.Failed += n
		if outcome == PushTokenInvalid {
			pc.InvalidTokens += n
		}
		reason := "unknown error"
		if err != nil {
			reason = err.Message
		}
		if _, known := pc.Errors[reason]; !known && len(pc.Errors) >= maxErrorReasons {
			reason = "other errors"
		}
		pc.Errors = incr(pc.Errors, reason, n)
	}
	x.advanceLocked()
	select {
	case x.kick <- struct{}{}:
	default:
	}
}

func incr(m map[string]int64, key string, n int64) map[string]int64 {
	if m == nil {
		m = map[string]int64{}
	}
	m[key] += n
	return m
}

// advanceLocked moves the cursor past the done entries at the head of the
// window and drops them. Dropped entries are zeroed so their ids can be
// collected; append reallocates the slice from its live part, so the
// window's memory follows its length, not the length of the stream.
func (x *pushRun) advanceLocked() {
	k := 0
	for k < len(x.entries) && x.entries[k].done {
		k++
	}
	if k == 0 {
		return
	}
	x.cursor = x.entries[k-1].id
	clear(x.entries[:k])
	x.entries = x.entries[k:]
	x.base += k
	x.advanced.Broadcast()
}

// snapshot is the checkpoint as of now.
func (x *pushRun) snapshot() PushCheckpoint {
	x.mu.Lock()
	defer x.mu.Unlock()
	cp := PushCheckpoint{Cursor: x.cursor, Counts: x.counts.Clone()}
	for _, e := range x.entries {
		if e.done {
			cp.Done = append(cp.Done, e.id)
		}
	}
	for id := range x.skip {
		if id > x.cursor {
			cp.Done = append(cp.Done, id)
		}
	}
	slices.Sort(cp.Done)
	return cp
}

// writeProgress calls OnProgress with a fresh snapshot each time batches
// complete, one call at a time, until kick is closed.
func (x *pushRun) writeProgress(done chan<- struct{}) {
	defer close(done)
	for range x.kick {
		if x.run.OnProgress == nil || x.ctx.Err() != nil {
			continue
		}
		if err := x.run.OnProgress(x.ctx, PushProgress{Checkpoint: x.snapshot()}); err != nil {
			x.fail(fmt.Errorf("push: storing progress: %w", err))
		}
	}
}

// backoff is the wait after the given failed attempt (1-based): Initial
// doubled per attempt, capped at Max, with equal jitter.
func (x *pushRun) backoff(attempt int) time.Duration {
	d := x.retry.Initial << (attempt - 1)
	if d <= 0 || d > x.retry.Max {
		d = x.retry.Max
	}
	return d/2 + rand.N(d/2+1)
}

// waitTurn waits until the provider's requested pause is over.
func (p *providerRun) waitTurn(ctx context.Context) bool {
	for {
		p.mu.Lock()
		wait := time.Until(p.resumeAt)
		p.mu.Unlock()
		if wait <= 0 {
			return true
		}
		if !sleepCtx(ctx, wait) {
			return false
		}
	}
}

func (p *providerRun) pause(until time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if until.After(p.resumeAt) {
		p.resumeAt = until
	}
}

func (p *providerRun) stop(err *Error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped == nil {
		p.stopped = err
	}
}

func (p *providerRun) stoppedErr() *Error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stopped
}

// sleepCtx waits d or until ctx ends; false if ctx ended.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
