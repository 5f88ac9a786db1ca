package storetest

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// people is a small data set most query tests share.
func people(t *testing.T, s core.Store) *core.Class {
	c := mustCreate(t, s, class("Person", map[string]string{
		"name": "String", "age": "Number", "admin": "Boolean", "tags": "Array", "info": "Object", "best": "Pointer:Person",
	}))
	mustInsert(t, s, c,
		obj("ann", "name", "Ann", "age", 30.0, "admin", true, "tags", []any{"a", "b"}, "info", map[string]any{"city": "Oslo", "zip": 1000.0, "deep": map[string]any{"x": "1"}}, "best", core.Pointer{ClassName: "Person", ObjectID: "bob"}),
		obj("bob", "name", "Bob", "age", 25.0, "admin", false, "tags", []any{"b", "c", 1.0}, "info", map[string]any{"city": "Rome", "zip": 2000.0, "flag": true}),
		obj("cid", "name", "cid", "age", 35.5, "tags", []any{}, "info", map[string]any{"city": nil}),
		obj("dan", "name", "Dan\nDoe"),
	)
	return c
}

func testQuery(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := people(t, s)
	cases := []struct {
		name string
		e    core.Expr
		want []string
	}{
		{"nil where", nil, []string{"ann", "bob", "cid", "dan"}},
		{"eq string", core.Cmp{Field: "name", Op: core.OpEq, Value: "Bob"}, []string{"bob"}},
		{"eq objectId", core.Cmp{Field: "objectId", Op: core.OpEq, Value: "cid"}, []string{"cid"}},
		{"ne matches missing", core.Cmp{Field: "age", Op: core.OpNe, Value: 30.0}, []string{"bob", "cid", "dan"}},
		{"lt", core.Cmp{Field: "age", Op: core.OpLt, Value: 30.0}, []string{"bob"}},
		{"lte", core.Cmp{Field: "age", Op: core.OpLte, Value: 30.0}, []string{"ann", "bob"}},
		{"gt", core.Cmp{Field: "age", Op: core.OpGt, Value: 30.0}, []string{"cid"}},
		{"gte", core.Cmp{Field: "age", Op: core.OpGte, Value: 30.0}, []string{"ann", "cid"}},
		{"number eq integer-valued", core.Cmp{Field: "age", Op: core.OpEq, Value: 25.0}, []string{"bob"}},
		{"string order", core.Cmp{Field: "name", Op: core.OpGt, Value: "Bob"}, []string{"cid", "dan"}},
		{"eq null is missing", core.Cmp{Field: "admin", Op: core.OpEq, Value: nil}, []string{"cid", "dan"}},
		{"ne null is set", core.Cmp{Field: "admin", Op: core.OpNe, Value: nil}, []string{"ann", "bob"}},
		{"lt null matches nothing", core.Cmp{Field: "age", Op: core.OpLt, Value: nil}, nil},
		{"eq bool", core.Cmp{Field: "admin", Op: core.OpEq, Value: false}, []string{"bob"}},
		{"pointer", core.Cmp{Field: "best", Op: core.OpEq, Value: "bob"}, []string{"ann"}},
		{"path eq", core.Cmp{Field: "info", Path: []string{"city"}, Op: core.OpEq, Value: "Rome"}, []string{"bob"}},
		{"path number", core.Cmp{Field: "info", Path: []string{"zip"}, Op: core.OpGt, Value: 1500.0}, []string{"bob"}},
		{"path deep", core.Cmp{Field: "info", Path: []string{"deep", "x"}, Op: core.OpEq, Value: "1"}, []string{"ann"}},
		{"path bool", core.Cmp{Field: "info", Path: []string{"flag"}, Op: core.OpEq, Value: true}, []string{"bob"}},
		{"path null: missing or null", core.Cmp{Field: "info", Path: []string{"city"}, Op: core.OpEq, Value: nil}, []string{"cid", "dan"}},
		{"path ne null", core.Cmp{Field: "info", Path: []string{"city"}, Op: core.OpNe, Value: nil}, []string{"ann", "bob"}},
		{"array eq element", core.Cmp{Field: "tags", Op: core.OpEq, Value: "b"}, []string{"ann", "bob"}},
		{"in", core.In{Field: "name", Values: []any{"Ann", "cid", "zzz"}}, []string{"ann", "cid"}},
		{"in numbers", core.In{Field: "age", Values: []any{25.0, 35.5}}, []string{"bob", "cid"}},
		{"nin matches missing", core.In{Field: "age", Values: []any{25.0, 35.5}, Not: true}, []string{"ann", "dan"}},
		{"in with null", core.In{Field: "admin", Values: []any{true, nil}}, []string{"ann", "cid", "dan"}},
		{"in path", core.In{Field: "info", Path: []string{"city"}, Values: []any{"Oslo", "Rome"}}, []string{"ann", "bob"}},
		{"in on array intersects", core.In{Field: "tags", Values: []any{"c", "x"}}, []string{"bob"}},
		{"in on array numbers", core.In{Field: "tags", Values: []any{1.0}}, []string{"bob"}},
		{"nin on array", core.In{Field: "tags", Values: []any{"b"}, Not: true}, []string{"cid", "dan"}},
		{"in pointer", core.In{Field: "best", Values: []any{"bob", "x"}}, []string{"ann"}},
		{"in empty", core.In{Field: "name", Values: []any{}}, nil},
		{"nin empty", core.In{Field: "name", Values: []any{}, Not: true}, []string{"ann", "bob", "cid", "dan"}},
		{"exists", core.Exists{Field: "age", Exists: true}, []string{"ann", "bob", "cid"}},
		{"not exists", core.Exists{Field: "age", Exists: false}, []string{"dan"}},
		{"exists path", core.Exists{Field: "info", Path: []string{"zip"}, Exists: true}, []string{"ann", "bob"}},
		{"all", core.ArrayContains{Field: "tags", Values: []any{"b", "a"}}, []string{"ann"}},
		{"all one", core.ArrayContains{Field: "tags", Values: []any{"b"}}, []string{"ann", "bob"}},
		{"all mixed types", core.ArrayContains{Field: "tags", Values: []any{"c", 1.0}}, []string{"bob"}},
		{"all number is not string", core.ArrayContains{Field: "tags", Values: []any{"1"}}, nil},
		{"contained by", core.ArrayContainedBy{Field: "tags", Values: []any{"a", "b", "z"}}, []string{"ann", "cid"}},
		{"regex", core.Regex{Field: "name", Pattern: "^[AB]"}, []string{"ann", "bob"}},
		{"regex i", core.Regex{Field: "name", Pattern: "^c", Options: "i"}, []string{"cid"}},
		{"regex case-sensitive", core.Regex{Field: "name", Pattern: "^C"}, nil},
		{"regex m", core.Regex{Field: "name", Pattern: "^Doe$", Options: "m"}, []string{"dan"}},
		{"regex s", core.Regex{Field: "name", Pattern: "Dan.Doe", Options: "s"}, []string{"dan"}},
		{"regex without s", core.Regex{Field: "name", Pattern: "Dan.Doe"}, nil},
		{"regex x", core.Regex{Field: "name", Pattern: "^ A n n # a comment", Options: "x"}, []string{"ann"}},
		{"regex path", core.Regex{Field: "info", Path: []string{"city"}, Pattern: "^R"}, []string{"bob"}},
		{"text", core.Text{Field: "name", Search: "doe dan"}, []string{"dan"}},
		{"text all terms", core.Text{Field: "name", Search: "dan smith"}, nil},
		{"text case-sensitive", core.Text{Field: "name", Search: "doe", CaseSensitive: true}, nil},
		{"text regex characters are literal", core.Text{Field: "name", Search: "a.n"}, nil},
		{"and", core.And{Exprs: []core.Expr{core.Cmp{Field: "age", Op: core.OpGt, Value: 20.0}, core.Cmp{Field: "admin", Op: core.OpEq, Value: true}}}, []string{"ann"}},
		{"or", core.Or{Exprs: []core.Expr{core.Cmp{Field: "name", Op: core.OpEq, Value: "Ann"}, core.Exists{Field: "age", Exists: false}}}, []string{"ann", "dan"}},
		{"nor counts missing as no match", core.Nor{Exprs: []core.Expr{core.Cmp{Field: "age", Op: core.OpGt, Value: 26.0}, core.Cmp{Field: "name", Op: core.OpEq, Value: "Bob"}}}, []string{"dan"}},
		{"nested", core.Or{Exprs: []core.Expr{core.And{Exprs: []core.Expr{core.Cmp{Field: "age", Op: core.OpLt, Value: 31.0}, core.Regex{Field: "name", Pattern: "n"}}}, core.Cmp{Field: "objectId", Op: core.OpEq, Value: "cid"}}}, []string{"ann", "cid"}},
		{"empty and", core.And{}, []string{"ann", "bob", "cid", "dan"}},
		{"empty or", core.Or{}, nil},
		{"nothing", core.Nothing{}, nil},
		{"nothing in or", core.Or{Exprs: []core.Expr{core.Nothing{}, core.Cmp{Field: "name", Op: core.OpEq, Value: "Bob"}}}, []string{"bob"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			wantIDs(t, tc.name, find(t, s, c, where(tc.e)), tc.want...)
			n, err := s.Count(ctx(t), c, where(tc.e))
			if err != nil || n != int64(len(tc.want)) {
				t.Errorf("Count: %d, %v; want %d", n, err, len(tc.want))
			}
		})
	}
	t.Run("errors", func(t *testing.T) {
		_, err := s.Find(ctx(t), c, where(core.Regex{Field: "name", Pattern: "("}))
		wantCode(t, "invalid regex", err, core.CodeInvalidQuery)
		_, err = s.Find(ctx(t), c, where(core.Cmp{Field: "nope", Op: core.OpEq, Value: "x"}))
		wantCode(t, "unknown field", err, core.CodeInvalidQuery)
	})
}

