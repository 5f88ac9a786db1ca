// Package storetest is the conformance suite every core.Store runs. A
// store's own test is little more than a harness:
//
//	func TestConformance(t *testing.T) {
//		storetest.RunConformance(t, func(t *testing.T) core.Store { ... a fresh, empty store ... })
//	}
//
// File-backed stores also run RunReopen, which checks that what a store
// acknowledged is there after it is closed and opened again.
//
// The suite uses only the core.Store contract: it must pass unchanged on
// SQLite, PostgreSQL and a plugin.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// RunConformance runs the suite. open returns a new empty store for each
// subtest and arranges its Close (t.Cleanup).
func RunConformance(t *testing.T, open func(t *testing.T) core.Store) {
	groups := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) core.Store)
	}{
		{"Schema", testSchema},
		{"Values", testValues},
		{"CRUD", testCRUD},
		{"Query", testQuery},
		{"Order", testOrderPage},
		{"Keys", testKeys},
		{"Distinct", testDistinct},
		{"Update", testUpdate},
		{"Relations", testRelations},
		{"ACL", testACL},
		{"SortedACL", testSortedACL},
		{"Geo", testGeo},
		{"Subqueries", testSubqueries},
		{"DeleteObject", testDeleteObject},
		{"Tx", testTx},
		{"Concurrency", testConcurrency},
		{"Hardening", testHardening},
		{"Aggregate", testAggregate},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, open) })
	}
}

// ---- helpers ----

func ctx(t *testing.T) context.Context { return t.Context() }

// class builds a class with the given fields (name → type, or
// "Pointer:Target" / "Relation:Target").
func class(name string, fields map[string]string) *core.Class {
	c := &core.Class{Name: name, Fields: map[string]core.Field{}, Indexes: map[string]core.Index{}}
	for k, v := range core.DefaultFields {
		c.Fields[k] = v
	}
	for k, v := range fields {
		f := core.Field{Type: core.Type(v)}
		for _, kind := range []core.Type{core.TypePointer, core.TypeRelation} {
			if p := string(kind) + ":"; len(v) > len(p) && v[:len(p)] == p {
				f = core.Field{Type: kind, TargetClass: v[len(p):]}
			}
		}
		c.Fields[k] = f
	}
	return c
}

func mustCreate(t *testing.T, s core.Store, c *core.Class) *core.Class {
	t.Helper()
	if err := s.CreateClass(ctx(t), c); err != nil {
		t.Fatalf("CreateClass(%s): %v", c.Name, err)
	}
	return c
}

var baseTime = time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)

// obj returns an object with id and times set, plus fields.
func obj(id string, kv ...any) core.Object {
	o := core.Object{core.FieldObjectID: id, core.FieldCreatedAt: baseTime, core.FieldUpdatedAt: baseTime}
	for i := 0; i+1 < len(kv); i += 2 {
		o[kv[i].(string)] = kv[i+1]
	}
	return o
}

func mustInsert(t *testing.T, s core.Store, c *core.Class, objs ...core.Object) {
	t.Helper()
	for _, o := range objs {
		if err := s.Insert(ctx(t), c, o); err != nil {
			t.Fatalf("Insert(%s, %v): %v", c.Name, o.ID(), err)
		}
	}
}

func find(t *testing.T, s core.Store, c *core.Class, q *core.Query) []core.Object {
	t.Helper()
	objs, err := s.Find(ctx(t), c, q)
	if err != nil {
		t.Fatalf("Find(%s): %v", c.Name, err)
	}
	return objs
}

func get(t *testing.T, s core.Store, c *core.Class, id string) core.Object {
	t.Helper()
	objs := find(t, s, c, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id}, Limit: 1})
	if len(objs) != 1 {
		t.Fatalf("get %s/%s: %d objects", c.Name, id, len(objs))
	}
	return objs[0]
}

func ids(objs []core.Object) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.ID()
	}
	return out
}

func sortedIDs(objs []core.Object) []string {
	out := ids(objs)
	sort.Strings(out)
	return out
}

func where(e core.Expr) *core.Query { return &core.Query{Where: e, Limit: -1} }

func wantIDs(t *testing.T, what string, got []core.Object, want ...string) {
	t.Helper()
	g := sortedIDs(got)
	w := slices.Clone(want)
	sort.Strings(w)
	if len(w) == 0 {
		w = []string{}
	}
	if !slices.Equal(g, w) {
		t.Errorf("%s: got ids %v, want %v", what, g, w)
	}
}

func wantOrder(t *testing.T, what string, got []core.Object, want ...string) {
	t.Helper()
	if g := ids(got); !slices.Equal(g, want) {
		t.Errorf("%s: got ids %v, want %v in that order", what, g, want)
	}
}

func wantCode(t *testing.T, what string, err error, code core.Code) {
	t.Helper()
	if !core.IsCode(err, code) {
		t.Errorf("%s: got error %v, want code %d", what, err, code)
	}
}

// jsonEqual compares values as JSON, so that []any{1.0} equals []any{1.0}
// however it was built.
func jsonEqual(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func wantValue(t *testing.T, what string, got, want any) {
	t.Helper()
	if gt, ok := got.(time.Time); ok {
		if wt, ok := want.(time.Time); ok {
			if !gt.Equal(wt) || gt.Location() != time.UTC {
				t.Errorf("%s: got %v (%v), want %v UTC", what, gt, gt.Location(), wt)
			}
			return
		}
	}
	if reflect.TypeOf(got) != reflect.TypeOf(want) || !jsonEqual(got, want) {
		t.Errorf("%s: got %#v (%T), want %#v (%T)", what, got, got, want, want)
	}
}

func str(i int) string { return fmt.Sprintf("o%03d", i) }

// RunReopen checks that acknowledged writes survive closing and reopening a
// file-backed store. open opens the store kept in dir.
func RunReopen(t *testing.T, open func(t *testing.T, dir string) core.Store) {
	dir := t.TempDir()
	s := open(t, dir)
	c := mustCreate(t, s, class("Durable", map[string]string{"n": "Number", "r": "Relation:Durable"}))
	for i := 0; i < 20; i++ {
		mustInsert(t, s, c, obj(str(i), "n", float64(i)))
	}
	if _, err := s.Update(ctx(t), c, str(1), nil, nil, core.Update{"n": core.Increment{Amount: 100}, "r": core.AddRelation{IDs: []string{str(2)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Delete(ctx(t), c, core.Cmp{Field: "n", Op: core.OpLt, Value: 1.0}, nil); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	s = open(t, dir)
	defer s.Close()
	all, err := s.Schemas(ctx(t))
	if err != nil || len(all) != 1 || all[0].Name != "Durable" {
		t.Fatalf("schemas after reopen: %v, %v", all, err)
	}
	c = all[0]
	if n, err := s.Count(ctx(t), c, where(nil)); err != nil || n != 19 {
		t.Errorf("count after reopen: %d, %v; want 19", n, err)
	}
	wantValue(t, "incremented value after reopen", get(t, s, c, str(1))["n"], 101.0)
	wantIDs(t, "relation after reopen", find(t, s, c, where(core.RelatedTo{Owner: core.Pointer{ClassName: "Durable", ObjectID: str(1)}, Key: "r"})), str(2))
	// Opening again runs the migrations again: they must be idempotent.
	s2 := open(t, dir)
	s2.Close()
}
