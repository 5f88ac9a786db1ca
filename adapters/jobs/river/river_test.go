package river_test

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/jobs/jobstest"
	"github.com/switchboardhq/switchboard/adapters/jobs/river"
	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// testOptions make idle queues look for due jobs often, so the suite does
// not wait for the default poll interval.
var testOptions = map[string]any{"pollInterval": "100ms"}

// openQueue opens a queue on store and stops it, then closes the store,
// when t ends.
func openQueue(t *testing.T, st core.Store) core.JobQueue {
	t.Helper()
	q, err := river.Open(t.Context(), core.ProviderEnv{Store: st, Options: testOptions})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := q.Stop(t.Context()); err != nil {
			t.Errorf("Stop: %v", err)
		}
		st.Close()
	})
	return q
}

func TestSQLite(t *testing.T) {
	jobstest.RunConformance(t, jobstest.Harness{Open: func(t *testing.T) core.JobQueue {
		st, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		return openQueue(t, st)
	}})
}

func TestPostgres(t *testing.T) {
	pgtest.Require(t)
	var mu sync.Mutex
	urls := map[string]string{} // one schema per subtest, shared by its nodes
	jobstest.RunConformance(t, jobstest.Harness{MultiNode: true, Open: func(t *testing.T) core.JobQueue {
		mu.Lock()
		url, ok := urls[t.Name()]
		if !ok {
			url = pgtest.Fresh(t)
			urls[t.Name()] = url
		}
		mu.Unlock()
		st, err := postgres.Open(t.Context(), core.StoreConfig{URL: url, Options: map[string]any{"maxConns": 4, "writeConns": 1}})
		if err != nil {
			t.Fatal(err)
		}
		return openQueue(t, st)
	}})
}

// Nodes that open the queue together on an empty database all open: the
// migrations run once, under the advisory lock.
func TestPostgresConcurrentOpen(t *testing.T) {
	url := pgtest.Fresh(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			st, err := postgres.Open(t.Context(), core.StoreConfig{URL: url, Options: map[string]any{"maxConns": 3, "writeConns": 1}})
			if err != nil {
				errs <- err
				return
			}
			defer st.Close()
			q, err := river.Open(t.Context(), core.ProviderEnv{Store: st, Options: nil})
			if err == nil {
				err = q.Stop(t.Context())
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}

func TestOptions(t *testing.T) {
	st, err := sqlite.Open(t.Context(), core.StoreConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		opts map[string]any
		want string
	}{
		{map[string]any{"workerz": 3}, `unknown field "workerz"`},
		{map[string]any{"jobTimeout": "2h"}, "rescueAfter (1h0m0s) must be longer than jobTimeout (2h0m0s)"},
		{map[string]any{"pollInterval": "soon"}, "expected a duration"},
	} {
		_, err := river.Open(t.Context(), core.ProviderEnv{Store: st, Options: tc.opts})
		if err == nil || !contains(err.Error(), tc.want) {
			t.Errorf("Open(%v): %v, want an error with %q", tc.opts, err, tc.want)
		}
	}
}

func contains(s, sub string) bool { return strings.Contains(s, sub) }
