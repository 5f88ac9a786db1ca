package policies

import (
	"context"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// The three worked examples of the policy guide (README.md ("Permission policies")), loaded
// from testdata/examples as a deployment would load them.

func examples(t testing.TB, opts Options) *Engine {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	e := New(opts)
	if err := e.LoadDir(context.Background(), "testdata/examples"); err != nil {
		t.Fatalf("load the examples: %v", err)
	}
	return e
}

// TestExampleRegoUnitTests runs the examples' own test_ rules, as
// `switchboard policy test` does.
func TestExampleRegoUnitTests(t *testing.T) {
	var out strings.Builder
	sum, err := RunTests(context.Background(), os.DirFS("testdata/examples"), Options{}, &out, false)
	if err != nil {
		t.Fatal(err)
	}
	if !sum.OK() || sum.Passed != 14 {
		t.Fatalf("Rego tests: %+v\n%s", sum, out.String())
	}
	if !strings.Contains(out.String(), "PASS: 14/14") {
		t.Errorf("report:\n%s", out.String())
	}
}

// RunTests must report failures, not only successes.
func TestRunTestsReportsFailures(t *testing.T) {
	var out strings.Builder
	sum, err := RunTests(context.Background(), mapFS(map[string]string{
		"p.rego":      pushPolicy,
		"p_test.rego": "package switchboard.push_test\n\nimport data.switchboard.push\n\ntest_anyone_sends if push.allow with input as {\"action\": \"send\", \"auth\": {\"roles\": []}}\n",
	}), Options{}, &out, false)
	if err != nil {
		t.Fatal(err)
	}
	if sum.OK() || sum.Failed != 1 || !strings.Contains(out.String(), "test_anyone_sends") {
		t.Fatalf("a failing test: %+v\n%s", sum, out.String())
	}
}

var (
	teamClass    = class("Team", map[string]core.Field{"name": {Type: core.TypeString}})
	docClass     = class("Document", map[string]core.Field{"title": {Type: core.TypeString}, "team": {Type: core.TypePointer, TargetClass: "Team"}}, "team")
	commentClass = class("Comment", map[string]core.Field{"text": {Type: core.TypeString}, "doc": {Type: core.TypePointer, TargetClass: "Document"}})
	postClass    = class("Post", map[string]core.Field{"title": {Type: core.TypeString}, "published": {Type: core.TypeBoolean}, "author": {Type: core.TypePointer, TargetClass: "_User"}})
)

// Example 1: members of a team see the team's documents.
func TestExampleTeamDocuments(t *testing.T) {
	e := examples(t, Options{})
	alice := user("alice", "role:team_a")
	bob := user("bob", "role:team_a", "role:team_b", "role:editors")
	carol := user("carol", "role:editors")

	// The filters themselves.
	for _, tc := range []struct {
		auth *core.Auth
		want core.Expr
	}{
		{alice, core.Cmp{Field: "team", Op: core.OpEq, Value: "a"}},
		{bob, core.In{Field: "team", Values: []any{"a", "b"}}},
		{carol, core.Nothing{}},
		{nil, core.Nothing{}},
	} {
		got, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: "find", Class: "Document", Schema: docClass, Auth: tc.auth})
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("filter for %+v: %s, %v; want %s", tc.auth, WhereString(got), err, WhereString(tc.want))
		}
	}

	// Writes are decisions on the object.
	doc := func(team string) map[string]any {
		return core.EncodeObject(docClass, core.Object{"objectId": "d9", "title": "x", "team": ptr("Team", team)})
	}
	for _, tc := range []struct {
		name            string
		auth            *core.Auth
		action          string
		object, origina map[string]any
		ok              bool
	}{
		{"a member creates for her team", alice, "create", doc("a"), nil, true},
		{"not for another team", alice, "create", doc("b"), nil, false},
		{"anonymous creates nothing", nil, "create", doc("a"), nil, false},
		{"a member of both moves a document", bob, "update", doc("b"), doc("a"), true},
		{"not into a foreign team", alice, "update", doc("b"), doc("a"), false},
		{"not out of a foreign team", alice, "update", doc("a"), doc("c"), false},
		{"a member deletes", alice, "delete", doc("a"), nil, true},
		{"a non-member does not", carol, "delete", doc("a"), nil, false},
		{"a get of one known object (LiveQuery)", alice, "get", doc("b"), nil, false},
	} {
		_, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: tc.action, Class: "Document", Schema: docClass, Auth: tc.auth, Object: tc.object, Original: tc.origina})
		if tc.ok && err != nil || !tc.ok && !core.IsCode(err, core.CodeOperationForbidden) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			st := sk.open(t)
			createClasses(t, st, teamClass, docClass, commentClass)
			insert(t, st, teamClass, core.Object{"objectId": "a", "name": "A"}, core.Object{"objectId": "b", "name": "B"}, core.Object{"objectId": "c", "name": "C"})
			insert(t, st, docClass,
				core.Object{"objectId": "a1", "title": "1", "team": ptr("Team", "a")},
				core.Object{"objectId": "a2", "title": "2", "team": ptr("Team", "a")},
				core.Object{"objectId": "a3", "title": "3", "team": ptr("Team", "a")},
				core.Object{"objectId": "b1", "title": "1", "team": ptr("Team", "b")},
				core.Object{"objectId": "c1", "title": "1", "team": ptr("Team", "c")},
				core.Object{"objectId": "n1", "title": "no team"},
			)
			insert(t, st, commentClass,
				core.Object{"objectId": "ka1", "doc": ptr("Document", "a1")},
				core.Object{"objectId": "kb1", "doc": ptr("Document", "b1")},
				core.Object{"objectId": "kc1", "doc": ptr("Document", "c1")},
			)
			docs := func(a *core.Auth) reader { return reader{t: t, e: e, st: st, auth: a, class: docClass} }
			anon := &core.Auth{}

			// find and count agree, for every caller.
			for _, tc := range []struct {
				auth *core.Auth
				want []string
			}{
				{alice, []string{"a1", "a2", "a3"}},
				{bob, []string{"a1", "a2", "a3", "b1"}},
				{carol, nil},
				{anon, nil},
				{core.MasterAuth(), []string{"a1", "a2", "a3", "b1", "c1", "n1"}},
			} {
				r := docs(tc.auth)
				if got := r.find(nil); !sameIDs(got, tc.want...) {
					t.Errorf("find by %+v: %v, want %v", tc.auth, got, tc.want)
				}
				if n := r.count(nil); n != int64(len(tc.want)) {
					t.Errorf("count by %+v: %d, want %d", tc.auth, n, len(tc.want))
				}
			}

			// The client's where cannot reach past the filter.
			r := docs(alice)
			teamC := core.Cmp{Field: "team", Op: core.OpEq, Value: "c"}
			if got := r.find(teamC); len(got) != 0 {
				t.Errorf("alice asking for team c: %v", got)
			}
			if n := r.count(teamC); n != 0 {
				t.Errorf("alice counting team c: %d", n)
			}
			orAll := core.Or{Exprs: []core.Expr{teamC, core.Exists{Field: "team", Exists: false}}}
			if got := r.find(orAll); len(got) != 0 {
				t.Errorf("alice with an $or around the filter: %v", got)
			}
			// A get of another team's document finds nothing (the API answers 101).
			if got := r.find(core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: "b1"}); len(got) != 0 {
				t.Errorf("alice getting b1: %v", got)
			}

			// Pages stay inside the filter and add up to the count.
			var paged []string
			for skip := 0; ; skip += 2 {
				q, err := r.query("find", nil)
				if err != nil {
					t.Fatal(err)
				}
				q.Limit, q.Skip = 2, skip
				page := r.run(q)
				if len(page) == 0 {
					break
				}
				paged = append(paged, page...)
			}
			if !sameIDs(paged, "a1", "a2", "a3") {
				t.Errorf("alice's pages: %v", paged)
			}

			// A subquery on Document through Comment gets Document's filter:
			// no bypass through $inQuery.
			comments := reader{t: t, e: e, st: st, auth: alice, class: commentClass}
			inQuery := core.InQuery{Field: "doc", Class: docClass, Sub: &core.Query{Limit: -1}}
			if got := comments.find(inQuery); !sameIDs(got, "ka1") {
				t.Errorf("alice's comments on documents she may read: %v, want [ka1]", got)
			}
			notIn := core.InQuery{Field: "doc", Class: docClass, Sub: &core.Query{Limit: -1}, Not: true}
			if got := comments.find(notIn); !sameIDs(got, "kb1", "kc1") {
				t.Errorf("$notInQuery: %v, want [kb1 kc1]", got)
			}
			sel := core.Select{Field: "doc", Class: docClass, Sub: &core.Query{Limit: -1}, Key: core.FieldObjectID}
			if got := comments.find(sel); !sameIDs(got, "ka1") {
				t.Errorf("$select: %v, want [ka1]", got)
			}
			nested := core.Or{Exprs: []core.Expr{
				core.Cmp{Field: "text", Op: core.OpEq, Value: "nothing has this"},
				core.And{Exprs: []core.Expr{core.Nor{Exprs: []core.Expr{core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: "zz"}}}, inQuery}},
			}}
			if got := comments.find(nested); !sameIDs(got, "ka1") {
				t.Errorf("a subquery inside $or/$and: %v, want [ka1]", got)
			}
		})
	}
}

