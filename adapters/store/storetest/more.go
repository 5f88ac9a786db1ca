package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

func testUpdate(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := mustCreate(t, s, class("Counter", map[string]string{"n": "Number", "m": "Number", "list": "Array", "s": "String", "o": "Object"}))
	mustInsert(t, s, c, obj("c1", "n", 1.0, "list", []any{"a", "b", "a", 1.0}, "s", "x", "o", map[string]any{"k": 1.0}), obj("c2"))
	up := func(id string, u core.Update) core.Object {
		t.Helper()
		o, err := s.Update(ctx(t), c, id, nil, nil, u)
		if err != nil {
			t.Fatalf("Update(%s, %v): %v", id, u, err)
		}
		return o
	}
	cases := []struct {
		name  string
		id    string
		upd   core.Update
		field string
		want  any // nil: field missing
	}{
		{"increment", "c1", core.Update{"n": core.Increment{Amount: 2.5}}, "n", 3.5},
		{"decrement", "c1", core.Update{"n": core.Increment{Amount: -0.5}}, "n", 3.0},
		{"increment missing counts from 0", "c2", core.Update{"n": core.Increment{Amount: 4}}, "n", 4.0},
		{"add", "c1", core.Update{"list": core.Add{Values: []any{"c", "a"}}}, "list", []any{"a", "b", "a", 1.0, "c", "a"}},
		{"add to missing", "c2", core.Update{"list": core.Add{Values: []any{"x"}}}, "list", []any{"x"}},
		{"add unique", "c1", core.Update{"list": core.AddUnique{Values: []any{"a", "d", 1.0, map[string]any{"k": "v"}}}}, "list", []any{"a", "b", "a", 1.0, "c", "a", "d", map[string]any{"k": "v"}}},
		{"add unique object again", "c1", core.Update{"list": core.AddUnique{Values: []any{map[string]any{"k": "v"}}}}, "list", []any{"a", "b", "a", 1.0, "c", "a", "d", map[string]any{"k": "v"}}},
		{"remove every occurrence", "c1", core.Update{"list": core.Remove{Values: []any{"a", 1.0, map[string]any{"k": "v"}}}}, "list", []any{"b", "c", "d"}},
		{"remove from missing", "c2", core.Update{"o": core.Set{Value: map[string]any{}}, "list": core.Remove{Values: []any{"zz"}}}, "list", []any{"x"}},
		{"set object", "c1", core.Update{"o": core.Set{Value: map[string]any{"a": []any{1.0}}}}, "o", map[string]any{"a": []any{1.0}}},
		{"unset", "c1", core.Update{"s": core.Unset{}}, "s", nil},
		{"several at once", "c1", core.Update{"s": core.Set{Value: "y"}, "n": core.Increment{Amount: 1}, "list": core.Add{Values: []any{"e"}}}, "n", 4.0},
		// Bit operations (LeanCloud's BitAnd, BitOr, BitXor): n is 4 here.
		{"bit or", "c1", core.Update{"n": core.Bitwise{Op: core.BitOr, Value: 3}}, "n", 7.0},
		{"bit and", "c1", core.Update{"n": core.Bitwise{Op: core.BitAnd, Value: 6}}, "n", 6.0},
		{"bit xor", "c1", core.Update{"n": core.Bitwise{Op: core.BitXor, Value: 5}}, "n", 3.0},
		{"bit xor with a negative value", "c1", core.Update{"n": core.Bitwise{Op: core.BitXor, Value: -1}}, "n", -4.0},
		{"bit or beyond 32 bits", "c2", core.Update{"n": core.Bitwise{Op: core.BitOr, Value: 1 << 40}}, "n", float64(int64(1)<<40 | 4)},
		{"bit and keeps high bits", "c2", core.Update{"n": core.Bitwise{Op: core.BitAnd, Value: 1<<40 | 1}}, "n", float64(int64(1) << 40)},
		{"bit xor back to 4", "c1", core.Update{"n": core.Bitwise{Op: core.BitXor, Value: -8}}, "n", 4.0},
		{"bit or on a missing field counts from 0", "c2", core.Update{"m": core.Bitwise{Op: core.BitOr, Value: 5}}, "m", 5.0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			returned := up(tc.id, tc.upd)
			stored := get(t, s, c, tc.id)
			for what, o := range map[string]core.Object{"returned": returned, "stored": stored} {
				v, ok := o[tc.field]
				if tc.want == nil {
					if ok {
						t.Errorf("%s %s = %v, want missing", what, tc.field, v)
					}
					continue
				}
				wantValue(t, what+" "+tc.field, v, tc.want)
			}
		})
	}
	if o := get(t, s, c, "c1"); !jsonEqual(o["list"], []any{"b", "c", "d", "e"}) || o["s"] != "y" {
		t.Errorf("after several ops at once: %v", o)
	}
	_, err := s.Update(ctx(t), c, "c1", nil, nil, core.Update{"s": core.Increment{Amount: 1}})
	if err == nil {
		t.Errorf("increment of a String field succeeded")
	}
	if _, err := s.Update(ctx(t), c, "c1", nil, nil, core.Update{"s": core.Bitwise{Op: core.BitOr, Value: 1}}); !core.IsCode(err, core.CodeInvalidValue) {
		t.Errorf("bit operation on a String field: %v, want code %d", err, core.CodeInvalidValue)
	}
}

