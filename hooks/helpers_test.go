package hooks_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
	"github.com/switchboardhq/switchboard/hooks/hookstest"
)

type env struct {
	m       *hooks.Manager
	backend *hookstest.Backend
	store   *hookstest.Store
}

// newEnv deploys main (and extra files) on a Manager backed by the
// in-memory test doubles.
func newEnv(t testing.TB, main string, opts hooks.Options, extra ...string) *env {
	t.Helper()
	if opts.AppID == "" {
		opts.AppID = "test"
	}
	if opts.PoolSize == 0 {
		opts.PoolSize = 2
	}
	e := &env{backend: hookstest.NewBackend(), store: hookstest.NewStore()}
	m, err := hooks.NewManager(opts, e.backend, e.store)
	if err != nil {
		t.Fatal(err)
	}
	e.m = m
	e.backend.Triggers = m
	t.Cleanup(func() { m.Close() })
	if err := m.Start(context.Background(), ""); err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"main.js": []byte(main)}
	for i := 0; i+1 < len(extra); i += 2 {
		files[extra[i]] = []byte(extra[i+1])
	}
	b, err := hooks.NewBundle(files)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Deploy(context.Background(), b, "test"); err != nil {
		t.Fatalf("deploy: %v", err)
	}
	return e
}

func (e *env) run(t testing.TB, name string, params map[string]any) (*hooks.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return e.m.RunFunction(ctx, name, &hooks.Request{Params: params})
}

func (e *env) mustRun(t testing.TB, name string, params map[string]any) any {
	t.Helper()
	resp, err := e.run(t, name, params)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return resp.Result
}

// wantCode checks that err is a *core.Error with code and a message
// containing substr.
func wantCode(t testing.TB, err error, code core.Code, substr string) *core.Error {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("want *core.Error %d %q, got %T %v", code, substr, err, err)
	}
	if ce.Code != code {
		t.Fatalf("want code %d, got %d: %v", code, ce.Code, ce)
	}
	if substr != "" && !contains(ce.Message, substr) {
		t.Fatalf("want message containing %q, got %q", substr, ce.Message)
	}
	return ce
}

func contains(s, sub string) bool {
	return len(sub) == 0 || (len(s) >= len(sub) && (func() bool {
		for i := 0; i+len(sub) <= len(s); i++ {
			if s[i:i+len(sub)] == sub {
				return true
			}
		}
		return false
	})())
}

func writeFile(path, content string) error { return os.WriteFile(path, []byte(content), 0o644) }

// canonicalJS is a script function that orders an object's keys at every
// level: field order in JSON carries no meaning (and a write's order is a
// Go map's).
const canonicalJS = `
function canonical(v) {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const out = {};
    for (const k of Object.keys(v).sort()) out[k] = canonical(v[k]);
    return out;
  }
  return v;
}
`
