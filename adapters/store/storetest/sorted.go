package storetest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

// testSortedACL: pages sorted on an indexed field under an ACL that lets
// the caller read few rows, the case a store may serve from its own index
// of who reads what in which order. Every page is checked against the
// same page computed here from all the objects (read with no ACL), after
// inserts, updates of the sort field, ACL changes, deletes, and indexes
// added and dropped.
func testSortedACL(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := class("Ranked", map[string]string{"n": "Number", "name": "String", "tag": "String"})
	c.Indexes["n_1"] = core.Index{Keys: []core.IndexKey{{Field: "n"}}}
	mustCreate(t, s, c)
	acl := func(i int) core.ACL {
		var a core.ACL
		switch i % 3 {
		case 0:
			a = core.ACL{"me": {Read: true, Write: true}}
		case 1:
			a = core.ACL{"role:team": {Read: true}, "me": {Write: true}}
		default:
			a = core.ACL{"other": {Read: true, Write: true}}
		}
		if i%20 == 0 {
			a["*"] = core.Permission{Read: true}
		}
		return a
	}
	for i := 0; i < 60; i++ {
		o := obj(str(i), "name", fmt.Sprintf("n%02d", (i*7)%60), "tag", []string{"a", "b"}[i%2])
		if i%7 != 0 { // some have no n: NULL sorts first ascending
			o["n"] = float64((i * 37) % 61)
		}
		o[core.FieldACL] = acl(i)
		mustInsert(t, s, c, o)
	}
	// Within a transaction too (the store may insert differently there).
	err := s.Tx(ctx(t), func(ctx2 context.Context, tx core.Store) error {
		for i := 60; i < 70; i++ {
			o := obj(str(i), "n", float64(100+i), "name", fmt.Sprintf("m%02d", i), "tag", "a")
			o[core.FieldACL] = acl(i)
			if err := tx.Insert(ctx2, c, o); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, what string) {
		t.Helper()
		all := find(t, s, c, where(nil))
		for _, principals := range [][]string{{"*"}, {"*", "me"}, {"*", "role:team"}, {"*", "me", "role:team", "u404"}} {
			// In no order, pages of 4 still cover every readable row once.
			for _, w := range []core.Expr{nil, core.Cmp{Field: "tag", Op: core.OpEq, Value: "a"}} {
				q := &core.Query{Where: w, Limit: 1000, ReadACL: principals, Order: []core.OrderKey{{Field: "objectId"}}}
				want := ids(expectPage(all, q))
				var got []string
				for skip := 0; skip <= len(want); skip += 4 {
					got = append(got, ids(find(t, s, c, &core.Query{Where: w, Limit: 4, Skip: skip, ReadACL: principals}))...)
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s: %v in no order, where=%v: pages hold %v, want %v", what, principals, w != nil, got, want)
				}
			}
			for _, field := range []string{"n", "name"} {
				if _, ok := sortIndexed(c, field); !ok && field != "n" {
					continue
				}
				for _, desc := range []bool{false, true} {
					for _, w := range []core.Expr{nil, core.Cmp{Field: "tag", Op: core.OpEq, Value: "a"}} {
						for _, page := range [][2]int{{5, 0}, {4, 3}, {100, 0}} {
							q := &core.Query{Where: w, Order: []core.OrderKey{{Field: field, Desc: desc}}, Limit: page[0], Skip: page[1], ReadACL: principals}
							got := find(t, s, c, q)
							want := expectPage(all, q)
							name := fmt.Sprintf("%s: %v order %s desc=%v where=%v limit %d skip %d", what, principals, field, desc, w != nil, page[0], page[1])
							if g, w := sortValues(got, field), sortValues(want, field); !slices.Equal(g, w) {
								t.Errorf("%s: got %s values %v, want %v", name, field, g, w)
							}
							for _, o := range got {
								if !readable(o, principals) || (w != nil && o["tag"] != "a") {
									t.Errorf("%s: got %s, which does not match", name, o.ID())
								}
							}
						}
					}
				}
			}
		}
	}
	// Counts, which a store may also answer from that index (for the
	// public, on sort fields): each equals the number of rows a find of
	// the same query returns.
	counts := func(t *testing.T, what string) {
		t.Helper()
		wheres := []core.Expr{nil, core.And{},
			core.Cmp{Field: "n", Op: core.OpGte, Value: 10.0},
			core.And{Exprs: []core.Expr{core.Cmp{Field: "n", Op: core.OpGte, Value: 0.0}, core.Cmp{Field: "n", Op: core.OpLt, Value: 40.0}}},
			core.Cmp{Field: "n", Op: core.OpEq, Value: nil}, core.Cmp{Field: "n", Op: core.OpNe, Value: 5.0},
			core.In{Field: "n", Values: []any{5.0, 37.0, 100.0}}, core.In{Field: "n", Values: []any{5.0}, Not: true},
			core.Exists{Field: "n", Exists: true}, core.Exists{Field: "n", Exists: false},
			core.Cmp{Field: "name", Op: core.OpGte, Value: "n3"},
			core.Cmp{Field: "tag", Op: core.OpEq, Value: "a"},
			core.Or{Exprs: []core.Expr{core.Cmp{Field: "n", Op: core.OpLt, Value: 3.0}, core.Cmp{Field: "n", Op: core.OpGt, Value: 50.0}}},
		}
		for _, principals := range [][]string{{"*"}, {"*", "me"}, nil} {
			for i, w := range wheres {
				q := &core.Query{Where: w, Limit: -1, ReadACL: principals}
				n, err := s.Count(ctx(t), c, q)
				if err != nil {
					t.Fatalf("%s: count %d: %v", what, i, err)
				}
				if want := len(find(t, s, c, q)); n != int64(want) {
					t.Errorf("%s: %v where %d (%#v): count %d, find returns %d", what, principals, i, w, n, want)
				}
			}
		}
	}
	check(t, "inserted")
	counts(t, "inserted")

	up := func(id string, u core.Update) {
		t.Helper()
		if _, err := s.Update(ctx(t), c, id, nil, nil, u); err != nil {
			t.Fatalf("update %s: %v", id, err)
		}
	}
	up(str(3), core.Update{"n": core.Set{Value: -5.0}})
	up(str(6), core.Update{"n": core.Unset{}})
	up(str(9), core.Update{"n": core.Increment{Amount: 1000}})
	up(str(7), core.Update{"n": core.Set{Value: 0.5}, "name": core.Set{Value: "zz"}})
	up(str(12), core.Update{core.FieldACL: core.Set{Value: core.ACL{"role:team": {Read: true}}}})
	up(str(13), core.Update{core.FieldACL: core.Set{Value: core.ACL{"me": {Read: true}}}, "n": core.Set{Value: -7.0}})
	up(str(14), core.Update{core.FieldACL: core.Unset{}})
	if _, err := s.Delete(ctx(t), c, core.In{Field: "objectId", Values: []any{str(15), str(18)}}, nil); err != nil {
		t.Fatal(err)
	}
	check(t, "updated")
	counts(t, "updated")

	// An index added to a class with objects, on a field that has values.
	c2 := c.Clone()
	c2.Indexes["name_-1"] = core.Index{Keys: []core.IndexKey{{Field: "name", Desc: true}}}
	if err := s.UpdateClass(ctx(t), c, c2); err != nil {
		t.Fatal(err)
	}
	c = c2
	check(t, "name indexed")
	up(str(21), core.Update{"name": core.Set{Value: "a0"}})
	o := obj("x001", "n", 3.5, "name", "b1", "tag", "a")
	o[core.FieldACL] = core.ACL{"me": {Read: true}}
	mustInsert(t, s, c, o)
	check(t, "name indexed, written")
	counts(t, "name indexed, written")

	// Dropped again: pages are still right, by whatever plan.
	c3 := c.Clone()
	delete(c3.Indexes, "n_1")
	if err := s.UpdateClass(ctx(t), c, c3); err != nil {
		t.Fatal(err)
	}
	c = c3
	up(str(22), core.Update{"n": core.Set{Value: -9.0}})
	check(t, "n index dropped")
	counts(t, "n index dropped")
}

// sortIndexed reports whether field is the first key of an index of c.
func sortIndexed(c *core.Class, field string) (core.Index, bool) {
	for _, ix := range c.Indexes {
		if len(ix.Keys) > 0 && ix.Keys[0].Field == field {
			return ix, true
		}
	}
	return core.Index{}, false
}

// readable reports whether principals may read o.
func readable(o core.Object, principals []string) bool {
	a, _ := o[core.FieldACL].(core.ACL)
	if a == nil {
		return true
	}
	for _, p := range principals {
		if a[p].Read {
			return true
		}
	}
	return false
}

// expectPage computes q's page from all the objects of a class.
func expectPage(all []core.Object, q *core.Query) []core.Object {
	var out []core.Object
	for _, o := range all {
		if readable(o, q.ReadACL) {
			if cmp, ok := q.Where.(core.Cmp); !ok || o[cmp.Field] == cmp.Value {
				out = append(out, o)
			}
		}
	}
	k := q.Order[0]
	slices.SortStableFunc(out, func(a, b core.Object) int {
		r := compareSort(a[k.Field], b[k.Field])
		if k.Desc {
			r = -r
		}
		return r
	})
	out = out[min(len(out), q.Skip):]
	return out[:min(len(out), q.Limit)]
}

// compareSort orders values as the stores sort them: missing first, then
// numbers or strings.
func compareSort(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case float64:
		return cmp.Compare(x, b.(float64))
	case string:
		return cmp.Compare(x, b.(string))
	}
	return 0
}

func sortValues(objs []core.Object, field string) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = fmt.Sprint(o[field])
	}
	return out
}
