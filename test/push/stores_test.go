package push

import (
	"os"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
)

// testStore is the store of the current pass.
var testStore = "sqlite"

// TestMain runs every test once per store (see pgtest.RunPerStore).
func TestMain(m *testing.M) {
	os.Exit(pgtest.RunPerStore(m, func(store string) { testStore = store }))
}

// storeEnv points a server at the store of the current pass.
func storeEnv(t *testing.T) []string {
	if testStore == "postgres" {
		return []string{"SWITCHBOARD_DATABASE_URL=" + pgtest.Fresh(t)}
	}
	return nil
}
