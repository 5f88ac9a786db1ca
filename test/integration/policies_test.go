package integration

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/policies"
)

// The worked examples of the policy guide (policies/testdata/examples),
// enforced through every route of the API: what a policy allows, what it
// refuses, and that no route steps around a read filter (include,
// subqueries, count, batch, $relatedTo, paging).

// policyHarness is a server whose Authorizer is the policy engine loaded
// with the examples.
func policyHarness(t *testing.T) (*harness, *policies.Engine) {
	t.Helper()
	h := newHarness(t, nil)
	engine := policies.New(policies.Options{})
	if err := engine.Load(context.Background(), os.DirFS("../../policies/testdata/examples")); err != nil {
		t.Fatalf("loading the examples: %v", err)
	}
	h.app.SetAuthorizer(engine)
	return h, engine
}

// ids returns the sorted objectIds of a find's results, or the error code.
func ids(res response) string {
	if res.status != 200 {
		return fmt.Sprint(res.code())
	}
	var out []string
	for _, r := range res.results() {
		out = append(out, r["objectId"].(string))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

func sortedIDs(list ...string) string {
	out := append([]string(nil), list...)
	sort.Strings(out)
	return strings.Join(out, " ")
}

// teamWorld: two teams, a role per team (team_<id>), alice in team 1, bob
// in team 2, carol in none; two documents per team; a comment on each
// document; a team's relation "docs" to its documents.
type teamWorld struct {
	h                 *harness
	alice, bob, carol who
	team1, team2      string
	docs1, docs2      []string
	comment           map[string]string // document id → comment id
}

func newTeamWorld(t *testing.T, h *harness) *teamWorld {
	w := &teamWorld{h: h, comment: map[string]string{}}
	w.alice = h.signup("alice", "pw", nil)
	w.bob = h.signup("bob", "pw", nil)
	w.carol = h.signup("carol", "pw", nil)
	mk := func(class string, body map[string]any) string {
		t.Helper()
		res := h.do("POST", "/classes/"+class, "master", body)
		wantStatus(t, res, 201)
		return res.body["objectId"].(string)
	}
	w.team1, w.team2 = mk("Team", map[string]any{"name": "one"}), mk("Team", map[string]any{"name": "two"})
	for team, member := range map[string]who{w.team1: w.alice, w.team2: w.bob} {
		mk("_Role", map[string]any{"name": "team_" + team, "ACL": map[string]any{"*": map[string]any{"read": true}},
			"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", member.id)}}})
	}
	for i, team := range []string{w.team1, w.team1, w.team2, w.team2} {
		id := mk("Document", map[string]any{"title": fmt.Sprintf("doc %d", i), "team": pointer("Team", team)})
		if team == w.team1 {
			w.docs1 = append(w.docs1, id)
		} else {
			w.docs2 = append(w.docs2, id)
		}
		w.comment[id] = mk("Comment", map[string]any{"text": "on " + id, "doc": pointer("Document", id)})
		wantStatus(t, h.do("PUT", "/classes/Team/"+team, "master", map[string]any{
			"docs": map[string]any{"__op": "AddRelation", "objects": []any{pointer("Document", id)}}}), 200)
	}
	return w
}

func (w *teamWorld) comments(docs ...string) string {
	var out []string
	for _, d := range docs {
		out = append(out, w.comment[d])
	}
	return sortedIDs(out...)
}

