package app

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"slices"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/console"
	"github.com/switchboardhq/switchboard/core/server"
	"github.com/switchboardhq/switchboard/hooks"
	"github.com/switchboardhq/switchboard/plugins"
	"github.com/switchboardhq/switchboard/policies"
)

// consolePrefix is where the admin console is served.
const consolePrefix = "/dashboard"

// wireConsole serves the admin console at /dashboard (core/console) with
// the panels only the binary can fill: server health and metrics, the
// providers, and the policy engine.
func wireConsole(_ context.Context, f *features) error {
	cc := f.cfg.Console
	if !cc.Enabled {
		return nil
	}
	admins := make([]console.Admin, len(cc.Admins))
	for i, a := range cc.Admins {
		admins[i] = console.Admin{Username: a.Username, PasswordHash: a.PasswordHash, ReadOnly: a.ReadOnly}
	}
	var registry atomic.Pointer[prometheus.Registry]
	f.onServer = append(f.onServer, func(s *server.Server) { registry.Store(s.Registry()) })
	started := time.Now()
	var routes []string
	for _, r := range api.Routes() {
		routes = append(routes, r.Label)
	}
	h, err := console.New(console.Options{
		Prefix: consolePrefix, API: f.api, MountPath: f.cfg.MountPath,
		AppID: f.cfg.AppID, MasterKey: f.cfg.MasterKey, ReadOnlyMasterKey: f.cfg.ReadOnlyMasterKey,
		Admins: admins, SessionLength: time.Duration(cc.SessionLength),
		LoginAttempts: cc.LoginAttempts, LoginWindow: time.Duration(cc.LoginWindow), AllowRate: f.app.AllowRate,
		Logger: f.log, Routes: routes,
		Panels: map[string]console.Panel{
			"server": func(ctx context.Context, _ console.PanelRequest) (any, error) {
				return serverPanel(ctx, f, started, registry.Load()), nil
			},
			"providers": func(ctx context.Context, _ console.PanelRequest) (any, error) { return providersPanel(ctx, f), nil },
			"policies": func(ctx context.Context, req console.PanelRequest) (any, error) {
				return policiesPanel(ctx, f.policies, req)
			},
			"deployment": func(ctx context.Context, req console.PanelRequest) (any, error) {
				return deploymentPanel(ctx, f.cloud, req)
			},
		},
	})
	if err != nil {
		return err
	}
	if f.server.Extra == nil {
		f.server.Extra = map[string]http.Handler{}
	}
	f.server.Extra[consolePrefix] = h
	return nil
}

// routeStat is one API route's traffic since the start.
type routeStat struct {
	Route    string  `json:"route"`
	Requests float64 `json:"requests"`
	Errors   float64 `json:"errors"` // 4xx and 5xx answers
	MeanMs   float64 `json:"meanMs"`
}

// serverPanel is the console's server page: health, build, and a summary
// of the Prometheus metrics.
func serverPanel(ctx context.Context, f *features, started time.Time, reg *prometheus.Registry) map[string]any {
	ready, readyErr := true, ""
	if err := f.app.Ready(ctx); err != nil {
		ready, readyErr = false, err.Error()
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	out := map[string]any{
		"ready": ready, "readyError": readyErr, "version": versionString(), "startedAt": started.UTC().Format(time.RFC3339),
		"uptimeSeconds": int(time.Since(started).Seconds()), "appId": f.cfg.AppID, "serverURL": f.cfg.ServerURL,
		"mountPath": f.cfg.MountPath, "metricsPath": f.server.MetricsPath, "goroutines": runtime.NumGoroutine(),
		"heapBytes": ms.HeapAlloc, "sysBytes": ms.Sys, "gcRuns": ms.NumGC,
	}
	if reg == nil {
		return out
	}
	families, err := reg.Gather()
	if err != nil {
		out["metricsError"] = err.Error()
		return out
	}
	byRoute := map[string]*routeStat{}
	stat := func(route string) *routeStat {
		if byRoute[route] == nil {
			byRoute[route] = &routeStat{Route: route}
		}
		return byRoute[route]
	}
	var total, inFlight float64
	for _, mf := range families {
		switch mf.GetName() {
		case "switchboard_http_requests_total":
			for _, m := range mf.GetMetric() {
				s := stat(label(m, "route"))
				v := m.GetCounter().GetValue()
				s.Requests += v
				total += v
				if st := label(m, "status"); st != "" && st[0] >= '4' {
					s.Errors += v
				}
			}
		case "switchboard_http_request_duration_seconds":
			for _, m := range mf.GetMetric() {
				if h := m.GetHistogram(); h.GetSampleCount() > 0 {
					stat(label(m, "route")).MeanMs = h.GetSampleSum() / float64(h.GetSampleCount()) * 1000
				}
			}
		case "switchboard_http_requests_in_flight":
			for _, m := range mf.GetMetric() {
				inFlight = m.GetGauge().GetValue()
			}
		}
	}
	routes := make([]routeStat, 0, len(byRoute))
	for _, s := range byRoute {
		routes = append(routes, *s)
	}
	slices.SortFunc(routes, func(a, b routeStat) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), cmp.Compare(a.Route, b.Route))
	})
	out["requests"], out["inFlight"], out["routes"] = total, inFlight, routes
	return out
}

