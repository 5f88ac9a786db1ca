package policies

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

func date(s string) time.Time {
	t, err := time.Parse(isoLayout, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestFilters checks the Expr each Rego construct becomes for a find on
// Item by user u1 with roles a and b.
func TestFilters(t *testing.T) {
	now := date("2025-06-01T12:00:00.000Z")
	cases := []struct {
		name   string
		policy string // the bodies of `allow if { ... }`, one per line group separated by "---"
		want   core.Expr
	}{
		{"pointer objectId equals the caller", `input.object.owner.objectId == input.auth.userId`,
			core.Cmp{Field: "owner", Op: core.OpEq, Value: "u1"}},
		{"whole pointer", `input.object.owner == {"__type": "Pointer", "className": "_User", "objectId": input.auth.userId}`,
			core.Cmp{Field: "owner", Op: core.OpEq, Value: "u1"}},
		{"pointer to another class never matches", `input.object.owner == {"__type": "Pointer", "className": "Team", "objectId": "u1"}`,
			core.Nothing{}},
		{"className of a pointer", `input.object.owner.className == "_User"`,
			core.Exists{Field: "owner", Exists: true}},
		{"not equal needs the field", `input.object.title != "x"`,
			core.And{Exprs: []core.Expr{core.Exists{Field: "title", Exists: true}, core.Cmp{Field: "title", Op: core.OpNe, Value: "x"}}}},
		{"number ordering", `input.object.score >= 10`,
			core.Cmp{Field: "score", Op: core.OpGte, Value: 10.0}},
		{"value on the left flips the operator", `10 > input.object.score`,
			core.Cmp{Field: "score", Op: core.OpLt, Value: 10.0}},
		{"createdAt against an ISO string", `input.object.createdAt > "2024-01-01T00:00:00.000Z"`,
			core.Cmp{Field: "createdAt", Op: core.OpGt, Value: date("2024-01-01T00:00:00.000Z")}},
		{"a Date field's iso", `input.object.due.iso <= "2024-02-03T04:05:06.789Z"`,
			core.Cmp{Field: "due", Op: core.OpLte, Value: date("2024-02-03T04:05:06.789Z")}},
		{"time computed from now", `input.object.createdAt >= time.format([time.now_ns() - ((24 * 3600) * 1000000000), "UTC", "2006-01-02T15:04:05.000Z07:00"])`,
			core.Cmp{Field: "createdAt", Op: core.OpGte, Value: date("2025-05-31T12:00:00.000Z")}},
		{"value in an Array field", `"urgent" in input.object.tags`,
			core.ArrayContains{Field: "tags", Values: []any{"urgent"}}},
		{"some element equals", "some t in input.object.tags\nt == \"x\"",
			core.ArrayContains{Field: "tags", Values: []any{"x"}}},
		{"field in a set", `input.object.title in {"b", "a"}`,
			core.In{Field: "title", Values: []any{"a", "b"}}},
		{"startswith escapes the prefix", `startswith(input.object.title, "a.b")`,
			core.Regex{Field: "title", Pattern: `^a\.b`}},
		{"endswith", `endswith(input.object.title, "z")`,
			core.Regex{Field: "title", Pattern: `z$`}},
		{"contains", `contains(input.object.title, "(x)")`,
			core.Regex{Field: "title", Pattern: `\(x\)`}},
		{"regex.match", `regex.match("^x[0-9]+$", input.object.title)`,
			core.Regex{Field: "title", Pattern: `^x[0-9]+$`}},
		{"a bare boolean field", `input.object.done`,
			core.Cmp{Field: "done", Op: core.OpEq, Value: true}},
		{"not", `not input.object.done`,
			core.Nor{Exprs: []core.Expr{core.Cmp{Field: "done", Op: core.OpEq, Value: true}}}},
		{"not equal inside not", `not input.object.title == "x"`,
			core.Nor{Exprs: []core.Expr{core.Cmp{Field: "title", Op: core.OpEq, Value: "x"}}}},
		{"a key of an Object field", `input.object.meta.level == 3`,
			core.Cmp{Field: "meta", Path: []string{"level"}, Op: core.OpEq, Value: 3.0}},
		{"a field the class does not have", `input.object.nosuch == 1`,
			core.Nothing{}},
		{"a string field compared with a number", `input.object.title == 1`,
			core.Nothing{}},
		{"equality with null never holds for Parse JSON", `input.object.title == null`,
			core.Nothing{}},
		{"bodies become an Or", "input.object.owner.objectId == input.auth.userId\n---\ninput.object.done == true",
			core.Or{Exprs: []core.Expr{core.Cmp{Field: "owner", Op: core.OpEq, Value: "u1"}, core.Cmp{Field: "done", Op: core.OpEq, Value: true}}}},
		{"roles unroll into an In", "some r in input.auth.roles\ninput.object.team.objectId == trim_prefix(r, \"role:\")",
			core.In{Field: "team", Values: []any{"a", "b"}}},
		{"two conditions in one body", "input.object.done == false\ninput.object.score < 5",
			core.And{Exprs: []core.Expr{core.Cmp{Field: "done", Op: core.OpEq, Value: false}, core.Cmp{Field: "score", Op: core.OpLt, Value: 5.0}}}},
		{"a body that needs no object lifts the filter", "\"role:a\" in input.auth.roles\n---\ninput.object.done == true",
			nil},
		{"a body the caller cannot meet drops out", "\"role:admin\" in input.auth.roles\n---\ninput.object.done == true",
			core.Cmp{Field: "done", Op: core.OpEq, Value: true}},
		{"data drives the filter", `input.object.team.objectId in data.teams[input.auth.userId]`,
			core.In{Field: "team", Values: []any{"t1", "t2"}}},
		{"a helper function is inlined", "is_mine(input.object)\n}\n\nis_mine(o) if {\n\to.owner.objectId == input.auth.userId",
			core.Cmp{Field: "owner", Op: core.OpEq, Value: "u1"}},
		{"not over a helper rule is inlined", "not is_done\n}\n\nis_done if {\n\tinput.object.done == true",
			core.Nor{Exprs: []core.Expr{core.Cmp{Field: "done", Op: core.OpEq, Value: true}}}},
		{"a default on allow itself is fine", "input.object.done == true\n}\n\ndefault allow := false\n\nx if {\n\ttrue",
			core.Cmp{Field: "done", Op: core.OpEq, Value: true}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := mustLoad(t, Options{}, map[string]string{
				"item.rego":       itemPolicy(tc.policy),
				"teams/data.json": `{"u1": ["t1", "t2"]}`,
			})
			got, err := e.Authorize(context.Background(), &core.AuthzInput{
				Point: "objects", Action: "find", Class: "Item", Schema: itemClass(),
				Auth: user("u1", "role:a", "role:b"), Request: core.AuthzRequest{Time: now},
			})
			if err != nil {
				t.Fatalf("Authorize: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("filter\n got %#v (%s)\nwant %#v (%s)", got, WhereString(got), tc.want, WhereString(tc.want))
			}
		})
	}
}

// itemPolicy writes one allow rule per "---"-separated group of lines.
func itemPolicy(bodies string) string {
	var b strings.Builder
	b.WriteString("package switchboard.objects.Item\n\n")
	for _, body := range strings.Split(bodies, "\n---\n") {
		b.WriteString("allow if {\n\t" + strings.ReplaceAll(body, "\n", "\n\t") + "\n}\n\n")
	}
	return b.String()
}

// TestFilterRefusedOnLoad: constructs that cannot become a filter are
// reported when the policy loads, with their line, not at request time.
func TestFilterRefusedOnLoad(t *testing.T) {
	cases := []struct {
		name, policy string
		line         int // of the offending expression in item.rego
		want         string
	}{
		{"a builtin over a field", `count(input.object.tags) > 2`, 4, "count(...) on the object cannot become a filter"},
		{"a function of a date field", `time.parse_rfc3339_ns(input.object.createdAt) > 5`, 4, "time.parse_rfc3339_ns(...)"},
		{"keys of an array element", `input.object.members[_].objectId == input.auth.userId`, 4, "compared whole"},
		{"two fields", `input.object.a == input.object.b`, 4, "both fields of the object"},
		{"a computed field name", "some k in input.auth.roles\ninput.object[k] == 1", 5, "must be written out"},
		{"lower of a field", `lower(input.object.title) == "x"`, 4, "lower(...)"},
		{"every", "every t in input.object.tags {\n\tt != \"x\"\n}", 4, "`every`"},
		{"an array index", `input.object.tags[0] == "x"`, 4, "no indexes"},
		{"the whole object", `input.object == {}`, 4, "whole object"},
		{"an element used twice", "some t in input.object.tags\nstartswith(t, \"a\")\nendswith(t, \"z\")", 5, "more than one condition"},
		{"a default helper over the object", "is_done\n}\n\ndefault is_done := false\n\nis_done if {\n\tinput.object.done == true", 4, "is_done is a helper rule over the object"},
		{"an else helper over the object", "x\n}\n\nx := true if {\n\tinput.object.done == true\n} else := false\n\ny if {\n\ttrue", 4, "x is a helper rule over the object"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			le := loadErr(t, Options{}, map[string]string{"item.rego": itemPolicy(tc.policy)})
			found := false
			for _, p := range le.Problems {
				if p.File == "item.rego" && p.Line == tc.line && strings.Contains(p.Message, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("want a problem at item.rego:%d containing %q, got:\n%v", tc.line, tc.want, le)
			}
		})
	}
}

// TestWriteOnlyBodiesAreNotChecked: a body that can only hold for a write
// may use any construct on the object; the load-time check runs for reads.
func TestWriteOnlyBodiesAreNotChecked(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{"item.rego": `package switchboard.objects.Item

allow if {
	input.action == "update"
	time.now_ns() - time.parse_rfc3339_ns(input.object.createdAt) < 1000000000000
	count(input.object.tags) < 3
}

allow if {
	input.action == "find"
	input.object.done == true
}
`})
	got, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: "find", Class: "Item", Schema: itemClass(), Auth: user("u1")})
	if err != nil || !reflect.DeepEqual(got, core.Cmp{Field: "done", Op: core.OpEq, Value: true}) {
		t.Fatalf("find: %v, %v", got, err)
	}
	obj := map[string]any{"objectId": "i1", "createdAt": core.FormatTime(time.Now().Add(-time.Minute)), "tags": []any{"a"}}
	if _, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: "update", Class: "Item", Auth: user("u1"), Object: obj}); err != nil {
		t.Fatalf("update: %v", err)
	}
	obj["tags"] = []any{"a", "b", "c"}
	if _, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: "update", Class: "Item", Auth: user("u1"), Object: obj}); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Fatalf("update with 3 tags: %v, want 119", err)
	}
}

