package core

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// The matcher's agreement with the stores is proven by the shared table in
// adapters/store/storetest/match_cases.go. These tests cover what the table
// cannot: where documents as clients send them (through ParseWhere), the
// refusals, and the permission helpers LiveQuery uses.

func parseAndCompile(t *testing.T, a *App, auth *Auth, where string) (*Matcher, error) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(where), &w); err != nil {
		t.Fatalf("bad test JSON %s: %v", where, err)
	}
	e, c, err := a.ParseWhere(context.Background(), auth, "Post", w)
	if err != nil {
		return nil, err
	}
	return CompileMatcher(c, e)
}

func TestMatchWhereDocuments(t *testing.T) {
	a := testApp(t)
	post := Object{
		FieldObjectID: "p1", FieldCreatedAt: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC),
		"title": "Hello world", "score": 7.0, "draft": false,
		"when":   time.Date(2024, 5, 6, 7, 8, 9, 123e6, time.UTC),
		"meta":   map[string]any{"lang": "en", "views": 10.0},
		"tags":   []any{"go", "db", map[string]any{"__type": "Pointer", "className": "_User", "objectId": "u1"}},
		"author": Pointer{ClassName: "_User", ObjectID: "u1"},
		"where":  GeoPoint{Latitude: 59.9, Longitude: 10.7},
		"area":   Polygon{{0, 0}, {0, 2}, {2, 2}, {2, 0}},
	}
	tests := []struct {
		where string
		want  bool
	}{
		{`{}`, true},
		{`{"title": "Hello world"}`, true},
		{`{"title": {"$regex": "^hello", "$options": "i"}}`, true},
		{`{"title": {"$regex": "^\\QHello\\E"}}`, true},
		{`{"title": {"$regex": "^ h e l l o", "$options": "ix"}}`, true},
		{`{"score": {"$gt": 5, "$lt": 8}}`, true},
		{`{"score": {"$in": [1, 2]}}`, false},
		{`{"draft": {"$ne": true}}`, true},
		{`{"when": {"$gte": {"__type": "Date", "iso": "2024-05-06T07:08:09.123Z"}}}`, true},
		{`{"when": {"$gt": {"__type": "Date", "iso": "2024-05-06T07:08:09.123Z"}}}`, false},
		{`{"when": {"$lt": {"$relativeTime": "in 1 day"}}}`, true},
		{`{"createdAt": {"$lt": "2024-01-03T00:00:00.000Z"}}`, true},
		{`{"author": {"__type": "Pointer", "className": "_User", "objectId": "u1"}}`, true},
		{`{"author": {"__type": "Pointer", "className": "Team", "objectId": "u1"}}`, false},
		{`{"author": {"$in": [{"__type": "Pointer", "className": "_User", "objectId": "u2"}]}}`, false},
		{`{"tags": "go"}`, true},
		{`{"tags": {"$all": ["db", "go"]}}`, true},
		{`{"tags": {"__type": "Pointer", "className": "_User", "objectId": "u1"}}`, true},
		{`{"tags": ["go", "db"]}`, false},
		{`{"tags": {"$containedBy": ["go", "db", {"__type": "Pointer", "className": "_User", "objectId": "u1"}]}}`, true},
		{`{"meta.lang": "en"}`, true},
		{`{"meta.views": {"$gte": 10}}`, true},
		{`{"meta.missing": {"$exists": false}}`, true},
		{`{"where": {"$nearSphere": {"__type": "GeoPoint", "latitude": 59, "longitude": 10}, "$maxDistanceInKilometers": 200}}`, true},
		{`{"where": {"$nearSphere": {"__type": "GeoPoint", "latitude": 59, "longitude": 10}, "$maxDistanceInKilometers": 50}}`, false},
		{`{"where": {"$within": {"$box": [{"__type": "GeoPoint", "latitude": 59, "longitude": 10}, {"__type": "GeoPoint", "latitude": 60, "longitude": 11}]}}}`, true},
		{`{"where": {"$geoWithin": {"$centerSphere": [[10, 59], 0.05]}}}`, true},
		{`{"area": {"$geoIntersects": {"$point": {"__type": "GeoPoint", "latitude": 1, "longitude": 1}}}}`, true},
		{`{"$or": [{"score": 1}, {"title": {"$exists": true}}]}`, true},
		{`{"$nor": [{"score": 7}]}`, false},
		{`{"$and": [{"score": 7}, {"draft": false}]}`, true},
		{`{"unknownField": null}`, true},
		{`{"unknownField": 1}`, false},
		{`{"score": {"$in": []}}`, false},
	}
	for _, tc := range tests {
		m, err := parseAndCompile(t, a, &Auth{}, tc.where)
		if err != nil {
			t.Errorf("%s: %v", tc.where, err)
			continue
		}
		if got := m.Match(post); got != tc.want {
			t.Errorf("%s: matched %v, want %v", tc.where, got, tc.want)
		}
	}
}

