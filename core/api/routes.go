package api

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/internal/jsonenc"
)

// Version is the Switchboard version reported by /serverInfo.
var Version = "0.1.0"

// parseCompatVersion is the Parse Server version whose REST API we match;
// some SDKs read it to decide which features to use.
const parseCompatVersion = "8.6.0"

// route is one entry of the route table: an http.ServeMux pattern
// (method and path relative to the mount path), the label the request
// carries in logs and /metrics, and the handler. batch marks the routes a
// /batch entry may call.
type route struct {
	pattern string
	label   string
	serve   func(h *Handler, ctx context.Context, req *request) (*reply, error)
	batch   bool
}

// routes is the API, in one place: the router and the metric labels both
// come from it. Parse's /users, /roles, /sessions and /installations are
// the data routes of _User, _Role, _Session and _Installation plus their
// own special routes; more specific patterns win (ServeMux precedence), so
// /users/me is not a get of the object "me".
var routes = []route{
	{"GET /classes/{class}", "classes.find", (*Handler).find, true},
	{"POST /classes/{class}", "classes.create", (*Handler).create, true},
	{"GET /classes/{class}/{id}", "classes.get", (*Handler).get, true},
	{"PUT /classes/{class}/{id}", "classes.update", (*Handler).update, true},
	{"DELETE /classes/{class}/{id}", "classes.delete", (*Handler).delete, true},

	{"POST /users", "users.signup", (*Handler).signup, true},
	{"GET /users", "users.find", (*Handler).find, true},
	{"GET /users/me", "users.me", (*Handler).me, false},
	{"GET /users/{id}", "users.get", (*Handler).get, true},
	{"PUT /users/{id}", "users.update", (*Handler).update, true},
	{"DELETE /users/{id}", "users.delete", (*Handler).delete, true},
	{"GET /roles", "roles.find", (*Handler).find, true},
	{"POST /roles", "roles.create", (*Handler).create, true},
	{"GET /roles/{id}", "roles.get", (*Handler).get, true},
	{"PUT /roles/{id}", "roles.update", (*Handler).update, true},
	{"DELETE /roles/{id}", "roles.delete", (*Handler).delete, true},
	{"GET /sessions", "sessions.find", (*Handler).find, true},
	{"POST /sessions", "sessions.create", (*Handler).createSession, true},
	{"GET /sessions/me", "sessions.me", (*Handler).currentSession, false},
	{"GET /sessions/{id}", "sessions.get", (*Handler).get, true},
	{"PUT /sessions/{id}", "sessions.update", (*Handler).update, true},
	{"DELETE /sessions/{id}", "sessions.delete", (*Handler).delete, true},
	{"GET /installations", "installations.find", (*Handler).find, true},
	{"POST /installations", "installations.create", (*Handler).create, true},
	{"GET /installations/{id}", "installations.get", (*Handler).get, true},
	{"PUT /installations/{id}", "installations.update", (*Handler).update, true},
	{"DELETE /installations/{id}", "installations.delete", (*Handler).delete, true},

	{"GET /login", "login.get", (*Handler).login, false},
	{"POST /login", "login.post", (*Handler).login, false},
	{"POST /loginAs", "loginAs", (*Handler).loginAs, false},
	{"GET /verifyPassword", "verifyPassword.get", (*Handler).verifyPassword, false},
	{"POST /verifyPassword", "verifyPassword.post", (*Handler).verifyPassword, false},
	{"POST /logout", "logout", (*Handler).logout, false},
	{"POST /upgradeToRevocableSession", "upgradeToRevocableSession", (*Handler).currentSession, false},
	{"POST /requestPasswordReset", "requestPasswordReset", (*Handler).requestPasswordReset, false},
	{"POST /verificationEmailRequest", "verificationEmailRequest", (*Handler).verificationEmailRequest, false},
	{"POST /requestSmsCode", "requestSmsCode", (*Handler).requestSmsCode, false},
	{"POST /requestLoginSmsCode", "requestLoginSmsCode", (*Handler).requestSmsCode, false},
	{"POST /requestMobilePhoneVerify", "requestMobilePhoneVerify", (*Handler).requestMobilePhoneVerify, false},
	{"POST /usersByMobilePhone", "usersByMobilePhone", (*Handler).usersByMobilePhone, false},
	{"POST /verifyMobilePhone/{code}", "verifyMobilePhone", (*Handler).verifyMobilePhone, false},
	{"POST /verifySmsCode/{code}", "verifySmsCode", (*Handler).verifySmsCode, false},

	{"POST /batch", "batch", (*Handler).batch, false},
	{"GET /schemas", "schemas.list", (*Handler).listSchemas, false},
	{"POST /schemas", "schemas.create_from_body", (*Handler).createSchema, false},
	{"GET /schemas/{class}", "schemas.get", (*Handler).getSchema, false},
	{"POST /schemas/{class}", "schemas.create", (*Handler).createSchema, false},
	{"PUT /schemas/{class}", "schemas.update", (*Handler).updateSchema, false},
	{"DELETE /schemas/{class}", "schemas.delete", (*Handler).deleteSchema, false},
	{"DELETE /purge/{class}", "purge", (*Handler).purge, false},
	{"GET /config", "config.get", (*Handler).getConfig, false},
	{"PUT /config", "config.update", (*Handler).updateConfig, false},
	{"GET /aggregate/{class}", "aggregate", (*Handler).aggregate, false},
	{"GET /serverInfo", "serverInfo", (*Handler).serverInfo, false},
	{"GET /jobs/status", "jobs.status", (*Handler).jobStatusList, false},
	{"POST /jobs/{name}", "jobs.start", (*Handler).startJob, false},
	{"POST /jobs", "jobs.start_named", (*Handler).startJob, false},
	{"POST /functions/{name}", "functions.run", (*Handler).runFunction, false},
	{"GET /cloud_code/jobs", "cloud_code.jobs.list", (*Handler).listSchedules, false},
	{"GET /cloud_code/jobs/data", "cloud_code.jobs.data", (*Handler).jobsData, false},
	{"POST /cloud_code/jobs", "cloud_code.jobs.create", (*Handler).createSchedule, false},
	{"PUT /cloud_code/jobs/{id}", "cloud_code.jobs.update", (*Handler).updateSchedule, false},
	{"DELETE /cloud_code/jobs/{id}", "cloud_code.jobs.delete", (*Handler).deleteSchedule, false},
	{"GET /hooks/functions", "hooks.functions.list", (*Handler).webhooks, false},
	{"POST /hooks/functions", "hooks.functions.create", (*Handler).webhooks, false},
	{"GET /hooks/functions/{name}", "hooks.functions.get", (*Handler).webhooks, false},
	{"PUT /hooks/functions/{name}", "hooks.functions.update", (*Handler).webhooks, false},
	{"GET /hooks/triggers", "hooks.triggers.list", (*Handler).webhooks, false},
	{"POST /hooks/triggers", "hooks.triggers.create", (*Handler).webhooks, false},
	{"GET /hooks/triggers/{class}/{trigger}", "hooks.triggers.get", (*Handler).webhooks, false},
	{"PUT /hooks/triggers/{class}/{trigger}", "hooks.triggers.update", (*Handler).webhooks, false},
	{"POST /push", "push.send", (*Handler).sendPush, false},
	{"POST /push/{id}/cancel", "push.cancel", (*Handler).cancelPush, false},

	// App versions (core/versions): releases with the master key (or a
	// policy for the appVersions point), the public rate-limited update check.
	{"POST /releases", "releases.publish", (*Handler).publishRelease, false},
	{"GET /releases", "releases.list", (*Handler).listReleases, false},
	{"GET /releases/{id}", "releases.get", (*Handler).getRelease, false},
	{"PUT /releases/{id}", "releases.update", (*Handler).updateRelease, false},
	{"POST /updates/check", "updates.check", (*Handler).checkUpdate, false},
	{"GET /updates/check", "updates.check_get", (*Handler).checkUpdate, false},

	// analytics: Parse's event ingestion, and Switchboard's reports
	{"POST /events/{name}", "events.track", (*Handler).trackEvent, true},
	{"GET /analytics/{report}", "analytics.report", (*Handler).analyticsReport, false},
}

