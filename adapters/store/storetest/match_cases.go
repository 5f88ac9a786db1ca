package storetest

import (
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// The shared table of where trees that proves that the in-memory matcher
// (core.CompileMatcher, which LiveQuery runs on every change) and the
// stores agree. RunMatchCases runs each case through a store's Find and
// through the matcher, on the objects as written (what a change event
// carries) and as the store reads them back; all three must give the ids
// the case lists.
//
// Cases where SQLite and PostgreSQL disagree with each other are left out
// and the matcher follows MongoDB there (see core/match.go): an order
// between values of different JSON types under an Object path, a boolean
// compared with a number, a regular expression on a boolean or an object
// under a path.

// MatchCase is one where tree and the ids of MatchObjects it selects.
type MatchCase struct {
	Name  string
	Where core.Expr
	Want  []string
}

// MatchClass is the class of MatchObjects: one field of every type.
func MatchClass() *core.Class {
	return class("Match", map[string]string{
		"name": "String", "n": "Number", "flag": "Boolean", "when": "Date", "tags": "Array",
		"info": "Object", "owner": "Pointer:_User", "loc": "GeoPoint", "area": "Polygon",
		"data": "Bytes", "doc": "File", "fans": "Relation:_User",
	})
}

func day(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t.UTC()
}

func userPtr(id string) core.Pointer { return core.Pointer{ClassName: "_User", ObjectID: id} }

func userPtrJSON(id string) map[string]any {
	return map[string]any{"__type": "Pointer", "className": "_User", "objectId": id}
}

func geo(lat, lng float64) core.GeoPoint { return core.GeoPoint{Latitude: lat, Longitude: lng} }

// MatchObjects is the data set the cases select from. Each call returns
// fresh objects.
func MatchObjects() []core.Object {
	return []core.Object{
		obj("a", "name", "Ann", "n", 1.0, "flag", true, "when", day("2024-01-01T00:00:00Z"),
			"tags", []any{"x", "y"},
			"info", map[string]any{"city": "Oslo", "zip": 1000.0, "deep": map[string]any{"k": "v"}, "on": true, "list": []any{1.0, 2.0}},
			"owner", userPtr("u1"), "loc", geo(59.91, 10.75), "area", core.Polygon{{-1, -1}, {-1, 1}, {1, 1}, {1, -1}},
			"data", core.Bytes{Base64: "AAEC"}, "doc", core.File{Name: "a.txt", URL: "http://files/a.txt"}),
		obj("b", "name", "bob", "n", 2.5, "flag", false, "when", day("2024-06-01T12:00:00.123Z"),
			"tags", []any{"y", "z", 3.0, userPtrJSON("u1")},
			"info", map[string]any{"city": "Rome", "zip": 2000.0, "code": "2000", "on": false},
			"owner", userPtr("u2"), "loc", geo(41.9, 12.5), "area", core.Polygon{{10, 10}, {10, 12}, {12, 11}},
			"data", core.Bytes{Base64: "BBBB"}, "doc", core.File{Name: "b.txt", URL: "http://files/b.txt"}),
		obj("c", "name", "Cé", "n", -3.0, "when", day("2023-12-31T23:59:59.999Z"),
			"tags", []any{}, "info", map[string]any{"city": nil, "zip": 1000.5},
			"loc", geo(-33.87, 151.21)),
		obj("d"),
		obj("e", "name", "dan\nDoe", "n", 0.0, "flag", true,
			"tags", []any{[]any{1.0, 2.0}, map[string]any{"a": 1.0}, nil},
			"info", map[string]any{"code": "1000", "deep": map[string]any{"k": "w"}},
			"owner", userPtr("u1"), "loc", geo(-17.7, 179.5)),
		obj("f", "name", "", "n", 1e6, "tags", []any{"x"}, "info", map[string]any{},
			"loc", geo(0.5, -179.5)),
	}
}

// MatchCases returns the shared table.
func MatchCases() []MatchCase {
	type E = core.Expr
	cmp := func(f string, op core.CmpOp, v any) E { return core.Cmp{Field: f, Op: op, Value: v} }
	path := func(f, p string, op core.CmpOp, v any) E {
		return core.Cmp{Field: f, Path: []string{p}, Op: op, Value: v}
	}
	in := func(f string, not bool, vals ...any) E { return core.In{Field: f, Values: vals, Not: not} }
	and := func(es ...E) E { return core.And{Exprs: es} }
	or := func(es ...E) E { return core.Or{Exprs: es} }
	nor := func(es ...E) E { return core.Nor{Exprs: es} }
	const km = 1 / 6371.0
	all := []string{"a", "b", "c", "d", "e", "f"}
	return []MatchCase{
		{"no constraint", nil, all},
		{"nothing", core.Nothing{}, nil},
		{"empty and", core.And{}, all},
		{"empty or", core.Or{}, nil},
		{"empty nor", core.Nor{}, all},

		// Strings, byte-wise.
		{"string eq", cmp("name", core.OpEq, "Ann"), []string{"a"}},
		{"string eq is case-sensitive", cmp("name", core.OpEq, "ann"), nil},
		{"string eq empty string", cmp("name", core.OpEq, ""), []string{"f"}},
		{"string ne matches missing", cmp("name", core.OpNe, "Ann"), []string{"b", "c", "d", "e", "f"}},
		{"string lt byte order", cmp("name", core.OpLt, "a"), []string{"a", "c", "f"}},
		{"string gte", cmp("name", core.OpGte, "bob"), []string{"b", "e"}},
		{"string gt non-ASCII", cmp("name", core.OpGt, "Cz"), []string{"b", "c", "e"}},
		{"objectId in", in("objectId", false, "a", "e", "zz"), []string{"a", "e"}},

		// Numbers.
		{"number eq", cmp("n", core.OpEq, 2.5), []string{"b"}},
		{"number eq zero", cmp("n", core.OpEq, 0.0), []string{"e"}},
		{"number lt", cmp("n", core.OpLt, 1.0), []string{"c", "e"}},
		{"number lte", cmp("n", core.OpLte, 1.0), []string{"a", "c", "e"}},
		{"number gt big", cmp("n", core.OpGt, 1000.0), []string{"f"}},
		{"number ne matches missing", cmp("n", core.OpNe, 1.0), []string{"b", "c", "d", "e", "f"}},
		{"number in", in("n", false, 1.0, -3.0, 7.0), []string{"a", "c"}},
		{"number nin matches missing", in("n", true, 1.0, -3.0), []string{"b", "d", "e", "f"}},

		// Booleans: false before true.
		{"bool eq true", cmp("flag", core.OpEq, true), []string{"a", "e"}},
		{"bool eq false", cmp("flag", core.OpEq, false), []string{"b"}},
		{"bool ne true matches missing", cmp("flag", core.OpNe, true), []string{"b", "c", "d", "f"}},
		{"bool gt false", cmp("flag", core.OpGt, false), []string{"a", "e"}},

		// Null semantics.
		{"eq null is missing", cmp("flag", core.OpEq, nil), []string{"c", "d", "f"}},
		{"ne null is set", cmp("flag", core.OpNe, nil), []string{"a", "b", "e"}},
		{"lt null matches nothing", cmp("n", core.OpLt, nil), nil},
		{"in with null matches missing", in("flag", false, true, nil), []string{"a", "c", "d", "e", "f"}},
		{"in only null", in("flag", false, nil), []string{"c", "d", "f"}},
		{"nin with null excludes missing", in("flag", true, true, nil), []string{"b"}},
		{"nin only null", in("flag", true, nil), []string{"a", "b", "e"}},
		{"exists", core.Exists{Field: "n", Exists: true}, []string{"a", "b", "c", "e", "f"}},
		{"not exists", core.Exists{Field: "n", Exists: false}, []string{"d"}},
		{"exists empty array", core.Exists{Field: "tags", Exists: true}, []string{"a", "b", "c", "e", "f"}},
		{"exists empty string", core.Exists{Field: "name", Exists: true}, []string{"a", "b", "c", "e", "f"}},

		// Dates, to the millisecond.
		{"date eq", cmp("when", core.OpEq, day("2024-06-01T12:00:00.123Z")), []string{"b"}},
		{"date eq needs the milliseconds", cmp("when", core.OpEq, day("2024-06-01T12:00:00Z")), nil},
		{"date lt", cmp("when", core.OpLt, day("2024-01-01T00:00:00Z")), []string{"c"}},
		{"date gte", cmp("when", core.OpGte, day("2024-01-01T00:00:00Z")), []string{"a", "b"}},
		{"date gt by one ms", cmp("when", core.OpGt, day("2023-12-31T23:59:59.998Z")), []string{"a", "b", "c"}},
		{"date in", in("when", false, day("2024-01-01T00:00:00Z"), day("2000-01-01T00:00:00Z")), []string{"a"}},
		{"date ne matches missing", cmp("when", core.OpNe, day("2024-01-01T00:00:00Z")), []string{"b", "c", "d", "e", "f"}},
		{"createdAt", cmp("createdAt", core.OpEq, baseTime), all},
		{"updatedAt lt", cmp("updatedAt", core.OpLt, baseTime), nil},

		// Pointers, by objectId.
		{"pointer eq", cmp("owner", core.OpEq, "u1"), []string{"a", "e"}},
		{"pointer ne", cmp("owner", core.OpNe, "u1"), []string{"b", "c", "d", "f"}},
		{"pointer to another class", cmp("owner", core.OpEq, "Team$u1"), nil},
		{"pointer in", in("owner", false, "u2", "u9"), []string{"b"}},
		{"pointer nin", in("owner", true, "u2"), []string{"a", "c", "d", "e", "f"}},
		{"pointer missing", cmp("owner", core.OpEq, nil), []string{"c", "d", "f"}},

		// Bytes and files.
		{"bytes eq", cmp("data", core.OpEq, core.Bytes{Base64: "AAEC"}), []string{"a"}},
		{"bytes ne", cmp("data", core.OpNe, core.Bytes{Base64: "AAEC"}), []string{"b", "c", "d", "e", "f"}},
		{"file eq", cmp("doc", core.OpEq, core.File{Name: "b.txt", URL: "http://files/b.txt"}), []string{"b"}},
		{"file eq needs the url", cmp("doc", core.OpEq, core.File{Name: "b.txt"}), nil},

		// Arrays.
		{"array eq element", cmp("tags", core.OpEq, "y"), []string{"a", "b"}},
		{"array eq number element", cmp("tags", core.OpEq, 3.0), []string{"b"}},
		{"array element types are strict", cmp("tags", core.OpEq, "3"), nil},
		{"array eq pointer element", cmp("tags", core.OpEq, userPtrJSON("u1")), []string{"b"}},
		{"array eq object element", cmp("tags", core.OpEq, map[string]any{"a": 1.0}), []string{"e"}},
		{"array eq whole array", cmp("tags", core.OpEq, []any{[]any{1.0, 2.0}, map[string]any{"a": 1.0}, nil}), []string{"e"}},
		{"array ne element matches missing", cmp("tags", core.OpNe, "y"), []string{"c", "d", "e", "f"}},
		{"array ne whole array", cmp("tags", core.OpNe, []any{"x"}), []string{"a", "b", "c", "d", "e"}},
		{"array in", in("tags", false, "z", "x"), []string{"a", "b", "f"}},
		{"array in null element", in("tags", false, nil), []string{"e"}},
		{"array in nested array", in("tags", false, []any{1.0, 2.0}), []string{"e"}},
		{"array nin", in("tags", true, "x"), []string{"b", "c", "d", "e"}},
		{"all", core.ArrayContains{Field: "tags", Values: []any{"y", "x"}}, []string{"a"}},
		{"all mixed", core.ArrayContains{Field: "tags", Values: []any{3.0, userPtrJSON("u1")}}, []string{"b"}},
		{"all empty list", core.ArrayContains{Field: "tags", Values: []any{}}, nil},
		{"all of pointer as Go value", core.ArrayContains{Field: "tags", Values: []any{userPtrJSON("u1")}}, []string{"b"}},
		{"contained by", core.ArrayContainedBy{Field: "tags", Values: []any{"x", "y", "q"}}, []string{"a", "c", "f"}},
		{"contained by empty list", core.ArrayContainedBy{Field: "tags", Values: []any{}}, []string{"c"}},
		{"contained by objects", core.ArrayContainedBy{Field: "tags", Values: []any{map[string]any{"a": 1.0}, []any{1.0, 2.0}, nil}}, []string{"c", "e"}},
		{"array equal as sets", and(core.ArrayContains{Field: "tags", Values: []any{"y", "x"}}, core.ArrayContainedBy{Field: "tags", Values: []any{"y", "x"}}), []string{"a"}},

		// Objects and paths inside them.
		{"object eq whole", cmp("info", core.OpEq, map[string]any{}), []string{"f"}},
		{"object eq whole, keys in any order", cmp("info", core.OpEq, map[string]any{"deep": map[string]any{"k": "w"}, "code": "1000"}), []string{"e"}},
		{"path string", path("info", "city", core.OpEq, "Rome"), []string{"b"}},
		{"path number", path("info", "zip", core.OpEq, 1000.0), []string{"a"}},
		{"path string", path("info", "code", core.OpEq, "1000"), []string{"e"}},
		{"path string is not a number", path("info", "code", core.OpEq, 1000.0), nil},
		{"path number is not a string", path("info", "zip", core.OpEq, "1000"), nil},
		{"path lt number", path("info", "zip", core.OpLt, 1500.0), []string{"a", "c"}},
		{"path gte number", path("info", "zip", core.OpGte, 1000.5), []string{"b", "c"}},
		{"path gt string", path("info", "city", core.OpGt, "P"), []string{"b"}},
		{"path bool", path("info", "on", core.OpEq, true), []string{"a"}},
		{"path bool false", path("info", "on", core.OpEq, false), []string{"b"}},
		{"path null is missing or null", path("info", "city", core.OpEq, nil), []string{"c", "d", "e", "f"}},
		{"path ne null", path("info", "city", core.OpNe, nil), []string{"a", "b"}},
		{"path ne matches missing", path("info", "city", core.OpNe, "Oslo"), []string{"b", "c", "d", "e", "f"}},
		{"path deep", core.Cmp{Field: "info", Path: []string{"deep", "k"}, Op: core.OpEq, Value: "w"}, []string{"e"}},
		{"path through a non-object", core.Cmp{Field: "info", Path: []string{"city", "x"}, Op: core.OpEq, Value: nil}, all},
		{"path in", core.In{Field: "info", Path: []string{"city"}, Values: []any{"Oslo", "Paris"}}, []string{"a"}},
		{"path in with null", core.In{Field: "info", Path: []string{"city"}, Values: []any{"Oslo", nil}}, []string{"a", "c", "d", "e", "f"}},
		{"path nin", core.In{Field: "info", Path: []string{"city"}, Values: []any{"Oslo"}, Not: true}, []string{"b", "c", "d", "e", "f"}},
		{"path exists", core.Exists{Field: "info", Path: []string{"zip"}, Exists: true}, []string{"a", "b", "c"}},
		{"path exists, JSON null is not", core.Exists{Field: "info", Path: []string{"city"}, Exists: true}, []string{"a", "b"}},
		{"path not exists", core.Exists{Field: "info", Path: []string{"deep"}, Exists: false}, []string{"b", "c", "d", "f"}},
		{"path lt string", path("info", "city", core.OpLt, "Oz"), []string{"a"}},

		// Regular expressions.
		{"regex", core.Regex{Field: "name", Pattern: "^[Aa]"}, []string{"a"}},
		{"regex i", core.Regex{Field: "name", Pattern: "^b", Options: "i"}, []string{"b"}},
		{"regex unicode", core.Regex{Field: "name", Pattern: "é$"}, []string{"c"}},
		{"regex m", core.Regex{Field: "name", Pattern: "^Doe$", Options: "m"}, []string{"e"}},
		{"regex without m", core.Regex{Field: "name", Pattern: "^Doe$"}, nil},
		{"regex s", core.Regex{Field: "name", Pattern: "n.D", Options: "s"}, []string{"e"}},
		{"regex without s", core.Regex{Field: "name", Pattern: "n.D"}, nil},
		{"regex x", core.Regex{Field: "name", Pattern: "^ b o b $ # bob", Options: "x"}, []string{"b"}},
		{"regex quoted literal", core.Regex{Field: "name", Pattern: `\Qdan` + "\n" + `\E`}, []string{"e"}},
		{"regex empty matches empty string", core.Regex{Field: "name", Pattern: "^$"}, []string{"f"}},
		{"regex never matches missing", core.Regex{Field: "name", Pattern: ".*"}, []string{"a", "b", "c", "e", "f"}},
		{"regex path", core.Regex{Field: "info", Path: []string{"city"}, Pattern: "^R"}, []string{"b"}},
		{"regex path number as text", core.Regex{Field: "info", Path: []string{"zip"}, Pattern: "^1000$"}, []string{"a"}},
		{"regex path string", core.Regex{Field: "info", Path: []string{"code"}, Pattern: "^[12]000$"}, []string{"b", "e"}},
		{"regex path fraction as text", core.Regex{Field: "info", Path: []string{"zip"}, Pattern: `^1000\.5$`}, []string{"c"}},

		// Geo.
		{"near, no max", core.Near{Field: "loc", Point: geo(50, 10)}, []string{"a", "b", "c", "e", "f"}},
		{"near within 2000 km", core.Near{Field: "loc", Point: geo(50, 10), MaxDistance: 2000 * km}, []string{"a", "b"}},
		{"near within 1000 km", core.Near{Field: "loc", Point: geo(50, 10), MaxDistance: 1000 * km}, []string{"b"}},
		{"near across the antimeridian", core.Near{Field: "loc", Point: geo(0, 180), MaxDistance: 2200 * km}, []string{"e", "f"}},
		{"within sphere", core.WithinSphere{Field: "loc", Center: geo(-34, 151), Radius: 100 * km}, []string{"c"}},
		{"within box", core.WithinBox{Field: "loc", SouthWest: geo(35, 0), NorthEast: geo(60, 20)}, []string{"a", "b"}},
		{"within box, inclusive edges", core.WithinBox{Field: "loc", SouthWest: geo(41.9, 12.5), NorthEast: geo(50, 13)}, []string{"b"}},
		{"within box across the antimeridian", core.WithinBox{Field: "loc", SouthWest: geo(-20, 170), NorthEast: geo(1, -170)}, []string{"e", "f"}},
		{"within polygon", core.WithinPolygon{Field: "loc", Points: []core.GeoPoint{geo(40, 0), geo(62, 0), geo(62, 20), geo(40, 20)}}, []string{"a", "b"}},
		{"within triangle", core.WithinPolygon{Field: "loc", Points: []core.GeoPoint{geo(40, 10), geo(62, 10), geo(40, 14)}}, []string{"b"}},
		{"polygon contains", core.PolygonContains{Field: "area", Point: geo(0.5, 0.5)}, []string{"a"}},
		{"polygon contains, triangle", core.PolygonContains{Field: "area", Point: geo(11, 11)}, []string{"b"}},
		{"polygon contains, outside", core.PolygonContains{Field: "area", Point: geo(5, 5)}, nil},

		// Boolean combinations.
		{"and", and(cmp("n", core.OpGt, 0.0), cmp("flag", core.OpEq, true)), []string{"a"}},
		{"or", or(cmp("name", core.OpEq, "Ann"), core.Exists{Field: "n", Exists: false}), []string{"a", "d"}},
		{"or with nothing", or(core.Nothing{}, cmp("name", core.OpEq, "bob")), []string{"b"}},
		{"nor counts missing as no match", nor(cmp("n", core.OpGt, 0.5), cmp("name", core.OpEq, "Cé")), []string{"d", "e"}},
		{"nor of ne", nor(cmp("flag", core.OpNe, true)), []string{"a", "e"}},
		{"nor of nor", nor(nor(cmp("n", core.OpLt, 0.0))), []string{"c"}},
		{"nested", or(and(cmp("n", core.OpLt, 3.0), core.Regex{Field: "name", Pattern: "o"}), cmp("objectId", core.OpEq, "f")), []string{"b", "e", "f"}},
	}
}

// RunMatchCases checks the shared table on a store and on the matcher.
func RunMatchCases(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	mustCreate(t, s, class("_User", map[string]string{"username": "String"}))
	c := mustCreate(t, s, MatchClass())
	written := MatchObjects()
	mustInsert(t, s, c, MatchObjects()...)
	stored := find(t, s, c, where(nil))
	if len(stored) != len(written) {
		t.Fatalf("stored %d objects, want %d", len(stored), len(written))
	}
	for _, tc := range MatchCases() {
		t.Run(tc.Name, func(t *testing.T) {
			want := slices.Clone(tc.Want)
			sort.Strings(want)
			wantIDs(t, "store", find(t, s, c, where(tc.Where)), want...)
			m, err := core.CompileMatcher(c, tc.Where)
			if err != nil {
				t.Fatalf("CompileMatcher: %v", err)
			}
			for what, objs := range map[string][]core.Object{"matcher on written objects": written, "matcher on stored objects": stored} {
				var got []string
				for _, o := range objs {
					if m.Match(o) {
						got = append(got, o.ID())
					}
				}
				sort.Strings(got)
				if !slices.Equal(got, want) && len(got)+len(want) > 0 {
					t.Errorf("%s: got %v, want %v", what, got, want)
				}
			}
		})
	}
}
