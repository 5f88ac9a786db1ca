package core

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testApp returns an App over a schema only: the parser never touches the
// store, so none is needed.
func testApp(t testing.TB) *App {
	t.Helper()
	a := &App{opts: Options{}.WithDefaults()}
	m := map[string]*Class{
		"Post": {Name: "Post", Fields: map[string]Field{
			"title":  {Type: TypeString},
			"score":  {Type: TypeNumber},
			"draft":  {Type: TypeBoolean},
			"when":   {Type: TypeDate},
			"meta":   {Type: TypeObject},
			"tags":   {Type: TypeArray},
			"author": {Type: TypePointer, TargetClass: "_User"},
			"likes":  {Type: TypeRelation, TargetClass: "_User"},
			"where":  {Type: TypeGeoPoint},
			"area":   {Type: TypePolygon},
		}},
		"_User": {Name: "_User", Fields: map[string]Field{"username": {Type: TypeString}}},
	}
	a.schemas.Store(&m)
	return a
}

func parseWhereJSON(t testing.TB, a *App, js string) (Expr, *Error) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(js), &w); err != nil {
		t.Fatalf("bad test JSON %s: %v", js, err)
	}
	p := &queryParser{app: a, ctx: context.Background(), auth: &Auth{}}
	return p.parse(a.Class("Post"), w, 0)
}

