package core

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// The push service: POST /push, _PushStatus, and running pushes across
// nodes.
//
// A push is a _PushStatus row from the moment POST /push answers. Its
// status moves pending (to send now) or scheduled (push_time ahead) →
// running → succeeded or failed, or to cancelled. The row also holds the
// run's own state in internal fields: _runAt (when the push, or the next
// wave of a local-time push, is due), _leaseOwner and _leaseUntil (which
// node runs it, until when), and _run (the checkpoint and the totals so
// far).
//
// Starting a push: the job queue runs PushJobKind at _runAt on exactly one
// node; the handler claims the push with a conditional update of its row
// (status not final, _runAt due, no live lease) and runs it. A claim that
// finds the push taken, cancelled or finished does nothing, so a job run
// twice sends nothing twice.
//
// Surviving the node: the running node renews its lease (ResumeAfter)
// while it works and stores checkpoints (PushDispatcher). Every node
// sweeps _PushStatus for pushes whose lease ran out and claims them: a
// push whose node died resumes from its last checkpoint on another node,
// without sending again to the devices done before it. The sweep also
// starts pushes whose job never came (a node that died between storing
// the push and queueing its job, or a server without a job queue).

// PushJobKind is the job that starts a push at its time.
const PushJobKind = "switchboard.push"

const pushStatusClass = "_PushStatus"

// The statuses of a push in _PushStatus.
const (
	PushStatusPending   = "pending"
	PushStatusScheduled = "scheduled"
	PushStatusRunning   = "running"
	PushStatusSucceeded = "succeeded"
	PushStatusFailed    = "failed"
	PushStatusCancelled = "cancelled"
)

// PushServiceOptions configure a PushService.
type PushServiceOptions struct {
	// Router sends devices to their providers. Required; the service does
	// not close it.
	Router *PushRouter
	// Concurrency bounds the batches in flight per push (default 8).
	Concurrency int
	// ResumeAfter is the lease of a running push: another node resumes a
	// push whose node has not renewed it for this long (default 30s).
	ResumeAfter time.Duration
	// SweepInterval is how often this node looks for pushes to resume or
	// start (default ResumeAfter/3).
	SweepInterval time.Duration
	// PageSize is the number of installations read per page (default 1000).
	PageSize int
	// Retry bounds the tries of one batch (default DefaultPushRetry).
	Retry PushRetryPolicy
	// ProgressInterval is the least time between two writes of a running
	// push's progress (default 250ms); the final one is always written.
	ProgressInterval time.Duration
	// Logger receives the service's errors (default slog.Default()).
	Logger *slog.Logger
}

// PushService sends the pushes of an App. It is safe for concurrent use.
type PushService struct {
	app  *App
	opts PushServiceOptions
	disp *PushDispatcher
	node string
	log  *slog.Logger

	ctx    context.Context
	cancel context.CancelCauseFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	running map[string]bool
	timers  map[string]*time.Timer // scheduled pushes this node stored
	started bool
}

var (
	errPushShutdown  = errors.New("push: the server is shutting down")
	errPushLeaseLost = errors.New("push: another node took the push over")
	errPushCancelled = errors.New("push: cancelled")
)

// NewPushService returns the push service of app and makes it the one
// App.SendPush uses. Register its job (Handle) before the job queue
// starts, and Start it.
func NewPushService(app *App, opts PushServiceOptions) (*PushService, error) {
	if app == nil || opts.Router == nil {
		return nil, errors.New("push: NewPushService needs an App and a Router")
	}
	if opts.ResumeAfter <= 0 {
		opts.ResumeAfter = 30 * time.Second
	}
	if opts.SweepInterval <= 0 {
		opts.SweepInterval = opts.ResumeAfter / 3
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 1000
	}
	if opts.ProgressInterval <= 0 {
		opts.ProgressInterval = 250 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &PushService{
		app:     app,
		opts:    opts,
		disp:    &PushDispatcher{Router: opts.Router, Concurrency: opts.Concurrency, Retry: opts.Retry},
		node:    randomHex(6),
		log:     opts.Logger,
		running: map[string]bool{},
		timers:  map[string]*time.Timer{},
	}
	s.ctx, s.cancel = context.WithCancelCause(context.Background())
	app.push.Store(s)
	return s, nil
}

// PushService returns the App's push service, or nil when push is off.
func (a *App) PushService() *PushService { return a.push.Load() }

// Handle registers the push job on q (before q starts).
func (s *PushService) Handle(q JobQueue) {
	q.Handle(PushJobKind, func(ctx context.Context, j Job) error {
		id, _ := j.Args["pushStatusId"].(string)
		if id == "" {
			return nil // nothing to run; retrying would not help
		}
		return s.claimAndRun(ctx, id)
	})
}

// Start begins sweeping for pushes to resume or start, until Close.
func (s *PushService) Start() {
	s.mu.Lock()
	if s.started {
		s.mu.Unlock()
		return
	}
	s.started = true
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		t := time.NewTicker(s.opts.SweepInterval)
		defer t.Stop()
		for {
			select {
			case <-s.ctx.Done():
				return
			case <-t.C:
				s.sweep()
			}
		}
	}()
}