// TestFilterValueErrorsFailClosed: a value that the schema makes
// untranslatable (known only per request) refuses the read with 119; it
// never reads unfiltered.
func TestFilterValueErrorsFailClosed(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{"item.rego": itemPolicy(`input.object.createdAt > input.query.since`)})
	in := &core.AuthzInput{Point: "objects", Action: "find", Class: "Item", Schema: itemClass(), Auth: user("u1"),
		Query: map[string]any{"since": "2024-01-01"}}
	got, err := e.Authorize(context.Background(), in)
	if !core.IsCode(err, core.CodeOperationForbidden) || got != nil {
		t.Fatalf("got %v, %v; want 119", got, err)
	}
	in.Query = map[string]any{"since": "2024-01-01T00:00:00.000Z"}
	got, err = e.Authorize(context.Background(), in)
	if err != nil || !reflect.DeepEqual(got, core.Cmp{Field: "createdAt", Op: core.OpGt, Value: date("2024-01-01T00:00:00.000Z")}) {
		t.Fatalf("with a proper date: %v, %v", got, err)
	}
}

// TestOperationLevelRuleRefusesReads: a rule that never reads the object
// refuses a read with 119 instead of returning an empty page, as a CLP does.
func TestOperationLevelRuleRefusesReads(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{"item.rego": itemPolicy(`"role:staff" in input.auth.roles`)})
	for _, action := range []string{"find", "count", "get", "aggregate"} {
		_, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: action, Class: "Item", Schema: itemClass(), Auth: user("u1")})
		if !core.IsCode(err, core.CodeOperationForbidden) {
			t.Errorf("%s by a non-staff user: %v, want 119", action, err)
		}
		got, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: action, Class: "Item", Schema: itemClass(), Auth: user("u1", "role:staff")})
		if err != nil || got != nil {
			t.Errorf("%s by staff: %v, %v; want no filter", action, got, err)
		}
	}
}

