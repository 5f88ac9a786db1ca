// Package river is the background job queue on River
// (github.com/riverqueue/river), in the store's own database: PostgreSQL
// through riverpgxv5, SQLite through riversqlite. It registers itself as the
// "river" job queue provider:
//
//	import _ "github.com/switchboardhq/switchboard/adapters/jobs/river"
//
// # What River gives
//
//   - Durability: a job is a row, inserted before Enqueue returns. A job
//     whose node dies mid-run stays "running" until the rescuer (run by the
//     elected leader node) finds it older than rescueAfter and schedules it
//     again; another node then runs it. Handlers must therefore be
//     idempotent, and jobTimeout must be shorter than rescueAfter.
//   - Exactly one node per attempt: PostgreSQL hands each job to one node
//     (SELECT ... FOR UPDATE SKIP LOCKED); with SQLite there is one node.
//   - Retries with exponential backoff (attempt⁴ seconds, with jitter)
//     until maxAttempts, then the job is discarded ("failed").
//   - Delayed jobs (Job.RunAt), periodic jobs on cron schedules (inserted
//     by the leader only, and made unique per minute so that a change of
//     leader cannot insert one tick twice), and unique jobs (Job.UniqueKey:
//     a second Enqueue returns the pending job's id).
//   - Prefix routes (cloud-code jobs, whose names change while the server
//     runs): one River kind per prefix, the job's own kind in its args.
//   - Job messages (Job.Report, and the last error) in River's job output.
//
// # Connections
//
// On PostgreSQL the queue has its own small pgx pool (maxConns), made from
// the store's connection settings: River holds one connection for LISTEN
// and fetches on others, and must neither wait behind requests for the
// store's pool nor make them wait. New jobs reach idle nodes through
// River's LISTEN/NOTIFY at once; pollInterval is the fallback.
//
// On SQLite the queue writes through a second connection on the same file
// (see sqlite.Store.OpenSideDB), not through the store's writer: River runs
// its own transactions and several goroutines, which the store's writer,
// serialised behind group commit, cannot host. The two writers share
// SQLite's single write lock: both take it when a transaction begins
// (BEGIN IMMEDIATE) and wait for it up to the store's busyTimeout, so they
// queue rather than fail, and River's transactions are a few short
// statements. New jobs are found by polling every pollInterval.
//
// # Migrations
//
// Open runs River's migrations (rivermigrate) in one transaction that first
// takes a PostgreSQL advisory lock, so that nodes starting together migrate
// once; on SQLite the transaction's write lock does the same.
//
// # Options
//
// The "river" section of the jobs config; every option may be left out:
//
//	jobs:
//	  provider: river
//	  river:
//	    workers: 10        # jobs one node runs at once
//	    maxAttempts: 25    # default attempts of a job (Job.MaxAttempts overrides)
//	    jobTimeout: 1m     # a run is cancelled after this long (then retried)
//	    rescueAfter: 1h    # a job still running after this is taken as lost with its node and run again
//	    pollInterval: 1s   # how often idle nodes look for due jobs
//	    retention: 24h     # how long finished jobs stay visible in _JobStatus
//	    maxConns: 4        # PostgreSQL: connections of the queue's own pool
package river

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"
	"github.com/robfig/cron/v3"

	"github.com/switchboardhq/switchboard/core"
)

func init() {
	core.JobQueues.Register("river", Open)
}

// Options is the "river" section of the jobs config (see the package doc).
type Options struct {
	Workers      int           `json:"workers"`
	MaxAttempts  int           `json:"maxAttempts"`
	JobTimeout   core.Duration `json:"jobTimeout"`
	RescueAfter  core.Duration `json:"rescueAfter"`
	PollInterval core.Duration `json:"pollInterval"`
	Retention    core.Duration `json:"retention"`
	MaxConns     int           `json:"maxConns"`
}