// Close stops the pushes this node runs, storing where they got to and
// releasing them so that another node resumes them at once, and stops the
// sweep. It does not close the router.
func (s *PushService) Close() error {
	s.mu.Lock()
	s.cancel(errPushShutdown)
	for id, t := range s.timers {
		t.Stop()
		delete(s.timers, id)
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// sweep claims the pushes that are due and that no node holds: resumed
// after their node died, or started when their job did not come.
func (s *PushService) sweep() {
	c := s.app.Class(pushStatusClass)
	if c == nil {
		return
	}
	now := Now()
	due := now
	if s.app.Jobs() != nil {
		// The job queue starts pushes on time; the sweep only catches
		// those whose job never came.
		due = now.Add(-s.opts.ResumeAfter)
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.ResumeAfter)
	defer cancel()
	rows, err := s.app.store.Find(ctx, c, &Query{Where: And{Exprs: []Expr{
		In{Field: "status", Values: []any{PushStatusPending, PushStatusScheduled, PushStatusRunning}},
		Cmp{Field: "_runAt", Op: OpLte, Value: due},
		leaseFree(now),
	}}, Limit: 20, Keys: []string{"status"}})
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Error("push: looking for pushes to resume", "err", err)
		}
		return
	}
	for _, r := range rows {
		if err := s.claimAndRun(ctx, r.ID()); err != nil && s.ctx.Err() == nil {
			s.log.Error("push: resuming a push", "pushStatusId", r.ID(), "err", err)
		}
	}
}

// leaseFree matches pushes no node holds.
func leaseFree(now time.Time) Expr {
	return Or{Exprs: []Expr{
		Exists{Field: "_leaseUntil", Exists: false},
		Cmp{Field: "_leaseUntil", Op: OpLt, Value: now},
	}}
}

// claimAndRun takes the push id if it is due and free, and runs it in the
// background. Taken, finished, cancelled or not yet due: nothing to do.
func (s *PushService) claimAndRun(ctx context.Context, id string) error {
	c := s.app.Class(pushStatusClass)
	if c == nil {
		return nil
	}
	// The run is counted in wg before Close can wait, or not started.
	s.mu.Lock()
	if s.ctx.Err() != nil {
		s.mu.Unlock()
		return Errorf(CodeConnectionFailed, "this node is shutting down; the push runs on another node")
	}
	if s.running[id] {
		s.mu.Unlock()
		return nil
	}
	s.running[id] = true
	s.wg.Add(1)
	s.mu.Unlock()
	done := func() {
		s.mu.Lock()
		delete(s.running, id)
		s.mu.Unlock()
		s.wg.Done()
	}
	now := Now()
	lease := s.node + ":" + randomHex(6)
	row, err := s.app.store.Update(ctx, c, id, And{Exprs: []Expr{
		In{Field: "status", Values: []any{PushStatusPending, PushStatusScheduled, PushStatusRunning}},
		Or{Exprs: []Expr{Exists{Field: "_runAt", Exists: false}, Cmp{Field: "_runAt", Op: OpLte, Value: now}}},
		leaseFree(now),
	}}, nil, Update{
		"status":       Set{Value: PushStatusRunning},
		"_leaseOwner":  Set{Value: lease},
		"_leaseUntil":  Set{Value: now.Add(s.opts.ResumeAfter)},
		FieldUpdatedAt: Set{Value: now},
	})
	if err != nil {
		done()
		if IsCode(err, CodeObjectNotFound) {
			return nil
		}
		return err
	}
	go func() {
		defer done()
		r := &pushRunner{s: s, c: c, id: id, lease: lease}
		r.run(row)
	}()
	return nil
}

// ---- POST /push ----

