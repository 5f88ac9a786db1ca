package core

import (
	"context"
	"encoding/json"
	"reflect"
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
		{`{"$foo":1}`, CodeInvalidQuery},
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
