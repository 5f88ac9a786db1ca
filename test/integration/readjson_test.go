package integration

import (
	"bytes"
	"context"
	"math"
	"net/url"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
)

// The API's gets and finds are answered with JSON the store writes straight
// from its rows (core.JSONFinder) when nothing would change the objects on
// the way. These tests hold that JSON to what the API writes from the
// objects Find returns, byte for byte, for every field type and for callers
// with and without the master key, and check when the store's JSON is used
// and when it is not.

// everythingClass has a field of every type that has a column.
var everythingFields = map[string]any{
	"str": map[string]any{"type": "String"}, "num": map[string]any{"type": "Number"},
	"flag": map[string]any{"type": "Boolean"}, "when": map[string]any{"type": "Date"},
	"obj": map[string]any{"type": "Object"}, "arr": map[string]any{"type": "Array"},
	"ptr": map[string]any{"type": "Pointer", "targetClass": "_User"}, "rel": map[string]any{"type": "Relation", "targetClass": "_User"},
	"geo": map[string]any{"type": "GeoPoint"}, "poly": map[string]any{"type": "Polygon"}, "bin": map[string]any{"type": "Bytes"},
	"Zed": map[string]any{"type": "String"}, "Ab": map[string]any{"type": "String"},
}

func everythingObjects(userID string) []map[string]any {
	public := map[string]any{"*": map[string]any{"read": true}}
	return []map[string]any{
		{"str": "plain", "num": 1.5, "flag": true, "ACL": public},
		{"str": "<b>&\u2028\u2029 \"quoted\" \\ \t\n é日本🙂", "num": 1e21, "flag": false, "Zed": "upper first", "Ab": "sorts after ACL",
			"ACL": map[string]any{"*": map[string]any{"read": true}, "role:admins": map[string]any{"read": true, "write": true}, userID: map[string]any{"write": true}}},
		{"num": 1e-7, "when": map[string]any{"__type": "Date", "iso": "2026-12-06T07:30:39.123Z"},
			"obj": map[string]any{"z": 1.0, "a": []any{"x", 2.5, nil, true}, "nested": map[string]any{"b": "<", "a": map[string]any{}}},
			"arr": []any{3.0, "two", map[string]any{"k": "v", "a": 0.1}, []any{}}, "ACL": public},
		{"ptr": map[string]any{"__type": "Pointer", "className": "_User", "objectId": userID},
			"geo":  map[string]any{"__type": "GeoPoint", "latitude": 52.52, "longitude": -13.4},
			"poly": map[string]any{"__type": "Polygon", "coordinates": []any{[]any{0.0, 0.0}, []any{0.0, 1.0}, []any{1.0, 1.0}}},
			"bin":  map[string]any{"__type": "Bytes", "base64": "aGVsbG8="}, "num": -123456789.125, "ACL": public},
		{"str": "", "num": 0.0, "obj": map[string]any{}, "arr": []any{}, "ACL": map[string]any{}},
		{"str": "only the user reads it", "ACL": map[string]any{userID: map[string]any{"read": true, "write": true}}},
		{"num": 3.0}, // the default ACL
		{"obj": map[string]any{"é": "accent", "A": 1.0, "": "empty key", "z\"q": []any{1e21, 1e-7, math.Copysign(0, -1), 12345678901234567890.0, "\u2028<&>"},
			"deep": []any{[]any{[]any{map[string]any{"b": nil, "a": false}}}}},
			"arr": []any{"🙂", map[string]any{"y": 1.0, "x": 2.0}, nil}, "ACL": public},
	}
}

