package integration

import (
	"encoding/json"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Queries and schema input from the penetration test and the Parse SDK
// runs of issue 8, over HTTP on each store.

func whereURL(class, w string, extra ...string) string {
	u := "/classes/" + class + "?where=" + url.QueryEscape(w)
	for i := 0; i+1 < len(extra); i += 2 {
		u += "&" + extra[i] + "=" + url.QueryEscape(extra[i+1])
	}
	return u
}

// resultIDs returns the objectIds of a find's results, in order.
func resultIDs(t *testing.T, res response) []string {
	t.Helper()
	if res.status != 200 {
		t.Fatalf("find: %d %s", res.status, res.raw)
	}
	list, _ := res.body["results"].([]any)
	ids := make([]string, 0, len(list))
	for _, r := range list {
		ids = append(ids, r.(map[string]any)["objectId"].(string))
	}
	return ids
}

// createAll creates objects and returns their ids by name.
func createAll(t *testing.T, h *harness, class string, objs map[string]map[string]any) map[string]string {
	t.Helper()
	ids := map[string]string{}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range objs {
			if !yield(k) {
				return
			}
		}
	}) {
		res := h.do("POST", "/classes/"+class, "master", objs[name])
		if res.status != 201 {
			t.Fatalf("create %s: %d %s", name, res.status, res.raw)
		}
		ids[name] = res.body["objectId"].(string)
	}
	return ids
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// TestHole7BadQueryInputIsA4xx: input that reached a panic or an engine
// error (a 500) answers a Parse error.
func TestHole7BadQueryInputIsA4xx(t *testing.T) {
	h := newHarness(t, nil)
	ids := createAll(t, h, "Place", map[string]map[string]any{
		"quote":     {"loc": map[string]any{"__type": "GeoPoint", "latitude": 1, "longitude": 1}, "meta": map[string]any{`a"b`: 1, `c\d`: 2}},
		"backslash": {"meta": map[string]any{`c\d`: 3}},
	})
	tests := []struct {
		name, path   string
		status, code int
	}{
		{"$centerSphere with an empty point", whereURL("Place", `{"loc":{"$geoWithin":{"$centerSphere":[[],0.1]}}}`), 400, 107},
		{"$centerSphere with one coordinate", whereURL("Place", `{"loc":{"$geoWithin":{"$centerSphere":[[1],0.1]}}}`), 400, 107},
		{"$centerSphere without a point", whereURL("Place", `{"loc":{"$geoWithin":{"$centerSphere":[]}}}`), 400, 107},
		{"a where key starting with $", whereURL("Place", `{"$foo":1}`), 400, 105},
		{"invalid $options on a field the class lacks", whereURL("Place", `{"nope":{"$regex":"a","$options":"z"}}`), 400, 102},
		{"invalid $options", whereURL("Place", `{"meta.x":{"$regex":"a","$options":"gu"}}`), 400, 102},
		{"a field named length", whereURL("Place", `{"length":1}`), 400, 105},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.do("GET", tt.path, "", nil)
			if res.status != tt.status || res.code() != tt.code {
				t.Fatalf("got %d %s, want %d with code %d", res.status, res.raw, tt.status, tt.code)
			}
		})
	}
	t.Run("dotted keys with a quote or a backslash", func(t *testing.T) {
		if got := resultIDs(t, h.do("GET", whereURL("Place", `{"meta.a\"b":1}`), "", nil)); !slices.Equal(got, []string{ids["quote"]}) {
			t.Errorf(`meta.a"b: got %v, want %v`, got, ids["quote"])
		}
		if got := resultIDs(t, h.do("GET", whereURL("Place", `{"meta.c\\d":{"$gte":2}}`), "", nil)); !sameSet(got, []string{ids["quote"], ids["backslash"]}) {
			t.Errorf(`meta.c\d: got %v`, got)
		}
		if got := resultIDs(t, h.do("GET", whereURL("Place", `{"meta.x\"] OR 1=1 --":1}`), "", nil)); len(got) != 0 {
			t.Errorf("an injection-shaped key matched %v", got)
		}
	})
}

// TestHole7ReservedClassNames: classes may not take the names of the
// engine's or the job queue's tables.
func TestHole7ReservedClassNames(t *testing.T) {
	h := newHarness(t, nil)
	for _, name := range []string{"river_client", "river_job", "sqlite_master", "SQLITE_temp", "pg_class", "Pg_stats"} {
		if res := h.do("POST", "/classes/"+name, "master", map[string]any{"a": 1}); res.status != 400 || res.code() != 103 {
			t.Errorf("POST /classes/%s: %d %s, want 103", name, res.status, res.raw)
		}
		if res := h.do("POST", "/schemas/"+name, "master", map[string]any{"className": name}); res.status != 400 || res.code() != 103 {
			t.Errorf("POST /schemas/%s: %d %s, want 103", name, res.status, res.raw)
		}
		if res := h.do("GET", "/classes/"+name, "master", nil); res.status != 400 || res.code() != 103 {
			t.Errorf("GET /classes/%s: %d %s, want 103", name, res.status, res.raw)
		}
	}
	if res := h.do("POST", "/classes/riverside", "master", map[string]any{"a": 1}); res.status != 201 {
		t.Errorf("riverside: %d %s", res.status, res.raw)
	}
}