func label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// providerStatus is one provider on the providers page.
type providerStatus struct {
	Kind     string `json:"kind"`
	Provider string `json:"provider"`
	Status   string `json:"status"` // ok, error, off
	Detail   string `json:"detail,omitempty"`
}

// providersPanel lists the configured providers. The store is checked
// live (the same check as /health); the others were opened and validated
// at start, which the server does not survive failing.
func providersPanel(ctx context.Context, f *features) []providerStatus {
	store := providerStatus{Kind: "store", Provider: f.cfg.StoreProvider(), Status: "ok", Detail: "answers"}
	if err := f.app.Ready(ctx); err != nil {
		store.Status, store.Detail = "error", err.Error()
	}
	opened := "opened and validated at start"
	out := []providerStatus{store,
		{Kind: "files", Provider: f.cfg.Files.Provider, Status: "ok", Detail: opened},
		{Kind: "sms", Provider: f.cfg.SMS.Provider, Status: "ok", Detail: opened},
		{Kind: "mail", Provider: f.cfg.Mail.Provider, Status: "ok", Detail: opened},
	}
	jobs := providerStatus{Kind: "jobs", Provider: f.cfg.Jobs.Provider, Status: "ok", Detail: opened}
	if f.cfg.Jobs.Provider == "none" {
		jobs.Status, jobs.Detail = "off", "jobs.provider is none"
	}
	out = append(out, jobs)
	for name := range f.cfg.Auth {
		out = append(out, providerStatus{Kind: "auth", Provider: name, Status: "ok", Detail: opened})
	}
	lq := providerStatus{Kind: "liveQuery", Provider: "websocket", Status: "off", Detail: "no liveQuery.classNames"}
	if f.cfg.LiveQuery.Enabled() {
		lq.Status, lq.Detail = "ok", "served on "+f.cfg.MountPath
	}
	out = append(out, lq)
	if f.policies != nil {
		out = append(out, providerStatus{Kind: "policies", Provider: "rego", Status: "ok", Detail: "revision " + orNone(f.policies.Revision())})
	}
	if f.cloud != nil {
		out = append(out, providerStatus{Kind: "cloudCode", Provider: "goja", Status: "ok", Detail: "running"})
	}
	// Plugins are checked by their host every second (gRPC health).
	if host, ok := f.plugins.(interface{ Status() []plugins.PluginStatus }); ok {
		for _, p := range host.Status() {
			st := providerStatus{Kind: "plugin", Provider: p.Name, Status: "ok", Detail: "up since " + p.Since.UTC().Format(time.RFC3339) + " (" + p.Path + ")"}
			if !p.Up {
				st.Status, st.Detail = "error", p.Down
			}
			out = append(out, st)
		}
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "(none loaded)"
	}
	return s
}

// policiesPanel shows the active rules (GET) and answers a test decision
// for an input document (POST, the document of `switchboard policy eval`).
func policiesPanel(ctx context.Context, engine *policies.Engine, req console.PanelRequest) (any, error) {
	if engine == nil {
		return nil, core.Errorf(core.CodeCommandUnavailable, "no policy engine")
	}
	if req.Method == http.MethodGet {
		return map[string]any{"revision": engine.Revision(), "rules": engine.Rules()}, nil
	}
	if req.Method != http.MethodPost {
		return nil, core.Errorf(core.CodeInvalidJSON, "GET the rules or POST an input document")
	}
	var doc policies.Document
	dec := json.NewDecoder(bytes.NewReader(req.Body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&doc); err != nil {
		return nil, core.Errorf(core.CodeInvalidJSON, "the input document: %v", err)
	}
	in, err := doc.AuthzInput()
	if err != nil {
		return nil, core.Errorf(core.CodeInvalidJSON, "the input document: %v", err)
	}
	// Evaluating a decision changes nothing: read-only admins may test.
	return decide(ctx, engine, in), nil
}

// deploymentPanel returns the files of one cloud-code version (POST
// {"version": N}), for the console's diff between deployments. Reading
// them changes nothing: read-only admins may.
func deploymentPanel(ctx context.Context, m *hooks.Manager, req console.PanelRequest) (any, error) {
	if m == nil {
		return nil, core.Errorf(core.CodeCommandUnavailable, "cloud code is off")
	}
	var body struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(req.Body, &body); err != nil || body.Version < 1 {
		return nil, core.Errorf(core.CodeInvalidJSON, `POST {"version": N} with N a version number`)
	}
	b, info, err := m.Bundle(ctx, body.Version)
	if err != nil {
		return nil, err
	}
	files := make(map[string]string, len(b.Files))
	for p, content := range b.Files {
		if utf8.Valid(content) {
			files[p] = string(content)
		} else {
			files[p] = fmt.Sprintf("(binary, %d bytes)", len(content))
		}
	}
	return map[string]any{"info": info, "files": files}, nil
}
