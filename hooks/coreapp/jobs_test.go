package coreapp_test

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"testing"
	"time"
)

const jobsJS = `
Parse.Cloud.job('quick', req => ({ got: req.params.n }));
Parse.Cloud.job('slow', req => new Promise(resolve => {
  req.message('halfway');
  setTimeout(() => resolve('finished'), 500);
}));
Parse.Cloud.job('failing', () => { throw 'cloud job failed'; });
Parse.Cloud.job('counted', async req => {
  const o = new Parse.Object('JobRun');
  await o.save({ name: 'counted', params: req.params }, { useMasterKey: true });
});
`

// jobStatus waits until job id has status want and returns its row.
func (n *node) jobStatus(id, want string) map[string]any {
	n.t.Helper()
	var last map[string]any
	eventually(n.t, 30*time.Second, "job "+id+" "+want, func() bool {
		last = n.must(http.StatusOK, http.MethodGet, "/classes/_JobStatus/"+id, "master", nil).body
		return last["status"] == want
	})
	return last
}

func TestJobs(t *testing.T) {
	n := startNode(t, nodeOptions{})
	n.deploy(jobsJS)

	t.Run("a job runs: running, then succeeded with its result as message", func(t *testing.T) {
		r := n.must(http.StatusOK, http.MethodPost, "/jobs/slow", "master", map[string]any{"startedBy": "Monty"})
		id := r.header.Get("X-Parse-Job-Status-Id")
		if id == "" || r.raw != "{}" {
			t.Fatalf("POST /jobs/slow: header %q body %s, want a job status id and {}", id, r.raw)
		}
		s := n.must(http.StatusOK, http.MethodGet, "/classes/_JobStatus/"+id, "master", nil).body
		if s["status"] != "running" || s["jobName"] != "slow" || s["params"].(map[string]any)["startedBy"] != "Monty" {
			t.Fatalf("status right after the start: %v, want running with the params", s)
		}
		eventually(t, 10*time.Second, "the job's message", func() bool {
			return n.must(http.StatusOK, http.MethodGet, "/classes/_JobStatus/"+id, "master", nil).body["message"] == "halfway"
		})
		if s := n.jobStatus(id, "succeeded"); s["message"] != "finished" || s["finishedAt"] == nil {
			t.Fatalf("finished job: %v, want message finished and finishedAt", s)
		}
	})

	t.Run("a job that throws fails at once with the error as message", func(t *testing.T) {
		id := n.must(http.StatusOK, http.MethodPost, "/jobs/failing", "master", nil).header.Get("X-Parse-Job-Status-Id")
		s := n.jobStatus(id, "failed")
		if s["message"] != "cloud job failed" || s["attempts"] != 1.0 {
			t.Fatalf("failed job: %v, want message 'cloud job failed' after one attempt", s)
		}
	})

	t.Run("POST /jobs with jobName in the body, and the where the SDK's getJobStatus sends", func(t *testing.T) {
		id := n.must(http.StatusOK, http.MethodPost, "/jobs", "master", map[string]any{"jobName": "quick", "n": 7.0}).header.Get("X-Parse-Job-Status-Id")
		n.jobStatus(id, "succeeded")
		where, _ := json.Marshal(map[string]any{"objectId": id})
		r := n.must(http.StatusOK, http.MethodGet, "/classes/_JobStatus?limit=1&where="+string(where), "master", nil)
		list := r.body["results"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["message"] != `{"got":7}` {
			t.Fatalf("find by objectId: %v, want the job with its result", r.body)
		}
		where, _ = json.Marshal(map[string]any{"objectId": "not-a-real-id"})
		if r := n.must(http.StatusOK, http.MethodGet, "/classes/_JobStatus?where="+string(where), "master", nil); len(r.body["results"].([]any)) != 0 {
			t.Fatalf("an unknown id: %v, want no results (the SDK then says Object not found)", r.body)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		if r := n.call(http.MethodPost, "/jobs/bad_job", "master", nil); r.status != 400 || r.code() != 141 || r.errMsg() != "Invalid job." {
			t.Fatalf("unknown job: %d %s, want 141 Invalid job.", r.status, r.raw)
		}
		if r := n.call(http.MethodPost, "/jobs/quick", "", nil); r.code() != 119 {
			t.Fatalf("a job without the master key: %d %s, want 119", r.status, r.raw)
		}
		if r := n.call(http.MethodGet, "/cloud_code/jobs/data", "", nil); r.code() != 119 {
			t.Fatalf("jobs data without the master key: %d %s, want 119", r.status, r.raw)
		}
	})

	t.Run("jobs data", func(t *testing.T) {
		r := n.must(http.StatusOK, http.MethodGet, "/cloud_code/jobs/data", "master", nil)
		var jobs []string
		for _, j := range r.body["jobs"].([]any) {
			jobs = append(jobs, j.(string))
		}
		sort.Strings(jobs)
		if len(jobs) != 4 || jobs[0] != "counted" || jobs[3] != "slow" || len(r.body["in_use"].([]any)) != 0 {
			t.Fatalf("jobs data %v, want the 4 jobs and none in use", r.body)
		}
	})
}

func TestJobSchedules(t *testing.T) {
	n := startNode(t, nodeOptions{})
	n.deploy(jobsJS)
	ctx := context.Background()

	if r := n.call(http.MethodPost, "/cloud_code/jobs", "master", map[string]any{"job_schedule": map[string]any{"jobName": "nope"}}); r.code() != 1 || r.errMsg() != "Cannot Schedule a job that is not deployed" {
		t.Fatalf("scheduling an unknown job: %d %s", r.status, r.raw)
	}
	past := time.Now().Add(-time.Hour).UTC().Format("2006-01-02T15:04:05.000Z")
	r := n.must(http.StatusCreated, http.MethodPost, "/cloud_code/jobs", "master", map[string]any{"job_schedule": map[string]any{
		"jobName": "counted", "description": "every minute", "params": `{"from":"schedule"}`, "startAfter": past,
		"repeatMinutes": 1.0, "timeOfDay": "00:00:00.000Z",
	}})
	sched := r.body["objectId"].(string)
	list := n.must(http.StatusOK, http.MethodGet, "/cloud_code/jobs", "master", nil)
	if len(list.list) != 1 || list.list[0].(map[string]any)["jobName"] != "counted" {
		t.Fatalf("GET /cloud_code/jobs: %s, want the schedule as a list", list.raw)
	}
	if d := n.must(http.StatusOK, http.MethodGet, "/cloud_code/jobs/data", "master", nil); len(d.body["in_use"].([]any)) != 1 {
		t.Fatalf("jobs data %v, want counted in use", d.body)
	}

	// Three ticks of the same minute, two at once: one run.
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- n.cloud.TickSchedules(ctx) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := n.cloud.TickSchedules(ctx); err != nil {
		t.Fatal(err)
	}
	var runs []any
	eventually(t, 30*time.Second, "the scheduled run", func() bool {
		runs = n.must(http.StatusOK, http.MethodGet, "/classes/JobRun", "master", nil).body["results"].([]any)
		return len(runs) >= 1
	})
	time.Sleep(300 * time.Millisecond) // a duplicate would show up by now
	runs = n.must(http.StatusOK, http.MethodGet, "/classes/JobRun", "master", nil).body["results"].([]any)
	if len(runs) != 1 {
		t.Fatalf("%d runs of one slot, want exactly 1", len(runs))
	}
	if p := runs[0].(map[string]any)["params"].(map[string]any); p["from"] != "schedule" {
		t.Fatalf("scheduled run got params %v, want the schedule's", p)
	}
	row := n.must(http.StatusOK, http.MethodGet, "/classes/_JobSchedule/"+sched, "master", nil).body
	if row["lastRun"] == nil {
		t.Fatalf("schedule %v: lastRun not set", row)
	}

	n.must(http.StatusOK, http.MethodPut, "/cloud_code/jobs/"+sched, "master", map[string]any{"job_schedule": map[string]any{"description": "changed"}})
	n.must(http.StatusOK, http.MethodDelete, "/cloud_code/jobs/"+sched, "master", nil)
	if l := n.must(http.StatusOK, http.MethodGet, "/cloud_code/jobs", "master", nil); len(l.list) != 0 {
		t.Fatalf("after delete: %s", l.raw)
	}
	if r := n.call(http.MethodGet, "/classes/_JobSchedule", "", nil); r.code() != 119 {
		t.Fatalf("clients reading _JobSchedule: %d %s, want 119", r.status, r.raw)
	}
}