func TestMatchRefusesWhatNeedsOtherObjects(t *testing.T) {
	a := testApp(t)
	tests := []struct{ where, mention string }{
		{`{"author": {"$inQuery": {"className": "_User", "where": {"username": "x"}}}}`, "$inQuery"},
		{`{"author": {"$notInQuery": {"className": "_User", "where": {"username": "x"}}}}`, "$notInQuery"},
		{`{"title": {"$select": {"query": {"className": "_User"}, "key": "username"}}}`, "$select"},
		{`{"title": {"$dontSelect": {"query": {"className": "_User"}, "key": "username"}}}`, "$dontSelect"},
		{`{"likes": {"__type": "Pointer", "className": "_User", "objectId": "u1"}}`, "Relation field likes"},
		{`{"title": {"$text": {"$search": {"$term": "hello"}}}}`, "$text"},
		{`{"$or": [{"score": 1}, {"author": {"$inQuery": {"className": "_User"}}}]}`, "$inQuery"},
	}
	for _, tc := range tests {
		_, err := parseAndCompile(t, a, &Auth{}, tc.where)
		if !IsCode(err, CodeInvalidQuery) || !strings.Contains(err.Error(), tc.mention) {
			t.Errorf("%s: got %v, want 102 naming %s", tc.where, err, tc.mention)
		}
	}
	// $relatedTo selects objects of the relation's target class. (As the
	// master key: a client's $relatedTo first reads the owner through the
	// store, which this App has none of.)
	e, users, err := a.ParseWhere(context.Background(), MasterAuth(), "_User", map[string]any{
		"$relatedTo": map[string]any{"object": map[string]any{"__type": "Pointer", "className": "Post", "objectId": "p"}, "key": "likes"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := CompileMatcher(users, e); !IsCode(err, CodeInvalidQuery) || !strings.Contains(err.Error(), "$relatedTo") {
		t.Errorf("$relatedTo: got %v, want 102", err)
	}
	// Bad input is the parser's usual error, not a panic or a match.
	for _, where := range []string{`{"score": {"$gt": "x"}}`, `{"title": {"$regex": "("}}`, `{"$or": 1}`, `{"a.b.": 1}`} {
		if _, err := parseAndCompile(t, a, &Auth{}, where); err == nil {
			t.Errorf("%s was accepted", where)
		}
	}
	if _, err := CompileMatcher(nil, Cmp{Field: "x", Op: "~", Value: 1.0}); !IsCode(err, CodeInvalidQuery) {
		t.Errorf("unknown operator: %v", err)
	}
	if _, err := CompileMatcher(nil, Regex{Field: "x", Pattern: "a", Options: "q"}); !IsCode(err, CodeInvalidQuery) {
		t.Errorf("unknown regex option: %v", err)
	}
}

func TestParseWhereChecksAccess(t *testing.T) {
	a := testApp(t)
	c := a.Class("Post")
	c.CLP = map[string]any{"protectedFields": map[string]any{"*": []any{"score"}}}
	if _, _, err := a.ParseWhere(context.Background(), &Auth{}, "Post", map[string]any{"score": 1.0}); !IsCode(err, CodeOperationForbidden) {
		t.Errorf("where on a protected field: %v, want 119", err)
	}
	if _, _, err := a.ParseWhere(context.Background(), MasterAuth(), "Post", map[string]any{"score": 1.0}); err != nil {
		t.Errorf("master on a protected field: %v", err)
	}
	if err := CheckProbe(c, &Auth{}, "score"); !IsCode(err, CodeOperationForbidden) {
		t.Errorf("CheckProbe: %v", err)
	}
	if _, _, err := a.ParseWhere(context.Background(), &Auth{}, "_SmsCode", nil); !IsCode(err, CodeOperationForbidden) {
		t.Errorf("internal class: %v", err)
	}
	if _, _, err := a.ParseWhere(context.Background(), &Auth{}, "bad-name", nil); !IsCode(err, CodeInvalidClassName) {
		t.Errorf("bad class name: %v", err)
	}
	if e, cls, err := a.ParseWhere(context.Background(), &Auth{}, "Later", map[string]any{"x": 1.0}); err != nil || cls != nil || !isNothing(e) {
		t.Errorf("class that does not exist yet: %v %v %v", e, cls, err)
	}
}

func TestCanRead(t *testing.T) {
	user := &Auth{UserID: "u1", Roles: []string{"role:staff"}}
	tests := []struct {
		name string
		acl  any
		auth *Auth
		want bool
	}{
		{"no ACL is public", nil, &Auth{}, true},
		{"public read", ACL{"*": {Read: true}}, &Auth{}, true},
		{"private, anonymous", ACL{"u1": {Read: true}}, &Auth{}, false},
		{"private, owner", ACL{"u1": {Read: true}}, user, true},
		{"private, other user", ACL{"u2": {Read: true}}, user, false},
		{"write only", ACL{"u1": {Write: true}}, user, false},
		{"role", ACL{"role:staff": {Read: true}}, user, true},
		{"other role", ACL{"role:admin": {Read: true}}, user, false},
		{"empty ACL", ACL{}, user, false},
		{"empty ACL, master", ACL{}, MasterAuth(), true},
		{"nil auth is anonymous", ACL{"*": {Read: true}}, nil, true},
		{"malformed ACL is refused", map[string]any{"*": true}, user, false},
	}
	for _, tc := range tests {
		o := Object{FieldObjectID: "x"}
		if tc.acl != nil {
			o[FieldACL] = tc.acl
		}
		if got := CanRead(o, tc.auth); got != tc.want {
			t.Errorf("%s: CanRead = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAuthorizeRead(t *testing.T) {
	c := &Class{Name: "Doc", Fields: map[string]Field{"owner": {Type: TypePointer, TargetClass: "_User"}}, CLP: map[string]any{
		"find": map[string]any{"requiresAuthentication": true},
		"get":  map[string]any{"pointerFields": []any{"owner"}},
	}}
	if _, err := AuthorizeRead(c, CLPFind, &Auth{}); !IsCode(err, CodeObjectNotFound) {
		t.Errorf("anonymous find with requiresAuthentication: %v", err)
	}
	if e, err := AuthorizeRead(c, CLPFind, &Auth{UserID: "u1"}); err != nil || e != nil {
		t.Errorf("user find: %v %v", e, err)
	}
	e, err := AuthorizeRead(c, CLPGet, &Auth{UserID: "u1"})
	if err != nil {
		t.Fatalf("pointerFields get: %v", err)
	}
	m, merr := CompileMatcher(c, e)
	if merr != nil {
		t.Fatal(merr)
	}
	if !m.Match(Object{"owner": Pointer{ClassName: "_User", ObjectID: "u1"}}) || m.Match(Object{"owner": Pointer{ClassName: "_User", ObjectID: "u2"}}) {
		t.Errorf("the pointer-field condition does not select the caller's objects")
	}
	if _, err := AuthorizeRead(c, "delete", &Auth{}); err == nil {
		t.Errorf("AuthorizeRead accepted a write operation")
	}
}