// RouteInfo describes one route of the API.
type RouteInfo struct {
	Pattern string // http.ServeMux pattern, relative to the mount path
	Label   string // its label in logs and /metrics
}

// Routes lists the API's routes, for documentation and tests.
func Routes() []RouteInfo {
	out := make([]RouteInfo, len(routes))
	for i, r := range routes {
		out[i] = RouteInfo{Pattern: r.pattern, Label: r.label}
	}
	return out
}

// aliasClass maps the system-class routes to their class.
var aliasClass = map[string]string{"users": "_User", "roles": "_Role", "sessions": "_Session", "installations": "_Installation"}

// routeRef is what the router holds for a pattern: the route and its
// pattern's path segments, to read {wildcards} from a request's path.
type routeRef struct {
	*route
	segs []string
}

// ServeHTTP is never called: the router is only asked which route a
// request matches (Handler.match), and the route is then called directly.
func (routeRef) ServeHTTP(http.ResponseWriter, *http.Request) {}

// router indexes the route table in an http.ServeMux. Routes that are a
// literal first segment followed only by {wildcards} ("GET
// /classes/{class}/{id}"), when nothing else shares their first segment
// and length, are also kept in a map: the data routes, most requests, are
// found with one lookup instead of building a request for ServeMux, which
// cost a few percent of a get by id.
type router struct {
	mux  *http.ServeMux
	fast map[fastKey]routeRef
}