func testRelations(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	users := mustCreate(t, s, class("_User", map[string]string{"username": "String"}))
	roles := mustCreate(t, s, class("_Role", map[string]string{"name": "String", "users": "Relation:_User", "roles": "Relation:_Role"}))
	mustInsert(t, s, users, obj("u1"), obj("u2"), obj("u3"))
	mustInsert(t, s, roles, obj("r1", "name", "admin"), obj("r2", "name", "staff"))
	rel := func(id string, op core.Op) {
		t.Helper()
		if _, err := s.Update(ctx(t), roles, id, nil, nil, core.Update{"users": op}); err != nil {
			t.Fatalf("relation update: %v", err)
		}
	}
	rel("r1", core.AddRelation{IDs: []string{"u1", "u2"}})
	rel("r1", core.AddRelation{IDs: []string{"u2"}}) // adding twice is harmless
	rel("r2", core.AddRelation{IDs: []string{"u2", "u3"}})
	rel("r2", core.RemoveRelation{IDs: []string{"u3", "u9"}})
	related := func(id string) []core.Object {
		return find(t, s, users, where(core.RelatedTo{Owner: core.Pointer{ClassName: "_Role", ObjectID: id}, Key: "users"}))
	}
	wantIDs(t, "users of r1", related("r1"), "u1", "u2")
	wantIDs(t, "users of r2", related("r2"), "u2")
	wantIDs(t, "roles holding u1", find(t, s, roles, where(core.RelationContains{Field: "users", IDs: []string{"u1"}})), "r1")
	wantIDs(t, "roles holding u2 or u3", find(t, s, roles, where(core.RelationContains{Field: "users", IDs: []string{"u2", "u3"}})), "r1", "r2")
	wantIDs(t, "roles not holding u1", find(t, s, roles, where(core.RelationContains{Field: "users", IDs: []string{"u1"}, Not: true})), "r2")
	wantIDs(t, "relation exists", find(t, s, roles, where(core.Exists{Field: "users", Exists: true})), "r1", "r2")
	rel("r2", core.RemoveRelation{IDs: []string{"u2"}})
	wantIDs(t, "relation empty", find(t, s, roles, where(core.Exists{Field: "users", Exists: false})), "r2")
	// A relation change needs the owning object to exist and be writable.
	_, err := s.Update(ctx(t), roles, "nope", nil, nil, core.Update{"users": core.AddRelation{IDs: []string{"u1"}}})
	wantCode(t, "relation change on a missing object", err, core.CodeObjectNotFound)
	// Deleting the owner removes its relation rows.
	if _, err := s.Delete(ctx(t), roles, core.Cmp{Field: "objectId", Op: core.OpEq, Value: "r1"}, nil); err != nil {
		t.Fatal(err)
	}
	mustInsert(t, s, roles, obj("r1", "name", "admin again"))
	wantIDs(t, "relation rows went with their owner", related("r1"))
}