func TestSimplifyOr(t *testing.T) {
	eq := func(f string, v any) core.Expr { return core.Cmp{Field: f, Op: core.OpEq, Value: v} }
	cases := []struct {
		in   []core.Expr
		want core.Expr
	}{
		{nil, core.Nothing{}},
		{[]core.Expr{core.Nothing{}, core.Nothing{}}, core.Nothing{}},
		{[]core.Expr{eq("a", "x"), nil}, nil},
		{[]core.Expr{eq("a", "x"), eq("a", "y"), eq("a", "x")}, core.In{Field: "a", Values: []any{"x", "y"}}},
		{[]core.Expr{eq("a", "x"), core.Or{Exprs: []core.Expr{eq("b", 1.0), eq("a", "y")}}},
			core.Or{Exprs: []core.Expr{core.In{Field: "a", Values: []any{"x", "y"}}, eq("b", 1.0)}}},
		{[]core.Expr{core.Or{}}, core.Nothing{}},
	}
	for i, tc := range cases {
		if got := simplifyOr(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%d: got %#v, want %#v", i, got, tc.want)
		}
	}
}

// TestFilterCache: partial evaluations are reused for the same caller, and
// never across callers, role sets, or times when the policy reads the clock.
func TestFilterCache(t *testing.T) {
	ctx := context.Background()
	find := func(e *Engine, auth *core.Auth, at time.Time) core.Expr {
		t.Helper()
		got, err := e.Authorize(ctx, &core.AuthzInput{Point: "objects", Action: "find", Class: "Item", Schema: itemClass(), Auth: auth, Request: core.AuthzRequest{Time: at}})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	now := date("2025-06-01T12:00:00.000Z")
	e := mustLoad(t, Options{}, map[string]string{"item.rego": itemPolicy("input.object.owner.objectId == input.auth.userId\n---\nsome r in input.auth.roles\ninput.object.team.objectId == trim_prefix(r, \"role:\")")})
	r := e.set.Load().points["objects"].classes["Item"]
	if keys := r.cacheKeys["find"]; len(keys) != 2 || keys[0].String() != "input.auth.roles" || keys[1].String() != "input.auth.userId" {
		t.Fatalf("cache keys: %v", keys)
	}
	owner := func(id string) core.Expr { return core.Cmp{Field: "owner", Op: core.OpEq, Value: id} }
	team := func(id string) core.Expr { return core.Cmp{Field: "team", Op: core.OpEq, Value: id} }
	for _, tc := range []struct {
		auth *core.Auth
		want core.Expr
	}{
		{user("u1"), owner("u1")},
		{user("u2"), owner("u2")},
		{user("u1"), owner("u1")},
		{user("u1", "role:a"), core.Or{Exprs: []core.Expr{owner("u1"), team("a")}}},
		{user("u1", "role:b"), core.Or{Exprs: []core.Expr{owner("u1"), team("b")}}},
		{nil, core.Nothing{}},
		{user("u2"), owner("u2")},
	} {
		if got := find(e, tc.auth, now); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: %s, want %s", tc.auth, WhereString(got), WhereString(tc.want))
		}
	}
	if n := r.cache.Len(); n != 5 {
		t.Errorf("%d cached evaluations, want 5 (one per distinct caller)", n)
	}

	// A policy that reads the clock is evaluated every time.
	e = mustLoad(t, Options{}, map[string]string{"item.rego": itemPolicy(`input.object.createdAt >= time.format([time.now_ns() - 3600000000000, "UTC", "2006-01-02T15:04:05.000Z07:00"])`)})
	r = e.set.Load().points["objects"].classes["Item"]
	if _, ok := r.cacheKeys["find"]; ok {
		t.Fatal("a rule calling time.now_ns is cached")
	}
	for _, at := range []time.Time{now, now.Add(time.Hour)} {
		want := core.Cmp{Field: "createdAt", Op: core.OpGte, Value: at.Add(-time.Hour)}
		if got := find(e, user("u1"), at); !reflect.DeepEqual(got, want) {
			t.Errorf("at %v: %s, want %s", at, WhereString(got), WhereString(want))
		}
	}
}
