// Package jobstest is the conformance suite of job queue providers: every
// provider runs RunConformance from its tests. The suite waits for jobs
// with deadlines and never asserts how long anything took.
package jobstest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Harness opens queues for the suite.
type Harness struct {
	// Open returns a new, unstarted queue. Queues from one Open share their
	// database, like the nodes of a cluster; the harness closes them (Stop)
	// when t ends. Each top-level call of RunConformance's subtests gets a
	// fresh database.
	Open func(t *testing.T) core.JobQueue
	// MultiNode says that several queues on one database are supported
	// (PostgreSQL), so that the suite checks that each job runs once.
	MultiNode bool
}

// wait is how long the suite waits for a job that should run now.
const wait = 60 * time.Second

// run is one handler call.
type run struct {
	node int
	job  core.Job
	at   time.Time
}

// recorder collects handler calls.
type recorder struct {
	mu   sync.Mutex
	runs []run
	ch   chan struct{}
}

func newRecorder() *recorder { return &recorder{ch: make(chan struct{}, 1)} }

func (r *recorder) add(node int, job core.Job) {
	r.mu.Lock()
	r.runs = append(r.runs, run{node: node, job: job, at: time.Now()})
	r.mu.Unlock()
	select {
	case r.ch <- struct{}{}:
	default:
	}
}

func (r *recorder) snapshot() []run {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]run(nil), r.runs...)
}

// waitFor waits until cond holds over the runs so far.
func (r *recorder) waitFor(t *testing.T, what string, cond func([]run) bool) []run {
	t.Helper()
	deadline := time.After(wait)
	for {
		if runs := r.snapshot(); cond(runs) {
			return runs
		}
		select {
		case <-r.ch:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("%s: not seen within %s (runs: %+v)", what, wait, r.snapshot())
		}
	}
}

func start(t *testing.T, q core.JobQueue) {
	t.Helper()
	if err := q.Start(t.Context()); err != nil {
		t.Fatalf("Start: %v", err)
	}
}

func enqueue(t *testing.T, q core.JobQueue, job core.Job) string {
	t.Helper()
	id, err := q.Enqueue(t.Context(), job)
	if err != nil {
		t.Fatalf("Enqueue(%s): %v", job.Kind, err)
	}
	if id == "" {
		t.Fatalf("Enqueue(%s) returned an empty id", job.Kind)
	}
	return id
}

func statusOf(t *testing.T, q core.JobQueue, id string) map[string]any {
	t.Helper()
	rows, err := q.Status(t.Context(), 1000, 0)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	for _, r := range rows {
		if r["objectId"] == id {
			return r
		}
	}
	return nil
}

