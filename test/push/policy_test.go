package push

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	httpserver "github.com/switchboardhq/switchboard/core/server"
	"github.com/switchboardhq/switchboard/policies"
)

// pushPolicy is the README's example: push only by role marketing, to at
// most maxAudience devices.
const pushPolicy = `package switchboard.push

allow if {
	input.action == "send"
	"role:marketing" in input.auth.roles
	input.extra.audienceSize <= data.limits.push.maxAudience
}
`

// Without the master key, a push needs a policy that allows it, and the
// policy sees the audience's size (the devices it would reach, inactive
// ones left out) before anything is sent.
func TestPushAllowedByPolicy(t *testing.T) {
	ctx := context.Background()
	open, _ := core.Stores.Lookup(testStore)
	cfg := core.StoreConfig{DataDir: t.TempDir()}
	if testStore == "postgres" {
		cfg.URL = pgtest.Fresh(t)
	}
	st, err := open(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	app, err := core.NewApp(ctx, st, core.Options{AppID: appID, MasterKey: masterKey})
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close()
	engine := policies.New(policies.Options{Debug: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err := engine.Load(ctx, fstest.MapFS{
		"push.rego":                 {Data: []byte(pushPolicy)},
		"limits/push/data.json":     {Data: []byte(`{"maxAudience": 3}`)},
		"other/unrelated/data.json": {Data: []byte(`{}`)},
	}); err != nil {
		t.Fatal(err)
	}
	app.SetAuthorizer(engine)
	router, err := core.OpenPush(ctx, core.PushConfig{Env: core.ProviderEnv{Store: st}})
	if err != nil {
		t.Fatal(err)
	}
	defer router.Close()
	svc, err := core.NewPushService(app, core.PushServiceOptions{Router: router})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	h := api.New(app)
	srv, err := httpserver.New(httpserver.Options{API: h, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	s := &server{t: t, base: ts.URL + "/parse"}

	for _, id := range []string{"d1", "d2", "d3", "d4"} {
		s.install(map[string]any{"installationId": id, "deviceType": "android", "channels": []any{"all"}})
	}
	login := func(name string) string {
		out := s.must(http.StatusCreated, http.MethodPost, "/users", map[string]any{"username": name, "password": "pw-" + name + "-1"}, false)
		return out["sessionToken"].(string)
	}
	marketer, seller := login("mia"), login("sam")
	mia := s.query("_User", map[string]any{"username": "mia"})[0]["objectId"].(string)
	s.must(http.StatusCreated, http.MethodPost, "/roles", map[string]any{"name": "marketing", "ACL": map[string]any{"*": map[string]any{"read": true}},
		"users": map[string]any{"__op": "AddRelation", "objects": []any{map[string]any{"__type": "Pointer", "className": "_User", "objectId": mia}}}}, true)

	send := func(token string, where map[string]any) (int, map[string]any) {
		status, out, _ := s.call(http.MethodPost, "/push", map[string]any{"where": where, "data": map[string]any{"alert": "promo"}}, false,
			map[string]string{"X-Parse-Session-Token": token})
		return status, out
	}
	three := map[string]any{"installationId": map[string]any{"$in": []any{"d1", "d2", "d3"}}}
	if status, out := send(marketer, three); status != http.StatusOK || out["result"] != true {
		t.Fatalf("marketing, 3 devices: %d %v", status, out)
	}
	if status, out := send(marketer, map[string]any{"channels": "all"}); status != http.StatusBadRequest || out["code"] != float64(119) ||
		!strings.Contains(out["error"].(string), "audienceSize") {
		t.Fatalf("marketing, 4 devices: %d %v", status, out)
	}
	if status, out := send(seller, three); out["code"] != float64(119) {
		t.Fatalf("another role: %d %v", status, out)
	}
	if status, out := send("", three); out["code"] != float64(119) {
		t.Fatalf("anonymous: %d %v", status, out)
	}
	// An inactive device is not counted: four channel devices, one
	// inactive, is an audience of three.
	d4 := s.query("_Installation", map[string]any{"installationId": "d4"})[0]["objectId"].(string)
	s.must(http.StatusOK, http.MethodPut, "/installations/"+d4, map[string]any{"active": false}, true)
	if status, out := send(marketer, map[string]any{"channels": "all"}); status != http.StatusOK {
		t.Fatalf("marketing, 3 active devices of 4: %d %v", status, out)
	}
	// The master key is not subject to the policy.
	s.push(map[string]any{"where": map[string]any{}, "data": map[string]any{"alert": "all"}})
	if n := len(s.query("_PushStatus", map[string]any{})); n != 3 {
		t.Fatalf("%d pushes stored, want the 3 allowed", n)
	}
}