func testACL(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := mustCreate(t, s, class("Doc", map[string]string{"n": "Number"}))
	// 30 objects: public, private to u1, readable by role:staff, read-only public.
	acls := []core.ACL{
		nil,
		{"u1": {Read: true, Write: true}},
		{"role:staff": {Read: true}, "u2": {Write: true}},
		{"*": {Read: true}, "u3": {Write: true}},
	}
	for i := 0; i < 40; i++ {
		o := obj(str(i), "n", float64(i))
		if a := acls[i%4]; a != nil {
			o[core.FieldACL] = a
		}
		mustInsert(t, s, c, o)
	}
	byKind := func(kinds ...int) []string {
		var out []string
		for i := 0; i < 40; i++ {
			for _, k := range kinds {
				if i%4 == k {
					out = append(out, str(i))
				}
			}
		}
		return out
	}
	read := func(principals ...string) *core.Query {
		return &core.Query{Limit: -1, ReadACL: append([]string{"*"}, principals...)}
	}
	cases := []struct {
		name       string
		principals []string
		want       []string
	}{
		{"public", nil, byKind(0, 3)},
		{"u1", []string{"u1"}, byKind(0, 1, 3)},
		{"staff", []string{"u9", "role:staff"}, byKind(0, 2, 3)},
		{"u1 and staff", []string{"u1", "role:staff"}, byKind(0, 1, 2, 3)},
		{"u2 can write but not read", []string{"u2"}, byKind(0, 3)},
	}
	// A get by id (the query the core makes for GET /classes/C/:id, which
	// a store may answer with a statement of its own), as each caller and
	// with no ACL: each object is there exactly when the caller may read it.
	for _, tc := range append(cases, struct {
		name       string
		principals []string
		want       []string
	}{"master", nil, byKind(0, 1, 2, 3)}) {
		for i := 0; i < 40; i++ {
			q := &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: str(i)}, Limit: 1}
			if tc.name != "master" {
				q.ReadACL = append([]string{"*"}, tc.principals...)
			}
			var want []string
			if slices.Contains(tc.want, str(i)) {
				want = []string{str(i)}
			}
			got := find(t, s, c, q)
			wantIDs(t, "get "+str(i)+" as "+tc.name, got, want...)
			if len(got) == 1 && got[0]["n"] != float64(i) {
				t.Errorf("get %s as %s: n = %v", str(i), tc.name, got[0]["n"])
			}
		}
	}
	for _, tc := range cases {
		t.Run("read "+tc.name, func(t *testing.T) {
			q := read(tc.principals...)
			wantIDs(t, "find", find(t, s, c, q), tc.want...)
			if n, err := s.Count(ctx(t), c, q); err != nil || n != int64(len(tc.want)) {
				t.Errorf("count: %d, %v; want %d", n, err, len(tc.want))
			}
			// Paging runs after the ACL filter: limit and skip count only
			// readable objects.
			q.Order = []core.OrderKey{{Field: "n"}}
			q.Limit, q.Skip = 3, 2
			wantOrder(t, "page", find(t, s, c, q), tc.want[2:5]...)
			q.Where = core.Cmp{Field: "n", Op: core.OpGte, Value: 20.0}
			q.Limit, q.Skip = -1, 0
			var over20 []string
			for _, id := range tc.want {
				if id >= str(20) {
					over20 = append(over20, id)
				}
			}
			wantIDs(t, "with where", find(t, s, c, q), over20...)
			vals, err := s.Distinct(ctx(t), c, "n", q)
			if err != nil || len(vals) != len(over20) {
				t.Errorf("distinct under ACL: %d values, %v; want %d", len(vals), err, len(over20))
			}
		})
	}
	t.Run("nil ReadACL reads all", func(t *testing.T) {
		wantIDs(t, "master", find(t, s, c, where(nil)), byKind(0, 1, 2, 3)...)
	})
	t.Run("write", func(t *testing.T) {
		try := func(id string, principals ...string) error {
			_, err := s.Update(ctx(t), c, id, nil, append([]string{"*"}, principals...), core.Update{"n": core.Increment{Amount: 1000}})
			return err
		}
		for _, tc := range []struct {
			id         string
			principals []string
			ok         bool
		}{
			{str(0), nil, true},                     // no ACL: public write
			{str(1), nil, false},                    // private
			{str(1), []string{"u1"}, true},          // owner
			{str(2), []string{"role:staff"}, false}, // staff may only read
			{str(2), []string{"u2"}, true},
			{str(3), nil, false}, // public read only
			{str(3), []string{"u3", "role:x"}, true},
		} {
			err := try(tc.id, tc.principals...)
			if tc.ok && err != nil {
				t.Errorf("update %s as %v: %v", tc.id, tc.principals, err)
			}
			if !tc.ok {
				wantCode(t, fmt.Sprintf("update %s as %v", tc.id, tc.principals), err, core.CodeObjectNotFound)
			}
		}
		n, err := s.Delete(ctx(t), c, core.Cmp{Field: "n", Op: core.OpLt, Value: 8.0}, []string{"*", "u1"})
		if err != nil || n != 2 { // o004 (public) and o005 (u1)
			t.Errorf("delete as u1: %d, %v; want 2", n, err)
		}
		// o002 and o003 were incremented by their writers above.
		wantIDs(t, "left below 8", find(t, s, c, where(core.Cmp{Field: "n", Op: core.OpLt, Value: 8.0})), str(6), str(7))
	})
	t.Run("readers of deleted objects do not leak", func(t *testing.T) {
		// Storage may reuse internal row keys: the newest row's key after it
		// is deleted, say. A reader of the deleted row must not read the new one.
		for i := 0; i < 3; i++ {
			old, neu := fmt.Sprintf("z%d", 2*i), fmt.Sprintf("z%d", 2*i+1)
			o := obj(old, "n", -1.0)
			o[core.FieldACL] = core.ACL{"u5": {Read: true, Write: true}}
			mustInsert(t, s, c, o)
			if n, err := s.Delete(ctx(t), c, core.Cmp{Field: "objectId", Op: core.OpEq, Value: old}, nil); err != nil || n != 1 {
				t.Fatalf("delete %s: %d, %v", old, n, err)
			}
			o = obj(neu, "n", -1.0)
			o[core.FieldACL] = core.ACL{"u6": {Read: true, Write: true}}
			mustInsert(t, s, c, o)
			wantIDs(t, "u5 after delete", find(t, s, c, &core.Query{Where: core.Cmp{Field: "n", Op: core.OpEq, Value: -1.0}, Limit: -1, ReadACL: []string{"*", "u5"}}))
			if _, err := s.Update(ctx(t), c, neu, nil, []string{"*", "u5"}, core.Update{"n": core.Set{Value: -1.0}}); !core.IsCode(err, core.CodeObjectNotFound) {
				t.Errorf("u5 writes %s: %v", neu, err)
			}
			if n, err := s.Delete(ctx(t), c, core.Cmp{Field: "objectId", Op: core.OpEq, Value: neu}, nil); err != nil || n != 1 {
				t.Fatalf("delete %s: %d, %v", neu, n, err)
			}
		}
	})
	t.Run("change ACL", func(t *testing.T) {
		o, err := s.Update(ctx(t), c, str(9), nil, nil, core.Update{core.FieldACL: core.Set{Value: core.ACL{"u7": {Read: true, Write: true}}}})
		if err != nil {
			t.Fatal(err)
		}
		wantValue(t, "returned ACL", o[core.FieldACL], core.ACL{"u7": {Read: true, Write: true}})
		wantIDs(t, "u7 reads it", find(t, s, c, &core.Query{Where: core.Cmp{Field: "objectId", Op: core.OpEq, Value: str(9)}, Limit: -1, ReadACL: []string{"*", "u7"}}), str(9))
		wantIDs(t, "u1 no longer does", find(t, s, c, &core.Query{Where: core.Cmp{Field: "objectId", Op: core.OpEq, Value: str(9)}, Limit: -1, ReadACL: []string{"*", "u1"}}))
		if _, err := s.Update(ctx(t), c, str(9), nil, []string{"*", "u1"}, core.Update{"n": core.Set{Value: 1.0}}); !core.IsCode(err, core.CodeObjectNotFound) {
			t.Errorf("old writer still writes: %v", err)
		}
		if _, err := s.Update(ctx(t), c, str(9), nil, nil, core.Update{core.FieldACL: core.Unset{}}); err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "public after unset", find(t, s, c, &core.Query{Where: core.Cmp{Field: "objectId", Op: core.OpEq, Value: str(9)}, Limit: -1, ReadACL: []string{"*"}}), str(9))
		if v, ok := get(t, s, c, str(9))[core.FieldACL]; ok {
			t.Errorf("ACL after unset: %v", v)
		}
	})
}

