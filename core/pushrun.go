package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"
	"time"
)

// pushRunner runs one claimed push on this node: wave after wave (one for
// a push that is not local-time), through the dispatcher, storing its
// progress and renewing its lease as it goes.
type pushRunner struct {
	s     *PushService
	c     *Class // _PushStatus
	id    string
	lease string // the _leaseOwner value of this claim

	st   pushRunState
	data PushData
	// where is the audience, exp the absolute expiration (zero: none or
	// per wave), interval the expiration_interval (seconds, 0: none).
	where    Expr
	inst     *Class
	exp      time.Time
	interval float64
	local    PushTime

	ctx    context.Context
	cancel context.CancelCauseFunc

	mu      sync.Mutex
	pending Update // the newest progress not yet stored
	wake    chan struct{}
	writeMu sync.Mutex // serialises writes of the row
}

// maxPushFailures is how many runs of a push may fail on our own errors
// (the store unreachable) before the push is marked failed.
const maxPushFailures = 5

func (r *pushRunner) run(row Object) {
	s := r.s
	r.ctx, r.cancel = context.WithCancelCause(s.ctx)
	defer r.cancel(nil)
	r.wake = make(chan struct{}, 1)
	if err := r.load(row); err != nil {
		r.fail(err)
		return
	}
	// The run's generation is stored before anything is sent: a later run
	// must never cut batches under the same keys.
	r.st.Runs++
	if err := r.write(Update{"_run": Set{Value: r.st.toMap()}}); err != nil {
		if !errors.Is(err, errPushLeaseLost) && !errors.Is(err, errPushCancelled) {
			s.log.Error("push: starting a run", "pushStatusId", r.id, "err", err)
			r.release(Now().Add(time.Second))
		}
		return
	}
	writerDone := make(chan struct{})
	go r.writeLoop(writerDone)
	err := r.waves()
	r.cancel(err)
	<-writerDone
	switch {
	case err == nil:
	case errors.Is(err, errPushLeaseLost), errors.Is(err, errPushCancelled):
		// Another node has it, or it was cancelled: nothing to store.
	case errors.Is(err, errPushShutdown):
		r.release(Now())
	default:
		r.st.Failures++
		if r.st.Failures >= maxPushFailures {
			r.fail(err)
			return
		}
		s.log.Error("push: a run failed; it resumes later", "pushStatusId", r.id, "err", err, "failures", r.st.Failures)
		r.release(Now().Add(time.Duration(r.st.Failures*r.st.Failures) * time.Second))
	}
}

// load reads the push from its row.
func (r *pushRunner) load(row Object) error {
	st, err := pushRunStateOf(row["_run"])
	if err != nil {
		return Internal(fmt.Errorf("push %s: reading its state: %w", r.id, err))
	}
	r.st = st
	var where, data map[string]any
	q, _ := row["query"].(string)
	p, _ := row["payload"].(string)
	if json.Unmarshal([]byte(q), &where) != nil || json.Unmarshal([]byte(p), &data) != nil {
		return Errorf(CodePushMisconfigured, "push %s: its stored query or payload is not JSON", r.id)
	}
	if r.data, err = ParsePushData(data); err != nil {
		return err
	}
	if r.inst, err = r.s.app.systemClass(r.ctx, installationClass); err != nil {
		return err
	}
	if r.where, err = r.s.app.ParseWhereIn(r.ctx, MasterAuth(), installationClass, r.inst, where); err != nil {
		return err
	}
	if ms, ok := row["expiry"].(float64); ok && ms > 0 {
		r.exp = time.UnixMilli(int64(ms)).UTC()
	}
	r.interval, _ = row["expiration_interval"].(float64)
	if st.LocalTime != "" {
		if r.local, err = ParsePushTime(st.LocalTime, time.Now()); err != nil || !r.local.Local {
			return Errorf(CodePushMisconfigured, "push %s: its local push time %q cannot be read", r.id, st.LocalTime)
		}
	}
	return nil
}

// waves sends the waves that are due, and parks the push until the next
// one or finishes it.
func (r *pushRunner) waves() error {
	for {
		if r.st.Wave == nil {
			wave, next, err := r.plan()
			if err != nil {
				return err
			}
			if wave == nil {
				if !next.IsZero() {
					return r.park(next)
				}
				return r.finish()
			}
			n, err := r.s.app.store.Count(r.ctx, r.inst, &Query{Where: r.audience(wave)})
			if err != nil {
				return err
			}
			r.st.Wave, r.st.Checkpoint = wave, nil
			r.st.Audience += n
			if err := r.write(Update{"count": Set{Value: float64(r.st.Audience)}, "_run": Set{Value: r.st.toMap()}}); err != nil {
				return err
			}
		}
		if err := r.sendWave(); err != nil {
			return err
		}
	}
}