// TestHole2RegexLimits: patterns over the length limit, and short ones
// whose repeats explode, are refused before they reach the database.
func TestHole2RegexLimits(t *testing.T) {
	h := newHarness(t, func(o *core.Options) { o.Limits.MaxRegexLength = 50 })
	createAll(t, h, "Note", map[string]map[string]any{"n": {"s": strings.Repeat("a", 100)}})
	for _, p := range []string{strings.Repeat("a", 51), "(.*){1,1000}z", "(a+)+{40}", "(?:x.*){100}"} {
		res := h.do("GET", whereURL("Note", `{"s":{"$regex":`+jsonString(p)+`}}`), "", nil)
		if res.status != 400 || res.code() != 102 {
			t.Errorf("$regex %q: %d %s, want 102", p, res.status, res.raw)
		}
	}
	if got := resultIDs(t, h.do("GET", whereURL("Note", `{"s":{"$regex":"^a{10,60}"}}`), "", nil)); len(got) != 1 {
		t.Errorf("an ordinary pattern: %v", got)
	}
}

func jsonString(s string) string { b, _ := json.Marshal(s); return string(b) }

// TestGeoQueriesFromTheSDK: Polygon equality, $box corners in either
// order, withinPolygon with a closed path, one GeoPoint per class.
func TestGeoQueriesFromTheSDK(t *testing.T) {
	h := newHarness(t, nil)
	gp := func(lat, lng float64) map[string]any {
		return map[string]any{"__type": "GeoPoint", "latitude": lat, "longitude": lng}
	}
	poly := func(coords ...[]any) map[string]any {
		c := make([]any, len(coords))
		for i, p := range coords {
			c[i] = p
		}
		return map[string]any{"__type": "Polygon", "coordinates": c}
	}
	ids := createAll(t, h, "Area", map[string]map[string]any{
		"in":  {"loc": gp(1, 1), "shape": poly([]any{0, 0}, []any{0, 2}, []any{2, 2})},
		"out": {"loc": gp(5, 5), "shape": poly([]any{0, 0}, []any{0, 3}, []any{3, 3}, []any{0, 0})},
	})
	check := func(name, where string, want ...string) {
		t.Helper()
		got := resultIDs(t, h.do("GET", whereURL("Area", where), "", nil))
		var w []string
		for _, n := range want {
			w = append(w, ids[n])
		}
		if !sameSet(got, w) {
			t.Errorf("%s: got %v, want %v", name, got, want)
		}
	}
	check("polygon equality", `{"shape":{"__type":"Polygon","coordinates":[[0,0],[0,2],[2,2]]}}`, "in")
	check("polygon equality, closed spelling", `{"shape":{"__type":"Polygon","coordinates":[[0,0],[0,2],[2,2],[0,0]]}}`, "in")
	check("stored closed, queried open", `{"shape":{"$eq":{"__type":"Polygon","coordinates":[[0,0],[0,3],[3,3]]}}}`, "out")
	check("$box south-west first", `{"loc":{"$within":{"$box":[{"__type":"GeoPoint","latitude":0,"longitude":0},{"__type":"GeoPoint","latitude":2,"longitude":2}]}}}`, "in")
	check("$box north-east first", `{"loc":{"$within":{"$box":[{"__type":"GeoPoint","latitude":2,"longitude":2},{"__type":"GeoPoint","latitude":0,"longitude":0}]}}}`, "in")
	check("withinPolygon closed path", `{"loc":{"$geoWithin":{"$polygon":[{"__type":"GeoPoint","latitude":0,"longitude":0},{"__type":"GeoPoint","latitude":0,"longitude":3},{"__type":"GeoPoint","latitude":3,"longitude":3},{"__type":"GeoPoint","latitude":3,"longitude":0},{"__type":"GeoPoint","latitude":0,"longitude":0}]}}}`, "in")
	res := h.do("GET", "/classes/Area/"+ids["out"], "", nil)
	if coords, _ := res.body["shape"].(map[string]any)["coordinates"].([]any); len(coords) != 3 {
		t.Errorf("a polygon saved closed reads back as %v, want its 3 points", res.body["shape"])
	}
	if res := h.do("POST", "/classes/Area", "", map[string]any{"other": gp(1, 2)}); res.status != 400 || res.code() != 111 {
		t.Errorf("a second GeoPoint field: %d %s, want 111", res.status, res.raw)
	}
	if res := h.do("POST", "/schemas/Two", "master", map[string]any{"fields": map[string]any{"a": map[string]any{"type": "GeoPoint"}, "b": map[string]any{"type": "GeoPoint"}}}); res.status != 400 || res.code() != 111 {
		t.Errorf("a schema with two GeoPoint fields: %d %s, want 111", res.status, res.raw)
	}
	if res := h.do("POST", "/classes/Area", "", map[string]any{"length": 3}); res.status != 400 || res.code() != 105 {
		t.Errorf("a field named length: %d %s, want 105", res.status, res.raw)
	}
}