// pushBodyKeys are the keys a POST /push body may have.
var pushBodyKeys = map[string]bool{"where": true, "channels": true, "data": true, "push_time": true,
	"expiration_time": true, "expiration_interval": true}

// SendPush sends a push (POST /push) and returns its _PushStatus objectId.
// The master key may send; another caller needs a policy that allows the
// point "push", action "send", which sees the audience's size in
// extra.audienceSize. The body is Parse's: where or channels, data,
// push_time, expiration_time or expiration_interval.
func (a *App) SendPush(ctx context.Context, auth *Auth, body map[string]any) (string, error) {
	s := a.PushService()
	if s == nil {
		return "", Errorf(CodePushMisconfigured, "push is not configured on this server (push: in the config)")
	}
	return s.send(ctx, auth, body)
}

func (s *PushService) send(ctx context.Context, auth *Auth, body map[string]any) (string, error) {
	a := s.app
	if auth.ReadOnly {
		return "", Errorf(CodeOperationForbidden, "read-only masterKey isn't allowed to send push notifications.")
	}
	covered := a.authorizerCovers(PointPush, "")
	if !auth.Master && !covered {
		return "", Errorf(CodeOperationForbidden, "unauthorized: sending push needs the master key, or a policy that allows it")
	}
	for k := range body {
		if !pushBodyKeys[k] {
			return "", Errorf(CodePushMisconfigured, "unknown key %q in a push: use where or channels, data, push_time, expiration_time, expiration_interval", k)
		}
	}
	where, err := pushWhere(body)
	if err != nil {
		return "", err
	}
	rawData, ok := body["data"].(map[string]any)
	if !ok {
		return "", Errorf(CodePushMisconfigured, "a push needs data: an object with alert, title, badge, ...")
	}
	data, err := ParsePushData(rawData)
	if err != nil {
		return "", err
	}
	now := Now()
	var pt PushTime
	if v, set := body["push_time"]; set && v != nil {
		if pt, err = ParsePushTime(v, now); err != nil {
			return "", err
		}
	}
	base := pt.At
	if pt.Local {
		base = pt.FirstRun()
	}
	expiration, err := ParsePushExpiration(body, base, now)
	if err != nil {
		return "", err
	}
	inst, err := a.systemClass(ctx, installationClass)
	if err != nil {
		return "", err
	}
	audience, err := a.ParseWhereIn(ctx, MasterAuth(), installationClass, inst, where)
	if err != nil {
		return "", err
	}
	if covered {
		n, err := a.store.Count(ctx, inst, &Query{Where: andExpr(audience, activeDevices())})
		if err != nil {
			return "", err
		}
		// A push decision is yes or no: a filter, which only reads have,
		// does not apply to it.
		if _, err := a.Authorize(ctx, &AuthzInput{Point: PointPush, Action: "send", Class: installationClass, Auth: auth,
			Query: where, Extra: map[string]any{"audienceSize": n}}); err != nil {
			return "", err
		}
	}
	return s.store(ctx, where, data, pt, expiration, body["expiration_interval"], now)
}

// pushWhere is the audience of a push body, as Parse Server reads it.
func pushWhere(body map[string]any) (map[string]any, error) {
	rawWhere, hasWhere := body["where"]
	channels, hasChannels := body["channels"]
	switch {
	case hasWhere && hasChannels:
		return nil, Errorf(CodePushMisconfigured, "Channels and query can not be set at the same time.")
	case hasWhere:
		w, ok := rawWhere.(map[string]any)
		if !ok {
			return nil, Errorf(CodePushMisconfigured, "where must be a query on _Installation (a JSON object)")
		}
		return w, nil
	case hasChannels:
		list, ok := channels.([]any)
		if !ok || len(list) == 0 {
			return nil, Errorf(CodePushMisconfigured, "channels must be a non-empty array of channel names")
		}
		for _, c := range list {
			if _, ok := c.(string); !ok {
				return nil, Errorf(CodePushMisconfigured, "channels must be a non-empty array of channel names")
			}
		}
		return map[string]any{"channels": map[string]any{"$in": list}}, nil
	}
	return nil, Errorf(CodePushMisconfigured, "Sending a push requires either \"channels\" or a \"where\" query.")
}

// activeDevices excludes the installations whose token a provider reported
// invalid.
func activeDevices() Expr { return Cmp{Field: "active", Op: OpNe, Value: false} }