func testGeo(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := mustCreate(t, s, class("Place", map[string]string{"loc": "GeoPoint", "area": "Polygon"}))
	gp := func(lat, lng float64) core.GeoPoint { return core.GeoPoint{Latitude: lat, Longitude: lng} }
	mustInsert(t, s, c,
		obj("oslo", "loc", gp(59.91, 10.75), "area", core.Polygon{{59, 10}, {60, 10}, {60, 11}, {59, 11}}),
		obj("rome", "loc", gp(41.9, 12.5), "area", core.Polygon{{41, 12}, {42, 12}, {42, 13}}),
		obj("nyc", "loc", gp(40.71, -74.0)),
		obj("fiji", "loc", gp(-17.7, 178.0)),
		obj("none"),
	)
	const earthKm = 6371.0
	cases := []struct {
		name string
		e    core.Expr
		want []string
	}{
		{"near, no max", core.Near{Field: "loc", Point: gp(50, 10)}, []string{"oslo", "rome", "nyc", "fiji"}},
		{"near within 2000km", core.Near{Field: "loc", Point: gp(50, 10), MaxDistance: 2000 / earthKm}, []string{"oslo", "rome"}},
		{"near within 1000km", core.Near{Field: "loc", Point: gp(50, 10), MaxDistance: 1000 / earthKm}, []string{"rome"}}, // Rome ~920km, Oslo ~1100km
		{"near within 500km of Rome", core.Near{Field: "loc", Point: gp(42, 12), MaxDistance: 500 / earthKm}, []string{"rome"}},
		{"within sphere", core.WithinSphere{Field: "loc", Center: gp(40, -73), Radius: 300 / earthKm}, []string{"nyc"}},
		{"within box", core.WithinBox{Field: "loc", SouthWest: gp(35, 0), NorthEast: gp(60, 20)}, []string{"oslo", "rome"}},
		{"within box across the antimeridian", core.WithinBox{Field: "loc", SouthWest: gp(-20, 170), NorthEast: gp(0, -170)}, []string{"fiji"}},
		{"within polygon", core.WithinPolygon{Field: "loc", Points: []core.GeoPoint{gp(40, -80), gp(45, -80), gp(45, 20), gp(40, 20)}}, []string{"nyc", "rome"}},
		{"polygon contains", core.PolygonContains{Field: "area", Point: gp(59.5, 10.5)}, []string{"oslo"}},
		{"polygon contains, triangle", core.PolygonContains{Field: "area", Point: gp(41.2, 12.9)}, nil},
	}
	for _, tc := range cases {
		wantIDs(t, tc.name, find(t, s, c, where(tc.e)), tc.want...)
	}
	near := gp(50, 10)
	wantOrder(t, "sorted by distance", find(t, s, c, &core.Query{Where: core.Near{Field: "loc", Point: near}, Order: []core.OrderKey{{Field: "loc", Near: &near}}, Limit: -1}), "rome", "oslo", "nyc", "fiji")
	wantOrder(t, "sorted by distance, limit", find(t, s, c, &core.Query{Where: core.Near{Field: "loc", Point: near}, Order: []core.OrderKey{{Field: "loc", Near: &near}}, Limit: 2}), "rome", "oslo")
}

