package app

import (
	"context"
	"os"

	"github.com/switchboardhq/switchboard/core"
)

// testJobsEnv, set to 1, registers the test-only cloud job "sbtest.record"
// (started with POST /jobs/sbtest.record, master key). test/cluster uses it
// to check, against real server processes, that a job runs exactly once
// across nodes and survives the crash of the node running it. It is off
// unless the variable is set, and is not a SWITCHBOARD_ option so that
// it never appears in a configuration.
const testJobsEnv = "SB_TEST_JOBS"

// testJobClass is where sbtest.record writes what it did.
const testJobClass = "SbTestJobRun"

// registerTestJobs registers sbtest.record. Each run saves a
// SbTestJobRun {marker, phase: "start", pid, attempt, jobId}, then
// phase "done". With holdFirstAttempt: true in its params, the first
// attempt saves "start" and then waits until its context ends (the job
// timeout, or a shutdown) and saves "interrupted": a test kills the process
// meanwhile, and a later attempt on another node saves "done".
func registerTestJobs(app *core.App) {
	app.Jobs().Handle(core.CloudJobPrefix+"sbtest.record", func(ctx context.Context, j core.Job) error {
		marker, _ := j.Args["marker"].(string)
		record := func(phase string) error {
			_, err := app.Create(context.WithoutCancel(ctx), core.MasterAuth(), testJobClass, map[string]any{
				"marker": marker, "phase": phase, "pid": float64(os.Getpid()), "attempt": float64(j.Attempt), "jobId": j.ID,
			})
			return err
		}
		if err := record("start"); err != nil {
			return err
		}
		if hold, _ := j.Args["holdFirstAttempt"].(bool); hold && j.Attempt == 1 {
			<-ctx.Done()
			_ = record("interrupted")
			return ctx.Err()
		}
		return record("done")
	})
}
