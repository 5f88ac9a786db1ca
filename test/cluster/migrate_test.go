package cluster_test

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
)

// runMigrate runs `switchboard migrate --dir dir` with env and returns its
// exit code and output.
func runMigrate(t *testing.T, dir string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(binary(t), "migrate", "--dir", dir)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// switchboard migrate applies the store's and the queue's migrations and
// exits 0, on each store; several at once on one PostgreSQL database all
// succeed; a server then starts on the migrated database; a database it
// cannot reach is exit 1.
func TestMigrateCommand(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		for range 2 { // the second finds nothing to do
			if code, out := runMigrate(t, dir); code != 0 || !strings.Contains(out, "migrated: store sqlite, jobs river") {
				t.Fatalf("exit %d: %s", code, out)
			}
		}
		startNode(t, dir)
	})
	t.Run("postgres", func(t *testing.T) {
		env := "SWITCHBOARD_DATABASE_URL=" + pgtest.Fresh(t)
		var wg sync.WaitGroup
		for range 3 {
			wg.Go(func() {
				if code, out := runMigrate(t, t.TempDir(), env); code != 0 || !strings.Contains(out, "migrated: store postgres, jobs river") {
					t.Errorf("exit %d: %s", code, out)
				}
			})
		}
		wg.Wait()
		startNode(t, t.TempDir(), env)
	})
	t.Run("unreachable", func(t *testing.T) {
		code, out := runMigrate(t, t.TempDir(), "SWITCHBOARD_DATABASE_URL=postgres://nobody@127.0.0.1:1/none?connect_timeout=2")
		if code != 1 || !strings.Contains(out, "cannot connect") {
			t.Fatalf("exit %d: %s; want 1 and the connection error", code, out)
		}
	})
}