// Example 2: only the author may edit, within 24 hours.
func TestExamplePostAuthor(t *testing.T) {
	e := examples(t, Options{})
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	post := func(author string, age time.Duration) map[string]any {
		return core.EncodeObject(postClass, core.Object{
			"objectId": "p9", "createdAt": now.Add(-age), "updatedAt": now.Add(-age),
			"title": "t", "published": false, "author": ptr("_User", author),
		})
	}
	u1, u2 := user("u1"), user("u2")
	for _, tc := range []struct {
		name      string
		auth      *core.Auth
		action    string
		orig, obj map[string]any
		changed   []string
		ok        bool
	}{
		{"the author edits within the hour", u1, "update", post("u1", time.Hour), post("u1", time.Hour), []string{"title"}, true},
		{"and just before 24 hours", u1, "update", post("u1", 24*time.Hour-time.Second), post("u1", time.Hour), []string{"title"}, true},
		{"not after 24 hours", u1, "update", post("u1", 24*time.Hour+time.Second), post("u1", time.Hour), []string{"title"}, false},
		{"nobody else edits", u2, "update", post("u1", time.Hour), post("u1", time.Hour), []string{"title"}, false},
		{"anonymous does not edit", nil, "update", post("u1", time.Hour), post("u1", time.Hour), []string{"title"}, false},
		{"the author cannot hand the post over", u1, "update", post("u1", time.Hour), post("u2", time.Hour), []string{"author"}, false},
		{"a post is created by its author", u1, "create", nil, post("u1", 0), nil, true},
		{"not in someone else's name", u1, "create", nil, post("u2", 0), nil, false},
		{"nobody deletes", u1, "delete", nil, post("u1", time.Hour), nil, false},
	} {
		_, err := e.Authorize(context.Background(), &core.AuthzInput{
			Point: "objects", Action: tc.action, Class: "Post", Schema: postClass, Auth: tc.auth,
			Object: tc.obj, Original: tc.orig, Changed: tc.changed, Request: core.AuthzRequest{Time: now},
		})
		if tc.ok && err != nil || !tc.ok && !core.IsCode(err, core.CodeOperationForbidden) {
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	published := core.Cmp{Field: "published", Op: core.OpEq, Value: true}
	for _, tc := range []struct {
		auth *core.Auth
		want core.Expr
	}{
		{u1, core.Or{Exprs: []core.Expr{published, core.Cmp{Field: "author", Op: core.OpEq, Value: "u1"}}}},
		{nil, published},
	} {
		got, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: "find", Class: "Post", Schema: postClass, Auth: tc.auth})
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("filter for %+v: %s, %v; want %s", tc.auth, WhereString(got), err, WhereString(tc.want))
		}
	}

	for _, sk := range storeKinds {
		t.Run(sk.name, func(t *testing.T) {
			st := sk.open(t)
			createClasses(t, st, postClass)
			insert(t, st, postClass,
				core.Object{"objectId": "p1", "author": ptr("_User", "u1"), "published": true},
				core.Object{"objectId": "p2", "author": ptr("_User", "u1"), "published": false},
				core.Object{"objectId": "p3", "author": ptr("_User", "u2"), "published": true},
				core.Object{"objectId": "p4", "author": ptr("_User", "u2"), "published": false},
				core.Object{"objectId": "p5", "published": false},
			)
			for _, tc := range []struct {
				auth *core.Auth
				want []string
			}{
				{u1, []string{"p1", "p2", "p3"}},
				{u2, []string{"p1", "p3", "p4"}},
				{&core.Auth{}, []string{"p1", "p3"}},
			} {
				r := reader{t: t, e: e, st: st, auth: tc.auth, class: postClass}
				if got := r.find(nil); !sameIDs(got, tc.want...) {
					t.Errorf("find by %+v: %v, want %v", tc.auth, got, tc.want)
				}
				if n := r.count(nil); n != int64(len(tc.want)) {
					t.Errorf("count by %+v: %d, want %d", tc.auth, n, len(tc.want))
				}
				drafts := core.Cmp{Field: "published", Op: core.OpEq, Value: false}
				var own []string
				for _, id := range tc.want {
					if (id == "p2" && tc.auth.UserID == "u1") || (id == "p4" && tc.auth.UserID == "u2") {
						own = append(own, id)
					}
				}
				if got := r.find(drafts); !sameIDs(got, own...) {
					t.Errorf("drafts for %+v: %v, want only their own %v", tc.auth, got, own)
				}
			}
		})
	}
}

