package core

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// FormatTime writes its digits by hand; it must always agree with the
// layout it replaces, in and out of the years it handles itself.
func TestFormatTimeLikeLayout(t *testing.T) {
	times := []time.Time{
		{}, time.Unix(0, 0), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2024, 2, 29, 7, 8, 9, 1000000, time.FixedZone("x", 5*3600+1800)),
		time.Date(1, 1, 1, 0, 0, 0, 999999, time.UTC),
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 2000 {
		times = append(times, time.UnixMilli(r.Int64N(400e9)-100e9).Add(time.Duration(r.IntN(1e6))).In(time.FixedZone("z", r.IntN(86400)-43200)))
	}
	for _, tm := range times {
		if got, want := FormatTime(tm), tm.UTC().Format("2006-01-02T15:04:05.000Z"); got != want {
			t.Errorf("FormatTime(%v) = %q, want %q", tm, got, want)
		}
	}
}

// encodeOwned turns the store's object into its reply in place; it must
// give what EncodeObject gives on a copy.
func TestEncodeOwnedLikeEncodeObject(t *testing.T) {
	c := &Class{Name: "Doc", Fields: map[string]Field{"rel": {Type: TypeRelation, TargetClass: "Other"}, "p": {Type: TypePointer, TargetClass: "Other"}}}
	now := time.Date(2026, 12, 6, 7, 30, 39, 123000000, time.UTC)
	obj := func() Object {
		return Object{FieldObjectID: "abcdefghij", FieldCreatedAt: now, FieldUpdatedAt: now, FieldACL: ACL{"*": {Read: true}},
			"p": Pointer{ClassName: "Other", ObjectID: "x"}, "n": 1.5, "gone": nil, "_hashed_password": "secret", "tags": []any{"a"}}
	}
	want := EncodeObject(c, obj())
	got := encodeOwned(c, obj())
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("encodeOwned = %v\nEncodeObject = %v", got, want)
	}
	if _, ok := got["_hashed_password"]; ok {
		t.Error("an internal field was kept")
	}
	noACL := obj()
	noACL[FieldACL] = ACL(nil)
	if _, ok := encodeOwned(c, noACL)[FieldACL]; ok {
		t.Error("a nil ACL was kept")
	}
}
