package parseimport

import (
	"reflect"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Values as PostgreSQL's row_to_json renders the columns Parse Server's
// adapter writes, for each type.
func TestFieldValues(t *testing.T) {
	at := time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC)
	cases := []struct {
		name string
		f    parseField
		in   any
		want any
		bad  bool
	}{
		{"string", parseField{Type: "String"}, "x", "x", false},
		{"number", parseField{Type: "Number"}, 42.0, 42.0, false},
		{"boolean", parseField{Type: "Boolean"}, true, true, false},
		{"date with offset", parseField{Type: "Date"}, "2024-05-06T07:08:09.123+00:00", at, false},
		{"date in another zone", parseField{Type: "Date"}, "2024-05-06T09:08:09.123+02:00", at, false},
		{"date without zone", parseField{Type: "Date"}, "2024-05-06T07:08:09.123", at, false},
		{"not a date", parseField{Type: "Date"}, "yesterday", nil, true},
		{"pointer", parseField{Type: "Pointer", TargetClass: "_User"}, "abc", core.Pointer{ClassName: "_User", ObjectID: "abc"}, false},
		{"pointer without a target", parseField{Type: "Pointer"}, "abc", nil, true},
		{"file", parseField{Type: "File"}, "f_a.png", core.File{Name: "f_a.png"}, false},
		{"geopoint (x is the longitude)", parseField{Type: "GeoPoint"}, "(121.4737,31.2304)", core.GeoPoint{Latitude: 31.2304, Longitude: 121.4737}, false},
		{"bad geopoint", parseField{Type: "GeoPoint"}, "(1;2)", nil, true},
		{"array", parseField{Type: "Array"}, []any{"a", 1.0}, []any{"a", 1.0}, false},
		{"object with a date inside", parseField{Type: "Object"}, map[string]any{"w": map[string]any{"__type": "Date", "iso": "2024-05-06T07:08:09.123Z"}},
			map[string]any{"w": map[string]any{"__type": "Date", "iso": "2024-05-06T07:08:09.123Z"}}, false},
		{"a number where the schema says String", parseField{Type: "String"}, 3.0, nil, true},
		{"relation has no column", parseField{Type: "Relation"}, "x", nil, false},
		{"unknown type", parseField{Type: ""}, "x", nil, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := fieldValue(tc.f, tc.in)
			if tc.bad {
				if err == nil {
					t.Fatalf("got %v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if gt, ok := got.(time.Time); ok {
				if !gt.Equal(tc.want.(time.Time)) {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
				return
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
	poly, err := fieldValue(parseField{Type: "Polygon"}, "((1,2),(3,4),(5,6))")
	if err != nil || !reflect.DeepEqual(poly, core.Polygon{{2, 1}, {4, 3}, {6, 5}}) {
		t.Errorf("polygon: %#v %v", poly, err)
	}
}

func TestACLOf(t *testing.T) {
	cases := []struct {
		r, w any
		want core.ACL
	}{
		{nil, nil, nil},
		{[]any{"*"}, []any{}, core.ACL{"*": {Read: true}}},
		{[]any{"u1", "role:Editors"}, []any{"u1"}, core.ACL{"u1": {Read: true, Write: true}, "role:Editors": {Read: true}}},
		{[]any{}, []any{}, core.ACL{}},
		{nil, []any{"u2"}, core.ACL{"u2": {Write: true}}},
	}
	for _, tc := range cases {
		if got := aclOf(tc.r, tc.w); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("aclOf(%v, %v) = %v, want %v", tc.r, tc.w, got, tc.want)
		}
	}
}