// TestPolicyTeamsSeeTheirDocuments: "members of a team see the team's
// documents", on every read route, with no way around the filter.
func TestPolicyTeamsSeeTheirDocuments(t *testing.T) {
	h, _ := policyHarness(t)
	w := newTeamWorld(t, h)
	find := func(c who, class string, params map[string]any) response {
		return h.as(c, "GET", withQuery("/classes/"+class, params), nil)
	}
	all := sortedIDs(append(append([]string{}, w.docs1...), w.docs2...)...)

	// find, per caller; the master key bypasses policies.
	for _, tc := range []struct {
		c    who
		want string
	}{{w.alice, sortedIDs(w.docs1...)}, {w.bob, sortedIDs(w.docs2...)}, {w.carol, ""}, {anonymous, ""}, {asMaster, all}} {
		if got := ids(find(tc.c, "Document", nil)); got != tc.want {
			t.Errorf("find as %s: %q, want %q", tc.c.name, got, tc.want)
		}
	}
	// A client where cannot reach past the filter, not even with $or.
	orWhere := fmt.Sprintf(`{"$or":[{"team":{"__type":"Pointer","className":"Team","objectId":%q}},{"title":{"$exists":true}}]}`, w.team2)
	if got := ids(find(w.alice, "Document", map[string]any{"where": orWhere})); got != sortedIDs(w.docs1...) {
		t.Errorf("$or past the filter: %q", got)
	}
	// count agrees with the find, and pages add up to it.
	res := find(w.alice, "Document", map[string]any{"count": "1", "limit": "0"})
	if n, _ := res.body["count"].(float64); n != 2 {
		t.Errorf("count as alice: %s", res.raw)
	}
	page1 := find(w.alice, "Document", map[string]any{"limit": "1", "order": "title"})
	page2 := find(w.alice, "Document", map[string]any{"limit": "1", "skip": "1", "order": "title"})
	page3 := find(w.alice, "Document", map[string]any{"limit": "1", "skip": "2", "order": "title"})
	if got := sortedIDs(ids(page1), ids(page2)); got != sortedIDs(w.docs1...) || ids(page3) != "" {
		t.Errorf("pages as alice: %q %q %q", ids(page1), ids(page2), ids(page3))
	}
	// get of another team's document is missing for the caller.
	wantError(t, h.as(w.alice, "GET", "/classes/Document/"+w.docs2[0], nil), 101)
	wantStatus(t, h.as(w.alice, "GET", "/classes/Document/"+w.docs1[0], nil), 200)
	// include: another team's document stays a bare pointer.
	res = find(w.alice, "Comment", map[string]any{"include": "doc", "where": fmt.Sprintf(`{"objectId":%q}`, w.comment[w.docs2[0]])})
	if rs := res.results(); len(rs) != 1 || rs[0]["doc"].(map[string]any)["__type"] != "Pointer" {
		t.Errorf("include of an unreadable document: %s", res.raw)
	}
	res = find(w.alice, "Comment", map[string]any{"include": "doc", "where": fmt.Sprintf(`{"objectId":%q}`, w.comment[w.docs1[0]])})
	if rs := res.results(); len(rs) != 1 || rs[0]["doc"].(map[string]any)["__type"] != "Object" {
		t.Errorf("include of a readable document: %s", res.raw)
	}
	// Subqueries get the filter of their class.
	inQuery := `{"doc":{"$inQuery":{"className":"Document","where":{}}}}`
	if got := ids(find(w.alice, "Comment", map[string]any{"where": inQuery})); got != w.comments(w.docs1...) {
		t.Errorf("$inQuery: %q, want %q", got, w.comments(w.docs1...))
	}
	notInQuery := `{"doc":{"$notInQuery":{"className":"Document","where":{}}}}`
	if got := ids(find(w.alice, "Comment", map[string]any{"where": notInQuery})); got != w.comments(w.docs2...) {
		t.Errorf("$notInQuery: %q, want %q", got, w.comments(w.docs2...))
	}
	selectQ := `{"objectId":{"$select":{"query":{"className":"Document","where":{}},"key":"objectId"}}}`
	if got := ids(find(w.alice, "Document", map[string]any{"where": selectQ})); got != sortedIDs(w.docs1...) {
		t.Errorf("$select: %q", got)
	}
	// $relatedTo another team's relation: the documents stay filtered.
	related := fmt.Sprintf(`{"$relatedTo":{"object":{"__type":"Pointer","className":"Team","objectId":%q},"key":"docs"}}`, w.team2)
	if got := ids(find(w.alice, "Document", map[string]any{"where": related})); got != "" {
		t.Errorf("$relatedTo another team: %q", got)
	}
	// batch: the same reads and writes, entry by entry.
	res = h.as(w.alice, "POST", "/batch", map[string]any{"requests": []any{
		map[string]any{"method": "GET", "path": "/parse/classes/Document"},
		map[string]any{"method": "POST", "path": "/parse/classes/Document", "body": map[string]any{"team": pointer("Team", w.team2)}},
		map[string]any{"method": "POST", "path": "/parse/classes/Document", "body": map[string]any{"team": pointer("Team", w.team1)}},
	}})
	wantStatus(t, res, 200)
	if batch := string(res.raw); !strings.Contains(batch, `"code":119`) || strings.Count(batch, `"success"`) != 2 || strings.Contains(batch, w.docs2[0]) {
		t.Errorf("batch: %s", batch)
	}
	// Writes are yes/no: only into one's own teams.
	wantError(t, h.as(w.alice, "POST", "/classes/Document", map[string]any{"team": pointer("Team", w.team2)}), 119)
	wantError(t, h.as(w.alice, "PUT", "/classes/Document/"+w.docs1[0], map[string]any{"team": pointer("Team", w.team2)}), 119)
	wantStatus(t, h.as(w.alice, "PUT", "/classes/Document/"+w.docs1[0], map[string]any{"title": "renamed"}), 200)
	wantError(t, h.as(w.alice, "DELETE", "/classes/Document/"+w.docs2[0], nil), 119)
	wantStatus(t, h.as(w.alice, "DELETE", "/classes/Document/"+w.docs1[1], nil), 200)
	// A new member sees the team at once: roles are input, not cached
	// decisions.
	wantStatus(t, h.do("PUT", "/classes/_Role/"+roleID(t, h, "team_"+w.team1), "master", map[string]any{
		"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", w.carol.id)}}}), 200)
	if got, want := ids(find(w.carol, "Document", nil)), ids(find(w.alice, "Document", nil)); got != want || got == "" {
		t.Errorf("carol after joining team 1 sees %q, alice %q", got, want)
	}
}

