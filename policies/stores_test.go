package policies

import (
	"context"
	"os"
	"sort"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core"

	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
)

// The filters run against the real stores, found in the registry the way
// the binary finds them: SQLite in a temporary folder and PostgreSQL on a
// fresh schema (pgtest; skipped when no server is reachable, failed in CI).

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

type storeKind struct {
	name string
	open func(t testing.TB) core.Store
}

var storeKinds = []storeKind{
	{"sqlite", func(t testing.TB) core.Store {
		return openStore(t, "sqlite", core.StoreConfig{DataDir: t.TempDir()})
	}},
	{"postgres", func(t testing.TB) core.Store {
		return openStore(t, "postgres", core.StoreConfig{URL: pgtest.Fresh(t)})
	}},
}

func openStore(t testing.TB, name string, cfg core.StoreConfig) core.Store {
	t.Helper()
	open, err := core.Stores.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	st, err := open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// class returns a class with the default fields and the given ones.
func class(name string, fields map[string]core.Field, indexes ...string) *core.Class {
	c := &core.Class{Name: name, Fields: map[string]core.Field{}, Indexes: map[string]core.Index{}}
	for k, v := range core.DefaultFields {
		c.Fields[k] = v
	}
	for k, v := range fields {
		c.Fields[k] = v
	}
	for _, f := range indexes {
		c.Indexes[f+"_1"] = core.Index{Keys: []core.IndexKey{{Field: f}}}
	}
	return c
}

func createClasses(t testing.TB, st core.Store, classes ...*core.Class) {
	t.Helper()
	for _, c := range classes {
		if err := st.CreateClass(context.Background(), c); err != nil {
			t.Fatalf("create %s: %v", c.Name, err)
		}
	}
}

// insert stores objects, filling objectId and the dates.
func insert(t testing.TB, st core.Store, c *core.Class, objs ...core.Object) {
	t.Helper()
	now := core.Now()
	for _, o := range objs {
		if _, ok := o[core.FieldCreatedAt]; !ok {
			o[core.FieldCreatedAt] = now
		}
		o[core.FieldUpdatedAt] = now
		if err := st.Insert(context.Background(), c, o); err != nil {
			t.Fatalf("insert into %s: %v", c.Name, err)
		}
	}
}

// reader is one caller's read through the pipeline, as the lead's stage
// will make it: the policy filter ANDed with the client's where, and the
// caller's ACL principals.
type reader struct {
	t     testing.TB
	e     *Engine
	st    core.Store
	auth  *core.Auth
	class *core.Class
}

func (r reader) input(action string) *core.AuthzInput {
	return &core.AuthzInput{Point: "objects", Action: action, Class: r.class.Name, Schema: r.class, Auth: r.auth}
}

// query builds the store query for a client where, or returns the
// policy's refusal.
func (r reader) query(action string, where core.Expr) (*core.Query, error) {
	filter, err := r.e.Authorize(context.Background(), r.input(action))
	if err != nil {
		return nil, err
	}
	where, err = core.AuthorizeSubqueries(context.Background(), r.e, r.input(action), where)
	if err != nil {
		return nil, err
	}
	return &core.Query{Where: simplifyAnd([]core.Expr{filter, where}), Limit: -1, ReadACL: r.auth.Principals(),
		Order: []core.OrderKey{{Field: core.FieldObjectID}}}, nil
}

// find returns the objectIds a find with where returns.
func (r reader) find(where core.Expr) []string {
	r.t.Helper()
	q, err := r.query("find", where)
	if err != nil {
		r.t.Fatalf("find by %+v: %v", r.auth, err)
	}
	return r.run(q)
}

func (r reader) run(q *core.Query) []string {
	r.t.Helper()
	objs, err := r.st.Find(context.Background(), r.class, q)
	if err != nil {
		r.t.Fatalf("store find: %v", err)
	}
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = o.ID()
	}
	return ids
}

func (r reader) count(where core.Expr) int64 {
	r.t.Helper()
	q, err := r.query("count", where)
	if err != nil {
		r.t.Fatalf("count by %+v: %v", r.auth, err)
	}
	n, err := r.st.Count(context.Background(), r.class, q)
	if err != nil {
		r.t.Fatalf("store count: %v", err)
	}
	return n
}

func sameIDs(got []string, want ...string) bool {
	if len(got) != len(want) {
		return false
	}
	g := append([]string(nil), got...)
	w := append([]string(nil), want...)
	sort.Strings(g)
	sort.Strings(w)
	for i := range g {
		if g[i] != w[i] {
			return false
		}
	}
	return true
}

func ptr(class, id string) core.Pointer { return core.Pointer{ClassName: class, ObjectID: id} }