// fastKey is what picks a route of router.fast: the method, the first
// path segment and the number of segments.
type fastKey struct {
	method, first string
	n             int
}

func newRouter() *router {
	mux := http.NewServeMux()
	groups := map[fastKey][]routeRef{}
	slow := map[string]bool{} // first segments with other shapes of route
	for i := range routes {
		r := &routes[i]
		method, path, _ := strings.Cut(r.pattern, " ")
		ref := routeRef{route: r, segs: strings.Split(strings.Trim(path, "/"), "/")}
		mux.Handle(r.pattern, ref)
		if simpleRoute(method, path, ref.segs) {
			k := fastKey{method, ref.segs[0], len(ref.segs)}
			groups[k] = append(groups[k], ref)
		} else {
			slow[ref.segs[0]] = true
		}
	}
	fast := map[fastKey]routeRef{}
	for k, refs := range groups {
		if len(refs) == 1 && !slow[k.first] && !slow[""] {
			fast[k] = refs[0]
		}
	}
	return &router{mux: mux, fast: fast}
}

// simpleRoute reports whether a pattern is a method, a literal first
// segment and then only single-segment wildcards.
func simpleRoute(method, path string, segs []string) bool {
	if method == "" || !strings.HasPrefix(path, "/") || strings.HasSuffix(path, "/") || strings.ContainsAny(segs[0], "{}") {
		return false
	}
	for _, s := range segs[1:] {
		if !strings.HasPrefix(s, "{") || !strings.HasSuffix(s, "}") || strings.HasSuffix(s, "...}") {
			return false
		}
	}
	return true
}

// match finds the route for a method and path (segments relative to the
// mount); ok is false when there is none.
func (rt *router) match(method string, path []string) (routeRef, bool) {
	if len(path) > 0 {
		if ref, ok := rt.fast[fastKey{method, path[0], len(path)}]; ok && plainSegments(path) {
			return ref, true
		}
	}
	u := url.URL{Path: "/" + strings.Join(path, "/")}
	h, _ := rt.mux.Handler(&http.Request{Method: method, URL: &u})
	ref, ok := h.(routeRef)
	return ref, ok
}

// plainSegments reports whether no segment is one ServeMux would clean
// away (empty, "." or ".."): such paths go to ServeMux, which decides.
func plainSegments(path []string) bool {
	for _, s := range path {
		if s == "" || s == "." || s == ".." {
			return false
		}
	}
	return true
}

// value returns the path segment the route's pattern names {name}.
func (req *request) value(name string) string {
	for i, s := range req.route.segs {
		if len(s) == len(name)+2 && s[0] == '{' && s[1:len(s)-1] == name && i < len(req.path) {
			return req.path[i]
		}
	}
	return ""
}

