package coreapp

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

// RunFunction runs a cloud function for POST /functions/:name: a webhook
// registered under the name, or the active deployment's function. It
// answers {"result": value}, or {} when the function returned nothing, as
// Parse Server does; an unknown name is 141 Invalid function: "name".
func (c *Cloud) RunFunction(ctx context.Context, auth *core.Auth, name string, params map[string]any) (map[string]any, error) {
	url := c.webhooks.functionURL(name)
	d := c.m.Active()
	if url == "" && (d == nil || !d.HasFunction(name)) {
		return nil, core.Errorf(core.CodeScriptFailed, "Invalid function: %q", name)
	}
	if params == nil {
		params = map[string]any{}
	}
	var cloudCtx map[string]any
	if info := core.CallInfoFrom(ctx); info != nil {
		cloudCtx = info.Context
	}
	req := c.request(ctx, auth, cloudCtx)
	req.Params = params
	var resp *hooks.Response
	var err error
	if url != "" {
		resp, err = c.webhooks.callFunction(ctx, url, name, req)
	} else {
		resp, err = d.RunFunction(ctx, name, req)
	}
	if err != nil {
		return nil, err
	}
	if !resp.HasResult {
		return map[string]any{}, nil
	}
	return map[string]any{"result": resp.Result}, nil
}

// JobNames lists the jobs of the active deployment, for GET
// /cloud_code/jobs/data and to check the jobs schedules name.
func (c *Cloud) JobNames() []string { return c.m.Jobs() }

// scheduleKind is the periodic job that starts the jobs of _JobSchedule.
const scheduleKind = "switchboard.cloudSchedules"

// registerJobs routes every cloud.* job kind to the active deployment and
// registers the schedule tick.
func (c *Cloud) registerJobs() error {
	q := c.app.Jobs()
	if q == nil {
		return nil
	}
	err := q.HandlePrefix(core.PrefixRoute{
		Prefix:  core.CloudJobPrefix,
		Handler: c.runJob,
		Has: func(kind string) bool {
			d := c.m.Active()
			return d != nil && d.HasJob(strings.TrimPrefix(kind, core.CloudJobPrefix))
		},
		Timeout: c.m.Options().JobTimeout + time.Second,
	})
	if err != nil {
		return err
	}
	q.Handle(scheduleKind, c.scheduleTick)
	return q.Periodic(scheduleKind, "* * * * *", nil)
}

// runJob runs one cloud job on the queue: request.message goes to the
// job's status as it runs, a result becomes its final message, and a
// script error fails the job without a retry (it would throw again). A job
// whose node is shutting down is left to the queue, which runs it again.
func (c *Cloud) runJob(ctx context.Context, job core.Job) error {
	name := strings.TrimPrefix(job.Kind, core.CloudJobPrefix)
	report := func(msg string) {
		if job.Report == nil {
			return
		}
		if err := job.Report(ctx, msg); err != nil {
			c.log.Warn("cloud code: recording a job's message failed", "job", name, "err", err)
		}
	}
	params := job.Args
	if params == nil {
		params = map[string]any{}
	}
	resp, err := c.m.RunJob(ctx, name, &hooks.Request{Params: params}, report)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return core.NoRetry(errors.New(core.AsError(err).Message))
	}
	if resp.HasResult && resp.Result != nil {
		if s, ok := resp.Result.(string); ok {
			report(s)
		} else if b, err := json.Marshal(resp.Result); err == nil {
			report(string(b))
		}
	}
	return nil
}