// plan returns the wave due now: every device for a push that is not
// local-time, else the zones whose local push time has come. next is when
// another wave is due.
func (r *pushRunner) plan() (*pushWave, time.Time, error) {
	if r.st.LocalTime == "" {
		if len(r.st.ZonesDone) > 0 {
			return nil, time.Time{}, nil // the one wave is sent
		}
		return &pushWave{All: true}, time.Time{}, nil
	}
	zones, err := r.s.app.store.Distinct(r.ctx, r.inst, "timeZone", &Query{Where: andExpr(r.where, activeDevices())})
	if err != nil {
		return nil, time.Time{}, err
	}
	wave, next := nextLocalWave(r.local.At, zones, r.st.ZonesDone, Now())
	return wave, next, nil
}

func (r *pushRunner) audience(w *pushWave) Expr {
	return andExpr(andExpr(r.where, activeDevices()), w.filter())
}

// notification is what the current wave sends. An expiration_interval counts from the push's time: for
// a local-time push, from the wave's own instant.
func (r *pushRunner) notification() *PushNotification {
	n := &PushNotification{ID: r.id, Data: r.data, Expiration: r.exp}
	if r.interval > 0 && r.st.LocalTime != "" && !r.st.Wave.At.IsZero() {
		n.Expiration = r.st.Wave.At.Add(time.Duration(r.interval * float64(time.Second))).UTC()
	}
	return n
}

// sendWave runs the dispatcher over the current wave, from its checkpoint.
func (r *pushRunner) sendWave() error {
	wave := r.st.Wave
	resume := r.st.Checkpoint
	if resume == nil {
		resume = &PushCheckpoint{Counts: r.st.Counts.Clone()}
	}
	counts, err := r.s.disp.Run(r.ctx, PushRun{
		Notification:    r.notification(),
		Devices:         r.devices(r.audience(wave)),
		Resume:          resume,
		Generation:      r.st.Runs,
		OnProgress:      r.progress,
		OnInvalidTokens: r.deactivate,
		OnDelivered:     r.deliveredHook(),
	})
	if err != nil {
		if cause := context.Cause(r.ctx); cause != nil {
			return cause
		}
		return err
	}
	r.st.Counts = counts
	r.st.ZonesDone = append(r.st.ZonesDone, wave.doneZones()...)
	if wave.All {
		r.st.ZonesDone = []string{"*"}
	}
	r.st.Wave, r.st.Checkpoint = nil, nil
	u := countsFields(counts)
	u["_run"] = Set{Value: r.st.toMap()}
	return r.write(u)
}

// progress stores a running wave's snapshot: the last one at once, the
// others through writeLoop, at most every ProgressInterval.
func (r *pushRunner) progress(ctx context.Context, p PushProgress) error {
	cp := p.Checkpoint
	r.st.Checkpoint = &cp
	u := countsFields(cp.Counts)
	u["_run"] = Set{Value: r.st.toMap()}
	if p.Finished {
		return r.write(u)
	}
	r.mu.Lock()
	r.pending = u
	r.mu.Unlock()
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return context.Cause(r.ctx)
}

// writeLoop stores the newest progress at most every ProgressInterval,
// and renews the lease at least every third of it, until the run ends.
func (r *pushRunner) writeLoop(done chan<- struct{}) {
	defer close(done)
	renew := time.NewTicker(r.s.opts.ResumeAfter / 3)
	defer renew.Stop()
	var last time.Time
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-renew.C:
		case <-r.wake:
			if wait := r.s.opts.ProgressInterval - time.Since(last); wait > 0 {
				select {
				case <-r.ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
		if err := r.write(nil); err != nil {
			r.cancel(err)
			return
		}
		last = time.Now()
	}
}

// write stores u (nil: the pending progress, or only the lease) on the
// push's row while this claim holds it, with the lease renewed unless u
// sets it. Writes are serialised and a write supersedes the pending
// progress, so that an older snapshot never lands after a newer one. A
// row that no longer matches was cancelled or taken over.
func (r *pushRunner) write(u Update) error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.mu.Lock()
	if u == nil {
		u = r.pending
	}
	r.pending = nil
	r.mu.Unlock()
	if u == nil {
		u = Update{}
	}
	now := Now()
	if _, set := u["_leaseUntil"]; !set {
		u["_leaseUntil"] = Set{Value: now.Add(r.s.opts.ResumeAfter)}
	}
	u[FieldUpdatedAt] = Set{Value: now}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), r.s.opts.ResumeAfter)
	defer cancel()
	_, err := r.s.app.store.Update(ctx, r.c, r.id, r.held(), nil, u)
	if IsCode(err, CodeObjectNotFound) {
		return r.lostWhy(ctx)
	}
	return err
}

