package api

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// Version is the Switchboard version reported by /serverInfo.
var Version = "0.1.0"

// parseCompatVersion is the Parse Server version whose REST API we match;
// some SDKs read it to decide which features to use.
const parseCompatVersion = "8.6.0"

func (h *Handler) route(req *request) (*reply, error) {
	ctx := req.http.Context()
	p := req.path
	if len(p) == 0 {
		return nil, errNoRoute(req)
	}
	if h.app.IdempotencyApplies(strings.Join(p, "/")) && req.method != http.MethodGet && req.reqID != "" {
		if err := h.app.ClaimRequestID(ctx, req.reqID); err != nil {
			return nil, err
		}
	}
	switch p[0] {
	case "classes":
		return h.classes(ctx, req)
	case "users", "roles", "sessions", "installations", "login", "logout", "verifyPassword",
		"upgradeToRevocableSession", "requestPasswordReset", "verificationEmailRequest",
		"requestSmsCode", "requestLoginSmsCode", "requestMobilePhoneVerify", "usersByMobilePhone", "verifyMobilePhone":
		return h.users(ctx, req)
	case "batch":
		if len(p) == 1 && req.method == http.MethodPost {
			return h.batch(ctx, req)
		}
	case "schemas":
		return h.schemas(ctx, req)
	case "purge":
		if len(p) == 2 && req.method == http.MethodDelete {
			if err := h.app.Purge(ctx, req.auth, p[1]); err != nil {
				return nil, err
			}
			return ok(map[string]any{}), nil
		}
	case "config":
		if len(p) == 1 {
			switch req.method {
			case http.MethodGet:
				cfg, err := h.app.GetConfig(ctx, req.auth)
				if err != nil {
					return nil, err
				}
				return ok(cfg), nil
			case http.MethodPut:
				if err := h.app.UpdateConfig(ctx, req.auth, req.body); err != nil {
					return nil, err
				}
				return ok(map[string]any{"result": true}), nil
			}
		}
	case "aggregate":
		if len(p) == 2 && req.method == http.MethodGet {
			return h.aggregate(ctx, req)
		}
	case "serverInfo":
		if len(p) == 1 && req.method == http.MethodGet {
			return h.serverInfo(req)
		}
	case "jobs":
		return h.jobs(ctx, req)
	}
	return nil, errNoRoute(req)
}

func errNoRoute(req *request) error {
	return core.Errorf(core.CodeInvalidJSON, "no route for %s /%s", req.method, strings.Join(req.path, "/"))
}

func ok(body any) *reply { return &reply{status: http.StatusOK, body: body} }

func (h *Handler) classes(ctx context.Context, req *request) (*reply, error) {
	p := req.path
	if len(p) >= 2 && p[1] == jobStatusClass {
		return h.jobStatusClass(ctx, req)
	}
	switch {
	case len(p) == 2 && req.method == http.MethodGet:
		opts, err := core.ParseFindOptions(req.params)
		if err != nil {
			return nil, err
		}
		res, err := h.app.Find(ctx, req.auth, p[1], opts)
		if err != nil {
			return nil, err
		}
		out := map[string]any{"results": res.Results}
		if res.Count != nil {
			out["count"] = *res.Count
		}
		return ok(out), nil
	case len(p) == 2 && req.method == http.MethodPost:
		created, err := h.app.Create(ctx, req.auth, p[1], req.body)
		if err != nil {
			return nil, err
		}
		return &reply{status: http.StatusCreated, body: created, location: h.locationFor(req.http, "classes/"+url.PathEscape(p[1]), created[core.FieldObjectID].(string))}, nil
	case len(p) == 3 && req.method == http.MethodGet:
		opts, err := core.ParseFindOptions(req.params)
		if err != nil {
			return nil, err
		}
		obj, err := h.app.Get(ctx, req.auth, p[1], p[2], opts)
		if err != nil {
			return nil, err
		}
		return ok(obj), nil
	case len(p) == 3 && req.method == http.MethodPut:
		updated, err := h.app.Update(ctx, req.auth, p[1], p[2], req.body)
		if err != nil {
			return nil, err
		}
		return ok(updated), nil
	case len(p) == 3 && req.method == http.MethodDelete:
		if err := h.app.Delete(ctx, req.auth, p[1], p[2]); err != nil {
			return nil, err
		}
		return ok(map[string]any{}), nil
	}
	return nil, errNoRoute(req)
}

func (h *Handler) schemas(ctx context.Context, req *request) (*reply, error) {
	p := req.path
	name := ""
	if len(p) == 2 {
		name = p[1]
	} else if len(p) != 1 {
		return nil, errNoRoute(req)
	}
	switch req.method {
	case http.MethodGet:
		if name == "" {
			list, err := h.app.ListSchemas(ctx, req.auth)
			if err != nil {
				return nil, err
			}
			return ok(map[string]any{"results": list}), nil
		}
		s, err := h.app.GetSchema(ctx, req.auth, name)
		if err != nil {
			return nil, err
		}
		return ok(s), nil
	case http.MethodPost:
		s, err := h.app.CreateSchema(ctx, req.auth, name, bodyOrEmpty(req.body))
		if err != nil {
			return nil, err
		}
		return ok(s), nil
	case http.MethodPut:
		if name == "" {
			break
		}
		s, err := h.app.UpdateSchema(ctx, req.auth, name, bodyOrEmpty(req.body))
		if err != nil {
			return nil, err
		}
		return ok(s), nil
	case http.MethodDelete:
		if name == "" {
			break
		}
		if err := h.app.DeleteSchema(ctx, req.auth, name); err != nil {
			return nil, err
		}
		return ok(map[string]any{}), nil
	}
	return nil, errNoRoute(req)
}

func bodyOrEmpty(b map[string]any) map[string]any {
	if b == nil {
		return map[string]any{}
	}
	return b
}

// aggregate serves the distinct form of Parse's aggregate route, which is
// what the SDKs' query.distinct() calls.
func (h *Handler) aggregate(ctx context.Context, req *request) (*reply, error) {
	field, _ := req.params["distinct"].(string)
	if field == "" {
		return nil, core.Errorf(core.CodeInvalidQuery, "only the distinct form of aggregate is supported: pass distinct=<field>")
	}
	opts, err := core.ParseFindOptions(map[string]any{"where": req.params["where"]})
	if err != nil {
		return nil, err
	}
	values, err := h.app.Distinct(ctx, req.auth, req.path[1], field, opts.Where)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"results": values}), nil
}

func (h *Handler) serverInfo(req *request) (*reply, error) {
	if !req.auth.Master {
		return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
	}
	yes := true
	return ok(map[string]any{
		"parseServerVersion": parseCompatVersion,
		"switchboardVersion": Version,
		"features": map[string]any{
			"globalConfig": map[string]any{"create": yes, "read": yes, "update": yes, "delete": yes},
			"hooks":        map[string]any{"create": false, "read": false, "update": false, "delete": false},
			"cloudCode":    map[string]any{"jobs": false},
			"logs":         map[string]any{"level": false, "size": false, "order": false, "until": false, "from": false},
			"push":         map[string]any{"immediatePush": false, "scheduledPush": false, "storedPushData": false, "pushAudiences": false, "localization": false},
			"schemas": map[string]any{"addField": yes, "removeField": yes, "addClass": yes, "removeClass": yes,
				"clearAllDataFromClass": yes, "exportClass": false, "editClassLevelPermissions": yes, "editPointerPermissions": yes},
		},
	}), nil
}
