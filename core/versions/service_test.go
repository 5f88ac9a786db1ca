package versions_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/fstest"
	"time"

	_ "github.com/switchboardhq/switchboard/adapters/files/local"
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

// TestPatchBuildsAreBounded: with PatchConcurrency 1, builds started at
// once (the publishes' own and explicit ones) run one at a time, and each
// missing patch is built once.
func TestPatchBuildsAreBounded(t *testing.T) {
	st, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	app, err := core.NewApp(t.Context(), st, core.Options{AppID: "v", MasterKey: "mk"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	files, err := core.OpenFiles(t.Context(), "local", core.FilesConfig{DataDir: t.TempDir(), PublicURL: "http://files.test/v"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = files.Close() })
	var inFlight, most, stored atomic.Int64
	s := versions.New(versions.Options{
		App: app, Files: files, PatchFrom: 3, PatchConcurrency: 1, MaxPatchSource: 1 << 30, CheckLimit: -1,
		FileURL: func(_ context.Context, name string) (string, error) { return "http://files.test/v/" + name, nil },
		StorePatch: func(ctx context.Context, r io.Reader, size int64) (string, error) {
			n := inFlight.Add(1)
			defer inFlight.Add(-1)
			for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
			}
			time.Sleep(20 * time.Millisecond) // overlap, if the bound let it
			stored.Add(1)
			info, err := files.Put(ctx, fmt.Sprintf("patch-%d", time.Now().UnixNano()), r, core.PutOptions{Size: size})
			return info.Name, err
		},
	})
	t.Cleanup(func() { _ = s.Close() })
	ctx := context.Background()
	build := []byte(strings.Repeat("switchboard build ", 5000))
	var ids []string
	for v := 1; v <= 4; v++ {
		build = append(build, fmt.Sprintf(" v%d", v)...)
		name := fmt.Sprintf("app-%d.apk", v)
		if _, err := files.Put(ctx, name, bytes.NewReader(build), core.PutOptions{Size: int64(len(build))}); err != nil {
			t.Fatal(err)
		}
		rel, err := s.Publish(ctx, core.MasterAuth(), map[string]any{"platform": "android", "versionCode": float64(v), "file": name})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, rel["objectId"].(string))
	}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			if _, err := s.BuildPatches(ctx, id, nil); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	_ = s.Close() // waits for the publishes' own builds
	if most.Load() != 1 {
		t.Errorf("%d patch builds ran at once with patchConcurrency 1", most.Load())
	}
	// 1+2+3 patches, each built and stored once.
	if stored.Load() != 6 {
		t.Errorf("%d patches stored, want 6", stored.Load())
	}
	total := 0
	for _, id := range ids {
		got, err := s.Get(ctx, core.MasterAuth(), id)
		if err != nil {
			t.Fatal(err)
		}
		total += len(got["patches"].([]any))
	}
	if total != 6 {
		t.Errorf("%d patches, want 6", total)
	}
}

// BenchmarkCheck is one update check as the API runs it after decoding:
// the answer and its JSON.
func BenchmarkCheck(b *testing.B) {
	st, err := sqlite.Open(b.Context(), core.StoreConfig{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	app, err := core.NewApp(b.Context(), st, core.Options{AppID: "v", MasterKey: "mk"})
	if err != nil {
		b.Fatal(err)
	}
	defer app.Close()
	s := versions.New(versions.Options{App: app, CheckLimit: -1})
	ctx := context.Background()
	for v := 1; v <= 3; v++ {
		if _, err := s.Publish(ctx, core.MasterAuth(), map[string]any{"platform": "ios", "versionCode": float64(v),
			"storeUrl": "https://apps.apple.com/app/id1", "rolloutPercent": float64(50 + 25*(v-1))}); err != nil {
			b.Fatal(err)
		}
	}
	auth := &core.Auth{IP: "127.0.0.1"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			i++
			params := map[string]any{"platform": "ios", "versionCode": float64(1), "versionName": "1.0", "channel": "production",
				"deviceId": fmt.Sprintf("device-%d", i), "baseSha256": strings.Repeat("ab", 32)}
			out, err := s.Check(ctx, auth, params)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := json.Marshal(out); err != nil {
				b.Fatal(err)
			}
		}
	})
}
