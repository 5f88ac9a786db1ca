package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// jobStatusClass is Parse's class of background job runs. Switchboard keeps
// jobs in the job queue, not in a class, and serves this class read-only
// from it.
const jobStatusClass = "_JobStatus"

// startJob serves POST /jobs/:name (master key): it starts the cloud-code
// job name with the body as its params and answers {} with the run's
// _JobStatus objectId in the X-Parse-Job-Status-Id header, as Parse Server
// does. Switchboard extension: ?runAt=<ISO-8601 date> delays it. GET
// /jobs/status lists the latest runs in _JobStatus shape (limit, skip).
func (h *Handler) startJob(ctx context.Context, req *request) (*reply, error) {
	var runAt time.Time
	if s := req.http.URL.Query().Get("runAt"); s != "" {
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, core.Errorf(core.CodeInvalidJSON, "runAt must be an ISO-8601 date such as 2030-01-02T15:04:05.000Z, got %q", s)
		}
		runAt = t
	}
	name := req.value("name")
	if name == "" { // POST /jobs {"jobName": ...}, as the Parse Dashboard sends
		name, _ = req.body["jobName"].(string)
	}
	id, err := h.app.StartJob(ctx, req.auth, name, req.body, runAt)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusOK, body: map[string]any{}, headers: map[string]string{"X-Parse-Job-Status-Id": id}}, nil
}

// jobStatusClass serves GET /classes/_JobStatus and /classes/_JobStatus/:id.
// A find takes limit and skip, and a where on objectId alone (what
// Parse.Cloud.getJobStatus sends); the class cannot be written.
func (h *Handler) jobStatusClass(ctx context.Context, req *request) (*reply, error) {
	switch req.route.label {
	case "classes.get":
		return result(h.app.JobStatusByID(ctx, req.auth, req.value("id")))
	case "classes.find":
	default:
		if !req.auth.Master {
			return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
		}
		return nil, core.Errorf(core.CodeOperationForbidden, "_JobStatus is read-only: it lists the job queue's runs (GET /classes/_JobStatus)")
	}
	opts, err := core.ParseFindOptions(map[string]any{"where": req.params["where"]})
	if err != nil {
		return nil, err
	}
	switch id, isID := opts.Where[core.FieldObjectID].(string); {
	case len(opts.Where) == 0:
		return h.jobStatusList(ctx, req)
	case len(opts.Where) == 1 && isID:
		row, err := h.app.JobStatusByID(ctx, req.auth, id)
		if core.IsCode(err, core.CodeObjectNotFound) {
			return ok(map[string]any{"results": []any{}}), nil
		}
		if err != nil {
			return nil, err
		}
		return ok(map[string]any{"results": []any{row}}), nil
	}
	return nil, core.Errorf(core.CodeInvalidQuery, "_JobStatus supports limit, skip and a where on objectId alone")
}

func (h *Handler) jobStatusList(ctx context.Context, req *request) (*reply, error) {
	limit, skip := intParam(req.params["limit"]), intParam(req.params["skip"])
	rows, err := h.app.JobStatus(ctx, req.auth, limit, skip)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"results": rows}), nil
}

// intParam reads a number from a query string or a JSON envelope.
func intParam(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case string:
		n, _ := strconv.Atoi(x)
		return n
	}
	return 0
}
