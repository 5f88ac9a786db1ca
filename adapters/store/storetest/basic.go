package storetest

import (
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

func testSchema(t *testing.T, open func(t *testing.T) core.Store) {
	t.Run("CreateListDuplicate", func(t *testing.T) {
		s := open(t)
		c := class("Game", map[string]string{"score": "Number", "name": "String", "owner": "Pointer:_User", "fans": "Relation:_User"})
		c.CLP = map[string]any{"find": map[string]any{"*": true}}
		c.Indexes["score_1"] = core.Index{Keys: []core.IndexKey{{Field: "score"}}}
		mustCreate(t, s, c)
		wantCode(t, "second CreateClass", s.CreateClass(ctx(t), class("Game", nil)), core.CodeDuplicateValue)
		all, err := s.Schemas(ctx(t))
		if err != nil {
			t.Fatal(err)
		}
		if len(all) != 1 || all[0].Name != "Game" {
			t.Fatalf("Schemas: got %d classes %v, want [Game]", len(all), all)
		}
		got := all[0]
		for name, f := range c.Fields {
			if got.Fields[name] != f {
				t.Errorf("field %s: got %+v, want %+v", name, got.Fields[name], f)
			}
		}
		if !jsonEqual(got.CLP, c.CLP) {
			t.Errorf("CLP: got %v, want %v", got.CLP, c.CLP)
		}
		if ix, ok := got.Indexes["score_1"]; !ok || len(ix.Keys) != 1 || ix.Keys[0].Field != "score" {
			t.Errorf("indexes: got %+v", got.Indexes)
		}
	})
	t.Run("AddDropFields", func(t *testing.T) {
		s := open(t)
		c := mustCreate(t, s, class("Item", map[string]string{"a": "String", "b": "Number", "rel": "Relation:Item"}))
		mustInsert(t, s, c, obj("i1", "a", "x", "b", 1.0))
		if _, err := s.Update(ctx(t), c, "i1", nil, nil, core.Update{"rel": core.AddRelation{IDs: []string{"i1"}}}); err != nil {
			t.Fatal(err)
		}
		n := c.Clone()
		delete(n.Fields, "b")
		delete(n.Fields, "rel")
		n.Fields["c"] = core.Field{Type: core.TypeBoolean}
		n.Fields["tags"] = core.Field{Type: core.TypeArray}
		n.CLP = map[string]any{"get": map[string]any{"*": true}}
		if err := s.UpdateClass(ctx(t), c, n); err != nil {
			t.Fatalf("UpdateClass: %v", err)
		}
		o := get(t, s, n, "i1")
		if _, ok := o["b"]; ok {
			t.Errorf("dropped field b still returned: %v", o)
		}
		wantValue(t, "kept field a", o["a"], "x")
		mustInsert(t, s, n, obj("i2", "a", "y", "c", true, "tags", []any{"t"}))
		wantValue(t, "new field c", get(t, s, n, "i2")["c"], true)
		// Dropping and re-adding a field starts it empty.
		n2 := n.Clone()
		n2.Fields["b"] = core.Field{Type: core.TypeString}
		n2.Fields["rel"] = core.Field{Type: core.TypeRelation, TargetClass: "Item"}
		if err := s.UpdateClass(ctx(t), n, n2); err != nil {
			t.Fatalf("UpdateClass re-add: %v", err)
		}
		if v, ok := get(t, s, n2, "i1")["b"]; ok {
			t.Errorf("re-added field b has old data %v", v)
		}
		wantIDs(t, "re-added relation is empty", find(t, s, n2, where(core.RelatedTo{Owner: core.Pointer{ClassName: "Item", ObjectID: "i1"}, Key: "rel"})))
		all, _ := s.Schemas(ctx(t))
		if len(all) != 1 || all[0].Fields["b"].Type != core.TypeString || !jsonEqual(all[0].CLP, n.CLP) {
			t.Errorf("stored schema not updated: %+v", all)
		}
	})
	t.Run("UniqueIndex", func(t *testing.T) {
		s := open(t)
		c := mustCreate(t, s, class("_User", map[string]string{"username": "String", "email": "String"}))
		mustInsert(t, s, c, obj("u1", "username", "ann", "email", "a@x"), obj("u2", "username", "bob", "email", "a@x"))
		n := c.Clone()
		n.Indexes = map[string]core.Index{"username_1": {Keys: []core.IndexKey{{Field: "username"}}, Unique: true}}
		if err := s.UpdateClass(ctx(t), c, n); err != nil {
			t.Fatalf("adding unique index: %v", err)
		}
		wantCode(t, "insert duplicate username", s.Insert(ctx(t), n, obj("u3", "username", "ann")), core.CodeDuplicateValue)
		_, err := s.Update(ctx(t), n, "u2", nil, nil, core.Update{"username": core.Set{Value: "ann"}})
		wantCode(t, "update to duplicate username", err, core.CodeDuplicateValue)
		wantValue(t, "u2 unchanged", get(t, s, n, "u2")["username"], "bob")
		// A unique index over duplicate data fails with 137 and changes nothing.
		n2 := n.Clone()
		n2.Indexes["email_1"] = core.Index{Keys: []core.IndexKey{{Field: "email"}}, Unique: true}
		wantCode(t, "unique index on duplicates", s.UpdateClass(ctx(t), n, n2), core.CodeDuplicateValue)
		all, _ := s.Schemas(ctx(t))
		if _, ok := all[0].Indexes["email_1"]; ok {
			t.Errorf("failed index was recorded in the schema")
		}
		// Dropping the index allows duplicates again.
		n3 := n.Clone()
		n3.Indexes = map[string]core.Index{}
		if err := s.UpdateClass(ctx(t), n, n3); err != nil {
			t.Fatal(err)
		}
		mustInsert(t, s, n3, obj("u3", "username", "ann"))
	})
	t.Run("DeleteClass", func(t *testing.T) {
		s := open(t)
		c := mustCreate(t, s, class("Box", map[string]string{"n": "Number", "items": "Relation:Box"}))
		mustInsert(t, s, c, obj("b1", "n", 1.0))
		if _, err := s.Update(ctx(t), c, "b1", nil, nil, core.Update{"items": core.AddRelation{IDs: []string{"b1"}}}); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteClass(ctx(t), "Box"); err != nil {
			t.Fatalf("DeleteClass: %v", err)
		}
		if all, _ := s.Schemas(ctx(t)); len(all) != 0 {
			t.Fatalf("Schemas after delete: %v", all)
		}
		// The class, its rows and its relation tables are gone: it can be
		// created again empty, with the same relation.
		c = mustCreate(t, s, class("Box", map[string]string{"n": "String", "items": "Relation:Box"}))
		wantIDs(t, "rows after re-create", find(t, s, c, where(nil)))
		wantIDs(t, "relation after re-create", find(t, s, c, where(core.RelatedTo{Owner: core.Pointer{ClassName: "Box", ObjectID: "b1"}, Key: "items"})))
	})
}

func allTypesClass() *core.Class {
	return class("All", map[string]string{
		"s": "String", "n": "Number", "b": "Boolean", "d": "Date", "o": "Object", "a": "Array",
		"p": "Pointer:Other", "g": "GeoPoint", "poly": "Polygon", "bytes": "Bytes", "f": "File",
	})
}

func testValues(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := mustCreate(t, s, allTypesClass())
	d := time.Date(2023, 12, 31, 23, 59, 59, 123_000_000, time.UTC)
	full := obj("v1",
		"s", "héllo \"world\" ✓", "n", 3.25, "b", true, "d", d,
		"o", map[string]any{"k": "v", "n": 1.5, "nested": map[string]any{"x": []any{1.0, "y"}}, "t": true, "z": nil},
		"a", []any{"x", 2.0, false, map[string]any{"__type": "Pointer", "className": "Other", "objectId": "o1"}},
		"p", core.Pointer{ClassName: "Other", ObjectID: "o1"},
		"g", core.GeoPoint{Latitude: 40.5, Longitude: -73.25},
		"poly", core.Polygon{{0, 0}, {0, 1}, {1, 1}, {1, 0}},
		"bytes", core.Bytes{Base64: "aGVsbG8="},
		"f", core.File{Name: "a.txt", URL: "http://files/a.txt"},
		core.FieldACL, core.ACL{"*": {Read: true}, "u1": {Read: true, Write: true}, "role:admin": {Write: true}},
	)
	full[core.FieldCreatedAt] = d
	full[core.FieldUpdatedAt] = d.Add(time.Millisecond)
	mustInsert(t, s, c, full, obj("v2", "n", 0.0, "b", false, "s", "", "a", []any{}, "o", map[string]any{}))
	got := get(t, s, c, "v1")
	for k, want := range full {
		wantValue(t, "v1."+k, got[k], want)
	}
	if len(got) != len(full) {
		t.Errorf("v1 has %d keys, want %d: %v", len(got), len(full), got)
	}
	got = get(t, s, c, "v2")
	for k, want := range map[string]any{"n": 0.0, "b": false, "s": "", "a": []any{}, "o": map[string]any{}} {
		wantValue(t, "v2."+k, got[k], want)
	}
	for _, k := range []string{"d", "p", "g", "f", core.FieldACL} {
		if v, ok := got[k]; ok {
			t.Errorf("v2.%s unset but returned as %v", k, v)
		}
	}
	// Dates keep milliseconds and compare as times.
	wantIDs(t, "date equality", find(t, s, c, where(core.Cmp{Field: "d", Op: core.OpEq, Value: d})), "v1")
	wantIDs(t, "createdAt range", find(t, s, c, where(core.Cmp{Field: core.FieldCreatedAt, Op: core.OpLt, Value: d.Add(time.Millisecond)})), "v1")
	wantIDs(t, "pointer equality", find(t, s, c, where(core.Cmp{Field: "p", Op: core.OpEq, Value: "o1"})), "v1")
	wantIDs(t, "pointer equality as Pointer", find(t, s, c, where(core.Cmp{Field: "p", Op: core.OpEq, Value: core.Pointer{ClassName: "Other", ObjectID: "o1"}})), "v1")
	wantIDs(t, "number equality", find(t, s, c, where(core.Cmp{Field: "n", Op: core.OpEq, Value: 3.25})), "v1")
	wantIDs(t, "boolean equality", find(t, s, c, where(core.Cmp{Field: "b", Op: core.OpEq, Value: false})), "v2")
}

func testCRUD(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	c := mustCreate(t, s, class("Note", map[string]string{"text": "String", "n": "Number"}))
	mustInsert(t, s, c, obj("n1", "text", "a", "n", 1.0), obj("n2", "text", "b", "n", 2.0))
	wantCode(t, "duplicate objectId", s.Insert(ctx(t), c, obj("n1", "text", "again")), core.CodeDuplicateValue)
	wantValue(t, "first insert kept", get(t, s, c, "n1")["text"], "a")
	wantCode(t, "insert of an unknown field", s.Insert(ctx(t), c, obj("n9", "nope", "x")), core.CodeInvalidKeyName)

	later := baseTime.Add(time.Hour)
	o, err := s.Update(ctx(t), c, "n1", nil, nil, core.Update{"text": core.Set{Value: "A"}, core.FieldUpdatedAt: core.Set{Value: later}})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	wantValue(t, "Update returns new text", o["text"], "A")
	wantValue(t, "Update returns untouched field", o["n"], 1.0)
	wantValue(t, "Update returns updatedAt", o[core.FieldUpdatedAt], later)
	wantValue(t, "Update keeps createdAt", o[core.FieldCreatedAt], baseTime)
	wantValue(t, "stored", get(t, s, c, "n1")["text"], "A")

	_, err = s.Update(ctx(t), c, "nope", nil, nil, core.Update{"text": core.Set{Value: "x"}})
	wantCode(t, "Update of a missing object", err, core.CodeObjectNotFound)
	_, err = s.Update(ctx(t), c, "n2", core.Cmp{Field: "n", Op: core.OpGt, Value: 5.0}, nil, core.Update{"text": core.Set{Value: "x"}})
	wantCode(t, "Update whose where does not match", err, core.CodeObjectNotFound)
	if _, err := s.Update(ctx(t), c, "n2", core.Cmp{Field: "n", Op: core.OpEq, Value: 2.0}, nil, core.Update{"text": core.Set{Value: "B"}}); err != nil {
		t.Errorf("Update whose where matches: %v", err)
	}

	n, err := s.Delete(ctx(t), c, core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: "nope"}, nil)
	if err != nil || n != 0 {
		t.Errorf("Delete of nothing: %d, %v", n, err)
	}
	mustInsert(t, s, c, obj("n3", "n", 3.0))
	n, err = s.Delete(ctx(t), c, core.Cmp{Field: "n", Op: core.OpGte, Value: 2.0}, nil)
	if err != nil || n != 2 {
		t.Errorf("Delete n >= 2: %d, %v; want 2", n, err)
	}
	wantIDs(t, "after delete", find(t, s, c, where(nil)), "n1")
	cnt, err := s.Count(ctx(t), c, where(nil))
	if err != nil || cnt != 1 {
		t.Errorf("Count: %d, %v; want 1", cnt, err)
	}
	// A deleted id may be used again.
	mustInsert(t, s, c, obj("n2", "text", "again"))
	wantValue(t, "reinserted", get(t, s, c, "n2")["text"], "again")
}