func (o *Options) defaults() error {
	if o.Workers <= 0 {
		o.Workers = 10
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = river.MaxAttemptsDefault
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = core.Duration(time.Minute)
	}
	if o.RescueAfter <= 0 {
		o.RescueAfter = core.Duration(time.Hour)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = core.Duration(time.Second)
	}
	if o.Retention <= 0 {
		o.Retention = core.Duration(24 * time.Hour)
	}
	if o.MaxConns <= 0 {
		o.MaxConns = 4
	}
	if o.RescueAfter <= o.JobTimeout {
		return fmt.Errorf("rescueAfter (%s) must be longer than jobTimeout (%s): a job still running would be started a second time", o.RescueAfter, o.JobTimeout)
	}
	if o.MaxConns < 2 {
		return fmt.Errorf("maxConns must be at least 2 (one listens), got %d", o.MaxConns)
	}
	return nil
}

// migrationLock is the advisory lock key that serialises River's
// migrations between nodes ("SBRIVERM" in ASCII).
const migrationLock int64 = 0x5342524956455244

// Open opens the queue in store's database and runs River's migrations.
func Open(ctx context.Context, env core.ProviderEnv) (core.JobQueue, error) {
	store := env.Store
	var opts Options
	if err := core.DecodeOptions(env.Options, &opts); err != nil {
		return nil, fmt.Errorf("river jobs: %w", err)
	}
	if err := opts.defaults(); err != nil {
		return nil, fmt.Errorf("river jobs: %w", err)
	}
	switch st := store.(type) {
	case core.ConnStringer:
		cfg, err := pgxpool.ParseConfig(st.ConnString())
		if err != nil {
			return nil, fmt.Errorf("river jobs: %w", err)
		}
		cfg.MaxConns, cfg.MinConns = int32(opts.MaxConns), 0
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return nil, fmt.Errorf("river jobs: %w", err)
		}
		driver := riverpgxv5.New(pool)
		err = migratePG(ctx, pool, driver)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("river jobs: migrating: %w", err)
		}
		return newQueue(driver, opts, func() error { pool.Close(); return nil }), nil
	case core.SideDBOpener:
		db, err := st.OpenSideDB()
		if err != nil {
			return nil, fmt.Errorf("river jobs: %w", err)
		}
		driver := riversqlite.New(db)
		if err := migrateSQL(ctx, db, driver); err != nil {
			db.Close()
			return nil, fmt.Errorf("river jobs: migrating: %w", err)
		}
		return newQueue(driver, opts, db.Close), nil
	}
	return nil, fmt.Errorf("river jobs: the %T store offers neither a PostgreSQL pool nor a SQLite file; use the postgres or sqlite store, or set jobs.provider: none", store)
}

func migratePG(ctx context.Context, pool *pgxpool.Pool, driver *riverpgxv5.Driver) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return err
	}
	// River's migrations run one transaction each (a new enum value cannot
	// be used in the transaction that adds it), so the lock is a session
	// lock held on a connection of its own meanwhile.
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		return fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() {
		// A cancelled ctx must not leave the lock held on a pooled connection.
		if _, err := conn.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
			conn.Conn().Close(context.Background())
		}
	}()
	_, err = m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	return err
}

func migrateSQL(ctx context.Context, db *sql.DB, driver *riversqlite.Driver) error {
	m, err := rivermigrate.New(driver, &rivermigrate.Config{Logger: quietLogger()})
	if err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the write lock serialises migrations
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// MigrateTx is deprecated because some PostgreSQL migrations cannot
	// share a transaction; SQLite's can, and one IMMEDIATE transaction is
	// what keeps two processes from migrating the same file at once.
	//lint:ignore SA1019 see above
	if _, err := m.MigrateTx(ctx, tx, rivermigrate.DirectionUp, nil); err != nil {
		return err
	}
	return tx.Commit()
}

// quietLogger keeps River's routine messages (each migration, each leader
// election) at debug level of the process's logger.
func quietLogger() *slog.Logger {
	return slog.New(demote{slog.Default().Handler()})
}

// demote logs River's info messages at debug level.
type demote struct{ slog.Handler }

