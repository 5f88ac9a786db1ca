package core

import (
	"context"
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
}

// JobHandler runs one job. An error is retried with backoff until the job's
// attempts are used up. Handlers must be idempotent: a job is started again
// if its node died mid-run.
type JobHandler func(ctx context.Context, job Job) error

// JobQueue is the background job provider contract. Exactly one node runs
// each job attempt, however many nodes share the queue.
type JobQueue interface {
	// Handle registers the handler for a kind. Call before Start.
	Handle(kind string, h JobHandler)
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
	// running, succeeded or failed), message (the last error, if any),
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
