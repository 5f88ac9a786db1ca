// Command testnode is the switchboard server with one more cloud job,
// "sbtest.record", for test/cluster: it lets the tests check, against real
// server processes, that a job runs exactly once across nodes and survives
// the crash of the node running it. It is a custom build (the standard providers
// and an Extension), so the job never exists in the real binary.
package main

import (
	"context"
	"os"

	"github.com/switchboardhq/switchboard/cmd/switchboard/app"
	"github.com/switchboardhq/switchboard/core"

	_ "github.com/switchboardhq/switchboard/cmd/switchboard/standard"
)

// testJobClass is where sbtest.record writes what it did.
const testJobClass = "SbTestJobRun"

func init() { app.Extensions.Register("sbtest", registerTestJobs) }

func main() { os.Exit(app.Main()) }

// registerTestJobs registers sbtest.record. Each run saves a
// SbTestJobRun {marker, phase: "start", pid, attempt, jobId}, then
// phase "done". With holdFirstAttempt: true in its params, the first
// attempt saves "start" and then waits until its context ends (the job
// timeout, or a shutdown) and saves "interrupted": a test kills the process
// meanwhile, and a later attempt on another node saves "done".
func registerTestJobs(_ context.Context, a *core.App) error {
	if a.Jobs() == nil {
		return nil
	}
	a.Jobs().Handle(core.CloudJobPrefix+"sbtest.record", func(ctx context.Context, j core.Job) error {
		marker, _ := j.Args["marker"].(string)
		record := func(phase string) error {
			_, err := a.Create(context.WithoutCancel(ctx), core.MasterAuth(), testJobClass, map[string]any{
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
	return nil
}