func (d demote) Enabled(ctx context.Context, l slog.Level) bool {
	if l == slog.LevelInfo {
		l = slog.LevelDebug
	}
	return d.Handler.Enabled(ctx, l)
}

func (d demote) Handle(ctx context.Context, r slog.Record) error {
	if r.Level == slog.LevelInfo {
		r.Level = slog.LevelDebug
	}
	return d.Handler.Handle(ctx, r)
}

func (d demote) WithAttrs(a []slog.Attr) slog.Handler { return demote{d.Handler.WithAttrs(a)} }
func (d demote) WithGroup(n string) slog.Handler      { return demote{d.Handler.WithGroup(n)} }

// args carries any job kind through River, whose API is one Go type per
// kind: the kind travels beside the JSON, not in it. UniqueKey is the only
// field River's uniqueness looks at (the river:"unique" tag).
//
// Kinds routed by a prefix (HandlePrefix) travel as one River kind, the
// prefix followed by "<routed>"; the job's own kind is then JobKind, part of what
// River's uniqueness looks at, so that two kinds never share a key.
type args struct {
	kind      string
	JobKind   string         `json:"kind,omitempty" river:"unique"`
	Args      map[string]any `json:"args"`
	UniqueKey string         `json:"uniqueKey,omitempty" river:"unique"`
}

// jobKind is the job's kind as the core knows it.
func (a args) jobKind(riverKind string) string {
	if a.JobKind != "" {
		return a.JobKind
	}
	return riverKind
}

// routedKind is the River kind of the jobs of a prefix route.
func routedKind(prefix string) string { return prefix + "<routed>" }

func (a args) Kind() string { return a.kind }

// uniqueStates are the states in which a job blocks another with its key:
// everything before it finished.
var uniqueStates = []rivertype.JobState{
	rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRetryable,
	rivertype.JobStateRunning, rivertype.JobStateScheduled,
}

// worker runs one kind's handler (or a prefix route's).
type worker struct {
	river.WorkerDefaults[args]
	q interface {
		report(ctx context.Context, id int64, msg string) error
	}
	h       core.JobHandler
	timeout time.Duration
}

func (w *worker) Work(ctx context.Context, j *river.Job[args]) error {
	id := j.ID
	err := w.h(ctx, core.Job{
		Kind: j.Args.jobKind(j.Kind), Args: j.Args.Args, RunAt: j.ScheduledAt, MaxAttempts: j.MaxAttempts,
		UniqueKey: j.Args.UniqueKey, ID: strconv.FormatInt(id, 10), Attempt: j.Attempt,
		Report: func(ctx context.Context, msg string) error { return w.q.report(ctx, id, msg) },
	})
	if err == nil {
		return nil
	}
	// The error becomes the job's message, replacing what was reported
	// before it (River stores it when the attempt ends).
	_ = river.RecordOutput(ctx, report{Message: err.Error()})
	if core.IsNoRetry(err) {
		// Cancelled: finished for good, shown as failed.
		return river.JobCancel(err)
	}
	return err
}

// Timeout is the route's own timeout; 0 leaves the client's.
func (w *worker) Timeout(*river.Job[args]) time.Duration { return w.timeout }

// report is the job's message in its output: what the handler reported
// with Job.Report (stored at once), or the error of its last attempt.
type report struct {
	Message string `json:"message"`
}

type periodic struct {
	kind     string
	schedule cron.Schedule
	args     map[string]any
}

// tickPeriod is the uniqueness period of a periodic job's inserts: the
// shortest gap between its next ticks, at most a minute (the finest cron
// step) and at least a second. Two inserts of one tick (by an old and a new
// leader) fall in one period; two ticks never do.
func tickPeriod(s cron.Schedule, from time.Time) time.Duration {
	period := time.Minute
	t := s.Next(from)
	for range 8 {
		next := s.Next(t)
		if gap := next.Sub(t); gap > 0 && gap < period {
			period = gap
		}
		t = next
	}
	return max(period.Truncate(time.Second), time.Second)
}

