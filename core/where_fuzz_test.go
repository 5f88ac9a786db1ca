package core

import (
	"context"
	"encoding/json"
	"testing"
)

// noRows is a Store that holds nothing: the parser's own reads (the owner
// of a $relatedTo) find no object. Only the reads are implemented.
type noRows struct{ Store }

func (noRows) Find(context.Context, *Class, *Query) ([]Object, error) { return nil, nil }
func (noRows) Count(context.Context, *Class, *Query) (int64, error)   { return 0, nil }

// FuzzParseWhere feeds arbitrary JSON to the query parser: it must never
// panic, and every rejection must be a Parse error a client can act on.
// Each input is parsed against Post and against _User (with authData, a
// protected e-mail and the internal fields), as an anonymous caller, a
// user with a role, and the master key.
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
		// The user class: authData, protected and internal fields.
		`{"authData.github.id":"4242"}`, `{"authData":{"$exists":true}}`, `{"email":{"$regex":"^a"}}`,
		`{"_hashed_password":{"$exists":true}}`, `{"_perishable_token":"x"}`, `{"_rperm":{"$in":["*"]}}`,
		`{"username":{"$inQuery":{"className":"_Session","where":{}}}}`,
		`{"objectId":{"$select":{"query":{"className":"_Installation"},"key":"deviceToken"}}}`,
	} {
		f.Add(seed)
	}
	a := testApp(f)
	a.store = noRows{}
	m := *a.schemas.Load()
	m["_User"] = &Class{Name: "_User", Fields: map[string]Field{
		"username": {Type: TypeString}, "email": {Type: TypeString}, "authData": {Type: TypeObject},
		"_hashed_password": {Type: TypeString}, "_perishable_token": {Type: TypeString},
	}, CLP: map[string]any{"protectedFields": map[string]any{"*": []any{"email"}}}}
	m["_Installation"] = &Class{Name: "_Installation", Fields: map[string]Field{"deviceToken": {Type: TypeString}}}
	m["_Session"] = &Class{Name: "_Session", Fields: map[string]Field{"sessionToken": {Type: TypeString}}}
	a.schemas.Store(&m)
	a.bindClassRules()
	callers := []*Auth{{}, {UserID: "u1", Roles: []string{"role:staff"}}, {Master: true}}
	f.Fuzz(func(t *testing.T, js string) {
		var w map[string]any
		if json.Unmarshal([]byte(js), &w) != nil {
			return
		}
		for _, class := range []string{"Post", "_User"} {
			for _, auth := range callers {
				p := &queryParser{app: a, ctx: context.Background(), auth: auth}
				_, err := p.parse(a.Class(class), w, 0)
				if err != nil && (err.Code < 100 || err.Code >= 300) {
					t.Fatalf("parse %s on %s: error code %d (%s) is not a client error", js, class, err.Code, err.Message)
				}
			}
		}
	})
}
