package postgres_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core"
)

// TestHole2CutQueryStopsOnServer: a read whose ctx ends stops on the
// server too, not only in the client: a runaway regular expression that
// went on there held a CPU and its connection's slot for many seconds,
// and a few of them stalled every other request.
func TestHole2CutQueryStopsOnServer(t *testing.T) {
	st := openURL(t, pgtest.Fresh(t), nil).(*postgres.Store)
	c := &core.Class{Name: "Slow", Fields: map[string]core.Field{"s": {Type: core.TypeString}}}
	for k, f := range core.DefaultFields {
		c.Fields[k] = f
	}
	if err := st.CreateClass(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for i := range 50 {
		o := core.Object{core.FieldObjectID: fmt.Sprintf("o%03d", i), core.FieldCreatedAt: now, core.FieldUpdatedAt: now, "s": strings.Repeat("a", 2000)}
		if err := st.Insert(t.Context(), c, o); err != nil {
			t.Fatal(err)
		}
	}
	// A pattern unique to this test, so that pg_stat_activity shows only
	// this query. Matching (?:[^\n]*){1,255} against 2000 characters takes
	// PostgreSQL about a third of a second per row, so 50 rows run for
	// many seconds. (The parser refuses such patterns from clients; the
	// store must still stop one that reaches it.)
	marker := "q" + strings.ReplaceAll(t.Name(), "/", "")
	q := &core.Query{Where: core.Regex{Field: "s", Pattern: `(?:[^\n]*){1,255}` + marker}, Limit: -1}
	qctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
	defer cancel()
	if _, err := st.Find(qctx, c, q); !core.IsCode(err, core.CodeTimeout) {
		t.Fatalf("runaway find: got %v, want code 124", err)
	}
	running := func() int {
		var n int
		err := st.Pool().QueryRow(t.Context(), `SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query LIKE '%~%' AND pid <> pg_backend_pid() AND datname = current_database() AND query NOT LIKE '%pg_stat_activity%'`).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	// The cancel reaches the server at once; its regex compiler checks for
	// it every so often. Without it the query ran on for many seconds.
	deadline := time.Now().Add(4 * time.Second)
	for running() > 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := running(); n > 0 {
		t.Fatalf("%d cut queries still run on the server", n)
	}
	// The connection the query ran on is still in the pool and works.
	if _, err := st.Count(t.Context(), c, &core.Query{Limit: -1}); err != nil {
		t.Fatalf("count after the cut: %v", err)
	}
}
