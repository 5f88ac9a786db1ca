package api

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// CloudCode is cloud code as the API's routes see it: the cloud feature
// provides it (SetCloudCode). Without it no function exists and no hook
// can be registered.
type CloudCode interface {
	// RunFunction runs the cloud function name for auth with params
	// (POST /functions/:name) and returns the reply: {"result": value}, or
	// {} when the function returned nothing. An unknown name is 141
	// Invalid function: "name". ctx carries the call's core.CallInfo.
	RunFunction(ctx context.Context, auth *core.Auth, name string, params map[string]any) (map[string]any, error)
	// JobNames lists the jobs the active deployment defines.
	JobNames() []string
	// Webhooks serves Parse's /hooks routes: kind is "functions" or
	// "triggers", key is empty, [functionName] or [className,
	// triggerName]. It checks the master key itself.
	Webhooks(ctx context.Context, auth *core.Auth, method, kind string, key []string, body map[string]any) (any, error)
}

// SetCloudCode makes c serve the cloud-code routes. Call it before the
// handler serves.
func (h *Handler) SetCloudCode(c CloudCode) { h.cloud = c }

// runFunction serves POST /functions/:name: the body (without the SDK's
// envelope) is the function's params.
func (h *Handler) runFunction(ctx context.Context, req *request) (*reply, error) {
	name := req.value("name")
	if h.cloud == nil {
		return nil, core.Errorf(core.CodeScriptFailed, "Invalid function: %q", name)
	}
	params := req.body
	for k, v := range req.http.URL.Query() { // Parse merges the query string in
		if _, inBody := params[k]; !inBody && len(v) > 0 {
			if params == nil {
				params = map[string]any{}
			}
			params[k] = v[0]
		}
	}
	return result(h.cloud.RunFunction(ctx, req.auth, name, params))
}

func (h *Handler) webhooks(ctx context.Context, req *request) (*reply, error) {
	if h.cloud == nil {
		return nil, core.Errorf(core.CodeCommandUnavailable, "cloud code is not enabled on this server")
	}
	var key []string
	switch {
	case req.value("name") != "":
		key = []string{req.value("name")}
	case req.value("class") != "":
		key = []string{req.value("class"), req.value("trigger")}
	}
	out, err := h.cloud.Webhooks(ctx, req.auth, req.method, req.path[1], key, req.body)
	if err != nil {
		return nil, err
	}
	return ok(out), nil
}

// ---- job schedules (Parse's /cloud_code/jobs, master key) ----

const jobScheduleClass = "_JobSchedule"

func (h *Handler) jobNames() []string {
	if h.cloud == nil {
		return []string{}
	}
	names := h.cloud.JobNames()
	if names == nil {
		names = []string{}
	}
	return names
}

func (h *Handler) schedules(ctx context.Context, auth *core.Auth) ([]map[string]any, error) {
	if !auth.Master {
		return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
	}
	if h.app.Class(jobScheduleClass) == nil {
		return []map[string]any{}, nil
	}
	limit := 10000
	res, err := h.app.Find(ctx, auth, jobScheduleClass, core.FindOptions{Limit: &limit})
	if err != nil {
		return nil, err
	}
	return res.Results, nil
}

// listSchedules answers the schedules as a list, as Parse Server does.
func (h *Handler) listSchedules(ctx context.Context, req *request) (*reply, error) {
	list, err := h.schedules(ctx, req.auth)
	if err != nil {
		return nil, err
	}
	return ok(list), nil
}

// jobsData is what the Parse Dashboard and Parse.Cloud.getJobsData read:
// the deployed jobs, and the ones schedules use.
func (h *Handler) jobsData(ctx context.Context, req *request) (*reply, error) {
	list, err := h.schedules(ctx, req.auth)
	if err != nil {
		return nil, err
	}
	inUse := make([]any, 0, len(list))
	for _, s := range list {
		inUse = append(inUse, s["jobName"])
	}
	return ok(map[string]any{"in_use": inUse, "jobs": h.jobNames()}), nil
}

// scheduleBody reads {"job_schedule": {...}}, refusing a job that is not
// deployed with Parse Server's error, and fills startAfter with now when
// it is missing.
func (h *Handler) scheduleBody(req *request) (map[string]any, error) {
	if !req.auth.Master {
		return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
	}
	body, _ := req.body["job_schedule"].(map[string]any)
	if body == nil {
		return nil, core.Errorf(core.CodeInvalidJSON, `send {"job_schedule": {"jobName": ..., ...}}`)
	}
	if name, ok := body["jobName"].(string); ok && !slices.Contains(h.jobNames(), name) {
		return nil, core.Errorf(core.CodeInternalServerError, "Cannot Schedule a job that is not deployed")
	}
	if _, ok := body["startAfter"]; !ok {
		body["startAfter"] = core.FormatTime(time.Now())
	}
	return body, nil
}

func (h *Handler) createSchedule(ctx context.Context, req *request) (*reply, error) {
	body, err := h.scheduleBody(req)
	if err != nil {
		return nil, err
	}
	if _, ok := body["jobName"].(string); !ok {
		return nil, core.Errorf(core.CodeInvalidJSON, "a job schedule needs a jobName")
	}
	created, err := h.app.Create(ctx, req.auth, jobScheduleClass, body)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: created}, nil
}

func (h *Handler) updateSchedule(ctx context.Context, req *request) (*reply, error) {
	body, err := h.scheduleBody(req)
	if err != nil {
		return nil, err
	}
	return result(h.app.Update(ctx, req.auth, jobScheduleClass, req.value("id"), body))
}

func (h *Handler) deleteSchedule(ctx context.Context, req *request) (*reply, error) {
	if !req.auth.Master {
		return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
	}
	return empty(h.app.Delete(ctx, req.auth, jobScheduleClass, req.value("id")))
}
