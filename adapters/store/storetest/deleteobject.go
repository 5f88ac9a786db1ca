package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// testDeleteObject: DeleteObject returns the object it deleted, whole, so
// that triggers and change events can see it; it honours where and the
// write ACL like Update, and takes the relation rows and ACL readers along.
func testDeleteObject(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	users := mustCreate(t, s, class("_User", map[string]string{"username": "String"}))
	c := mustCreate(t, s, class("Doc", map[string]string{
		"title": "String", "n": "Number", "when": "Date", "tags": "Array", "meta": "Object",
		"owner": "Pointer:_User", "fans": "Relation:_User",
	}))
	mustInsert(t, s, users, obj("u1", "username", "ada"))
	when := time.Date(2026, 1, 2, 3, 4, 5, 6_000_000, time.UTC)
	acl := core.ACL{"u1": {Read: true, Write: true}}
	mustInsert(t, s, c,
		obj("d1", "title", "one", "n", 1.0, "when", when, "tags", []any{"a", "b"}, "meta", map[string]any{"k": "v"},
			"owner", core.Pointer{ClassName: "_User", ObjectID: "u1"}, core.FieldACL, acl),
		obj("d2", "title", "two", "n", 2.0))
	if _, err := s.Update(ctx(t), c, "d1", nil, nil, core.Update{"fans": core.AddRelation{IDs: []string{"u1"}}}); err != nil {
		t.Fatalf("relation update: %v", err)
	}

	_, err := s.DeleteObject(ctx(t), c, "nope", nil, nil)
	wantCode(t, "DeleteObject of a missing object", err, core.CodeObjectNotFound)
	_, err = s.DeleteObject(ctx(t), c, "d1", core.Cmp{Field: "n", Op: core.OpGt, Value: 5.0}, nil)
	wantCode(t, "DeleteObject whose where does not match", err, core.CodeObjectNotFound)
	_, err = s.DeleteObject(ctx(t), c, "d1", nil, []string{"*", "u2"})
	wantCode(t, "DeleteObject by a principal that may not write", err, core.CodeObjectNotFound)
	wantIDs(t, "nothing deleted yet", find(t, s, c, where(nil)), "d1", "d2")

	gone, err := s.DeleteObject(ctx(t), c, "d1", core.Cmp{Field: "n", Op: core.OpEq, Value: 1.0}, []string{"*", "u1"})
	if err != nil {
		t.Fatalf("DeleteObject: %v", err)
	}
	wantValue(t, "deleted objectId", gone.ID(), "d1")
	wantValue(t, "deleted title", gone["title"], "one")
	wantValue(t, "deleted number", gone["n"], 1.0)
	wantValue(t, "deleted date", gone["when"], when)
	wantValue(t, "deleted array", gone["tags"], []any{"a", "b"})
	wantValue(t, "deleted object", gone["meta"], map[string]any{"k": "v"})
	wantValue(t, "deleted pointer", gone["owner"], core.Pointer{ClassName: "_User", ObjectID: "u1"})
	wantValue(t, "deleted ACL", gone[core.FieldACL], acl)
	if _, ok := gone[core.FieldCreatedAt].(time.Time); !ok {
		t.Errorf("deleted createdAt = %#v, want a time", gone[core.FieldCreatedAt])
	}
	wantIDs(t, "after DeleteObject", find(t, s, c, where(nil)), "d2")
	wantIDs(t, "no reader row left for u1", find(t, s, c, &core.Query{Limit: -1, ReadACL: []string{"*", "u1"}}), "d2")
	wantIDs(t, "no relation row left", find(t, s, c, where(core.RelationContains{Field: "fans", IDs: []string{"u1"}})))
	_, err = s.DeleteObject(ctx(t), c, "d1", nil, nil)
	wantCode(t, "DeleteObject twice", err, core.CodeObjectNotFound)

	// Inside a transaction, a rolled-back DeleteObject leaves the object.
	err = s.Tx(ctx(t), func(ctx2 context.Context, tx core.Store) error {
		if _, err := tx.DeleteObject(ctx2, c, "d2", nil, nil); err != nil {
			return err
		}
		return core.Errorf(core.CodeOtherCause, "roll back")
	})
	wantCode(t, "rolled-back transaction", err, core.CodeOtherCause)
	wantIDs(t, "after the rollback", find(t, s, c, where(nil)), "d2")
}
