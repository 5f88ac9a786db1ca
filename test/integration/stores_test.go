package integration

import (
	"context"
	"os"
	"testing"

	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
)

// testStore is the store provider of the current pass.
var testStore = "sqlite"

// TestMain runs every test once per store (see pgtest.RunPerStore).
func TestMain(m *testing.M) {
	os.Exit(pgtest.RunPerStore(m, func(store string) { testStore = store }))
}

// openStore opens a fresh, empty store of the current pass for t; a failed
// test names its store.
func openStore(t testing.TB) core.Store {
	t.Helper()
	cfg := core.StoreConfig{DataDir: t.TempDir()}
	if testStore == "postgres" {
		cfg.URL = pgtest.Fresh(t)
	}
	open, err := core.Stores.Lookup(testStore)
	if err != nil {
		t.Fatal(err)
	}
	st, err := open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("opening the %s store: %v", testStore, err)
	}
	store := testStore
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("store: %s", store)
		}
	})
	return st
}