// queue is the JobQueue over a River client of either driver.
type queue[TTx any] struct {
	driver  riverdriver.Driver[TTx]
	opts    Options
	closeDB func() error

	mu       sync.Mutex
	handlers map[string]core.JobHandler
	prefixes []core.PrefixRoute
	periodic []periodic
	client   *river.Client[TTx]
	stopped  bool
}

var (
	_ core.JobQueue        = (*queue[pgx.Tx])(nil)
	_ core.JobStatusGetter = (*queue[pgx.Tx])(nil)
)

func newQueue[TTx any](driver riverdriver.Driver[TTx], opts Options, closeDB func() error) *queue[TTx] {
	return &queue[TTx]{driver: driver, opts: opts, closeDB: closeDB, handlers: map[string]core.JobHandler{}}
}

// Handle registers h for kind. Registering after Start, or twice, is a
// programming error and panics.
func (q *queue[TTx]) Handle(kind string, h core.JobHandler) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil {
		panic(fmt.Sprintf("river jobs: Handle(%q) called after Start", kind))
	}
	if _, dup := q.handlers[kind]; dup {
		panic(fmt.Sprintf("river jobs: Handle called twice for kind %q", kind))
	}
	q.handlers[kind] = h
}

// HandlePrefix registers a prefix route (see core.PrefixRoute). Kinds with
// a handler of their own keep it; of two routes whose prefixes both match,
// the longer prefix wins.
func (q *queue[TTx]) HandlePrefix(r core.PrefixRoute) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil {
		return fmt.Errorf("river jobs: HandlePrefix(%q) called after Start", r.Prefix)
	}
	if r.Prefix == "" || r.Handler == nil {
		return errors.New("river jobs: HandlePrefix needs a prefix and a handler")
	}
	if r.Timeout > 0 && r.Timeout >= time.Duration(q.opts.RescueAfter) {
		quietLogger().Warn("river jobs: a job route's timeout is not shorter than rescueAfter (a job still running would be started a second time); using jobTimeout instead: raise jobs.river.rescueAfter to allow longer jobs",
			"prefix", r.Prefix, "timeout", r.Timeout, "rescueAfter", time.Duration(q.opts.RescueAfter), "jobTimeout", time.Duration(q.opts.JobTimeout))
		r.Timeout = time.Duration(q.opts.JobTimeout)
	}
	for _, p := range q.prefixes {
		if p.Prefix == r.Prefix {
			return fmt.Errorf("river jobs: HandlePrefix called twice for %q", r.Prefix)
		}
	}
	q.prefixes = append(q.prefixes, r)
	return nil
}

// routeFor returns the prefix route of kind, if it has no handler of its
// own and a prefix matches.
func (q *queue[TTx]) routeFor(kind string) (core.PrefixRoute, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if _, own := q.handlers[kind]; own {
		return core.PrefixRoute{}, false
	}
	var best core.PrefixRoute
	found := false
	for _, p := range q.prefixes {
		if strings.HasPrefix(kind, p.Prefix) && len(p.Prefix) > len(best.Prefix) {
			best, found = p, true
		}
	}
	return best, found
}