// store records a new push and has it started: now through the job queue
// (or on this node without one), or at its time.
func (s *PushService) store(ctx context.Context, where map[string]any, data PushData, pt PushTime, expiration time.Time, interval any, now time.Time) (string, error) {
	a := s.app
	c, err := a.systemClass(ctx, pushStatusClass)
	if err != nil {
		return "", err
	}
	query, _ := json.Marshal(where)
	payload, _ := json.Marshal(data.Map())
	runAt := now
	status := PushStatusPending
	if first := pt.FirstRun(); !pt.At.IsZero() && first.After(now) {
		runAt, status = first, PushStatusScheduled
	}
	id := NewObjectID()
	obj := Object{FieldObjectID: id, FieldCreatedAt: now, FieldUpdatedAt: now,
		"source": "rest", "query": string(query), "payload": string(payload), "status": status,
		"numSent": float64(0), "numFailed": float64(0), "_runAt": runAt,
		"pushHash": pushHash(payload)}
	if !pt.At.IsZero() {
		obj["pushTime"] = pt.String()
	} else {
		obj["pushTime"] = FormatTime(now)
	}
	if data.Title != "" {
		obj["title"] = data.Title
	}
	_, hasInterval := interval.(float64)
	if !expiration.IsZero() && !(pt.Local && hasInterval) {
		// A local-time push's interval counts from each wave's instant.
		obj["expiry"] = float64(expiration.UnixMilli())
	}
	if secs, ok := interval.(float64); ok {
		obj["expiration_interval"] = secs
	}
	st := pushRunState{}
	if pt.Local {
		st.LocalTime = pt.String()
	}
	obj["_run"] = st.toMap()
	if err := a.storeFor(ctx).Insert(ctx, c, obj); err != nil {
		return "", err
	}
	a.afterCommit(ctx, func() { s.schedule(outsideTx(ctx), id, runAt) })
	return id, nil
}

// schedule has the push id started at runAt. A push due now starts on
// this node at once. A push for later is a job of the job queue at its
// time, which survives this node; this node also keeps a timer for it, so
// that it starts on time whatever the queue's scheduling delay. The claim
// lets only one of them run it. Without a job queue, or when queueing
// fails, the sweep of any node starts it once due. A node shutting down
// hands the push to the job queue, which another node works.
func (s *PushService) schedule(ctx context.Context, id string, runAt time.Time) {
	ctx = context.WithoutCancel(ctx)
	delay := time.Until(runAt)
	if s.ctx.Err() == nil && delay <= 0 {
		if err := s.claimAndRun(ctx, id); err != nil {
			s.log.Error("push: starting a push", "pushStatusId", id, "err", err)
		}
		return
	}
	if q := s.app.Jobs(); q != nil {
		job := Job{Kind: PushJobKind, Args: map[string]any{"pushStatusId": id}, UniqueKey: id + "@" + runAt.Format(time.RFC3339Nano), MaxAttempts: 5}
		if delay > 0 {
			job.RunAt = runAt
		}
		if _, err := q.Enqueue(ctx, job); err != nil {
			s.log.Error("push: queueing the push job failed; the sweep starts the push", "pushStatusId", id, "err", err)
		}
	}
	if delay > 0 {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.ctx.Err() != nil {
			return
		}
		if old := s.timers[id]; old != nil {
			old.Stop()
		}
		s.timers[id] = time.AfterFunc(delay, func() {
			s.mu.Lock()
			delete(s.timers, id)
			s.mu.Unlock()
			if err := s.claimAndRun(ctx, id); err != nil && s.ctx.Err() == nil {
				s.log.Error("push: starting a scheduled push", "pushStatusId", id, "err", err)
			}
		})
	}
}

// pushHash is Parse's pushHash: a digest of the payload, which the
// dashboard groups identical pushes by.
func pushHash(payload []byte) string {
	return hashHex(payload)[:32]
}