func TestStoreWrittenJSONMatchesObjects(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	wantStatus(t, h.do("POST", "/schemas/Everything", "master", map[string]any{"className": "Everything", "fields": everythingFields}), 200)
	user := h.signup("reader", "pw", nil)
	var ids []string
	for _, o := range everythingObjects(user.id) {
		res := h.do("POST", "/classes/Everything", "master", o)
		wantStatus(t, res, 201)
		ids = append(ids, res.body["objectId"].(string))
	}
	// These reads are the store's JSON (else the comparisons below would
	// compare the objects' path with itself).
	if res, err := h.app.Find(ctx, &core.Auth{Master: true}, "Everything", core.FindOptions{JSON: true}); err != nil || res.JSON == nil {
		t.Fatalf("the store did not write the JSON: %v", err)
	}
	userAuth, err := h.app.AuthForSession(ctx, user.token, &core.Auth{})
	if err != nil {
		t.Fatal(err)
	}
	callers := []struct {
		name    string
		auth    *core.Auth
		headers map[string]string
	}{
		{"master", &core.Auth{Master: true}, map[string]string{"X-Parse-Master-Key": masterKey}},
		{"public", &core.Auth{}, nil},
		{"user", userAuth, map[string]string{"X-Parse-Session-Token": user.token}},
	}
	for _, c := range callers {
		// Every object by id: the same bytes as the object Get returns,
		// encoded as the API encodes it; 101 where the caller may not read.
		for _, id := range ids {
			got := h.request("GET", "/classes/Everything/"+id, nil, c.headers)
			obj, err := h.app.Get(ctx, c.auth, "Everything", id, core.FindOptions{})
			if err != nil {
				if got.status != 404 || got.code() != 101 {
					t.Errorf("%s, %s: got %d %s, want 101 (%v)", c.name, id, got.status, got.raw, err)
				}
				continue
			}
			want, err := api.MarshalJSON(obj)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.raw, want) {
				t.Errorf("%s, get %s:\n got %s\nwant %s", c.name, id, got.raw, want)
			}
		}
		// A find with a count, and one with a where and an order.
		for _, q := range []url.Values{
			{"order": {"objectId"}, "count": {"1"}},
			{"where": {`{"num":{"$gte":0}}`}, "order": {"-num,objectId"}, "limit": {"3"}},
		} {
			got := h.request("GET", "/classes/Everything?"+q.Encode(), nil, c.headers)
			params := map[string]any{}
			for k, v := range q {
				params[k] = v[0]
			}
			opts, err := core.ParseFindOptions(params)
			if err != nil {
				t.Fatal(err)
			}
			res, err := h.app.Find(ctx, c.auth, "Everything", opts)
			if err != nil {
				t.Fatal(err)
			}
			reply := map[string]any{"results": res.Results}
			if res.Count != nil {
				reply["count"] = *res.Count
			}
			want, _ := api.MarshalJSON(reply)
			if !bytes.Equal(got.raw, want) {
				t.Errorf("%s, find %s:\n got %s\nwant %s", c.name, q.Encode(), got.raw, want)
			}
		}
	}
	// Users, with the master key (which the store may answer for: no
	// protected fields) and as themselves (which it may not: authData is
	// protected): the internal fields never leave, and the bytes are the
	// objects' either way.
	for _, c := range []struct {
		auth    *core.Auth
		headers map[string]string
	}{{&core.Auth{Master: true}, map[string]string{"X-Parse-Master-Key": masterKey}}, {userAuth, map[string]string{"X-Parse-Session-Token": user.token}}} {
		got := h.request("GET", "/classes/_User/"+user.id, nil, c.headers)
		obj, err := h.app.Get(ctx, c.auth, "_User", user.id, core.FindOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := api.MarshalJSON(obj)
		if !bytes.Equal(got.raw, want) || strings.Contains(string(got.raw), "hashed") || strings.Contains(string(got.raw), `"_`) {
			t.Errorf("user %s:\n got %s\nwant %s", user.id, got.raw, want)
		}
	}
	// The public never sees the user's own object, in a get or a find.
	hidden := ids[5]
	if res := h.do("GET", "/classes/Everything/"+hidden, "", nil); res.status != 404 {
		t.Errorf("the public read an object only its user may read: %d %s", res.status, res.raw)
	}
	if res := h.do("GET", "/classes/Everything", "", nil); strings.Contains(string(res.raw), hidden) {
		t.Errorf("a public find returned an object only its user may read: %s", res.raw)
	}
}

