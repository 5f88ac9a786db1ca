package push

import (
	"os"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// testStore is the store of the current pass.
var testStore = "sqlite"

// TestMain runs every test once per store (see pgtest.RunPerStore).
func TestMain(m *testing.M) {
	code := pgtest.RunPerStore(m, func(store string) { testStore = store })
	plugintest.Cleanup() // the plugins built by plugin_test.go
	os.Exit(code)
}

// storeEnv points a server at the store of the current pass.
func storeEnv(t *testing.T) []string {
	if testStore == "postgres" {
		return []string{"SWITCHBOARD_DATABASE_URL=" + pgtest.Fresh(t)}
	}
	return nil
}