// held matches the row while this claim holds it.
func (r *pushRunner) held() Expr {
	return And{Exprs: []Expr{
		Cmp{Field: "status", Op: OpEq, Value: PushStatusRunning},
		Cmp{Field: "_leaseOwner", Op: OpEq, Value: r.lease},
	}}
}

// lostWhy tells a cancelled push from one another node took.
func (r *pushRunner) lostWhy(ctx context.Context) error {
	rows, err := r.s.app.store.Find(ctx, r.c, &Query{Where: Cmp{Field: FieldObjectID, Op: OpEq, Value: r.id}, Limit: 1, Keys: []string{"status"}})
	if err == nil && len(rows) == 1 && rows[0]["status"] == PushStatusCancelled {
		return errPushCancelled
	}
	return errPushLeaseLost
}

// park leaves the push until its next wave, at next.
func (r *pushRunner) park(next time.Time) error {
	r.release(next)
	return nil
}

// release gives the push up until runAt, with its latest progress, so
// that a node (this one or another) takes it again then.
func (r *pushRunner) release(runAt time.Time) {
	r.mu.Lock()
	u := r.pending
	r.pending = nil
	r.mu.Unlock()
	if u == nil {
		u = Update{}
	}
	u["_run"] = Set{Value: r.st.toMap()}
	u["_runAt"] = Set{Value: runAt}
	u["_leaseOwner"] = Unset{}
	u["_leaseUntil"] = Unset{}
	if err := r.write(u); err != nil && !errors.Is(err, errPushLeaseLost) && !errors.Is(err, errPushCancelled) {
		r.s.log.Error("push: releasing a push; another node resumes it once its lease runs out", "pushStatusId", r.id, "err", err)
		return
	}
	r.s.schedule(context.Background(), r.id, runAt)
}

// finish marks the push done: succeeded when it went through every device
// and some were reached (or there were none), failed when every device
// failed.
func (r *pushRunner) finish() error {
	c := r.st.Counts
	u := countsFields(c)
	u["status"] = Set{Value: PushStatusSucceeded}
	if c.NumSent == 0 && c.NumFailed > 0 {
		u["status"] = Set{Value: PushStatusFailed}
	}
	if c.NumFailed > 0 {
		u["errorMessage"] = Set{Value: errorSummary(c, nil)}
	}
	u["_run"] = Set{Value: r.st.toMap()}
	u["_runAt"] = Unset{}
	u["_leaseOwner"] = Unset{}
	u["_leaseUntil"] = Unset{}
	return r.write(u)
}

// fail marks the push failed with err.
func (r *pushRunner) fail(err error) {
	r.s.log.Error("push failed", "pushStatusId", r.id, "err", err)
	u := countsFields(r.st.Counts)
	u["status"] = Set{Value: PushStatusFailed}
	u["errorMessage"] = Set{Value: errorSummary(r.st.Counts, err)}
	u["_run"] = Set{Value: r.st.toMap()}
	u["_runAt"] = Unset{}
	u["_leaseOwner"] = Unset{}
	u["_leaseUntil"] = Unset{}
	if werr := r.write(u); werr != nil && !errors.Is(werr, errPushLeaseLost) && !errors.Is(werr, errPushCancelled) {
		r.s.log.Error("push: storing a failure", "pushStatusId", r.id, "err", werr)
	}
}

// pushDeviceKeys are the _Installation fields a push reads.
var pushDeviceKeys = []string{"installationId", "deviceType", "pushType", "deviceToken", "registrationId", "tags", "alias",
	"badge", "timeZone", "appIdentifier", "appVersion", "localeIdentifier"}

