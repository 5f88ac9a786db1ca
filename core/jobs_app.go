package core

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
)

// CleanupJobKind is the App's periodic job (Options.CleanupSchedule): it
// deletes expired sessions, expired request ids (_Idempotency) and SMS codes
// (_SmsCode) that have expired and no longer count toward the daily limit.
// With a job queue it replaces each node's idempotency sweeper: one node
// runs it per tick.
const CleanupJobKind = "switchboard.cleanup"

// CloudJobPrefix starts the kind of a job started by name through POST
// /jobs/:name; cloud code registers its jobs' handlers under
// CloudJobPrefix + name.
const CloudJobPrefix = "cloud."

var jobNamePattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$`)

// Jobs returns the background job queue, or nil when none is configured.
// Register handlers before the caller starts it; enqueue any time after.
func (a *App) Jobs() JobQueue { return a.opts.Jobs }

// registerJobs registers the App's own job kinds on the queue.
func (a *App) registerJobs() error {
	a.opts.Jobs.Handle(CleanupJobKind, a.cleanupJob)
	a.opts.Jobs.Handle(MailJobKind, a.mailJob)
	if err := a.opts.Jobs.Periodic(CleanupJobKind, a.opts.CleanupSchedule, nil); err != nil {
		return fmt.Errorf("jobs: cleanup schedule %q: %w", a.opts.CleanupSchedule, err)
	}
	return nil
}

// cleanupJob deletes expired rows of the App's system classes. It is
// idempotent, as a job must be.
func (a *App) cleanupJob(ctx context.Context, _ Job) error {
	now := Now()
	var errs []error
	for _, d := range []struct {
		class string
		where Expr
	}{
		{sessionClass, Cmp{Field: "expiresAt", Op: OpLt, Value: now}},
		{idempotencyClass, Cmp{Field: "expire", Op: OpLt, Value: now}},
		// A code counts toward its number's daily limit for 24 hours.
		{smsCodeClass, And{Exprs: []Expr{
			Cmp{Field: "expiresAt", Op: OpLt, Value: now},
			Cmp{Field: FieldCreatedAt, Op: OpLt, Value: now.Add(-24 * time.Hour)},
		}}},
	} {
		c := a.Class(d.class)
		if c == nil {
			continue
		}
		n, err := a.store.Delete(ctx, c, d.where, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("deleting expired %s rows: %w", d.class, err))
			continue
		}
		if n > 0 {
			LoggerFrom(ctx).Info("cleanup: deleted expired rows", "class", d.class, "count", n)
		}
	}
	return errors.Join(errs...)
}

// StartJob enqueues the cloud-code job name with params (Parse's POST
// /jobs/:name, master key only), to run at runAt (zero: now), and returns
// its _JobStatus objectId once a worker took it (see waitJobStarted). A
// name with no handler is 141 "Invalid job.", as on Parse Server.
func (a *App) StartJob(ctx context.Context, auth *Auth, name string, params map[string]any, runAt time.Time) (string, error) {
	if err := auth.requireMaster("start jobs"); err != nil {
		return "", err
	}
	if err := auth.checkWrite(); err != nil {
		return "", err
	}
	if a.opts.Jobs == nil {
		return "", Errorf(CodeScriptFailed, "background jobs are off on this server (jobs.provider is none)")
	}
	if !jobNamePattern.MatchString(name) {
		return "", Errorf(CodeScriptFailed, "Invalid job name: %q", name)
	}
	if params == nil {
		params = map[string]any{}
	}
	id, err := a.opts.Jobs.Enqueue(ctx, Job{Kind: CloudJobPrefix + name, Args: params, RunAt: runAt})
	if IsCode(err, CodeScriptFailed) {
		return "", Errorf(CodeScriptFailed, "Invalid job.")
	}
	if err != nil || !runAt.IsZero() {
		return id, err
	}
	a.waitJobStarted(ctx, id)
	return id, nil
}

// jobStartWait bounds how long StartJob waits for a worker to take the
// job; jobQuickWait how long it then gives a job that finishes at once.
const (
	jobStartWait = 2 * time.Second
	jobQuickWait = 100 * time.Millisecond
)

// waitJobStarted waits until the job has left the queue's pending state,
// so that, as on Parse Server (which runs a job in process before it
// answers), a job answered as started reads "running" in _JobStatus, or
// "succeeded" when it takes no time. With every worker busy it gives up
// after jobStartWait: the job then starts when one frees up.
func (a *App) waitJobStarted(ctx context.Context, id string) {
	g, ok := a.opts.Jobs.(JobStatusGetter)
	if !ok {
		return // a queue that cannot read one job: answer at once
	}
	deadline := time.Now().Add(jobStartWait)
	var quick time.Time
	for pause := 2 * time.Millisecond; time.Now().Before(deadline); pause = min(2*pause, 20*time.Millisecond) {
		s, err := g.StatusByID(ctx, id)
		if err != nil || s == nil || (s["status"] != "pending" && s["status"] != "running") {
			return
		}
		if s["status"] == "running" {
			if quick.IsZero() {
				quick = time.Now().Add(jobQuickWait)
			} else if time.Now().After(quick) {
				return
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(pause):
		}
	}
}

// JobStatus lists background jobs newest first in Parse's _JobStatus shape
// (GET /jobs/status and GET /classes/_JobStatus, master key only). Without
// a job queue the list is empty.
func (a *App) JobStatus(ctx context.Context, auth *Auth, limit, skip int) ([]map[string]any, error) {
	if err := auth.requireMaster("read the job status"); err != nil {
		return nil, err
	}
	if a.opts.Jobs == nil {
		return []map[string]any{}, nil
	}
	if limit <= 0 {
		limit = a.opts.DefaultLimit
	}
	limit = min(limit, a.opts.MaxLimit)
	skip = max(skip, 0)
	rows, err := a.opts.Jobs.Status(ctx, limit, skip)
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		encodeJobStatus(r)
	}
	return rows, nil
}

// JobStatusByID returns one background job in Parse's _JobStatus shape
// (GET /classes/_JobStatus/:id, Parse.Cloud.getJobStatus; master key
// only), or 101 when there is none.
func (a *App) JobStatusByID(ctx context.Context, auth *Auth, id string) (map[string]any, error) {
	if err := auth.requireMaster("read the job status"); err != nil {
		return nil, err
	}
	if a.opts.Jobs == nil || id == "" {
		return nil, ErrNotFound()
	}
	var row map[string]any
	if g, ok := a.opts.Jobs.(JobStatusGetter); ok {
		r, err := g.StatusByID(ctx, id)
		if err != nil {
			return nil, err
		}
		row = r
	} else {
		rows, err := a.opts.Jobs.Status(ctx, a.opts.MaxLimit, 0)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			if r[FieldObjectID] == id {
				row = r
			}
		}
	}
	if row == nil {
		return nil, ErrNotFound()
	}
	encodeJobStatus(row)
	return row, nil
}

// encodeJobStatus turns a queue's status row into Parse JSON: a cloud job's
// name without its prefix, and the dates.
func encodeJobStatus(r map[string]any) {
	if k, ok := r["jobName"].(string); ok {
		r["jobName"] = strings.TrimPrefix(k, CloudJobPrefix)
	}
	for k, v := range r {
		t, ok := v.(time.Time)
		if !ok {
			continue
		}
		if k == FieldCreatedAt || k == FieldUpdatedAt {
			r[k] = FormatTime(t)
		} else {
			r[k] = map[string]any{"__type": "Date", "iso": FormatTime(t)}
		}
	}
}