// waitStatus waits until job id has status want, and returns its row.
func waitStatus(t *testing.T, q core.JobQueue, id, want string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		s := statusOf(t, q, id)
		if s != nil && s["status"] == want {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s: status %v, want %q within %s", id, s, want, wait)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// RunConformance runs the suite.
func RunConformance(t *testing.T, h Harness) {
	t.Run("RunsWithArgs", func(t *testing.T) {
		q, rec := h.Open(t), newRecorder()
		q.Handle("t.echo", func(ctx context.Context, j core.Job) error { rec.add(0, j); return nil })
		start(t, q)
		id := enqueue(t, q, core.Job{Kind: "t.echo", Args: map[string]any{"n": 7.0, "s": "x"}})
		runs := rec.waitFor(t, "the job", func(r []run) bool { return len(r) == 1 })
		j := runs[0].job
		if j.Kind != "t.echo" || j.ID != id || j.Attempt != 1 || j.Args["n"] != 7.0 || j.Args["s"] != "x" {
			t.Fatalf("handler got %+v, want kind t.echo, id %s, attempt 1, args {n:7 s:x}", j, id)
		}
		s := waitStatus(t, q, id, "succeeded")
		if s["jobName"] != "t.echo" || s["finishedAt"] == nil {
			t.Fatalf("status %v: want jobName t.echo and finishedAt", s)
		}
		if p, _ := s["params"].(map[string]any); p["s"] != "x" {
			t.Fatalf("status params %v, want the args", s["params"])
		}
	})

	t.Run("StatusByID", func(t *testing.T) {
		q := h.Open(t)
		g, ok := q.(core.JobStatusGetter)
		if !ok {
			t.Skip("the queue has no StatusByID (core.JobStatusGetter): the App lists to find one job")
		}
		q.Handle("t.byid", func(context.Context, core.Job) error { return nil })
		start(t, q)
		id := enqueue(t, q, core.Job{Kind: "t.byid", Args: map[string]any{"k": "v"}})
		listed := waitStatus(t, q, id, "succeeded")
		got, err := g.StatusByID(t.Context(), id)
		if err != nil {
			t.Fatalf("StatusByID(%s): %v", id, err)
		}
		if got["objectId"] != id || got["jobName"] != "t.byid" || got["status"] != "succeeded" || got["finishedAt"] == nil {
			t.Fatalf("StatusByID(%s) = %v, want the row Status lists: %v", id, got, listed)
		}
		for _, missing := range []string{"999999999", "0", "-1", "not-an-id", "", "1e3"} {
			if got, err := g.StatusByID(t.Context(), missing); got != nil || err != nil {
				t.Errorf("StatusByID(%q) = %v, %v; want nil, nil", missing, got, err)
			}
		}
	})

	t.Run("UnknownKind", func(t *testing.T) {
		q := h.Open(t)
		q.Handle("t.known", func(context.Context, core.Job) error { return nil })
		start(t, q)
		_, err := q.Enqueue(t.Context(), core.Job{Kind: "t.unknown"})
		if !core.IsCode(err, core.CodeScriptFailed) {
			t.Fatalf("Enqueue of a kind without handler: %v, want code 141", err)
		}
	})

	t.Run("Delayed", func(t *testing.T) {
		q, rec := h.Open(t), newRecorder()
		q.Handle("t.later", func(ctx context.Context, j core.Job) error { rec.add(0, j); return nil })
		start(t, q)
		runAt := time.Now().Add(2 * time.Second)
		id := enqueue(t, q, core.Job{Kind: "t.later", RunAt: runAt})
		if s := statusOf(t, q, id); s == nil || (s["status"] != "pending" && time.Now().Before(runAt)) {
			t.Fatalf("a delayed job before its time: status %v, want pending", s)
		}
		runs := rec.waitFor(t, "the delayed job", func(r []run) bool { return len(r) == 1 })
		if runs[0].at.Before(runAt) {
			t.Fatalf("the job ran at %s, before its RunAt %s", runs[0].at, runAt)
		}
	})

	t.Run("RetriesThenSucceeds", func(t *testing.T) {
		q, rec := h.Open(t), newRecorder()
		q.Handle("t.flaky", func(ctx context.Context, j core.Job) error {
			rec.add(0, j)
			if j.Attempt == 1 {
				return errors.New("first attempt fails")
			}
			return nil
		})
		start(t, q)
		id := enqueue(t, q, core.Job{Kind: "t.flaky"})
		runs := rec.waitFor(t, "the retry", func(r []run) bool { return len(r) == 2 })
		if runs[1].job.Attempt != 2 || runs[1].job.ID != id {
			t.Fatalf("second run %+v, want attempt 2 of job %s", runs[1].job, id)
		}
		s := waitStatus(t, q, id, "succeeded")
		if s["message"] != "first attempt fails" {
			t.Fatalf("status message %v, want the first attempt's error", s["message"])
		}
	})

	t.Run("FailsAfterMaxAttempts", func(t *testing.T) {
		q, rec := h.Open(t), newRecorder()
		q.Handle("t.broken", func(ctx context.Context, j core.Job) error { rec.add(0, j); return fmt.Errorf("broken #%d", j.Attempt) })
		start(t, q)
		id := enqueue(t, q, core.Job{Kind: "t.broken", MaxAttempts: 2})
		s := waitStatus(t, q, id, "failed")
		if s["message"] != "broken #2" {
			t.Fatalf("status message %v, want the last error", s["message"])
		}
		if n := len(rec.snapshot()); n != 2 {
			t.Fatalf("%d runs, want MaxAttempts = 2", n)
		}
	})

	t.Run("UniqueKey", func(t *testing.T) {
		q := h.Open(t)
		q.Handle("t.unique", func(context.Context, core.Job) error { return nil })
		q.Handle("t.other", func(context.Context, core.Job) error { return nil })
		start(t, q)
		later := time.Now().Add(time.Hour) // pending the whole test
		a := enqueue(t, q, core.Job{Kind: "t.unique", UniqueKey: "k1", RunAt: later, Args: map[string]any{"v": 1.0}})
		b := enqueue(t, q, core.Job{Kind: "t.unique", UniqueKey: "k1", RunAt: later, Args: map[string]any{"v": 2.0}})
		c := enqueue(t, q, core.Job{Kind: "t.unique", UniqueKey: "k2", RunAt: later})
		d := enqueue(t, q, core.Job{Kind: "t.other", UniqueKey: "k1", RunAt: later})
		e := enqueue(t, q, core.Job{Kind: "t.unique", RunAt: later})
		f := enqueue(t, q, core.Job{Kind: "t.unique", RunAt: later})
		if a != b {
			t.Fatalf("same kind and key while pending: ids %s and %s, want the first job's", a, b)
		}
		if c == a || d == a || e == f {
			t.Fatalf("another key (%s), another kind (%s) or no key (%s, %s) must make a new job (first: %s)", c, d, e, f, a)
		}
	})

	t.Run("Periodic", func(t *testing.T) {
		nodes := 1
		if h.MultiNode {
			nodes = 2
		}
		rec := newRecorder()
		for n := range nodes {
			q := h.Open(t)
			q.Handle("t.tick", func(ctx context.Context, j core.Job) error { rec.add(n, j); return nil })
			if err := q.Periodic("t.tick", "@every 1s", map[string]any{"p": true}); err != nil {
				t.Fatal(err)
			}
			start(t, q)
		}
		runs := rec.waitFor(t, "three ticks", func(r []run) bool { return len(r) >= 3 })
		seen := map[time.Time]bool{}
		for _, r := range runs {
			if r.job.Args["p"] != true {
				t.Fatalf("periodic run with args %v, want the registered args", r.job.Args)
			}
			if seen[r.job.RunAt] {
				t.Fatalf("the tick at %s ran twice (nodes: %d)", r.job.RunAt, nodes)
			}
			seen[r.job.RunAt] = true
		}
	})

	t.Run("BadCron", func(t *testing.T) {
		q := h.Open(t)
		q.Handle("t.tick", func(context.Context, core.Job) error { return nil })
		if err := q.Periodic("t.tick", "every minute", nil); err == nil {
			t.Fatal("Periodic accepted a schedule that is not cron")
		}
	})

	if h.MultiNode {
		t.Run("EachJobOnceAcrossNodes", func(t *testing.T) {
			rec := newRecorder()
			var queues []core.JobQueue
			for n := range 3 {
				q := h.Open(t)
				q.Handle("t.once", func(ctx context.Context, j core.Job) error { rec.add(n, j); return nil })
				start(t, q)
				queues = append(queues, q)
			}
			const jobs = 60
			ids := map[string]bool{}
			for i := range jobs {
				ids[enqueue(t, queues[i%len(queues)], core.Job{Kind: "t.once", Args: map[string]any{"i": float64(i)}})] = true
			}
			rec.waitFor(t, "every job", func(r []run) bool { return len(r) >= jobs })
			// Let any duplicate show up: wait until every job is finished.
			for id := range ids {
				waitStatus(t, queues[0], id, "succeeded")
			}
			runs := rec.snapshot()
			count := map[string]int{}
			for _, r := range runs {
				count[r.job.ID]++
			}
			for id := range ids {
				if count[id] != 1 {
					t.Errorf("job %s ran %d times, want once", id, count[id])
				}
			}
			if len(runs) != jobs {
				t.Errorf("%d runs for %d jobs", len(runs), jobs)
			}
		})
	}

	t.Run("PrefixRoute", func(t *testing.T) {
		q, rec := h.Open(t), newRecorder()
		own := newRecorder()
		q.Handle("p.own", func(ctx context.Context, j core.Job) error { own.add(0, j); return nil })
		err := q.HandlePrefix(core.PrefixRoute{Prefix: "p.", Handler: func(ctx context.Context, j core.Job) error { rec.add(0, j); return nil },
			Has: func(kind string) bool { return kind != "p.missing" }})
		if err != nil {
			t.Fatal(err)
		}
		if err := q.HandlePrefix(core.PrefixRoute{Prefix: "p.", Handler: func(context.Context, core.Job) error { return nil }}); err == nil {
			t.Fatal("HandlePrefix accepted the same prefix twice")
		}
		start(t, q)
		a := enqueue(t, q, core.Job{Kind: "p.alpha", Args: map[string]any{"n": 1.0}})
		b := enqueue(t, q, core.Job{Kind: "p.beta"})
		enqueue(t, q, core.Job{Kind: "p.own"})
		if _, err := q.Enqueue(t.Context(), core.Job{Kind: "p.missing"}); !core.IsCode(err, core.CodeScriptFailed) {
			t.Fatalf("Enqueue of a kind the route's Has refuses: %v, want code 141", err)
		}
		runs := rec.waitFor(t, "both routed jobs", func(r []run) bool { return len(r) == 2 })
		kinds := map[string]string{}
		for _, r := range runs {
			kinds[r.job.ID] = r.job.Kind
		}
		if kinds[a] != "p.alpha" || kinds[b] != "p.beta" {
			t.Fatalf("routed handler saw kinds %v, want %s: p.alpha and %s: p.beta", kinds, a, b)
		}
		own.waitFor(t, "the kind with a handler of its own", func(r []run) bool { return len(r) == 1 })
		if s := waitStatus(t, q, a, "succeeded"); s["jobName"] != "p.alpha" || s["params"].(map[string]any)["n"] != 1.0 {
			t.Fatalf("status of a routed job %v, want its own kind and args", s)
		}
		if len(rec.snapshot()) != 2 {
			t.Fatalf("the routed handler ran %d times, want 2 (a kind with its own handler is not routed)", len(rec.snapshot()))
		}
	})

	t.Run("ReportAndNoRetry", func(t *testing.T) {
		q := h.Open(t)
		release := make(chan struct{})
		reported := make(chan struct{}, 1)
		q.Handle("t.report", func(ctx context.Context, j core.Job) error {
			if err := j.Report(ctx, "halfway"); err != nil {
				return err
			}
			reported <- struct{}{}
			<-release
			if fail, _ := j.Args["fail"].(bool); fail {
				return core.NoRetry(errors.New("gave up"))
			}
			return j.Report(ctx, "all done")
		})
		start(t, q)
		ok := enqueue(t, q, core.Job{Kind: "t.report"})
		<-reported
		if s := statusOf(t, q, ok); s["status"] != "running" || s["message"] != "halfway" {
			t.Fatalf("while running: %v, want status running with the reported message", s)
		}
		release <- struct{}{}
		if s := waitStatus(t, q, ok, "succeeded"); s["message"] != "all done" {
			t.Fatalf("after success: message %v, want the last report", s["message"])
		}
		bad := enqueue(t, q, core.Job{Kind: "t.report", Args: map[string]any{"fail": true}, MaxAttempts: 5})
		<-reported
		release <- struct{}{}
		s := waitStatus(t, q, bad, "failed")
		if s["message"] != "gave up" || s["attempts"] != 1 {
			t.Fatalf("a NoRetry failure: %v, want failed at once (1 attempt of 5) with the error as message", s)
		}
	})

	t.Run("StopIsIdempotent", func(t *testing.T) {
		q := h.Open(t)
		q.Handle("t.x", func(context.Context, core.Job) error { return nil })
		start(t, q)
		for range 2 {
			if err := q.Stop(t.Context()); err != nil {
				t.Fatalf("Stop: %v", err)
			}
		}
		if _, err := q.Enqueue(t.Context(), core.Job{Kind: "t.x"}); err == nil {
			t.Fatal("Enqueue after Stop succeeded")
		}
	})
}