// CancelPush cancels a push that is pending, scheduled or running: it is
// not started, or stops sending after the batches in flight. The master
// key may cancel; another caller needs a policy that allows the point
// "push", action "cancel".
func (a *App) CancelPush(ctx context.Context, auth *Auth, id string) error {
	s := a.PushService()
	if s == nil {
		return Errorf(CodePushMisconfigured, "push is not configured on this server (push: in the config)")
	}
	if auth.ReadOnly {
		return Errorf(CodeOperationForbidden, "read-only masterKey isn't allowed to cancel push notifications.")
	}
	if !auth.Master {
		if !a.authorizerCovers(PointPush, "") {
			return Errorf(CodeOperationForbidden, "unauthorized: cancelling a push needs the master key, or a policy that allows it")
		}
		if _, err := a.Authorize(ctx, &AuthzInput{Point: PointPush, Action: "cancel", Class: pushStatusClass, Auth: auth,
			Extra: map[string]any{"pushStatusId": id}}); err != nil {
			return err
		}
	}
	c := a.Class(pushStatusClass)
	if c == nil || !validObjectID(id) {
		return ErrNotFound()
	}
	now := Now()
	_, err := a.store.Update(ctx, c, id, In{Field: "status", Values: []any{PushStatusPending, PushStatusScheduled, PushStatusRunning}}, nil, Update{
		"status":       Set{Value: PushStatusCancelled},
		"errorMessage": Set{Value: map[string]any{"message": "cancelled at " + FormatTime(now)}},
		"_runAt":       Unset{},
		FieldUpdatedAt: Set{Value: now},
	})
	if !IsCode(err, CodeObjectNotFound) {
		return err
	}
	rows, ferr := a.store.Find(ctx, c, &Query{Where: Cmp{Field: FieldObjectID, Op: OpEq, Value: id}, Limit: 1, Keys: []string{"status"}})
	if ferr != nil {
		return ferr
	}
	if len(rows) == 0 {
		return ErrNotFound()
	}
	return Errorf(CodePushMisconfigured, "push %s is %v: only a pending, scheduled or running push can be cancelled", id, rows[0]["status"])
}

func validObjectID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// pushRunState is _run: how far a push got.
type pushRunState struct {
	// LocalTime is push_time without a zone, for a local-time push.
	LocalTime string `json:"localTime,omitempty"`
	// ZonesDone lists the zones whose wave is sent (utcZone: the devices
	// without a valid zone).
	ZonesDone []string `json:"zonesDone,omitempty"`
	// Wave is the wave in progress, and Checkpoint how far it got.
	Wave       *pushWave       `json:"wave,omitempty"`
	Checkpoint *PushCheckpoint `json:"checkpoint,omitempty"`
	// Counts are the totals of the finished waves.
	Counts PushCounts `json:"counts"`
	// Audience is the number of devices of the waves started so far.
	Audience int64 `json:"audience"`
	// Runs counts the claims of the push: each is a PushRun.Generation,
	// so that a provider's idempotency key is never reused for another
	// device set after a resume.
	Runs int `json:"runs"`
	// Failures counts runs that failed on an error of ours (the store).
	Failures int `json:"failures,omitempty"`
}

func (st pushRunState) toMap() map[string]any {
	b, _ := json.Marshal(st)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}

func pushRunStateOf(v any) (pushRunState, error) {
	var st pushRunState
	if v == nil {
		return st, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return st, err
	}
	err = json.Unmarshal(b, &st)
	return st, err
}

// countsFields are _PushStatus's public totals for counts.
func countsFields(c PushCounts) Update {
	u := Update{
		"numSent":       Set{Value: float64(c.NumSent)},
		"numFailed":     Set{Value: float64(c.NumFailed)},
		"sentPerType":   Set{Value: int64Map(c.SentPerType)},
		"failedPerType": Set{Value: int64Map(c.FailedPerType)},
	}
	providers := map[string]any{}
	for _, name := range slices.Sorted(maps.Keys(c.Providers)) {
		p := c.Providers[name]
		entry := map[string]any{"sent": float64(p.Sent), "failed": float64(p.Failed), "invalidTokens": float64(p.InvalidTokens)}
		if len(p.Errors) > 0 {
			entry["errors"] = int64Map(p.Errors)
		}
		providers[name] = entry
	}
	u["providers"] = Set{Value: providers}
	return u
}

func int64Map(m map[string]int64) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = float64(v)
	}
	return out
}

// errorSummary is errorMessage for a push that failed: the reasons per
// provider.
func errorSummary(c PushCounts, cause error) map[string]any {
	m := map[string]any{}
	if cause != nil {
		m["message"] = AsError(cause).Message
	}
	var reasons []string
	for _, name := range slices.Sorted(maps.Keys(c.Providers)) {
		for reason := range c.Providers[name].Errors {
			reasons = append(reasons, name+": "+reason)
		}
	}
	if len(reasons) > 0 {
		slices.Sort(reasons)
		if _, ok := m["message"]; !ok {
			m["message"] = strings.Join(reasons, "; ")
		}
		m["reasons"] = stringsToAny(reasons)
	}
	if len(m) == 0 {
		m["message"] = fmt.Sprintf("%d devices failed", c.NumFailed)
	}
	return m
}
