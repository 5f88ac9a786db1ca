package postgres_test

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/adapters/store/storetest"
	"github.com/switchboardhq/switchboard/core"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// openURL opens a store on url, closed when t ends.
func openURL(t testing.TB, url string, opts map[string]any) core.Store {
	t.Helper()
	st, err := postgres.Open(t.Context(), core.StoreConfig{URL: url, Options: opts})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// openFresh opens a store on a new empty schema.
func openFresh(t *testing.T) core.Store { return openURL(t, pgtest.Fresh(t), nil) }

func TestConformance(t *testing.T) {
	pgtest.Require(t)
	storetest.RunConformance(t, openFresh)
}

func TestReopen(t *testing.T) {
	url := pgtest.Fresh(t)
	storetest.RunReopen(t, func(t *testing.T, _ string) core.Store {
		st, err := postgres.Open(t.Context(), core.StoreConfig{URL: url})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return st
	})
}

// TestConcurrentOpen: nodes that start together on an empty database run
// every migration once, and all of them open.
func TestConcurrentOpen(t *testing.T) {
	url := pgtest.Fresh(t)
	const nodes = 6
	type result struct {
		st  core.Store
		err error
	}
	results := make(chan result, nodes)
	for range nodes {
		go func() {
			st, err := postgres.Open(t.Context(), core.StoreConfig{URL: url, Options: map[string]any{"maxConns": 3, "writeConns": 1}})
			results <- result{st, err}
		}()
	}
	var pg *postgres.Store
	for range nodes {
		r := <-results
		if r.err != nil {
			t.Errorf("node failed to open: %v", r.err)
			continue
		}
		pg = r.st.(*postgres.Store)
		defer r.st.Close()
	}
	if pg == nil {
		t.Fatal("no store opened")
	}
	for _, table := range []string{`"_sb_postgres_migrations"`, `"_sb_migrations"`} {
		var rows, distinct int
		if err := pg.Pool().QueryRow(t.Context(), `SELECT count(*), count(DISTINCT "version") FROM `+table).Scan(&rows, &distinct); err != nil {
			t.Fatal(err)
		}
		if rows != distinct || rows == 0 {
			t.Errorf("%s: %d rows for %d versions: a migration ran twice or none ran", table, rows, distinct)
		}
	}
}

func TestOpenOptions(t *testing.T) {
	url := pgtest.Fresh(t)
	if _, err := core.Stores.Lookup("postgres"); err != nil {
		t.Errorf("postgres is not registered: %v", err)
	}
	bad := []map[string]any{
		{"maxConn": 4},                    // misspelt
		{"maxConns": 4, "writeConns": 4},  // no connection left for reads
		{"maxConnLifetime": "soon"},       // not a duration
		{"minConns": 9, "maxConns": 4},    // more idle than allowed
		{"statementCacheCapacity": "big"}, // not a number
	}
	for _, opts := range bad {
		if st, err := postgres.Open(t.Context(), core.StoreConfig{URL: url, Options: opts}); err == nil {
			st.Close()
			t.Errorf("options %v were accepted", opts)
		}
	}
	st := openURL(t, url, map[string]any{"maxConns": 6, "minConns": 1, "writeConns": 2, "maxConnLifetime": "30m", "maxConnIdleTime": 60, "statementCacheCapacity": 64, "connectTimeout": "5s"})
	if s := st.(core.StoreStats).PoolStats(); s.Open == 0 {
		t.Errorf("pool stats: %+v", s)
	}
	// An unreachable server fails at once, saying where and what to check.
	_, err := postgres.Open(t.Context(), core.StoreConfig{URL: "postgres://nobody:secret@127.0.0.1:1/nowhere?connect_timeout=2"})
	if err == nil || !strings.Contains(err.Error(), "127.0.0.1:1/nowhere") || strings.Contains(err.Error(), "secret") {
		t.Errorf("open of an unreachable server: %v", err)
	}
}

// TestBatchedInserts: concurrent Inserts share statements (BatchInserter);
// each still gets its own answer, and the readers of each row are its own.
func TestBatchedInserts(t *testing.T) {
	st := openFresh(t)
	c := &core.Class{Name: "Item", Fields: map[string]core.Field{"n": {Type: core.TypeNumber}, "u": {Type: core.TypeString}},
		Indexes: map[string]core.Index{"u_1": {Keys: []core.IndexKey{{Field: "u"}}, Unique: true}}}
	for k, v := range core.DefaultFields {
		c.Fields[k] = v
	}
	if err := st.CreateClass(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	const workers, each = 32, 20
	var mu sync.Mutex
	ok, dup := map[string]bool{}, 0
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				id := fmt.Sprintf("w%d-%d", w, i)
				u := id
				switch i % 4 {
				case 1:
					id = fmt.Sprintf("same-%d", i) // the same objectId from every worker
				case 2:
					u = fmt.Sprintf("taken-%d", i) // the same unique value from every worker
				}
				o := core.Object{core.FieldObjectID: id, core.FieldCreatedAt: core.Now(), core.FieldUpdatedAt: core.Now(),
					"n": float64(i), "u": u, core.FieldACL: core.ACL{"reader-" + id: {Read: true}}}
				err := st.Insert(t.Context(), c, o)
				mu.Lock()
				switch {
				case err == nil:
					ok[id] = true
				case core.IsCode(err, core.CodeDuplicateValue):
					dup++
				default:
					t.Errorf("insert %s: %v", id, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	wantOK := workers*each - 2*(workers-1)*(each/4)
	if len(ok) != wantOK || dup != workers*each-wantOK {
		t.Errorf("%d inserted, %d duplicates; want %d and %d", len(ok), dup, wantOK, workers*each-wantOK)
	}
	if n, err := st.Count(t.Context(), c, &core.Query{Limit: -1}); err != nil || n != int64(len(ok)) {
		t.Errorf("count %d, %v; want %d", n, err, len(ok))
	}
	for id := range ok {
		objs, err := st.Find(t.Context(), c, &core.Query{Limit: -1, ReadACL: []string{"*", "reader-" + id}})
		if err != nil || len(objs) != 1 || objs[0].ID() != id {
			t.Fatalf("reader of %s reads %v, %v", id, objs, err)
		}
	}
}

// TestServerRestart: connections that die with their server process are
// replaced; the store goes on after a failed call or two.
func TestServerRestart(t *testing.T) {
	st := openURL(t, pgtest.Fresh(t), map[string]any{"maxConns": 4, "writeConns": 1})
	c := &core.Class{Name: "Note", Fields: map[string]core.Field{"n": {Type: core.TypeNumber}}}
	for k, v := range core.DefaultFields {
		c.Fields[k] = v
	}
	if err := st.CreateClass(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	insert := func(id string) error {
		return st.Insert(t.Context(), c, core.Object{core.FieldObjectID: id, core.FieldCreatedAt: core.Now(), core.FieldUpdatedAt: core.Now(), "n": 1.0})
	}
	if err := insert("before"); err != nil {
		t.Fatal(err)
	}
	pool := st.(*postgres.Store).Pool()
	if _, err := pool.Exec(t.Context(), "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); err != nil {
		t.Fatal(err)
	}
	var err error
	for i := range 3 {
		if err = insert(fmt.Sprintf("after%d", i)); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("inserts keep failing after the server ended the connections: %v", err)
	}
	if _, err := st.Update(t.Context(), c, "before", nil, nil, core.Update{"n": core.Increment{Amount: 1}}); err != nil {
		t.Errorf("update after the restart: %v", err)
	}
	if n, err := st.Count(t.Context(), c, &core.Query{Limit: -1}); err != nil || n < 2 {
		t.Errorf("count after the restart: %d, %v", n, err)
	}
}
