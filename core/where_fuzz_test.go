package core

import (
	"context"
	"encoding/json"
	"testing"
)

// FuzzParseWhere feeds arbitrary JSON to the query parser: it must never
// panic, and every rejection must be a Parse error a client can act on.
func FuzzParseWhere(f *testing.F) {
	for _, seed := range []string{
		`{"title":"a"}`, `{"score":{"$gt":1,"$lt":5}}`, `{"$or":[{"title":"a"},{"tags":"x"}]}`,
		`{"meta.a":{"$exists":true}}`, `{"author":{"$inQuery":{"className":"_User","where":{"username":"x"}}}}`,
		`{"title":{"$select":{"query":{"className":"_User","where":{}},"key":"username"}}}`,
		`{"where":{"$nearSphere":{"__type":"GeoPoint","latitude":1,"longitude":2},"$maxDistanceInMiles":3}}`,
		`{"where":{"$geoWithin":{"$polygon":[[0,0],[0,1],[1,1]]}}}`, `{"when":{"$gt":{"$relativeTime":"2 days ago"}}}`,
		`{"$relatedTo":{"object":{"__type":"Pointer","className":"Post","objectId":"x"},"key":"likes"}}`,
		`{"title":{"$regex":"\\Qa.b\\E","$options":"im"}}`, `{"title":{"$text":{"$search":{"$term":"x"}}}}`,
		// The hardening cases (issue 8): each once reached a panic, a 500 or
		// a runaway query.
		`{"where":{"$geoWithin":{"$centerSphere":[[],0.1]}}}`, `{"where":{"$geoWithin":{"$centerSphere":[[1],0.1]}}}`,
		`{"meta.a\"b":1}`, `{"meta.a\\b":{"$regex":"x"}}`, `{"$where":"1"}`, `{"length":1}`,
		`{"title":{"$regex":"(.*){1,1000}z"}}`, `{"nope":{"$regex":"a","$options":"q"}}`,
		`{"where":{"$within":{"$box":[{"__type":"GeoPoint","latitude":3,"longitude":4},{"__type":"GeoPoint","latitude":1,"longitude":2}]}}}`,
		`{"where":{"$geoWithin":{"$polygon":[[0,0],[0,1],[1,1],[0,0]]}}}`,
		`{"area":{"__type":"Polygon","coordinates":[[0,0],[0,1],[1,1]]}}`,
		`{"area":{"$in":[{"__type":"Polygon","coordinates":[[0,0],[0,0],[0,0]]}]}}`,
	} {
		f.Add(seed)
	}
	a := testApp(f)
	f.Fuzz(func(t *testing.T, js string) {
		var w map[string]any
		if json.Unmarshal([]byte(js), &w) != nil {
			return
		}
		p := &queryParser{app: a, ctx: context.Background(), auth: &Auth{}}
		_, err := p.parse(a.Class("Post"), w, 0)
		if err != nil && (err.Code < 100 || err.Code >= 200) {
			t.Fatalf("parse %s: error code %d (%s) is not a client error", js, err.Code, err.Message)
		}
	})
}
