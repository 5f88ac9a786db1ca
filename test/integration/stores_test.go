package integration

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
)

// envStores chooses the stores the tests run on, comma-separated; both by
// default. PostgreSQL is pgtest's server (SWITCHBOARD_TEST_DATABASE_URL).
const envStores = "SWITCHBOARD_TEST_STORES"

// testStore is the store provider of the current pass.
var testStore = "sqlite"

// TestMain runs every test once per store. A PostgreSQL server that cannot
// be reached fails the run under CI=true and skips that pass otherwise.
func TestMain(m *testing.M) {
	stores := []string{"sqlite", "postgres"}
	if s := os.Getenv(envStores); s != "" {
		stores = strings.Split(s, ",")
	}
	code := 0
	for _, name := range stores {
		if !slices.Contains([]string{"sqlite", "postgres"}, name) {
			fmt.Fprintf(os.Stderr, "%s: unknown store %q (sqlite or postgres)\n", envStores, name)
			os.Exit(2)
		}
		if name == "postgres" {
			if err := pgtest.Available(); err != nil {
				msg := fmt.Sprintf("PostgreSQL is not reachable (set %s, or %s=sqlite): %v", pgtest.EnvURL, envStores, err)
				if pgtest.InCI() {
					fmt.Fprintln(os.Stderr, "FAIL:", msg)
					code = 1
					continue
				}
				fmt.Println("skipping the PostgreSQL pass:", msg)
				continue
			}
		}
		testStore = name
		if len(stores) > 1 {
			fmt.Printf("=== store: %s\n", name)
		}
		code = max(code, m.Run())
	}
	pgtest.DropDatabase()
	os.Exit(code)
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