// The store writes the JSON only when nothing would change the objects
// between it and the reply, and only for callers that asked for JSON.
func TestStoreWrittenJSONOnlyWhenObjectsLeaveAsStored(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	wantStatus(t, h.do("POST", "/schemas/Plain", "master", map[string]any{"className": "Plain",
		"fields": map[string]any{"n": map[string]any{"type": "Number"}, "owner": map[string]any{"type": "Pointer", "targetClass": "_User"}}}), 200)
	wantStatus(t, h.do("POST", "/schemas/WithFile", "master", map[string]any{"className": "WithFile",
		"fields": map[string]any{"f": map[string]any{"type": "File"}}}), 200)
	wantStatus(t, h.do("POST", "/classes/Plain", "master", map[string]any{"n": 1.0}), 201)
	wantStatus(t, h.do("POST", "/classes/WithFile", "master", map[string]any{}), 201)
	public := &core.Auth{}
	find := func(class string, opts core.FindOptions) *core.FindResult {
		t.Helper()
		res, err := h.app.Find(ctx, public, class, opts)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	if res := find("Plain", core.FindOptions{JSON: true}); res.JSON == nil || res.Results != nil {
		t.Fatalf("a plain find asked for JSON: JSON %q, Results %v", res.JSON, res.Results)
	}
	if res := find("Plain", core.FindOptions{}); res.JSON != nil || len(res.Results) != 1 {
		t.Errorf("a find that did not ask for JSON got it: %q", res.JSON)
	}
	for name, opts := range map[string]core.FindOptions{
		"include":     {JSON: true, Include: []string{"owner"}},
		"keys":        {JSON: true, Keys: []string{"n"}},
		"excludeKeys": {JSON: true, ExcludeKeys: []string{"n"}},
	} {
		if res := find("Plain", opts); res.JSON != nil || len(res.Results) != 1 {
			t.Errorf("%s: the store wrote the JSON (%q)", name, res.JSON)
		}
	}
	if res := find("WithFile", core.FindOptions{JSON: true}); res.JSON != nil || len(res.Results) != 1 {
		t.Errorf("a class with a File field: the store wrote the JSON (%q)", res.JSON)
	}
	// Protected fields for this caller.
	wantStatus(t, h.do("PUT", "/schemas/Plain", "master", map[string]any{"classLevelPermissions": map[string]any{
		"find": map[string]any{"*": true}, "get": map[string]any{"*": true}, "count": map[string]any{"*": true},
		"create": map[string]any{"*": true}, "update": map[string]any{"*": true}, "delete": map[string]any{"*": true},
		"addField": map[string]any{"*": true}, "protectedFields": map[string]any{"*": []any{"n"}}}}), 200)
	if res := find("Plain", core.FindOptions{JSON: true}); res.JSON != nil || len(res.Results) != 1 || res.Results[0]["n"] != nil {
		t.Errorf("protected fields: JSON %q, results %v", res.JSON, res.Results)
	}
	if got := h.do("GET", "/classes/Plain", "", nil); strings.Contains(string(got.raw), `"n"`) {
		t.Errorf("a protected field left the server: %s", got.raw)
	}
	// An afterFind trigger sees and may change the objects.
	id := h.app.Hooks().AfterFind.BindClass("Plain", func(e *core.FindEvent) error {
		for _, r := range e.Results {
			r["seen"] = true
		}
		return e.Next()
	})
	defer h.app.Hooks().AfterFind.Unbind(id)
	if got := h.do("GET", "/classes/Plain", "", nil); !strings.Contains(string(got.raw), `"seen":true`) {
		t.Errorf("an afterFind trigger did not see the objects: %s", got.raw)
	}
}

// An Object field holding a File is written by the core, which resolves
// file URLs for the caller: the store hands such a page back, and the
// reply is the one the objects make.
func TestStoreWrittenJSONLeavesFilesToTheCore(t *testing.T) {
	h := newHarness(t, nil)
	ctx := context.Background()
	wantStatus(t, h.do("POST", "/schemas/Doc", "master", map[string]any{"className": "Doc",
		"fields": map[string]any{"meta": map[string]any{"type": "Object"}}}), 200)
	wantStatus(t, h.do("POST", "/classes/Doc", "master", map[string]any{"meta": map[string]any{"n": 1.0}}), 201)
	wantStatus(t, h.do("POST", "/classes/Doc", "master", map[string]any{"meta": map[string]any{"file": map[string]any{"__type": "File", "name": "a.txt"}}}), 201)
	res, err := h.app.Find(ctx, &core.Auth{}, "Doc", core.FindOptions{JSON: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.JSON != nil || len(res.Results) != 2 {
		t.Fatalf("a page with a File inside an Object: JSON %q, %d results", res.JSON, len(res.Results))
	}
	got := h.do("GET", "/classes/Doc", "", nil)
	want, _ := api.MarshalJSON(map[string]any{"results": res.Results})
	if !bytes.Equal(got.raw, want) {
		t.Errorf("got %s\nwant %s", got.raw, want)
	}
}
