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
	// UniqueKey, when set, makes a second Enqueue with the same key a no-op
	// while the first job is pending or running.
	UniqueKey string
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
	// Enqueue stores a job and returns its id.
	Enqueue(ctx context.Context, job Job) (string, error)
	// Status returns jobs in Parse's _JobStatus shape (objectId, jobName,
	// status: pending|running|succeeded|failed, message, params, createdAt,
	// finishedAt), newest first.
	Status(ctx context.Context, limit, skip int) ([]map[string]any, error)
	// Stop stops working jobs, waiting for running ones up to ctx.
	Stop(ctx context.Context) error
}

// OpenJobQueueFunc opens a job queue on a store (the queue keeps its tables
// in the store's database). It fails for stores it cannot use.
type OpenJobQueueFunc func(ctx context.Context, store Store, options map[string]any) (JobQueue, error)

// JobQueues is the registry of job queue providers.
var JobQueues = NewRegistry[OpenJobQueueFunc]("jobs")