func roleID(t *testing.T, h *harness, name string) string {
	t.Helper()
	res := h.do("GET", withQuery("/classes/_Role", map[string]any{"where": fmt.Sprintf(`{"name":%q}`, name)}), "master", nil)
	rs := res.results()
	if len(rs) != 1 {
		t.Fatalf("role %s: %s", name, res.raw)
	}
	return rs[0]["objectId"].(string)
}

// TestPolicyAuthorEditsWithinADay: "only the author may edit, within 24
// hours", and drafts are read by their author only.
func TestPolicyAuthorEditsWithinADay(t *testing.T) {
	h, _ := policyHarness(t)
	alice, bob := h.signup("alice", "pw", nil), h.signup("bob", "pw", nil)
	post := func(c who, author who, published bool) response {
		return h.as(c, "POST", "/classes/Post", map[string]any{"title": "t", "published": published, "author": pointer("_User", author.id),
			"ACL": map[string]any{"*": map[string]any{"read": true, "write": true}}})
	}
	wantError(t, post(bob, alice, false), 119) // not in someone else's name
	res := post(alice, alice, false)
	wantStatus(t, res, 201)
	draft := res.body["objectId"].(string)
	res = post(alice, alice, true)
	wantStatus(t, res, 201)
	published := res.body["objectId"].(string)

	// Reads: published for all, drafts for their author.
	if got := ids(h.as(bob, "GET", "/classes/Post", nil)); got != published {
		t.Errorf("bob's find: %q", got)
	}
	if got := ids(h.as(alice, "GET", "/classes/Post", nil)); got != sortedIDs(draft, published) {
		t.Errorf("alice's find: %q", got)
	}
	wantError(t, h.as(bob, "GET", "/classes/Post/"+draft, nil), 101)

	// Edits: the author within a day, not handing the post over.
	wantStatus(t, h.as(alice, "PUT", "/classes/Post/"+draft, map[string]any{"title": "edited"}), 200)
	wantError(t, h.as(bob, "PUT", "/classes/Post/"+published, map[string]any{"title": "mine"}), 119)
	wantError(t, h.as(alice, "PUT", "/classes/Post/"+draft, map[string]any{"author": pointer("_User", bob.id)}), 119)
	h.storeUpdate("Post", draft, core.Update{core.FieldCreatedAt: core.Set{Value: time.Now().Add(-25 * time.Hour).UTC()}})
	wantError(t, h.as(alice, "PUT", "/classes/Post/"+draft, map[string]any{"title": "too late"}), 119)
	// Nobody deletes posts; the master key bypasses policies.
	wantError(t, h.as(alice, "DELETE", "/classes/Post/"+published, nil), 119)
	wantStatus(t, h.do("DELETE", "/classes/Post/"+published, "master", nil), 200)
}

// TestPolicyReload: a new policy set takes effect at once; one that does not
// compile is refused with its file and line, and the old set keeps serving.
func TestPolicyReload(t *testing.T) {
	h := newHarness(t, nil)
	engine := policies.New(policies.Options{})
	h.app.SetAuthorizer(engine)
	alice := h.signup("alice", "pw", nil)
	wantStatus(t, h.as(alice, "POST", "/classes/Memo", map[string]any{"n": 1}), 201)

	closed := fstest.MapFS{"memo.rego": {Data: []byte("package switchboard.objects.Memo\n\nallow if input.action == \"find\"\n")}}
	if err := engine.Load(context.Background(), closed); err != nil {
		t.Fatal(err)
	}
	wantError(t, h.as(alice, "POST", "/classes/Memo", map[string]any{"n": 2}), 119)
	wantStatus(t, h.as(alice, "GET", "/classes/Memo", nil), 200)

	broken := fstest.MapFS{"memo.rego": {Data: []byte("package switchboard.objects.Memo\n\nallow if {\n  input.action ==\n}\n")}}
	err := engine.Load(context.Background(), broken)
	if err == nil || !strings.Contains(err.Error(), "memo.rego:") {
		t.Fatalf("a broken policy loaded, or its error names no file:line: %v", err)
	}
	wantError(t, h.as(alice, "POST", "/classes/Memo", map[string]any{"n": 3}), 119) // the old set serves

	if err := engine.Load(context.Background(), fstest.MapFS{}); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, h.as(alice, "POST", "/classes/Memo", map[string]any{"n": 4}), 201)
}