// className is the class a data route is about: {class}, or the system
// class of /users, /roles, /sessions and /installations.
func (req *request) className() string {
	if c, ok := aliasClass[req.path[0]]; ok {
		return c
	}
	return req.value("class")
}

func (h *Handler) route(req *request) (*reply, error) {
	ctx := req.ctx
	if h.app.IdempotencyApplies(strings.Join(req.path, "/")) && req.method != http.MethodGet && req.reqID != "" {
		if err := h.app.ClaimRequestID(ctx, req.reqID); err != nil {
			return nil, err
		}
	}
	return req.route.serve(h, ctx, req)
}

func errNoRoute(method string, path []string) error {
	return core.Errorf(core.CodeInvalidJSON, "no route for %s /%s", method, strings.Join(path, "/"))
}

func ok(body any) *reply { return &reply{status: http.StatusOK, body: body} }

// ---- objects ----

func (h *Handler) find(ctx context.Context, req *request) (*reply, error) {
	class := req.className()
	if class == jobStatusClass {
		return h.jobStatusClass(ctx, req)
	}
	opts, err := core.ParseFindOptions(req.params)
	if err != nil {
		return nil, err
	}
	opts.JSON = req.direct
	res, err := h.app.Find(ctx, req.auth, class, opts)
	if err != nil {
		return nil, err
	}
	if res.JSON != nil {
		return &reply{status: http.StatusOK, raw: findReplyJSON(res)}, nil
	}
	out := map[string]any{"results": res.Results}
	if res.ClassName != "" {
		// A relation query redirected to the relation's target class says
		// which, as Parse Server does: the SDKs build the objects of it.
		out["className"] = res.ClassName
	}
	if res.Count != nil {
		out["count"] = *res.Count
	}
	return ok(out), nil
}

func (h *Handler) create(ctx context.Context, req *request) (*reply, error) {
	class := req.className()
	if class == jobStatusClass {
		return h.jobStatusClass(ctx, req)
	}
	created, err := h.app.Create(ctx, req.auth, class, req.body)
	if err != nil {
		return nil, err
	}
	return &reply{status: http.StatusCreated, body: created, location: h.locationFor(req.http, "classes/"+url.PathEscape(class), created[core.FieldObjectID].(string))}, nil
}

func (h *Handler) get(ctx context.Context, req *request) (*reply, error) {
	class := req.className()
	if class == jobStatusClass {
		return h.jobStatusClass(ctx, req)
	}
	opts, err := core.ParseFindOptions(req.params)
	if err != nil {
		return nil, err
	}
	opts.JSON = req.direct
	obj, raw, err := h.app.GetJSON(ctx, req.auth, class, req.value("id"), opts)
	if err != nil {
		return nil, err
	}
	if raw != nil {
		return &reply{status: http.StatusOK, raw: raw}, nil
	}
	return ok(obj), nil
}

// findReplyJSON is the reply of a find whose objects the store wrote as
// JSON: the keys in the order encoding/json writes them (className,
// count, results), as the reply made of values would be.
func findReplyJSON(res *core.FindResult) []byte {
	b := make([]byte, 0, len(res.JSON)+64)
	b = append(b, '{')
	if res.ClassName != "" {
		b = append(b, `"className":`...)
		b = jsonenc.AppendString(b, res.ClassName)
		b = append(b, ',')
	}
	if res.Count != nil {
		b = append(b, `"count":`...)
		b = strconv.AppendInt(b, *res.Count, 10)
		b = append(b, ',')
	}
	b = append(b, `"results":`...)
	b = append(b, res.JSON...)
	return append(b, '}')
}

func (h *Handler) update(ctx context.Context, req *request) (*reply, error) {
	class := req.className()
	if class == jobStatusClass {
		return h.jobStatusClass(ctx, req)
	}
	return result(h.app.Update(ctx, req.auth, class, req.value("id"), req.body))
}

