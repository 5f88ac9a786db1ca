package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/adapters/store/storetest"
	"github.com/switchboardhq/switchboard/core"
)

func openAt(t testing.TB, dir string) core.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: dir})
	if err != nil {
		t.Fatalf("open sqlite store in %s: %v", dir, err)
	}
	return st
}

func openTemp(t *testing.T) core.Store {
	st := openAt(t, t.TempDir())
	t.Cleanup(func() { st.Close() })
	return st
}

func TestConformance(t *testing.T) { storetest.RunConformance(t, openTemp) }

func TestReopen(t *testing.T) {
	storetest.RunReopen(t, func(t *testing.T, dir string) core.Store { return openAt(t, dir) })
}

func TestOpenOptions(t *testing.T) {
	dir := t.TempDir()
	if got, want := sqlite.Path(core.StoreConfig{DataDir: dir}), filepath.Join(dir, "data.db"); got != want {
		t.Errorf("default path %q, want %q", got, want)
	}
	if got, want := sqlite.Path(core.StoreConfig{DataDir: dir, URL: "x/y.db"}), filepath.Join(dir, "x/y.db"); got != want {
		t.Errorf("relative path %q, want %q", got, want)
	}
	if got := sqlite.Path(core.StoreConfig{DataDir: dir, URL: "/abs/z.db"}); got != "/abs/z.db" {
		t.Errorf("absolute path %q", got)
	}
	if _, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: dir, Options: map[string]any{"busyTimeot": 1}}); err == nil {
		t.Errorf("a misspelt option was accepted")
	}
	st, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: dir, URL: "opts.db", Options: map[string]any{"busyTimeout": 100, "cacheSize": 1024, "maxReadConns": 2}})
	if err != nil {
		t.Fatalf("open with options: %v", err)
	}
	st.Close()
	if _, err := core.Stores.Lookup("sqlite"); err != nil {
		t.Errorf("sqlite is not registered: %v", err)
	}
}
