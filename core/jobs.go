package core

import (
	"context"
	"errors"
	"time"
)

// Job is a unit of background work that outlives a request: a scheduled
// push, a cloud-code job run, a cleanup. Jobs are durable: once Enqueue
// returns, the job runs even if this node dies, on whichever node is alive.
type Job struct {
	// Kind names the handler that runs the job.
	Kind string
	// Args are the job's JSON arguments.
	Args map[string]any
	// RunAt delays the job; zero means now.
	RunAt time.Time
	// MaxAttempts bounds retries (with exponential backoff); 0 means the
	// queue's default.
	MaxAttempts int
	// UniqueKey, when set, makes a second Enqueue with the same kind and key
	// a no-op that returns the first job's id, while the first job is
	// pending, scheduled, waiting for a retry or running.
	UniqueKey string

	// Set by the queue for a handler: the job's id and which attempt this
	// is (1 for the first run; a job whose node died mid-run is started
	// again with the next attempt).
	ID      string
	Attempt int
	// Report, set by the queue for a handler, records message as the
	// job's status message at once (Status "message"): Parse's
	// request.message(text) in a cloud job. The last message reported
	// stays when the job ends, unless an error comes after it.
	Report func(ctx context.Context, message string) error
}

// PrefixRoute sends every job kind that starts with Prefix and has no
// handler of its own to Handler: the kinds of cloud-code jobs
// (CloudJobPrefix + name) change with every deployment, so they cannot be
// registered one by one before the queue starts.
type PrefixRoute struct {
	Prefix  string
	Handler JobHandler
	// Has reports whether a kind under Prefix exists now. Enqueue of a kind
	// it refuses is a *Error with CodeScriptFailed, as for a kind with no
	// handler. Nil means every kind exists.
	Has func(kind string) bool
	// Timeout bounds one run of these jobs instead of the queue's own job
	// timeout (0: the queue's). A queue that takes a job running longer
	// than some limit for lost keeps the queue's timeout instead of a
	// longer one, and says so in its log.
	Timeout time.Duration
}

// NoRetry wraps a handler's error so that the job fails at once, without
// the attempts it has left: a cloud job whose script threw would throw
// again. Its message is err's.
func NoRetry(err error) error { return &noRetryError{err: err} }

// IsNoRetry reports whether err (or an error it wraps) came from NoRetry.
func IsNoRetry(err error) bool {
	var nr *noRetryError
	return errors.As(err, &nr)
}

type noRetryError struct{ err error }

func (e *noRetryError) Error() string { return e.err.Error() }
func (e *noRetryError) Unwrap() error { return e.err }

// JobHandler runs one job. An error is retried with backoff until the job's
// attempts are used up, unless it comes from NoRetry. Handlers must be idempotent: a job is started again
// if its node died mid-run.
type JobHandler func(ctx context.Context, job Job) error

// JobQueue is the background job provider contract. Exactly one node runs
// each job attempt, however many nodes share the queue.
type JobQueue interface {
	// Handle registers the handler for a kind. Call before Start.
	Handle(kind string, h JobHandler)
	// HandlePrefix registers a handler for every kind under a prefix that
	// has no handler of its own (see PrefixRoute). Call before Start.
	HandlePrefix(r PrefixRoute) error
	// Periodic runs kind on a cron schedule ("*/5 * * * *"), once per tick
	// across all nodes. Call before Start.
	Periodic(kind, cron string, args map[string]any) error
	// Start begins working jobs until Stop.
	Start(ctx context.Context) error
	// Enqueue stores a job and returns its id. A kind with no handler is a
	// *Error with CodeScriptFailed. Queues that share the store's database
	// may need their own connection: do not call Enqueue inside a store
	// transaction (App.InTransaction), where SQLite's single writer is busy.
	Enqueue(ctx context.Context, job Job) (string, error)
	// Status returns jobs in Parse's _JobStatus shape, newest first:
	// objectId (the Enqueue id), jobName (the kind), status (pending,
	// running, succeeded or failed), message (what the handler last
	// reported with Job.Report, or the error of a later failed attempt),
	// params (the args), source ("api"), attempts, and the dates
	// createdAt, updatedAt and finishedAt (when done) as time.Time, which
	// the App encodes for the wire.
	Status(ctx context.Context, limit, skip int) ([]map[string]any, error)
	// Stop stops working jobs, waiting for running ones up to ctx (then
	// cancelling them; they run again elsewhere), and releases the queue's
	// resources. It may be called more than once, and without Start.
	Stop(ctx context.Context) error
}

// JobStatusGetter is an optional JobQueue ability: one job's status row
// (as Status gives it) by its id, without listing. It returns nil and no
// error when there is no such job, whatever the id's form. Queues without
// it are searched through Status.
type JobStatusGetter interface {
	StatusByID(ctx context.Context, id string) (map[string]any, error)
}

// OpenJobQueueFunc opens a job queue on env.Store (the queue keeps its
// tables in the store's database). It fails for stores it cannot use.
type OpenJobQueueFunc = OpenFunc[JobQueue]

// JobQueues is the registry of job queue providers.
var JobQueues = NewRegistry[OpenJobQueueFunc]("jobs")
