package versions_test

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/versions"
	"github.com/switchboardhq/switchboard/policies"
)

// newService is a Service on a fresh SQLite App, without files (these
// tests publish App Store releases only).
func newService(t *testing.T) (*versions.Service, *core.App) {
	t.Helper()
	st, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	app, err := core.NewApp(t.Context(), st, core.Options{AppID: "v", MasterKey: "mk"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	s := versions.New(versions.Options{App: app, CheckLimit: -1})
	s.Start()
	t.Cleanup(func() { _ = s.Close() })
	return s, app
}

// TestReleasesPolicy: without a policy only the master key reaches the
// releases (the read-only one only to read); a policy for the appVersions
// point lets the callers it allows in, for the actions it allows.
func TestReleasesPolicy(t *testing.T) {
	s, app := newService(t)
	ctx := context.Background()
	body := func(code int) map[string]any {
		return map[string]any{"platform": "ios", "versionCode": float64(code), "storeUrl": "https://apps.apple.com/app/id1"}
	}
	manager := &core.Auth{UserID: "u1", Roles: []string{"role:release-managers"}}
	viewer := &core.Auth{UserID: "u2", Roles: []string{"role:support"}}
	stranger := &core.Auth{UserID: "u3"}
	readOnly := &core.Auth{Master: true, ReadOnly: true}

	if _, err := s.Publish(ctx, core.MasterAuth(), body(1)); err != nil {
		t.Fatal(err)
	}
	type call struct {
		name string
		auth *core.Auth
		do   func(*core.Auth) error
	}
	publish := func(code int) func(*core.Auth) error {
		return func(a *core.Auth) error { _, err := s.Publish(ctx, a, body(code)); return err }
	}
	list := func(a *core.Auth) error { _, err := s.List(ctx, a, nil); return err }
	expect := func(stage string, calls []call, allowed map[string]bool) {
		t.Helper()
		for _, c := range calls {
			err := c.do(c.auth)
			if allowed[c.name] && err != nil {
				t.Errorf("%s: %s refused: %v", stage, c.name, err)
			}
			if !allowed[c.name] && !core.IsCode(err, core.CodeOperationForbidden) {
				t.Errorf("%s: %s: %v, want 119", stage, c.name, err)
			}
		}
	}
	calls := []call{
		{"manager publishes", manager, publish(2)},
		{"viewer lists", viewer, list},
		{"stranger lists", stranger, list},
		{"read-only key lists", readOnly, list},
		{"read-only key publishes", readOnly, publish(3)},
		{"nobody lists", nil, list},
	}
	expect("no policy", calls, map[string]bool{"read-only key lists": true})

	engine := policies.New(policies.Options{})
	err := engine.Load(ctx, fstest.MapFS{"releases.rego": {Data: []byte(`package switchboard.appVersions

allow if "role:release-managers" in input.auth.roles

allow if {
	"role:support" in input.auth.roles
	input.action in {"list", "get"}
}
`)}})
	if err != nil {
		t.Fatal(err)
	}
	app.SetAuthorizer(engine)
	expect("with the policy", calls, map[string]bool{"manager publishes": true, "viewer lists": true, "read-only key lists": true})
}

// TestInRolloutIsStable: the documented hash, and a device in a rollout
// stays in as the percentage grows.
func TestInRolloutIsStable(t *testing.T) {
	// sha256("device-42-aB3dE5gH7j") starts afc18c66ce345654, which is
	// 8 modulo 100 (python3: int.from_bytes(sha256(...)[:8], "big") % 100):
	// the device is in from 9%.
	if versions.InRollout("device-42", "aB3dE5gH7j", 8) || !versions.InRollout("device-42", "aB3dE5gH7j", 9) {
		t.Error("InRollout does not follow the documented hash")
	}
	for pct := 0; pct <= 100; pct++ {
		in := versions.InRollout("dev-1", "rel", pct)
		if pct > 0 && versions.InRollout("dev-1", "rel", pct-1) && !in {
			t.Fatalf("left the rollout when it grew to %d%%", pct)
		}
	}
	if versions.InRollout("x", "y", 0) || !versions.InRollout("x", "y", 100) {
		t.Error("0% and 100% rollouts")
	}
}