func testSubqueries(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	teams := mustCreate(t, s, class("Team", map[string]string{"city": "String", "wins": "Number"}))
	players := mustCreate(t, s, class("Player", map[string]string{"team": "Pointer:Team", "home": "String", "name": "String"}))
	mustInsert(t, s, teams,
		obj("t1", "city", "Oslo", "wins", 10.0),
		obj("t2", "city", "Rome", "wins", 3.0),
		func() core.Object {
			o := obj("t3", "city", "Paris", "wins", 7.0)
			o[core.FieldACL] = core.ACL{"u1": {Read: true}}
			return o
		}(),
	)
	mustInsert(t, s, players,
		obj("p1", "team", core.Pointer{ClassName: "Team", ObjectID: "t1"}, "home", "Oslo"),
		obj("p2", "team", core.Pointer{ClassName: "Team", ObjectID: "t2"}, "home", "Oslo"),
		obj("p3", "team", core.Pointer{ClassName: "Team", ObjectID: "t3"}, "home", "Paris"),
		obj("p4", "home", "Rome"),
	)
	winners := &core.Query{Where: core.Cmp{Field: "wins", Op: core.OpGt, Value: 5.0}, Limit: -1}
	cases := []struct {
		name string
		e    core.Expr
		want []string
	}{
		{"inQuery", core.InQuery{Field: "team", Class: teams, Sub: winners}, []string{"p1", "p3"}},
		{"notInQuery", core.InQuery{Field: "team", Class: teams, Sub: winners, Not: true}, []string{"p2", "p4"}},
		{"inQuery with sub ACL", core.InQuery{Field: "team", Class: teams, Sub: &core.Query{Where: winners.Where, Limit: -1, ReadACL: []string{"*"}}}, []string{"p1"}},
		{"inQuery with sub limit and order", core.InQuery{Field: "team", Class: teams, Sub: &core.Query{Order: []core.OrderKey{{Field: "wins", Desc: true}}, Limit: 1}}, []string{"p1"}},
		{"select", core.Select{Field: "home", Class: teams, Sub: winners, Key: "city"}, []string{"p1", "p2", "p3"}},
		{"dontSelect", core.Select{Field: "home", Class: teams, Sub: winners, Key: "city", Not: true}, []string{"p4"}},
		{"select objectId", core.Select{Field: "team", Class: teams, Sub: &core.Query{Where: core.Cmp{Field: "city", Op: core.OpEq, Value: "Rome"}, Limit: -1}, Key: "objectId"}, []string{"p2"}},
		{"inQuery on the same class", core.InQuery{Field: "team", Class: teams, Sub: &core.Query{Where: core.InQuery{Field: "objectId", Class: teams, Sub: winners}, Limit: -1}}, []string{"p1", "p3"}},
	}
	for _, tc := range cases {
		wantIDs(t, tc.name, find(t, s, players, where(tc.e)), tc.want...)
	}
}

