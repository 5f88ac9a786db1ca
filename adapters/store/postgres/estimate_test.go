package postgres

import (
	"fmt"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/adapters/store/sqlstore"
	"github.com/switchboardhq/switchboard/core"
)

// TestEstimateSQL: the ACL plan's row counts come from the statistics once
// a table is analyzed, and are counted before.
func TestEstimateSQL(t *testing.T) {
	st, err := Open(t.Context(), core.StoreConfig{URL: pgtest.Fresh(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	pool := st.(*Store).Pool()
	c := &core.Class{Name: "Doc", Fields: map[string]core.Field{}}
	for k, v := range core.DefaultFields {
		c.Fields[k] = v
	}
	if err := st.CreateClass(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	for i := range 400 {
		o := core.Object{core.FieldObjectID: fmt.Sprintf("d%d", i), core.FieldCreatedAt: core.Now(), core.FieldUpdatedAt: core.Now()}
		if i%4 != 0 { // a quarter public
			o[core.FieldACL] = core.ACL{fmt.Sprintf("u%d", i): {Read: true}}
		}
		if err := st.Insert(t.Context(), c, o); err != nil {
			t.Fatal(err)
		}
	}
	q := dialect{}.EstimateSQL(sqlstore.TableName("Doc"), sqlstore.ReadersTable("Doc"))
	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if _, err := pool.Exec(t.Context(), "ANALYZE"); err != nil {
				t.Fatal(err)
			}
		}
		var total, public int64
		if err := pool.QueryRow(t.Context(), q, core.PublicPrincipal).Scan(&total, &public); err != nil {
			t.Fatalf("analyzed %v: %v", analyzed, err)
		}
		if total < 360 || total > 440 || public < 80 || public > 120 {
			t.Errorf("analyzed %v: estimated %d rows, %d public; want about 400 and 100", analyzed, total, public)
		}
	}
}
