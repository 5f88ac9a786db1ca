package push

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// envStores chooses the stores the tests run on, comma-separated; both by
// default, as in test/integration.
const envStores = "SWITCHBOARD_TEST_STORES"

// testStore is the store of the current pass.
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
				if pgtest.InCI() {
					fmt.Fprintln(os.Stderr, "FAIL: PostgreSQL is not reachable:", err)
					code = 1
					continue
				}
				fmt.Println("skipping the PostgreSQL pass:", err)
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
	plugintest.Cleanup()
	os.Exit(code)
}

// storeEnv points a server at the store of the current pass.
func storeEnv(t *testing.T) []string {
	if testStore == "postgres" {
		return []string{"SWITCHBOARD_DATABASE_URL=" + pgtest.Fresh(t)}
	}
	return nil
}