var errRollback = errors.New("roll back")

func testTx(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := mustCreate(t, s, class("Acct", map[string]string{"bal": "Number", "rel": "Relation:Acct"}))
	mustInsert(t, s, c, obj("a", "bal", 100.0), obj("b", "bal", 0.0))
	t.Run("commit", func(t *testing.T) {
		err := s.Tx(ctx(t), func(ctx2 context.Context, tx core.Store) error {
			if _, err := tx.Update(ctx2, c, "a", nil, nil, core.Update{"bal": core.Increment{Amount: -30}}); err != nil {
				return err
			}
			if _, err := tx.Update(ctx2, c, "b", nil, nil, core.Update{"bal": core.Increment{Amount: 30}, "rel": core.AddRelation{IDs: []string{"a"}}}); err != nil {
				return err
			}
			if err := tx.Insert(ctx2, c, obj("c", "bal", 1.0)); err != nil {
				return err
			}
			// The transaction sees its own writes.
			objs, err := tx.Find(ctx2, c, where(core.Cmp{Field: "bal", Op: core.OpEq, Value: 30.0}))
			if err != nil || len(objs) != 1 || objs[0].ID() != "b" {
				return fmt.Errorf("read own write: %v, %v", objs, err)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("Tx: %v", err)
		}
		wantValue(t, "a", get(t, s, c, "a")["bal"], 70.0)
		wantValue(t, "b", get(t, s, c, "b")["bal"], 30.0)
		wantIDs(t, "relation", find(t, s, c, where(core.RelatedTo{Owner: core.Pointer{ClassName: "Acct", ObjectID: "b"}, Key: "rel"})), "a")
		wantIDs(t, "inserted", find(t, s, c, where(nil)), "a", "b", "c")
	})
	t.Run("rollback", func(t *testing.T) {
		err := s.Tx(ctx(t), func(ctx2 context.Context, tx core.Store) error {
			if _, err := tx.Update(ctx2, c, "a", nil, nil, core.Update{"bal": core.Increment{Amount: -70}}); err != nil {
				return err
			}
			if err := tx.Insert(ctx2, c, obj("d")); err != nil {
				return err
			}
			if _, err := tx.Update(ctx2, c, "b", nil, nil, core.Update{"rel": core.RemoveRelation{IDs: []string{"a"}}}); err != nil {
				return err
			}
			if _, err := tx.Delete(ctx2, c, core.Cmp{Field: "objectId", Op: core.OpEq, Value: "c"}, nil); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("Tx returned %v, want fn's error", err)
		}
		wantValue(t, "a unchanged", get(t, s, c, "a")["bal"], 70.0)
		wantIDs(t, "no insert, no delete", find(t, s, c, where(nil)), "a", "b", "c")
		wantIDs(t, "relation kept", find(t, s, c, where(core.RelatedTo{Owner: core.Pointer{ClassName: "Acct", ObjectID: "b"}, Key: "rel"})), "a")
	})
	t.Run("failed write rolls back the whole transaction", func(t *testing.T) {
		err := s.Tx(ctx(t), func(ctx2 context.Context, tx core.Store) error {
			if err := tx.Insert(ctx2, c, obj("e")); err != nil {
				return err
			}
			return tx.Insert(ctx2, c, obj("a")) // duplicate
		})
		wantCode(t, "duplicate inside Tx", err, core.CodeDuplicateValue)
		wantIDs(t, "e not kept", find(t, s, c, where(core.Cmp{Field: "objectId", Op: core.OpEq, Value: "e"})))
	})
	t.Run("store called with the Tx context joins it", func(t *testing.T) {
		err := s.Tx(ctx(t), func(ctx2 context.Context, tx core.Store) error {
			if err := s.Insert(ctx2, c, obj("f")); err != nil {
				return err
			}
			return errRollback
		})
		if !errors.Is(err, errRollback) {
			t.Fatalf("Tx: %v", err)
		}
		wantIDs(t, "f rolled back", find(t, s, c, where(core.Cmp{Field: "objectId", Op: core.OpEq, Value: "f"})))
	})
	t.Run("nested Tx", func(t *testing.T) {
		err := s.Tx(ctx(t), func(ctx2 context.Context, tx core.Store) error {
			if err := tx.Insert(ctx2, c, obj("g")); err != nil {
				return err
			}
			inner := tx.Tx(ctx2, func(ctx3 context.Context, tx2 core.Store) error {
				if err := tx2.Insert(ctx3, c, obj("h")); err != nil {
					return err
				}
				return errRollback
			})
			if !errors.Is(inner, errRollback) {
				return fmt.Errorf("inner Tx returned %v", inner)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		wantIDs(t, "outer kept, inner rolled back", find(t, s, c, where(core.In{Field: "objectId", Values: []any{"g", "h"}})), "g")
	})
}

func testConcurrency(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := mustCreate(t, s, class("Hits", map[string]string{"n": "Number", "w": "Number"}))
	mustInsert(t, s, c, obj("counter", "n", 0.0))
	const workers, each = 8, 25
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				if err := s.Insert(ctx(t), c, obj(fmt.Sprintf("w%d-%d", w, i), "w", float64(w))); err != nil {
					errs <- err
				}
				if _, err := s.Update(ctx(t), c, "counter", nil, nil, core.Update{"n": core.Increment{Amount: 1}}); err != nil {
					errs <- err
				}
				if _, err := s.Find(ctx(t), c, &core.Query{Where: core.Cmp{Field: "w", Op: core.OpEq, Value: float64(w)}, Limit: 5}); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	if n, err := s.Count(ctx(t), c, where(core.Exists{Field: "w", Exists: true})); err != nil || n != workers*each {
		t.Errorf("inserted: %d, %v; want %d", n, err, workers*each)
	}
	wantValue(t, "increments", get(t, s, c, "counter")["n"], float64(workers*each))

	// Racing inserts of the same ids: exactly one of each succeeds, the
	// others get 137, and a failure does not take other inserts with it.
	var okCount, dupCount, otherErr int64
	var mu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				for _, id := range []string{fmt.Sprintf("dup-%d", i), fmt.Sprintf("own-%d-%d", w, i)} {
					err := s.Insert(ctx(t), c, obj(id, "w", -1.0))
					mu.Lock()
					switch {
					case err == nil:
						okCount++
					case core.IsCode(err, core.CodeDuplicateValue):
						dupCount++
					default:
						otherErr++
						t.Errorf("insert %s: %v", id, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if okCount != each+workers*each || dupCount != (workers-1)*each {
		t.Errorf("racing inserts: %d ok, %d duplicates; want %d and %d", okCount, dupCount, each+workers*each, (workers-1)*each)
	}
	if n, err := s.Count(ctx(t), c, where(core.Cmp{Field: "w", Op: core.OpEq, Value: -1.0})); err != nil || n != okCount {
		t.Errorf("rows after racing inserts: %d, %v; want %d", n, err, okCount)
	}
}