// TestHole11PolygonSize: query polygons over the limit are refused (stored
// ones: see core's TestPolygonLimits and App.CheckValueLimits).
func TestHole11PolygonSize(t *testing.T) {
	h := newHarness(t, func(o *core.Options) { o.Limits.MaxPolygonPoints = 100 })
	createAll(t, h, "Land", map[string]map[string]any{"p": {"loc": map[string]any{"__type": "GeoPoint", "latitude": 1, "longitude": 1}}})
	ring := func(n int) []any {
		pts := make([]any, n)
		for i := range pts {
			pts[i] = []any{float64(i%2) * 10, float64(i) / float64(n) * 10}
		}
		return pts
	}
	w, _ := json.Marshal(map[string]any{"loc": map[string]any{"$geoWithin": map[string]any{"$polygon": ring(101)}}})
	if res := h.do("GET", whereURL("Land", string(w)), "", nil); res.status != 400 || res.code() != 102 {
		t.Errorf("a 101-point query polygon: %d %s, want 102", res.status, res.raw)
	}
	w, _ = json.Marshal(map[string]any{"loc": map[string]any{"$geoWithin": map[string]any{"$polygon": ring(100)}}})
	if res := h.do("GET", whereURL("Land", string(w)), "", nil); res.status != 200 {
		t.Errorf("a 100-point query polygon: %d %s", res.status, res.raw)
	}
}

// TestOrderByStorageNames: order accepts Parse Server's storage names of
// the built-in dates.
func TestOrderByStorageNames(t *testing.T) {
	h := newHarness(t, nil)
	var want []string
	for i := range 3 {
		time.Sleep(3 * time.Millisecond) // distinct createdAt, kept to the millisecond
		res := h.do("POST", "/classes/Event", "", map[string]any{"i": i})
		want = append([]string{res.body["objectId"].(string)}, want...)
	}
	for _, order := range []string{"-_created_at", "-_updated_at", "-createdAt"} {
		if got := resultIDs(t, h.do("GET", whereURL("Event", `{}`, "order", order), "", nil)); !slices.Equal(got, want) {
			t.Errorf("order=%s: %v, want %v", order, got, want)
		}
	}
}

// TestAggregatePipelines runs the SDK's query.aggregate pipelines through
// the App entry point the /aggregate route calls.
func TestAggregatePipelines(t *testing.T) {
	h := newHarness(t, nil)
	createAll(t, h, "Player", map[string]map[string]any{
		"a": {"name": "ann", "score": 10, "tags": []any{"x"}},
		"b": {"name": "ann", "score": 20, "tags": []any{"x", "y"}},
		"c": {"name": "bo", "score": 5},
	})
	params := map[string]any{"pipeline": `[{"$group":{"_id":"$name","total":{"$sum":"$score"},"n":{"$sum":1}}},{"$sort":{"total":-1}}]`}
	pipeline, err := core.AggregatePipeline(params)
	if err != nil {
		t.Fatal(err)
	}
	got, err := h.app.Aggregate(t.Context(), &core.Auth{Master: true}, "Player", pipeline)
	if err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(got)
	if string(js) != `[{"n":2,"objectId":"ann","total":30},{"n":1,"objectId":"bo","total":5}]` {
		t.Errorf("group: %s", js)
	}
	pipeline, err = core.AggregatePipeline(map[string]any{"where": `{"name":"ann"}`, "pipeline": []any{map[string]any{"$unwind": "$tags"}, map[string]any{"$count": "n"}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err = h.app.Aggregate(t.Context(), &core.Auth{Master: true}, "Player", pipeline)
	if js, _ := json.Marshal(got); err != nil || string(js) != `[{"n":3}]` {
		t.Errorf("where + unwind + count: %s, %v", js, err)
	}
	for _, bad := range []any{
		[]any{map[string]any{"$out": "Other"}},
		[]any{map[string]any{"$group": map[string]any{"_id": "$_hashed_password"}}},
	} {
		if _, err := h.app.Aggregate(t.Context(), &core.Auth{Master: true}, "Player", bad.([]any)); !core.IsCode(err, core.CodeInvalidQuery) && !core.IsCode(err, core.CodeInvalidKeyName) {
			t.Errorf("%v: %v, want 102 or 105", bad, err)
		}
	}
}
