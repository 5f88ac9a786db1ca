package sqlite_test

import (
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

// TestMigrateSortColumns: a database written before the readers rows
// carried copies of the sort fields (migration 2) gets them, filled, when
// it is opened, and sorted pages under an ACL are right at once.
func TestMigrateSortColumns(t *testing.T) {
	dir := t.TempDir()
	st := openAt(t, dir)
	c := &core.Class{Name: "Old", Fields: map[string]core.Field{"n": {Type: core.TypeNumber}},
		Indexes: map[string]core.Index{"n_1": {Keys: []core.IndexKey{{Field: "n"}}}}}
	for k, v := range core.DefaultFields {
		c.Fields[k] = v
	}
	if err := st.CreateClass(t.Context(), c); err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		o := core.Object{core.FieldObjectID: string(rune('A'+i/26)) + string(rune('a'+i%26)), "n": float64((i * 17) % 50),
			core.FieldACL: core.ACL{"me": {Read: i%5 == 0}, "x": {Read: true}}}
		if err := st.Insert(t.Context(), c, o); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()

	// Back to the schema of migration 1.
	db, err := sql.Open("sqlite", filepath.Join(dir, "data.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`DROP INDEX "_Readers:Old:n"`,
		`ALTER TABLE "_Readers:Old" DROP COLUMN "s:n"`,
		`DELETE FROM "_sb_migrations" WHERE "version" >= 2`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	st = openAt(t, dir)
	defer st.Close()
	got, err := st.Find(t.Context(), c, &core.Query{Order: []core.OrderKey{{Field: "n", Desc: true}}, Limit: 3, ReadACL: []string{"*", "me"}})
	if err != nil {
		t.Fatal(err)
	}
	var ns []float64
	for _, o := range got {
		ns = append(ns, o["n"].(float64))
	}
	// me reads i = 0, 5, ..., 45: n = 0, 35, 20, 5, 40, 25, 10, 45, 30, 15.
	if len(ns) != 3 || ns[0] != 45 || ns[1] != 40 || ns[2] != 35 {
		t.Errorf("top 3 for me after the migration: %v, want [45 40 35]", ns)
	}
}
