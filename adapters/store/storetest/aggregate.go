package storetest

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// testAggregate runs aggregate pipelines, parsed by the core as the
// /aggregate route does, on a store that implements core.Aggregator.
func testAggregate(t *testing.T, open func(t *testing.T) core.Store) {
	s := open(t)
	if _, ok := s.(core.Aggregator); !ok {
		t.Skip("the store does not implement core.Aggregator")
	}
	c := mustCreate(t, s, class("Score", map[string]string{
		"player": "String", "score": "Number", "level": "Number", "tags": "Array", "active": "Boolean", "meta": "Object",
	}))
	at := func(i int) time.Time { return baseTime.Add(time.Duration(i) * time.Minute) }
	row := func(id string, i int, kv ...any) core.Object {
		o := obj(id, kv...)
		o[core.FieldCreatedAt], o[core.FieldUpdatedAt] = at(i), at(i)
		return o
	}
	mustInsert(t, s, c,
		row("a", 0, "player", "alice", "score", 10.0, "level", 1.0, "tags", []any{"x", "y"}, "active", true, "meta", map[string]any{"city": "Oslo"}),
		row("b", 1, "player", "alice", "score", 30.0, "level", 2.0, "tags", []any{"y"}, "active", false, "meta", map[string]any{"city": "Rome"}),
		row("c", 2, "player", "bob", "score", 20.0, "level", 1.0, "tags", []any{}, "active", true, "meta", map[string]any{"city": "Oslo"}),
		row("d", 3, "player", "bob", "score", 5.0, "level", 3.0, "tags", []any{"x"}, "active", true),
		row("e", 4, "player", "carol", "level", 2.0, "active", false, "meta", map[string]any{"city": "Oslo"}),
	)
	app, err := core.NewApp(ctx(t), s, core.Options{})
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	master := &core.Auth{Master: true}
	run := func(t *testing.T, pipeline string) ([]map[string]any, error) {
		t.Helper()
		var p []any
		if err := json.Unmarshal([]byte(pipeline), &p); err != nil {
			t.Fatalf("bad test pipeline %s: %v", pipeline, err)
		}
		return app.Aggregate(ctx(t), master, "Score", p)
	}
	iso := func(i int) string { return core.FormatTime(at(i)) }
	cases := []struct {
		name, pipeline, want string
		unordered            bool
	}{
		{"group by field, sum, sort", `[{"$group":{"_id":"$player","total":{"$sum":"$score"}}},{"$sort":{"total":-1}}]`,
			`[{"objectId":"alice","total":40},{"objectId":"bob","total":25},{"objectId":"carol","total":0}]`, false},
		{"group all: count, avg, min, max", `[{"$group":{"_id":null,"n":{"$sum":1},"avg":{"$avg":"$score"},"lo":{"$min":"$score"},"hi":{"$max":"$score"},"twice":{"$sum":2}}}]`,
			`[{"objectId":null,"n":5,"avg":16.25,"lo":5,"hi":30,"twice":10}]`, false},
		{"min and max of dates and strings", `[{"$group":{"_id":null,"first":{"$min":"$_created_at"},"last":{"$max":"$createdAt"},"name":{"$max":"$player"}}}]`,
			`[{"objectId":null,"first":{"__type":"Date","iso":"` + iso(0) + `"},"last":{"__type":"Date","iso":"` + iso(4) + `"},"name":"carol"}]`, false},
		{"first and last follow $sort", `[{"$sort":{"score":1}},{"$group":{"_id":"$player","first":{"$first":"$score"},"last":{"$last":"$score"}}},{"$sort":{"_id":1}}]`,
			`[{"objectId":"alice","first":10,"last":30},{"objectId":"bob","first":5,"last":20},{"objectId":"carol","first":null,"last":null}]`, false},
		{"push in order, skipping missing values", `[{"$sort":{"score":-1}},{"$group":{"_id":"$player","scores":{"$push":"$score"},"when":{"$push":"$createdAt"}}},{"$sort":{"_id":1}}]`,
			`[{"objectId":"alice","scores":[30,10],"when":[{"__type":"Date","iso":"` + iso(1) + `"},{"__type":"Date","iso":"` + iso(0) + `"}]},{"objectId":"bob","scores":[20,5],"when":[{"__type":"Date","iso":"` + iso(2) + `"},{"__type":"Date","iso":"` + iso(3) + `"}]},{"objectId":"carol","scores":[],"when":[{"__type":"Date","iso":"` + iso(4) + `"}]}]`, false},
		{"match, project, sort, skip, limit", `[{"$match":{"score":{"$gte":10}}},{"$project":{"player":1,"score":1}},{"$sort":{"score":-1}},{"$skip":1},{"$limit":2}]`,
			`[{"objectId":"c","player":"bob","score":20},{"objectId":"a","player":"alice","score":10}]`, false},
		{"limit then skip", `[{"$sort":{"score":-1}},{"$limit":3},{"$skip":2},{"$project":{"_id":0,"score":1}}]`, `[{"score":10}]`, false},
		{"project without _id and renamed", `[{"$match":{"objectId":"a"}},{"$project":{"_id":0,"who":"$player","city":"$meta.city"}}]`, `[{"who":"alice","city":"Oslo"}]`, false},
		{"project excluding", `[{"$match":{"_id":"d"}},{"$project":{"tags":0,"meta":0,"createdAt":0,"updatedAt":0,"score":0}}]`,
			`[{"objectId":"d","player":"bob","level":3,"active":true}]`, false},
		{"dates of a document", `[{"$match":{"objectId":"b"}},{"$project":{"createdAt":1}}]`, `[{"objectId":"b","createdAt":"` + iso(1) + `"}]`, false},
		{"count", `[{"$match":{"player":"alice"}},{"$count":"n"}]`, `[{"n":2}]`, false},
		{"count of nothing is nothing", `[{"$match":{"player":"zed"}},{"$count":"n"}]`, `[]`, false},
		{"group of nothing is nothing", `[{"$match":{"player":"zed"}},{"$group":{"_id":null,"n":{"$sum":1}}}]`, `[]`, false},
		{"unwind and group", `[{"$unwind":"$tags"},{"$group":{"_id":"$tags","n":{"$sum":1}}},{"$sort":{"_id":1}}]`,
			`[{"objectId":"x","n":2},{"objectId":"y","n":2}]`, false},
		{"unwind keeps the rest of the document", `[{"$match":{"objectId":"a"}},{"$unwind":{"path":"$tags","includeArrayIndex":"i"}},{"$project":{"tags":1,"i":1,"player":1}},{"$sort":{"i":-1}}]`,
			`[{"objectId":"a","tags":"y","i":1,"player":"alice"},{"objectId":"a","tags":"x","i":0,"player":"alice"}]`, false},
		{"unwind drops empty arrays", `[{"$unwind":"$tags"},{"$count":"n"}]`, `[{"n":4}]`, false},
		{"unwind preserving empty arrays", `[{"$unwind":{"path":"$tags","preserveNullAndEmptyArrays":true}},{"$count":"n"}]`, `[{"n":6}]`, false},
		{"match after group", `[{"$group":{"_id":"$player","total":{"$sum":"$score"}}},{"$match":{"total":{"$gt":20}}},{"$sort":{"total":1}}]`,
			`[{"objectId":"bob","total":25},{"objectId":"alice","total":40}]`, false},
		{"match after group with $in and $or", `[{"$group":{"_id":"$player","n":{"$sum":1}}},{"$match":{"$or":[{"_id":{"$in":["carol"]}},{"n":{"$gte":2,"$lt":3}}]}},{"$sort":{"_id":-1}}]`,
			`[{"objectId":"carol","n":1},{"objectId":"bob","n":2},{"objectId":"alice","n":2}]`, false},
		{"match on unwound elements", `[{"$unwind":"$tags"},{"$match":{"tags":"x"}},{"$project":{"_id":1}},{"$sort":{"_id":1}}]`, `[{"objectId":"a"},{"objectId":"d"}]`, false},
		{"group by a key of an Object", `[{"$group":{"_id":"$meta.city","n":{"$sum":1}}},{"$sort":{"_id":1}}]`,
			`[{"objectId":null,"n":1},{"objectId":"Oslo","n":3},{"objectId":"Rome","n":1}]`, false},
		{"group by several fields", `[{"$group":{"_id":{"p":"$player","on":"$active"},"n":{"$sum":1}}}]`,
			`[{"objectId":{"p":"alice","on":true},"n":1},{"objectId":{"p":"alice","on":false},"n":1},{"objectId":{"p":"bob","on":true},"n":2},{"objectId":{"p":"carol","on":false},"n":1}]`, true},
		{"add to set", `[{"$group":{"_id":null,"levels":{"$addToSet":"$level"}}},{"$unwind":"$levels"},{"$sort":{"levels":1}},{"$project":{"_id":0,"levels":1}}]`,
			`[{"levels":1},{"levels":2},{"levels":3}]`, false},
		{"sum of unwound numbers", `[{"$group":{"_id":null,"all":{"$push":"$score"}}},{"$unwind":"$all"},{"$group":{"_id":null,"t":{"$sum":"$all"},"m":{"$max":"$all"}}}]`,
			`[{"objectId":null,"t":65,"m":30}]`, false},
		{"storage names of dates", `[{"$match":{"_created_at":{"$gte":{"__type":"Date","iso":"` + iso(3) + `"}}}},{"$project":{"_id":0,"player":1}},{"$sort":{"player":1}}]`,
			`[{"player":"bob"},{"player":"carol"}]`, false},
		{"leading match with full query syntax", `[{"$match":{"$or":[{"tags":"y"},{"meta.city":"Rome"}],"player":{"$regex":"^al"}}},{"$count":"n"}]`, `[{"n":2}]`, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := run(t, tc.pipeline)
			if err != nil {
				t.Fatalf("%s: %v", tc.pipeline, err)
			}
			if !sameJSON(t, got, tc.want, tc.unordered) {
				js, _ := json.Marshal(got)
				t.Errorf("%s\n got %s\nwant %s", tc.pipeline, js, tc.want)
			}
		})
	}

	refused := []struct{ name, pipeline string }{
		{"unknown stage", `[{"$lookup":{"from":"x"}}]`},
		{"stage without $", `[{"group":{"_id":null}}]`},
		{"two keys in a stage", `[{"$skip":1,"$limit":1}]`},
		{"objectId in $group", `[{"$group":{"objectId":"$player"}}]`},
		{"$group without _id", `[{"$group":{"n":{"$sum":1}}}]`},
		{"unknown accumulator", `[{"$group":{"_id":null,"n":{"$stdDevPop":"$score"}}}]`},
		{"$sum of strings", `[{"$group":{"_id":null,"n":{"$sum":"$player"}}}]`},
		{"unknown field", `[{"$group":{"_id":"$nope"}}]`},
		{"field gone after $group", `[{"$group":{"_id":"$player"}},{"$sort":{"score":1}}]`},
		{"$unwind of a non-array", `[{"$unwind":"$player"}]`},
		{"mixed $project", `[{"$project":{"player":1,"score":0}}]`},
		{"$limit 0", `[{"$limit":0}]`},
		{"negative $skip", `[{"$skip":-1}]`},
		{"bad $sort direction", `[{"$sort":{"score":2}}]`},
		{"$where after $group", `[{"$group":{"_id":"$player"}},{"$match":{"$where":"1"}}]`},
	}
	for _, tc := range refused {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			_, err := run(t, tc.pipeline)
			if !core.IsCode(err, core.CodeInvalidQuery) && !core.IsCode(err, core.CodeInvalidKeyName) {
				t.Errorf("%s: got %v, want 102 or 105", tc.pipeline, err)
			}
		})
	}
	t.Run("Hole3InternalFieldsAreNeverKeys", func(t *testing.T) {
		for _, p := range []string{
			`[{"$group":{"_id":"$_hashed_password"}}]`, `[{"$group":{"_id":null,"x":{"$push":"$_perishable_token"}}}]`,
			`[{"$project":{"_rperm":1}}]`, `[{"$sort":{"_wperm":1}}]`,
		} {
			if _, err := run(t, p); !core.IsCode(err, core.CodeInvalidKeyName) {
				t.Errorf("%s: got %v, want 105", p, err)
			}
		}
	})
	t.Run("too many results", func(t *testing.T) {
		p, err := app.ParseAggregate(ctx(t), master, "Score", []any{})
		if err != nil {
			t.Fatal(err)
		}
		p.MaxResults = 3
		_, err = s.(core.Aggregator).Aggregate(ctx(t), c, p)
		wantCode(t, "a pipeline past MaxResults", err, core.CodeInvalidQuery)
		p.MaxResults = 5
		docs, err := s.(core.Aggregator).Aggregate(ctx(t), c, p)
		if err != nil || len(docs) != 5 {
			t.Errorf("a pipeline at MaxResults: %d documents, %v", len(docs), err)
		}
	})
	t.Run("missing class", func(t *testing.T) {
		got, err := app.Aggregate(ctx(t), master, "Nope", []any{map[string]any{"$group": map[string]any{"_id": "$x", "n": map[string]any{"$sum": 1}}}})
		if err != nil || len(got) != 0 {
			t.Errorf("pipeline on a missing class: %v, %v; want no results", got, err)
		}
	})
}

// sameJSON compares results with the expected JSON text.
func sameJSON(t *testing.T, got []map[string]any, want string, unordered bool) bool {
	t.Helper()
	var w []any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	enc := func(list []any) []string {
		out := make([]string, len(list))
		for i, v := range list {
			b, _ := json.Marshal(v)
			out[i] = string(b)
		}
		if unordered {
			slices.Sort(out)
		}
		return out
	}
	g := make([]any, len(got))
	for i, m := range got {
		// Round-trip so numbers compare as JSON numbers.
		b, _ := json.Marshal(m)
		var v any
		_ = json.Unmarshal(b, &v)
		g[i] = v
	}
	return slices.Equal(enc(g), enc(w))
}