// Example 3: push only by role marketing, to at most 10,000 devices.
func TestExamplePush(t *testing.T) {
	e := examples(t, Options{Debug: true})
	for _, tc := range []struct {
		name     string
		auth     *core.Auth
		audience any
		ok       bool
		reason   string
	}{
		{"marketing, 10,000 devices", user("m", "role:marketing"), 10000, true, ""},
		{"marketing, 10,001 devices", user("m", "role:marketing"), 10001, false, "push.rego:9: input.extra.audienceSize <= data.limits.push.maxAudience is false"},
		{"another role", user("s", "role:sales"), 1, false, `push.rego:8: "role:marketing" in input.auth.roles is false`},
		{"anonymous", nil, 1, false, "push.rego:8"},
		{"no audience size", user("m", "role:marketing"), nil, false, "push.rego:9"},
		{"the master key is not subject to policies by default", core.MasterAuth(), 1e6, true, ""},
	} {
		in := &core.AuthzInput{Point: "push", Action: "send", Auth: tc.auth}
		if tc.audience != nil {
			in.Extra = map[string]any{"audienceSize": tc.audience}
		}
		got, err := e.Authorize(context.Background(), in)
		switch {
		case got != nil:
			t.Errorf("%s: a decision returned a filter %v", tc.name, got)
		case tc.ok && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case !tc.ok && (!core.IsCode(err, core.CodeOperationForbidden) || !strings.Contains(err.Error(), tc.reason)):
			t.Errorf("%s: %v, want 119 with %q", tc.name, err, tc.reason)
		}
	}
}

// TestSubqueryOfARefusedClass: a subquery on a class the caller may not
// read refuses the whole query.
func TestSubqueryOfARefusedClass(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{"secret.rego": "package switchboard.objects.Secret\n\nallow if \"role:admin\" in input.auth.roles\n"})
	secret := class("Secret", map[string]core.Field{"code": {Type: core.TypeString}})
	where := core.InQuery{Field: "secret", Class: secret, Sub: &core.Query{Limit: -1}}
	base := &core.AuthzInput{Point: "objects", Action: "find", Class: "Comment", Auth: user("u1")}
	if _, err := core.AuthorizeSubqueries(context.Background(), e, base, where); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("a subquery on Secret by a non-admin: %v, want 119", err)
	}
	base.Auth = user("u1", "role:admin")
	got, err := core.AuthorizeSubqueries(context.Background(), e, base, where)
	if err != nil || !reflect.DeepEqual(got, where) {
		t.Errorf("by an admin: %v, %v; want the query unchanged", got, err)
	}
}