// Periodic enqueues kind on a standard five-field cron schedule (in UTC),
// once per tick across all nodes.
func (q *queue[TTx]) Periodic(kind, spec string, a map[string]any) error {
	s, err := cron.ParseStandard(spec)
	if err != nil {
		return fmt.Errorf("cron schedule %q: %w (five fields: minute hour day-of-month month day-of-week, e.g. \"*/5 * * * *\")", spec, err)
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil {
		return fmt.Errorf("river jobs: Periodic(%q) called after Start", kind)
	}
	q.periodic = append(q.periodic, periodic{kind: kind, schedule: s, args: a})
	return nil
}

// Start builds the River client with the registered handlers and periodic
// jobs and starts working.
func (q *queue[TTx]) Start(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client != nil || q.stopped {
		return errors.New("river jobs: Start called twice, or after Stop")
	}
	workers := river.NewWorkers()
	for kind, h := range q.handlers {
		river.AddWorkerArgs(workers, args{kind: kind}, river.Worker[args](&worker{q: q, h: h}))
	}
	for _, p := range q.prefixes {
		river.AddWorkerArgs(workers, args{kind: routedKind(p.Prefix)}, river.Worker[args](&worker{q: q, h: p.Handler, timeout: p.Timeout}))
	}
	var periodicJobs []*river.PeriodicJob
	for _, p := range q.periodic {
		unique := river.UniqueOpts{ByPeriod: tickPeriod(p.schedule, time.Now())}
		periodicJobs = append(periodicJobs, river.NewPeriodicJob(p.schedule, func() (river.JobArgs, *river.InsertOpts) {
			return args{kind: p.kind, Args: p.args}, &river.InsertOpts{UniqueOpts: unique}
		}, &river.PeriodicJobOpts{ID: p.kind}))
	}
	client, err := river.NewClient(q.driver, &river.Config{
		Queues:                      map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: q.opts.Workers}},
		Workers:                     workers,
		PeriodicJobs:                periodicJobs,
		MaxAttempts:                 q.opts.MaxAttempts,
		JobTimeout:                  time.Duration(q.opts.JobTimeout),
		RescueStuckJobsAfter:        time.Duration(q.opts.RescueAfter),
		FetchPollInterval:           time.Duration(q.opts.PollInterval),
		CompletedJobRetentionPeriod: time.Duration(q.opts.Retention),
		CancelledJobRetentionPeriod: time.Duration(q.opts.Retention),
		DiscardedJobRetentionPeriod: time.Duration(q.opts.Retention),
		Logger:                      quietLogger(),
	})
	if err != nil {
		return fmt.Errorf("river jobs: %w", err)
	}
	// The client runs until Stop, not until the caller's ctx ends.
	if err := client.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("river jobs: starting: %w", err)
	}
	q.client = client
	return nil
}

func (q *queue[TTx]) started() (*river.Client[TTx], error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.client == nil || q.stopped {
		return nil, core.Errorf(core.CodeInternalServerError, "the job queue is not running (not started yet, or stopped)")
	}
	return q.client, nil
}

// Enqueue inserts the job. A kind without a handler is 141.
func (q *queue[TTx]) Enqueue(ctx context.Context, job core.Job) (string, error) {
	client, err := q.started()
	if err != nil {
		return "", err
	}
	opts := &river.InsertOpts{MaxAttempts: job.MaxAttempts}
	if !job.RunAt.IsZero() {
		opts.ScheduledAt = job.RunAt
	}
	if job.UniqueKey != "" {
		opts.UniqueOpts = river.UniqueOpts{ByArgs: true, ByState: uniqueStates}
	}
	a := args{kind: job.Kind, Args: job.Args, UniqueKey: job.UniqueKey}
	if r, routed := q.routeFor(job.Kind); routed {
		if r.Has != nil && !r.Has(job.Kind) {
			return "", core.Errorf(core.CodeScriptFailed, "no job handler for kind %q", job.Kind)
		}
		a.kind, a.JobKind = routedKind(r.Prefix), job.Kind
	}
	res, err := client.Insert(ctx, a, opts)
	if err != nil {
		var unknown *river.UnknownJobKindError
		if errors.As(err, &unknown) {
			return "", core.Errorf(core.CodeScriptFailed, "no job handler for kind %q", job.Kind)
		}
		return "", fmt.Errorf("river jobs: enqueue %s: %w", job.Kind, err)
	}
	return strconv.FormatInt(res.Job.ID, 10), nil
}

// statusNames maps River's states to _JobStatus's.
var statusNames = map[rivertype.JobState]string{
	rivertype.JobStateAvailable: "pending", rivertype.JobStatePending: "pending",
	rivertype.JobStateScheduled: "pending", rivertype.JobStateRetryable: "pending",
	rivertype.JobStateRunning: "running", rivertype.JobStateCompleted: "succeeded",
	rivertype.JobStateDiscarded: "failed", rivertype.JobStateCancelled: "failed",
}