func testOrderPage(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := people(t, s)
	q := func(order []core.OrderKey, limit, skip int) *core.Query {
		return &core.Query{Order: order, Limit: limit, Skip: skip}
	}
	asc := func(f string) core.OrderKey { return core.OrderKey{Field: f} }
	desc := func(f string) core.OrderKey { return core.OrderKey{Field: f, Desc: true} }
	wantOrder(t, "age asc, nulls first", find(t, s, c, q([]core.OrderKey{asc("age")}, -1, 0)), "dan", "bob", "ann", "cid")
	wantOrder(t, "age desc, nulls last", find(t, s, c, q([]core.OrderKey{desc("age")}, -1, 0)), "cid", "ann", "bob", "dan")
	wantOrder(t, "limit", find(t, s, c, q([]core.OrderKey{desc("age")}, 2, 0)), "cid", "ann")
	wantOrder(t, "skip+limit", find(t, s, c, q([]core.OrderKey{desc("age")}, 2, 1)), "ann", "bob")
	wantOrder(t, "skip without limit", find(t, s, c, q([]core.OrderKey{desc("age")}, -1, 3)), "dan")
	wantOrder(t, "skip past the end", find(t, s, c, q([]core.OrderKey{desc("age")}, 10, 10)))
	wantOrder(t, "limit 0", find(t, s, c, q([]core.OrderKey{desc("age")}, 0, 0)))
	wantOrder(t, "two keys", find(t, s, c, q([]core.OrderKey{desc("admin"), asc("name")}, -1, 0)), "ann", "bob", "dan", "cid") // "D" < "c"
	wantOrder(t, "objectId desc", find(t, s, c, q([]core.OrderKey{desc("objectId")}, -1, 0)), "dan", "cid", "bob", "ann")
	if len(find(t, s, c, q(nil, 3, 0))) != 3 {
		t.Errorf("limit without order")
	}
	n, err := s.Count(ctx(t), c, &core.Query{Limit: 1, Skip: 1, Order: []core.OrderKey{asc("age")}})
	if err != nil || n != 4 {
		t.Errorf("Count ignores limit and skip: %d, %v", n, err)
	}
	// Time order: createdAt.
	c2 := mustCreate(t, s, class("Ev", nil))
	for i := 0; i < 5; i++ {
		o := obj(str(i))
		o[core.FieldCreatedAt] = baseTime.Add(-time1ms(i))
		mustInsert(t, s, c2, o)
	}
	wantOrder(t, "createdAt asc", find(t, s, c2, q([]core.OrderKey{asc("createdAt")}, 3, 0)), "o004", "o003", "o002")
}