func (h *Handler) delete(ctx context.Context, req *request) (*reply, error) {
	class := req.className()
	if class == jobStatusClass {
		return h.jobStatusClass(ctx, req)
	}
	return empty(h.app.Delete(ctx, req.auth, class, req.value("id")))
}

// ---- schemas, config, purge, aggregate, serverInfo ----

func (h *Handler) listSchemas(ctx context.Context, req *request) (*reply, error) {
	list, err := h.app.ListSchemas(ctx, req.auth)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"results": list}), nil
}

func (h *Handler) getSchema(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.GetSchema(ctx, req.auth, req.value("class")))
}

func (h *Handler) createSchema(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.CreateSchema(ctx, req.auth, req.value("class"), bodyOrEmpty(req.body)))
}

func (h *Handler) updateSchema(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.UpdateSchema(ctx, req.auth, req.value("class"), bodyOrEmpty(req.body)))
}

func (h *Handler) deleteSchema(ctx context.Context, req *request) (*reply, error) {
	return empty(h.app.DeleteSchema(ctx, req.auth, req.value("class")))
}

func (h *Handler) purge(ctx context.Context, req *request) (*reply, error) {
	return empty(h.app.Purge(ctx, req.auth, req.value("class")))
}

func (h *Handler) getConfig(ctx context.Context, req *request) (*reply, error) {
	return result(h.app.GetConfig(ctx, req.auth))
}

func (h *Handler) updateConfig(ctx context.Context, req *request) (*reply, error) {
	if err := h.app.UpdateConfig(ctx, req.auth, req.body); err != nil {
		return nil, err
	}
	return ok(map[string]any{"result": true}), nil
}

func bodyOrEmpty(b map[string]any) map[string]any {
	if b == nil {
		return map[string]any{}
	}
	return b
}

// aggregate serves Parse's aggregate route (master key): the distinct form
// (?distinct=field, what the SDKs' query.distinct() sends) and pipelines
// (?pipeline=[...], query.aggregate()).
func (h *Handler) aggregate(ctx context.Context, req *request) (*reply, error) {
	if !req.auth.Master {
		return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required to run aggregate queries")
	}
	class := req.value("class")
	if field, isDistinct := req.params["distinct"]; isDistinct {
		name, _ := field.(string)
		if name == "" {
			return nil, core.Errorf(core.CodeInvalidQuery, "distinct must name a field")
		}
		opts, err := core.ParseFindOptions(map[string]any{"where": req.params["where"]})
		if err != nil {
			return nil, err
		}
		values, err := h.app.Distinct(ctx, req.auth, class, name, opts.Where)
		if err != nil {
			return nil, err
		}
		return ok(map[string]any{"results": values}), nil
	}
	pipeline, err := core.AggregatePipeline(req.params)
	if err != nil {
		return nil, err
	}
	results, err := h.app.Aggregate(ctx, req.auth, class, pipeline)
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{"results": results}), nil
}

func (h *Handler) serverInfo(_ context.Context, req *request) (*reply, error) {
	if !req.auth.Master {
		return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
	}
	yes, cloud := true, h.cloud != nil
	return ok(map[string]any{
		"parseServerVersion": parseCompatVersion,
		"switchboardVersion": Version,
		"features": map[string]any{
			"globalConfig": map[string]any{"create": yes, "read": yes, "update": yes, "delete": yes},
			"hooks":        map[string]any{"create": cloud, "read": cloud, "update": cloud, "delete": cloud},
			"cloudCode":    map[string]any{"jobs": cloud},
			"logs":         map[string]any{"level": cloud, "size": cloud, "order": cloud, "until": cloud, "from": cloud},
			"push":         h.pushFeatures(),
			"schemas": map[string]any{"addField": yes, "removeField": yes, "addClass": yes, "removeClass": yes,
				"clearAllDataFromClass": yes, "exportClass": false, "editClassLevelPermissions": yes, "editPointerPermissions": yes},
		},
	}), nil
}

func result(body map[string]any, err error) (*reply, error) {
	if err != nil {
		return nil, err
	}
	return ok(body), nil
}

func empty(err error) (*reply, error) {
	if err != nil {
		return nil, err
	}
	return ok(map[string]any{}), nil
}
