package integration

import (
	"context"
	"testing"
	"testing/fstest"

	astore "github.com/switchboardhq/switchboard/adapters/analytics/store"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/analytics"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/server"
	"github.com/switchboardhq/switchboard/policies"
)

// analyticsPolicy lets role analyst read the reports, and everyone track
// any event but "forbidden".
const analyticsPolicy = `package switchboard.analytics

allow if {
	input.action == "query"
	"role:analyst" in input.auth.roles
}

allow if {
	input.action == "track"
	input.class != "forbidden"
}
`

// lateAnalytics serves the analytics routes with a Service made once the
// harness's App exists.
type lateAnalytics struct{ svc **analytics.Service }

func (l lateAnalytics) Track(ctx context.Context, auth *core.Auth, name string, body map[string]any) error {
	return (*l.svc).Track(ctx, auth, name, body)
}

func (l lateAnalytics) Report(ctx context.Context, auth *core.Auth, report string, params map[string]any) (map[string]any, error) {
	return (*l.svc).Report(ctx, auth, report, params)
}

// Who may send events and read the reports, without and with a policy
// for the analytics point.
func TestAnalyticsAccess(t *testing.T) {
	var svc *analytics.Service
	h := newHarnessWith(t, nil, func(so *server.Options) { so.API.(*api.Handler).SetAnalytics(lateAnalytics{&svc}) })
	sink, err := astore.Open(context.Background(), core.ProviderEnv{Store: h.app.Store()})
	if err != nil {
		t.Fatal(err)
	}
	ing := analytics.New(analytics.Options{Sink: sink})
	t.Cleanup(func() { ing.Close(context.Background()); core.CloseProvider(sink) })
	svc = analytics.NewService(h.app, ing, sink.(analytics.Reader), 0)

	analyst := h.signup("ana", "pw", nil)
	plain := h.signup("bo", "pw", nil)
	wantStatus(t, h.do("POST", "/roles", "master", map[string]any{"name": "analyst", "ACL": map[string]any{"*": map[string]any{"read": true}},
		"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", analyst.id)}}}), 201)

	report := "/analytics/events?days=1"
	const forbidden = int(core.CodeOperationForbidden)
	check := func(step string, w who, method, path string, want int) {
		t.Helper()
		res := h.as(w, method, path, map[string]any{})
		if got := res.code(); (want == 200 && res.status != 200) || (want != 200 && got != want) {
			t.Errorf("%s: %s %s %s: %d %s, want %d", step, w.name, method, path, res.status, res.raw, want)
		}
	}
	// No policy: anyone with the app's keys may track; only the master
	// keys read reports.
	check("no policy", anonymous, "POST", "/events/forbidden", 200)
	check("no policy", plain, "POST", "/events/search", 200)
	check("no policy", asMaster, "GET", report, 200)
	check("no policy", asReadOnly, "GET", report, 200)
	check("no policy", analyst, "GET", report, forbidden)
	check("no policy", anonymous, "GET", report, forbidden)

	engine := policies.New(policies.Options{})
	if err := engine.Load(context.Background(), fstest.MapFS{"analytics.rego": {Data: []byte(analyticsPolicy)}}); err != nil {
		t.Fatal(err)
	}
	h.app.SetAuthorizer(engine)
	check("policy", analyst, "GET", report, 200)
	check("policy", plain, "GET", report, forbidden)
	check("policy", anonymous, "GET", report, forbidden)
	check("policy", asMaster, "GET", report, 200)
	check("policy", plain, "POST", "/events/search", 200)
	check("policy", plain, "POST", "/events/forbidden", forbidden)
	// The events of the allowed calls are there, the refused ones not.
	if err := ing.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	res := h.do("GET", report, "master", nil)
	counts := map[string]float64{}
	for _, b := range res.body["results"].([]any) {
		m := b.(map[string]any)
		counts[m["key"].(string)] = m["count"].(float64)
	}
	if counts["search"] != 2 || counts["forbidden"] != 1 {
		t.Errorf("events counted: %v, want search 2 and forbidden 1 (sent before the policy)", counts)
	}
}