func testKeys(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := people(t, s)
	objs := find(t, s, c, &core.Query{Where: core.Cmp{Field: "objectId", Op: core.OpEq, Value: "ann"}, Keys: []string{"name", "info.city"}, Limit: -1})
	if len(objs) != 1 {
		t.Fatalf("got %d objects", len(objs))
	}
	o := objs[0]
	for _, k := range []string{"objectId", "createdAt", "updatedAt", "name", "info"} {
		if _, ok := o[k]; !ok {
			t.Errorf("key %q missing from %v", k, o)
		}
	}
	for _, k := range []string{"age", "tags", "admin", "best"} {
		if _, ok := o[k]; ok {
			t.Errorf("key %q returned though not asked for", k)
		}
	}
	objs = find(t, s, c, &core.Query{Keys: []string{}, Limit: -1})
	if len(objs) != 4 || len(objs[0]) > 4 {
		t.Errorf("empty Keys: %v", objs)
	}
}

func testDistinct(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := people(t, s)
	mustInsert(t, s, c, obj("eve", "name", "Ann", "age", 30.0, "tags", []any{"a", "z"}, "best", core.Pointer{ClassName: "Person", ObjectID: "bob"}))
	check := func(field string, q *core.Query, want ...any) {
		t.Helper()
		got, err := s.Distinct(ctx(t), c, field, q)
		if err != nil {
			t.Fatalf("Distinct(%s): %v", field, err)
		}
		if len(got) != len(want) {
			t.Errorf("Distinct(%s): got %v, want %v", field, got, want)
			return
		}
		for _, w := range want {
			found := false
			for _, g := range got {
				if jsonEqual(g, w) {
					found = true
				}
			}
			if !found {
				t.Errorf("Distinct(%s): got %v, missing %v", field, got, w)
			}
		}
	}
	check("name", where(nil), "Ann", "Bob", "cid", "Dan\nDoe")
	check("age", where(core.Cmp{Field: "age", Op: core.OpGte, Value: 30.0}), 30.0, 35.5)
	check("tags", where(nil), "a", "b", "c", 1.0, "z")
	check("tags", where(core.Cmp{Field: "name", Op: core.OpEq, Value: "Ann"}), "a", "b", "z")
	check("best", where(nil), core.Pointer{ClassName: "Person", ObjectID: "bob"})
}

func time1ms(i int) time.Duration { return time.Duration(i) * time.Millisecond }