func TestParseWhere(t *testing.T) {
	a := testApp(t)
	when := time.Date(2024, 1, 2, 3, 4, 5, 6e6, time.UTC)
	tests := []struct {
		name  string
		where string
		want  Expr
	}{
		{"equality", `{"title":"a"}`, Cmp{Field: "title", Op: OpEq, Value: "a"}},
		{"null equality", `{"title":null}`, Cmp{Field: "title", Op: OpEq}},
		{"number range", `{"score":{"$gt":1}}`, Cmp{Field: "score", Op: OpGt, Value: 1.0}},
		{"date", `{"when":{"$lte":{"__type":"Date","iso":"2024-01-02T03:04:05.006Z"}}}`, Cmp{Field: "when", Op: OpLte, Value: when}},
		{"pointer", `{"author":{"__type":"Pointer","className":"_User","objectId":"abc"}}`, Cmp{Field: "author", Op: OpEq, Value: "abc"}},
		{"pointer of another class never matches", `{"author":{"__type":"Pointer","className":"Post","objectId":"abc"}}`, Cmp{Field: "author", Op: OpEq, Value: "Post$abc"}},
		{"in", `{"title":{"$in":["a","b"]}}`, In{Field: "title", Values: []any{"a", "b"}}},
		{"empty in", `{"title":{"$in":[]}}`, Nothing{}},
		{"nin", `{"title":{"$nin":["a"]}}`, In{Field: "title", Values: []any{"a"}, Not: true}},
		{"exists", `{"title":{"$exists":false}}`, Exists{Field: "title"}},
		{"array contains", `{"tags":"x"}`, ArrayContains{Field: "tags", Values: []any{"x"}}},
		{"all", `{"tags":{"$all":["x","y"]}}`, ArrayContains{Field: "tags", Values: []any{"x", "y"}}},
		{"containedBy", `{"tags":{"$containedBy":["x"]}}`, ArrayContainedBy{Field: "tags", Values: []any{"x"}}},
		{"object path", `{"meta.a.b":1}`, Cmp{Field: "meta", Path: []string{"a", "b"}, Op: OpEq, Value: 1.0}},
		{"regex", `{"title":{"$regex":"^a","$options":"i"}}`, Regex{Field: "title", Pattern: "^a", Options: "i"}},
		{"regex x option", `{"title":{"$regex":"a b # c","$options":"x"}}`, Regex{Field: "title", Pattern: "ab"}},
		{"text", `{"title":{"$text":{"$search":{"$term":"hello"}}}}`, Text{Field: "title", Search: "hello"}},
		{"relation contains", `{"likes":{"__type":"Pointer","className":"_User","objectId":"u1"}}`, RelationContains{Field: "likes", IDs: []string{"u1"}}},
		{"unknown field equals null", `{"nope":null}`, nil},
		{"unknown field equals value", `{"nope":1}`, Nothing{}},
		{"unknown field not exists", `{"nope":{"$exists":false}}`, nil},
		{"geo box", `{"where":{"$within":{"$box":[{"__type":"GeoPoint","latitude":1,"longitude":2},{"__type":"GeoPoint","latitude":3,"longitude":4}]}}}`,
			WithinBox{Field: "where", SouthWest: GeoPoint{1, 2}, NorthEast: GeoPoint{3, 4}}},
		{"center sphere", `{"where":{"$geoWithin":{"$centerSphere":[[2,1],0.5]}}}`, WithinSphere{Field: "where", Center: GeoPoint{1, 2}, Radius: 0.5}},
		{"near in km", `{"where":{"$nearSphere":{"__type":"GeoPoint","latitude":1,"longitude":2},"$maxDistanceInKilometers":6371}}`,
			Near{Field: "where", Point: GeoPoint{1, 2}, MaxDistance: 1}},
		{"intersects", `{"area":{"$geoIntersects":{"$point":{"__type":"GeoPoint","latitude":1,"longitude":2}}}}`, PolygonContains{Field: "area", Point: GeoPoint{1, 2}}},
		{"or", `{"$or":[{"title":"a"},{"score":2}]}`, Or{Exprs: []Expr{Cmp{Field: "title", Op: OpEq, Value: "a"}, Cmp{Field: "score", Op: OpEq, Value: 2.0}}}},
		{"inQuery other class is nothing", `{"author":{"$inQuery":{"className":"Post","where":{}}}}`, Nothing{}},
		{"notInQuery missing class is all", `{"author":{"$notInQuery":{"className":"Missing","where":{}}}}`, nil},
		{"box corners in either order", `{"where":{"$within":{"$box":[{"__type":"GeoPoint","latitude":3,"longitude":4},{"__type":"GeoPoint","latitude":1,"longitude":2}]}}}`,
			WithinBox{Field: "where", SouthWest: GeoPoint{1, 2}, NorthEast: GeoPoint{3, 4}}},
		{"box with the other two corners", `{"where":{"$within":{"$box":[{"__type":"GeoPoint","latitude":1,"longitude":4},{"__type":"GeoPoint","latitude":3,"longitude":2}]}}}`,
			WithinBox{Field: "where", SouthWest: GeoPoint{1, 2}, NorthEast: GeoPoint{3, 4}}},
		{"closed polygon path", `{"where":{"$geoWithin":{"$polygon":[[0,0],[0,1],[1,1],[0,0]]}}}`,
			WithinPolygon{Field: "where", Points: []GeoPoint{{0, 0}, {0, 1}, {1, 1}}}},
		{"polygon equality", `{"area":{"__type":"Polygon","coordinates":[[0,0],[0,1],[1,1]]}}`, Cmp{Field: "area", Op: OpEq, Value: Polygon{{0, 0}, {0, 1}, {1, 1}}}},
		{"closed polygon equals the open one", `{"area":{"$eq":{"__type":"Polygon","coordinates":[[0,0],[0,1],[1,1],[0,0]]}}}`, Cmp{Field: "area", Op: OpEq, Value: Polygon{{0, 0}, {0, 1}, {1, 1}}}},
		{"geopoint equality", `{"where":{"__type":"GeoPoint","latitude":1,"longitude":2}}`, Cmp{Field: "where", Op: OpEq, Value: GeoPoint{1, 2}}},
		{"regex of bounded repeats", `{"title":{"$regex":"^\\d{4}-(\\w+\\s*){1,30}$"}}`, Regex{Field: "title", Pattern: `^\d{4}-(\w+\s*){1,30}$`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWhereJSON(t, a, tt.where)
			if err != nil {
				t.Fatalf("parse %s: %v", tt.where, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parse %s\n got %#v\nwant %#v", tt.where, got, tt.want)
			}
		})
	}
}

func TestParseWhereRejects(t *testing.T) {
	a := testApp(t)
	tests := []struct {
		where string
		code  Code
	}{
		{`{"$foo":1}`, CodeInvalidKeyName},
		{`{"title":{"$bogus":1}}`, CodeInvalidQuery},
		{`{"bad-name":1}`, CodeInvalidKeyName},
		{`{"title; DROP TABLE x":1}`, CodeInvalidKeyName},
		{`{"score":{"$gt":"abc"}}`, CodeInvalidQuery},
		{`{"title":{"$regex":"("}}`, CodeInvalidQuery},
		{`{"title":{"$regex":"a","$options":"q"}}`, CodeInvalidQuery},
		{`{"title":{"$in":"a"}}`, CodeInvalidQuery},
		{`{"title":{"$exists":"yes"}}`, CodeInvalidQuery},
		{`{"score":{"$all":[1]}}`, CodeInvalidQuery},
		{`{"$or":[]}`, CodeInvalidQuery},
		{`{"$or":[1]}`, CodeInvalidQuery},
		{`{"title.x":1}`, CodeInvalidQuery},
		{`{"where":{"$nearSphere":{"__type":"GeoPoint","latitude":100,"longitude":0}}}`, CodeInvalidJSON},
		{`{"when":{"$gt":{"$relativeTime":"sometime"}}}`, CodeInvalidJSON},
		{`{"ACL":1}`, CodeInvalidQuery},
		{`{"$where":"sleep(1)"}`, CodeInvalidKeyName},
		{`{"$text":{"$search":"x"}}`, CodeInvalidKeyName},
		{`{"length":1}`, CodeInvalidKeyName},
		{`{"nope":{"$regex":"a","$options":"q"}}`, CodeInvalidQuery},
		{`{"nope":{"$regex":"("}}`, CodeInvalidQuery},
		{`{"nope":{"$options":"i"}}`, CodeInvalidQuery},
		{`{"title":{"$regex":"a","$options":"u"}}`, CodeInvalidQuery},
		{`{"title":{"$regex":"a","$options":1}}`, CodeInvalidQuery},
		// Hole 2: short patterns whose counted repeats explode in PostgreSQL.
		{`{"title":{"$regex":"(.*){1,1000}z"}}`, CodeInvalidQuery},
		{`{"title":{"$regex":"(a+){1,100}"}}`, CodeInvalidQuery},
		{`{"title":{"$regex":"(?:x.{0,1000}){3}"}}`, CodeInvalidQuery},
		// Hole 7: $centerSphere with a short point panicked.
		{`{"where":{"$geoWithin":{"$centerSphere":[[],0.1]}}}`, CodeInvalidJSON},
		{`{"where":{"$geoWithin":{"$centerSphere":[[1],0.1]}}}`, CodeInvalidJSON},
		{`{"where":{"$geoWithin":{"$centerSphere":[[1,2,3],0.1]}}}`, CodeInvalidJSON},
		{`{"where":{"$geoWithin":{"$centerSphere":[]}}}`, CodeInvalidJSON},
		{`{"where":{"$geoWithin":{"$polygon":[[0,0],[0,1],[0,0]]}}}`, CodeInvalidJSON},
		{`{"area":{"__type":"Polygon","coordinates":[[0,0],[0,0],[0,0]]}}`, CodeIncorrectType},
		{`{"area":{"$lt":{"__type":"Polygon","coordinates":[[0,0],[0,1],[1,1]]}}}`, CodeInvalidQuery},
	}
	for _, tt := range tests {
		t.Run(tt.where, func(t *testing.T) {
			_, err := parseWhereJSON(t, a, tt.where)
			if err == nil || err.Code != tt.code {
				t.Fatalf("parse %s: got %v, want code %d", tt.where, err, tt.code)
			}
		})
	}
}

func TestQueryLimits(t *testing.T) {
	a := testApp(t)
	deep := `{"title":"x"}`
	for i := 0; i < 12; i++ {
		deep = `{"$or":[` + deep + `]}`
	}
	if _, err := parseWhereJSON(t, a, deep); err == nil || err.Code != CodeInvalidQuery {
		t.Fatalf("12 nested $or: got %v, want 102", err)
	}
	wide := `{"$or":[`
	for i := 0; i < 101; i++ {
		if i > 0 {
			wide += ","
		}
		wide += `{"score":1}`
	}
	wide += `]}`
	if _, err := parseWhereJSON(t, a, wide); err == nil || err.Code != CodeInvalidQuery {
		t.Fatalf("$or of 101: got %v, want 102", err)
	}
}

func TestRelativeTime(t *testing.T) {
	now := time.Date(2024, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := map[string]time.Time{
		"now":               now,
		"3 days ago":        now.Add(-72 * time.Hour),
		"in 2 hours":        now.Add(2 * time.Hour),
		"1 day 2 hours ago": now.Add(-26 * time.Hour),
		"in 30 minutes":     now.Add(30 * time.Minute),
		"2 weeks ago":       now.Add(-14 * 24 * time.Hour),
	}
	for in, want := range tests {
		got, err := relativeTime(in, now)
		if err != nil || !got.Equal(want) {
			t.Errorf("relativeTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "3 days", "in", "x days ago", "3 fortnights ago", "in 3 days ago"} {
		if _, err := relativeTime(bad, now); err == nil {
			t.Errorf("relativeTime(%q) accepted", bad)
		}
	}
}

func TestDecodeValueAndACL(t *testing.T) {
	typ, v, err := DecodeValue(map[string]any{"__type": "GeoPoint", "latitude": 10.0, "longitude": 20.0})
	if err != nil || typ != TypeGeoPoint || v != (GeoPoint{10, 20}) {
		t.Fatalf("GeoPoint: %v %v %v", typ, v, err)
	}
	if _, _, err := DecodeValue(map[string]any{"a.b": 1.0}); err == nil || err.Code != CodeInvalidNestedKey {
		t.Fatalf("dotted nested key: %v", err)
	}
	if _, err := DecodeACL(map[string]any{"*": map[string]any{"read": "yes"}}); err == nil || err.Code != CodeInvalidACL {
		t.Fatalf("bad ACL: %v", err)
	}
	acl, err := DecodeACL(map[string]any{"*": map[string]any{"read": true}, "u1": map[string]any{"read": true, "write": true}})
	if err != nil || !reflect.DeepEqual(acl.Readers(), []string{"*", "u1"}) || !reflect.DeepEqual(acl.Writers(), []string{"u1"}) {
		t.Fatalf("ACL: %v %v", acl, err)
	}
	for i := 0; i < 1000; i++ {
		id := NewObjectID()
		if len(id) != 10 {
			t.Fatalf("objectId %q is not 10 characters", id)
		}
		for _, c := range id {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
				t.Fatalf("objectId %q is not alphanumeric", id)
			}
		}
	}
}

// TestRegexLimits: Hole 2 (regex DoS): the pattern length is capped by
// queryLimits.maxRegexLength.
func TestRegexLimits(t *testing.T) {
	a := testApp(t)
	a.opts.Limits.MaxRegexLength = 10
	if _, err := parseWhereJSON(t, a, `{"title":{"$regex":"0123456789"}}`); err != nil {
		t.Fatalf("a pattern at the limit: %v", err)
	}
	for _, where := range []string{`{"title":{"$regex":"0123456789a"}}`, `{"nope":{"$regex":"0123456789a"}}`, `{"meta.x":{"$regex":"0123456789a"}}`} {
		_, err := parseWhereJSON(t, a, where)
		if err == nil || err.Code != CodeInvalidQuery || !strings.Contains(err.Message, "maxRegexLength") {
			t.Errorf("%s: got %v, want 102 naming the limit", where, err)
		}
	}
	if got := (Options{}).WithDefaults().Limits.MaxRegexLength; got != 1000 {
		t.Errorf("default maxRegexLength %d, want 1000", got)
	}
}

// TestPolygonLimits: Hole 11 (huge geometry): polygons in queries and in
// values are capped by queryLimits.maxPolygonPoints.
func TestPolygonLimits(t *testing.T) {
	a := testApp(t)
	a.opts.Limits.MaxPolygonPoints = 4
	ring := func(n int) string {
		pts := make([]string, n)
		for i := range pts {
			pts[i] = fmt.Sprintf("[%d,%d]", i%2, i)
		}
		return "[" + strings.Join(pts, ",") + "]"
	}
	for _, where := range []string{
		`{"where":{"$geoWithin":{"$polygon":` + ring(5) + `}}}`,
		`{"area":{"__type":"Polygon","coordinates":` + ring(5) + `}}`,
	} {
		if _, err := parseWhereJSON(t, a, where); err == nil || err.Code != CodeInvalidQuery || !strings.Contains(err.Message, "maxPolygonPoints") {
			t.Errorf("%s: got %v, want 102 naming the limit", where, err)
		}
	}
	if _, err := parseWhereJSON(t, a, `{"where":{"$geoWithin":{"$polygon":`+ring(4)+`}}}`); err != nil {
		t.Errorf("a polygon at the limit: %v", err)
	}
	var coords []any
	_ = json.Unmarshal([]byte(ring(5)), &coords)
	_, poly, derr := DecodeValue(map[string]any{"__type": "Polygon", "coordinates": coords})
	if derr != nil {
		t.Fatal(derr)
	}
	if err := a.CheckValueLimits(Update{"area": Set{Value: poly}}); err == nil || err.Code != CodeObjectTooLarge {
		t.Errorf("a stored polygon over the limit: got %v, want 116", err)
	}
	if err := a.CheckValueLimits(Update{"area": Set{Value: poly.(Polygon)[:4]}}); err != nil {
		t.Errorf("a stored polygon at the limit: %v", err)
	}
	huge := make([]any, MaxPolygonPointsCeiling+2)
	for i := range huge {
		huge[i] = []any{0.0, float64(i % 180)}
	}
	if _, _, err := DecodeValue(map[string]any{"__type": "Polygon", "coordinates": huge}); err == nil || err.Code != CodeObjectTooLarge {
		t.Errorf("a polygon over the ceiling: got %v, want 116", err)
	}
}

func TestOrderBuiltinStorageNames(t *testing.T) {
	a := testApp(t)
	got, err := parseOrder(a.Class("Post"), "-_created_at,_updated_at,score")
	want := []OrderKey{{Field: FieldCreatedAt, Desc: true}, {Field: FieldUpdatedAt}, {Field: "score"}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("order: %v %v, want %v", got, err, want)
	}
}

// TestReservedClassNames: Hole 7: names of engine and job-queue tables are
// not class names.
func TestReservedClassNames(t *testing.T) {
	for _, name := range []string{"sqlite_master", "SQLITE_sequence", "river_job", "river_client", "River_queue", "pg_class", "PG_stats", "_SCHEMA", "_sb_migrations"} {
		if ValidClassName(name) {
			t.Errorf("%s is a valid class name", name)
		}
	}
	for _, name := range []string{"Post", "_User", "riverside", "pgn", "sqlitefan", "river"} {
		if !ValidClassName(name) {
			t.Errorf("%s is not a valid class name", name)
		}
	}
	if ValidFieldName("length") || !ValidFieldName("lengthy") {
		t.Errorf("length must be an invalid field name, lengthy a valid one")
	}
}

func TestOneGeoPointPerClass(t *testing.T) {
	c := &Class{Name: "Place", Fields: map[string]Field{"loc": {Type: TypeGeoPoint}}}
	err := checkNewFields(c, map[string]Field{"other": {Type: TypeGeoPoint}})
	if err == nil || err.Code != CodeIncorrectType || !strings.Contains(err.Message, "only one GeoPoint") {
		t.Fatalf("second GeoPoint: got %v, want 111", err)
	}
	if err := checkNewFields(c, map[string]Field{"loc": {Type: TypeGeoPoint}, "name": {Type: TypeString}}); err != nil {
		t.Fatalf("the existing GeoPoint again: %v", err)
	}
	if err := checkNewFields(nil, map[string]Field{"a": {Type: TypeGeoPoint}, "b": {Type: TypeGeoPoint}}); err == nil {
		t.Fatalf("two GeoPoints in a new class were accepted")
	}
}