// maxListed bounds limit+skip, River's largest page.
const maxListed = 10_000

// Status lists jobs newest first (by id).
func (q *queue[TTx]) Status(ctx context.Context, limit, skip int) ([]map[string]any, error) {
	client, err := q.started()
	if err != nil {
		return nil, err
	}
	if limit <= 0 || skip < 0 || skip >= maxListed {
		return []map[string]any{}, nil
	}
	n := min(limit+skip, maxListed)
	res, err := client.JobList(ctx, river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(n))
	if err != nil {
		return nil, fmt.Errorf("river jobs: listing: %w", err)
	}
	rows := res.Jobs[min(skip, len(res.Jobs)):]
	out := make([]map[string]any, 0, len(rows))
	for _, j := range rows {
		s, err := statusRow(j)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// StatusByID returns one job's status row, or nil when there is no job
// with that id (core.JobStatusGetter).
func (q *queue[TTx]) StatusByID(ctx context.Context, id string) (map[string]any, error) {
	client, err := q.started()
	if err != nil {
		return nil, err
	}
	n, perr := strconv.ParseInt(id, 10, 64)
	if perr != nil || n <= 0 {
		return nil, nil // not an id River gives
	}
	j, err := client.JobGet(ctx, n)
	if errors.Is(err, rivertype.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("river jobs: job %d: %w", n, err)
	}
	return statusRow(j)
}

// statusRow is one job in _JobStatus's shape (see core.JobQueue.Status).
func statusRow(j *rivertype.JobRow) (map[string]any, error) {
	var a args
	if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
		return nil, fmt.Errorf("river jobs: job %d: decoding args: %w", j.ID, err)
	}
	if a.Args == nil {
		a.Args = map[string]any{}
	}
	updated := j.CreatedAt
	if j.AttemptedAt != nil {
		updated = *j.AttemptedAt
	}
	s := map[string]any{
		"objectId": strconv.FormatInt(j.ID, 10), "jobName": a.jobKind(j.Kind), "status": statusNames[j.State],
		"params": a.Args, "source": "api", "attempts": j.Attempt,
		"createdAt": j.CreatedAt, "updatedAt": updated,
	}
	if j.State == rivertype.JobStateScheduled || j.State == rivertype.JobStateRetryable {
		s["runAt"] = j.ScheduledAt
	}
	if j.FinalizedAt != nil {
		s["finishedAt"] = *j.FinalizedAt
		s["updatedAt"] = *j.FinalizedAt
	}
	var rep report
	if out := j.Output(); len(out) > 0 {
		_ = json.Unmarshal(out, &rep) // an unreadable output is no message
	}
	if rep.Message != "" {
		s["message"] = rep.Message
	} else if len(j.Errors) > 0 {
		s["message"] = j.Errors[len(j.Errors)-1].Error
	}
	return s, nil
}

// report stores a handler's message in the job's output at once.
func (q *queue[TTx]) report(ctx context.Context, id int64, msg string) error {
	client, err := q.started()
	if err != nil {
		return err
	}
	if _, err := client.JobUpdate(ctx, id, &river.JobUpdateParams{Output: report{Message: msg}}); err != nil {
		return fmt.Errorf("river jobs: recording the message of job %d: %w", id, err)
	}
	return nil
}

// Stop stops working: running jobs get until ctx ends to finish, then are
// cancelled (and run again later, as after a crash). It closes the queue's
// connections.
func (q *queue[TTx]) Stop(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.stopped {
		return nil
	}
	q.stopped = true
	var err error
	if q.client != nil {
		if err = q.client.Stop(ctx); err != nil && ctx.Err() != nil {
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			err = q.client.StopAndCancel(cctx)
			cancel()
		}
	}
	return errors.Join(err, q.closeDB())
}