// devices streams the installations matching where in objectId order, a
// range of the table at a time, never all at once. A few ranges are read
// ahead, concurrently, while the dispatcher works on the current one, so
// that reading overlaps sending and one database round trip does not wait
// for another.
//
// A range is bounded by objectId on both sides: first the span-th objectId
// after the previous bound is looked up (an index walk, whatever the
// audience), then the audience is read between the two bounds. Asking
// instead for "the next 1000 matching devices" (ORDER BY objectId LIMIT
// 1000) lets a database's planner, which cannot tell how many devices a
// channel or tag has, choose to scan the whole table and sort it for every
// page; a bounded range keeps every read an index range. The span grows
// while ranges hold few matching devices (a small audience in a large
// table) and shrinks when they hold many.
func (r *pushRunner) devices(where Expr) PushDeviceSource {
	st, c, size := r.s.app.store, r.inst, r.s.opts.PageSize
	return func(ctx context.Context, after string) iter.Seq2[PushDevice, error] {
		return func(yield func(PushDevice, error) bool) {
			ctx, stop := context.WithCancel(ctx)
			defer stop()
			type page struct {
				devices []PushDevice
				err     error
			}
			var span atomic.Int64
			span.Store(int64(size))
			// ranges holds the ranges being read, in order; its capacity
			// bounds the reads ahead.
			ranges := make(chan chan page, readAhead)
			go func() {
				defer close(ranges)
				lower := after
				for {
					upper, err := rangeBound(ctx, st, c, lower, int(span.Load()))
					result := make(chan page, 1)
					select {
					case ranges <- result:
					case <-ctx.Done():
						return
					}
					if err != nil {
						result <- page{err: err}
						return
					}
					go func(lower, upper string) {
						w := where
						if lower != "" {
							w = andExpr(w, Cmp{Field: FieldObjectID, Op: OpGt, Value: lower})
						}
						if upper != "" {
							w = andExpr(w, Cmp{Field: FieldObjectID, Op: OpLte, Value: upper})
						}
						rows, err := st.Find(ctx, c, &Query{Where: w, Order: []OrderKey{{Field: FieldObjectID}}, Limit: -1, Keys: pushDeviceKeys})
						p := page{err: err, devices: make([]PushDevice, len(rows))}
						for i, o := range rows {
							p.devices[i] = PushDeviceFromObject(o)
						}
						result <- p
					}(lower, upper)
					if upper == "" {
						return
					}
					lower = upper
				}
			}()
			for result := range ranges {
				var p page
				select {
				case p = <-result:
				case <-ctx.Done():
					return
				}
				if p.err != nil {
					yield(PushDevice{}, p.err)
					return
				}
				switch n := len(p.devices); {
				case n < size/2:
					span.Store(min(span.Load()*2, int64(maxRangeSpan*size)))
				case n > size:
					span.Store(max(span.Load()/2, int64(size)))
				}
				for _, d := range p.devices {
					if !yield(d, nil) {
						return
					}
				}
			}
		}
	}
}

// readAhead is how many ranges the device source reads ahead.
const readAhead = 3

// maxRangeSpan bounds a range of the device source to this many pages of
// the table.
const maxRangeSpan = 16

// rangeBound returns the span-th objectId after cursor (in the whole
// class), or "" when fewer remain.
func rangeBound(ctx context.Context, st Store, c *Class, cursor string, span int) (string, error) {
	var w Expr
	if cursor != "" {
		w = Cmp{Field: FieldObjectID, Op: OpGt, Value: cursor}
	}
	rows, err := st.Find(ctx, c, &Query{Where: w, Order: []OrderKey{{Field: FieldObjectID}}, Skip: span - 1, Limit: 1, Keys: []string{}})
	if err != nil || len(rows) == 0 {
		return "", err
	}
	return rows[0].ID(), nil
}

// deactivate marks the installations of invalid tokens inactive, unless
// the device saved a new token meanwhile.
func (r *pushRunner) deactivate(ctx context.Context, provider string, devices []PushDevice) error {
	now := Now()
	for _, d := range devices {
		where := []Expr{}
		if d.DeviceToken != "" {
			where = append(where, Cmp{Field: "deviceToken", Op: OpEq, Value: d.DeviceToken})
		}
		if d.RegistrationID != "" {
			where = append(where, Cmp{Field: "registrationId", Op: OpEq, Value: d.RegistrationID})
		}
		var cond Expr
		if len(where) > 0 {
			cond = And{Exprs: where}
		}
		_, err := r.s.app.store.Update(ctx, r.inst, d.ID, cond, nil, Update{"active": Set{Value: false}, FieldUpdatedAt: Set{Value: now}})
		if err != nil && !IsCode(err, CodeObjectNotFound) {
			return err
		}
	}
	return nil
}

// deliveredHook stores the badge a badge increment showed on each device
// it reached, as Parse Server does, so that the next increment counts
// from it; nil for any other push. It sets the shown value rather than
// adding to the stored one: a device sent to again after a crash then
// keeps the badge it displays.
func (r *pushRunner) deliveredHook() func(ctx context.Context, provider string, devices []PushDevice) error {
	badge := r.data.Badge
	if !badge.Increment {
		return nil
	}
	return func(ctx context.Context, _ string, devices []PushDevice) error {
		now := Now()
		for _, d := range devices {
			shown, _ := badge.For(d.Badge)
			_, err := r.s.app.store.Update(ctx, r.inst, d.ID, nil, nil, Update{"badge": Set{Value: float64(shown)}, FieldUpdatedAt: Set{Value: now}})
			if err != nil && !IsCode(err, CodeObjectNotFound) {
				return err
			}
		}
		return nil
	}
}

func hashHex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
