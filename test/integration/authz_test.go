package integration

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The authorization matrix: every route × every kind of caller × every kind
// of permission (object ACL, class-level permissions, pointer permissions,
// protected fields). Each cell's expected answer is written in the tables
// below; a cell is either a Parse error code ("101", "119", "206", "209"),
// or what a successful reply shows, rendered by the row's view.
//
// The callers, in table column order:
//
//	anon   no session
//	alice  a user
//	bob    another user
//	carol  a member of role Editors
//	dave   a member of role Juniors, which is in Editors' "roles" relation,
//	       so dave inherits Editors' permissions (and carol does not get
//	       Juniors')
//	master the master key
//	ro     the read-only master key

const (
	cAnon = iota
	cAlice
	cBob
	cCarol
	cDave
	cMaster
	cRO
	nCallers
)

// world is the fixture every matrix runs against.
type world struct {
	h                       *harness
	alice, bob, carol, dave who
	eve                     who // a user whose own ACL is public read and write
	callers                 [nCallers]who
	sessionOf               map[string]string // username → its session objectId
	editors, juniors        string            // role objectIds
	doc                     map[string]string // Doc name → objectId
	post                    map[string]string // Post name → objectId
	clsObj                  map[string]string // "Class/name" → objectId
	folder                  string
	leak                    string // a Leak object with relations into _GlobalConfig and _Session
}

// docACLs are the Doc fixtures: name → ACL (nil: none, i.e. public).
func docACLs(w *world) []struct {
	name string
	acl  map[string]any
} {
	rw := map[string]any{"read": true, "write": true}
	r := map[string]any{"read": true}
	wo := map[string]any{"write": true}
	return []struct {
		name string
		acl  map[string]any
	}{
		{"public", nil},
		{"pubRead", map[string]any{"*": r, w.alice.id: rw}},
		{"alice", map[string]any{w.alice.id: rw}},
		{"bob", map[string]any{w.bob.id: rw}},
		{"editors", map[string]any{"role:Editors": rw}},
		{"juniors", map[string]any{"role:Juniors": r}},
		{"writeOnly", map[string]any{w.alice.id: wo, "role:Editors": r}},
	}
}

func newWorld(t *testing.T) *world {
	h := newHarness(t, nil)
	w := &world{h: h, doc: map[string]string{}, post: map[string]string{}, clsObj: map[string]string{}, sessionOf: map[string]string{}}
	w.alice = h.signup("alice", "pw-alice", map[string]any{"email": "alice@example.com"})
	w.bob = h.signup("bob", "pw-bob", map[string]any{"email": "bob@example.com"})
	w.carol = h.signup("carol", "pw-carol", map[string]any{"email": "carol@example.com"})
	w.dave = h.signup("dave", "pw-dave", map[string]any{"email": "dave@example.com"})
	w.eve = h.signup("eve", "pw-eve", map[string]any{"email": "eve@example.com"})
	w.callers = [nCallers]who{anonymous, w.alice, w.bob, w.carol, w.dave, asMaster, asReadOnly}
	for _, s := range h.do("GET", "/sessions", "master", nil).results() {
		user, _ := s["user"].(map[string]any)
		for _, u := range []who{w.alice, w.bob, w.carol, w.dave, w.eve} {
			if user["objectId"] == u.id {
				w.sessionOf[u.name] = s["objectId"].(string)
			}
		}
	}
	// eve's own ACL lets anyone write: users still may not touch her.
	w.mustOK(h.do("PUT", "/users/"+w.eve.id, "master", map[string]any{"ACL": map[string]any{"*": map[string]any{"read": true, "write": true}}}))

	pubRead := map[string]any{"*": map[string]any{"read": true}}
	w.juniors = w.create("/roles", map[string]any{"name": "Juniors", "ACL": pubRead,
		"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", w.dave.id)}}})
	w.editors = w.create("/roles", map[string]any{"name": "Editors", "ACL": pubRead,
		"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", w.carol.id)}},
		"roles": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_Role", w.juniors)}}})

	for i, d := range docACLs(w) {
		body := map[string]any{"name": d.name, "n": i + 1, "note": "", "hits": 0, "tags": []any{}}
		if d.acl != nil {
			body["ACL"] = d.acl
		}
		w.doc[d.name] = w.create("/classes/Doc", body)
	}
	w.folder = w.create("/classes/Folder", map[string]any{"name": "all docs"})
	var all []any
	for _, id := range w.doc {
		all = append(all, pointer("Doc", id))
	}
	w.mustOK(h.do("PUT", "/classes/Folder/"+w.folder, "master", map[string]any{"docs": map[string]any{"__op": "AddRelation", "objects": all}}))

	// Classes with class-level permissions. Objects are public (no ACL)
	// unless said otherwise, so only the CLP decides.
	only := func(principal string) map[string]any {
		p := map[string]any{principal: true}
		return map[string]any{"find": p, "get": p, "count": p, "create": p, "update": p, "delete": p, "addField": p}
	}
	ptrPerm := map[string]any{"pointerFields": []any{"owner"}}
	none := map[string]any{}
	open := map[string]any{"*": true}
	fields := map[string]any{
		"name": map[string]any{"type": "String"}, "n": map[string]any{"type": "Number"}, "note": map[string]any{"type": "String"},
		"owner":   map[string]any{"type": "Pointer", "targetClass": "_User"},
		"readers": map[string]any{"type": "Array"},
	}
	clps := map[string]map[string]any{
		"AuthOnly":   only("requiresAuthentication"),
		"AliceOnly":  only(w.alice.id),
		"EditorsCls": only("role:Editors"),
		"JuniorsCls": only("role:Juniors"),
		"ReadOnly":   {"find": open, "get": open, "count": open, "create": none, "update": none, "delete": none, "addField": none},
		"NoCount":    {"find": open, "get": open, "count": none, "create": open, "update": open, "delete": open, "addField": open},
		"NoAddField": {"find": open, "get": open, "count": open, "create": open, "update": open, "delete": open, "addField": none},
		"PointerCls": {"find": ptrPerm, "get": ptrPerm, "count": ptrPerm, "update": ptrPerm, "delete": ptrPerm, "create": open, "addField": open},
		"UserFields": {"find": none, "get": none, "count": none, "update": none, "delete": none, "create": open, "addField": open,
			"readUserFields": []any{"owner", "readers"}, "writeUserFields": []any{"owner"}},
	}
	for name, clp := range clps {
		w.mustOK(h.do("POST", "/schemas/"+name, "master", map[string]any{"className": name, "fields": fields, "classLevelPermissions": clp}))
	}
	for _, name := range []string{"AuthOnly", "AliceOnly", "EditorsCls", "JuniorsCls", "ReadOnly", "NoCount", "NoAddField"} {
		w.clsObj[name+"/c1"] = w.create("/classes/"+name, map[string]any{"name": "c1", "n": 1})
		w.clsObj[name+"/c2"] = w.create("/classes/"+name, map[string]any{"name": "c2", "n": 2})
	}
	// An object the CLP lets everyone at, but its ACL lets only alice.
	w.clsObj["AuthOnly/c3"] = w.create("/classes/AuthOnly", map[string]any{"name": "c3", "n": 3,
		"ACL": map[string]any{w.alice.id: map[string]any{"read": true, "write": true}}})
	w.clsObj["PointerCls/mine-a"] = w.create("/classes/PointerCls", map[string]any{"name": "mine-a", "n": 1, "owner": pointer("_User", w.alice.id)})
	w.clsObj["PointerCls/mine-b"] = w.create("/classes/PointerCls", map[string]any{"name": "mine-b", "n": 2, "owner": pointer("_User", w.bob.id)})
	w.clsObj["UserFields/u1"] = w.create("/classes/UserFields", map[string]any{"name": "u1", "n": 1, "owner": pointer("_User", w.alice.id),
		"readers": []any{pointer("_User", w.bob.id)}})
	w.clsObj["UserFields/u2"] = w.create("/classes/UserFields", map[string]any{"name": "u2", "n": 2, "owner": pointer("_User", w.bob.id), "readers": []any{}})

	// Posts point at Docs and at objects of CLP classes, for include and
	// subqueries.
	w.post["P1"] = w.create("/classes/Post", map[string]any{"name": "P1", "n": 1, "doc": pointer("Doc", w.doc["alice"]), "docName": "alice"})
	w.post["P2"] = w.create("/classes/Post", map[string]any{"name": "P2", "n": 2, "doc": pointer("Doc", w.doc["editors"]), "docName": "editors"})
	w.post["P3"] = w.create("/classes/Post", map[string]any{"name": "P3", "n": 3, "gate": pointer("AuthOnly", w.clsObj["AuthOnly/c1"])})
	w.post["P4"] = w.create("/classes/Post", map[string]any{"name": "P4", "n": 4, "agate": pointer("AliceOnly", w.clsObj["AliceOnly/c1"])})

	w.mustOK(h.do("PUT", "/config", "master", map[string]any{"params": map[string]any{"open": 1, "secret": 2}, "masterKeyOnly": map[string]any{"secret": true}}))
	// Any client may make a class whose relations point into system
	// classes; querying through them must not open those classes.
	res := w.mustOK(h.do("POST", "/classes/Leak", "", map[string]any{
		"config":  map[string]any{"__op": "AddRelation", "objects": []any{pointer("_GlobalConfig", "1")}},
		"session": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_Session", w.sessionOf["alice"])}},
	}))
	w.leak = res.body["objectId"].(string)
	return w
}

func (w *world) mustOK(res response) response {
	w.h.t.Helper()
	if res.status != 200 && res.status != 201 {
		w.h.t.Fatalf("setup: %d %s", res.status, res.raw)
	}
	return res
}

// create posts body as the master key and returns the objectId.
func (w *world) create(path string, body map[string]any) string {
	w.h.t.Helper()
	res := w.mustOK(w.h.do("POST", path, "master", body))
	return res.body["objectId"].(string)
}

// row is one line of a matrix: a request sent by each caller in turn, and
// the answer expected for each.
type row struct {
	name string
	send func(c who) response
	// view renders a successful reply; nil means "ok".
	view func(c who, res response) string
	want [nCallers]string
}

// observe renders a reply as a matrix cell: the error code, or the view.
// An error must carry the HTTP status that goes with its code.
func observe(c who, res response, view func(who, response) string) string {
	if res.status >= 400 {
		msg, _ := res.body["error"].(string)
		if res.status != statusFor(res.code()) || msg == "" {
			return fmt.Sprintf("HTTP %d %s", res.status, res.raw)
		}
		return strconv.Itoa(res.code())
	}
	if res.status != 200 && res.status != 201 {
		return fmt.Sprintf("HTTP %d", res.status)
	}
	if view == nil {
		return "ok"
	}
	return view(c, res)
}

func (w *world) check(t *testing.T, rows []row) {
	t.Helper()
	for _, r := range rows {
		t.Run(r.name, func(t *testing.T) {
			for i, c := range w.callers {
				if got := observe(c, r.send(c), r.view); got != r.want[i] {
					t.Errorf("as %s: got %q, want %q", c.name, got, r.want[i])
				}
			}
		})
	}
}

// names renders the "name" of each result in order, or "none".
func names(_ who, res response) string {
	var out []string
	for _, r := range res.results() {
		n, _ := r["name"].(string)
		out = append(out, n)
	}
	if len(out) == 0 {
		return "none"
	}
	return strings.Join(out, " ")
}

// count renders the count of a find.
func count(_ who, res response) string {
	n, ok := res.body["count"].(float64)
	if !ok {
		return "no count"
	}
	return strconv.Itoa(int(n))
}

// namesAndCount renders "names #count".
func namesAndCount(c who, res response) string { return names(c, res) + " #" + count(c, res) }

func where(path string, w map[string]any, params ...string) string {
	p := map[string]any{"where": w}
	for i := 0; i+1 < len(params); i += 2 {
		p[params[i]] = params[i+1]
	}
	return withQuery(path, p)
}

const (
	allDocs   = "public pubRead alice bob editors juniors writeOnly"
	aliceDocs = "public pubRead alice"
	bobDocs   = "public pubRead bob"
	carolDocs = "public pubRead editors writeOnly"
	daveDocs  = "public pubRead editors juniors writeOnly"
	anonDocs  = "public pubRead"
)

// TestAuthzObjectACL: reads and writes of Doc objects, one per kind of ACL.
func TestAuthzObjectACL(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	h := w.h
	get := func(name string) func(who) response {
		return func(c who) response { return h.as(c, "GET", "/classes/Doc/"+w.doc[name], nil) }
	}
	// Every update uses operators, whose new values the reply carries.
	update := func(name string) func(who) response {
		return func(c who) response {
			return h.as(c, "PUT", "/classes/Doc/"+w.doc[name], map[string]any{
				"hits": map[string]any{"__op": "Increment", "amount": 1},
				"tags": map[string]any{"__op": "AddUnique", "objects": []any{c.name}},
			})
		}
	}
	// A caller who may write an object but not read it gets no operator
	// results ("blind"): an Increment of 0 would read the field.
	updated := func(_ who, res response) string {
		_, hits := res.body["hits"].(float64)
		_, tags := res.body["tags"].([]any)
		switch {
		case res.body["updatedAt"] == nil:
			return "reply without updatedAt: " + string(res.raw)
		case !hits && !tags:
			return "blind"
		case !hits || !tags:
			return "reply with only some operator results: " + string(res.raw)
		}
		return "ok"
	}
	// Each delete gets a fresh object with the ACL of the named Doc.
	del := func(name string) func(who) response {
		return func(c who) response {
			body := map[string]any{"name": "fresh"}
			for _, d := range docACLs(w) {
				if d.name == name && d.acl != nil {
					body["ACL"] = d.acl
				}
			}
			id := w.create("/classes/Doc", body)
			return h.as(c, "DELETE", "/classes/Doc/"+id, nil)
		}
	}
	find := func(params ...string) func(who) response {
		return func(c who) response {
			return h.as(c, "GET", where("/classes/Doc", map[string]any{"name": map[string]any{"$ne": "fresh"}}, params...), nil)
		}
	}
	w.check(t, []row{
		//                                                      anon        alice       bob        carol      dave      master     ro
		{"find", find("order", "n"), names, [nCallers]string{anonDocs, aliceDocs, bobDocs, carolDocs, daveDocs, allDocs, allDocs}},
		{"count", find("count", "1", "limit", "0"), count, [nCallers]string{"2", "3", "3", "4", "5", "7", "7"}},
		{"count where n>=3", func(c who) response {
			return h.as(c, "GET", where("/classes/Doc", map[string]any{"n": map[string]any{"$gte": 3}}, "count", "1", "limit", "0"), nil)
		}, count, [nCallers]string{"0", "1", "1", "2", "3", "5", "5"}},
		{"page skip=1 limit=2", find("order", "n", "skip", "1", "limit", "2"), names,
			[nCallers]string{"pubRead", "pubRead alice", "pubRead bob", "pubRead editors", "pubRead editors", "pubRead alice", "pubRead alice"}},
		{"page desc skip=1 limit=2 with count", find("order", "-n", "skip", "1", "limit", "2", "count", "1"), namesAndCount,
			[nCallers]string{"public #2", "pubRead public #3", "pubRead public #3", "editors pubRead #4", "juniors editors #5", "juniors editors #7", "juniors editors #7"}},
		{"find where objectId of a hidden object", func(c who) response {
			return h.as(c, "GET", where("/classes/Doc", map[string]any{"objectId": w.doc["juniors"]}, "count", "1"), nil)
		}, namesAndCount, [nCallers]string{"none #0", "none #0", "none #0", "none #0", "juniors #1", "juniors #1", "juniors #1"}},

		{"get public", get("public"), nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "ok"}},
		{"get pubRead", get("pubRead"), nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "ok"}},
		{"get alice", get("alice"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "ok"}},
		{"get bob", get("bob"), nil, [nCallers]string{"101", "101", "ok", "101", "101", "ok", "ok"}},
		{"get editors", get("editors"), nil, [nCallers]string{"101", "101", "101", "ok", "ok", "ok", "ok"}},
		{"get juniors", get("juniors"), nil, [nCallers]string{"101", "101", "101", "101", "ok", "ok", "ok"}},
		{"get writeOnly", get("writeOnly"), nil, [nCallers]string{"101", "101", "101", "ok", "ok", "ok", "ok"}},

		{"update public", update("public"), updated, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "119"}},
		{"update pubRead", update("pubRead"), updated, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},
		{"update alice", update("alice"), updated, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},
		{"update bob", update("bob"), updated, [nCallers]string{"101", "101", "ok", "101", "101", "ok", "119"}},
		{"update editors", update("editors"), updated, [nCallers]string{"101", "101", "101", "ok", "ok", "ok", "119"}},
		{"update juniors", update("juniors"), updated, [nCallers]string{"101", "101", "101", "101", "101", "ok", "119"}},
		{"update writeOnly", update("writeOnly"), updated, [nCallers]string{"101", "blind", "101", "101", "101", "ok", "119"}},

		{"delete public", del("public"), nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "119"}},
		{"delete pubRead", del("pubRead"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},
		{"delete alice", del("alice"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},
		{"delete bob", del("bob"), nil, [nCallers]string{"101", "101", "ok", "101", "101", "ok", "119"}},
		{"delete editors", del("editors"), nil, [nCallers]string{"101", "101", "101", "ok", "ok", "ok", "119"}},
		{"delete juniors", del("juniors"), nil, [nCallers]string{"101", "101", "101", "101", "101", "ok", "119"}},
		{"delete writeOnly", del("writeOnly"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},

		{"create", func(c who) response {
			return h.as(c, "POST", "/classes/Doc", map[string]any{"name": "fresh"})
		}, nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "119"}},
	})

	// What the writes did: every successful Increment counted once, and no
	// refused one did.
	wantHits := map[string]float64{"public": 6, "pubRead": 2, "alice": 2, "bob": 2, "editors": 3, "juniors": 1, "writeOnly": 2}
	for name, want := range wantHits {
		res := h.do("GET", "/classes/Doc/"+w.doc[name], "master", nil)
		if res.body["hits"] != want {
			t.Errorf("%s: hits = %v after the matrix, want %v", name, res.body["hits"], want)
		}
	}
}

// TestAuthzCLP: class-level permissions, one class per kind, every operation.
func TestAuthzCLP(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	h := w.h
	find := func(cls string, params ...string) func(who) response {
		return func(c who) response {
			return h.as(c, "GET", where("/classes/"+cls, map[string]any{"name": map[string]any{"$ne": "fresh"}}, append([]string{"order", "n"}, params...)...), nil)
		}
	}
	get := func(cls, obj string) func(who) response {
		return func(c who) response { return h.as(c, "GET", "/classes/"+cls+"/"+w.clsObj[cls+"/"+obj], nil) }
	}
	update := func(cls, obj string) func(who) response {
		return func(c who) response {
			return h.as(c, "PUT", "/classes/"+cls+"/"+w.clsObj[cls+"/"+obj], map[string]any{"note": "by " + c.name})
		}
	}
	create := func(cls string) func(who) response {
		return func(c who) response {
			return h.as(c, "POST", "/classes/"+cls, map[string]any{"name": "fresh", "owner": pointer("_User", w.alice.id)})
		}
	}
	// A fresh object per delete, owned by alice, readable by bob.
	del := func(cls string) func(who) response {
		return func(c who) response {
			id := w.create("/classes/"+cls, map[string]any{"name": "fresh", "owner": pointer("_User", w.alice.id), "readers": []any{pointer("_User", w.bob.id)}})
			return h.as(c, "DELETE", "/classes/"+cls+"/"+id, nil)
		}
	}
	const both = "c1 c2"
	w.check(t, []row{
		//                                                                anon   alice       bob    carol  dave   master      ro
		// requiresAuthentication: any user, never anonymous; ACLs still apply (c3 is alice's).
		{"AuthOnly find", find("AuthOnly"), names, [nCallers]string{"101", "c1 c2 c3", both, both, both, "c1 c2 c3", "c1 c2 c3"}},
		{"AuthOnly count", find("AuthOnly", "count", "1", "limit", "0"), count, [nCallers]string{"101", "3", "2", "2", "2", "3", "3"}},
		{"AuthOnly get", get("AuthOnly", "c1"), nil, [nCallers]string{"101", "ok", "ok", "ok", "ok", "ok", "ok"}},
		{"AuthOnly get c3", get("AuthOnly", "c3"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "ok"}},
		{"AuthOnly update", update("AuthOnly", "c1"), nil, [nCallers]string{"101", "ok", "ok", "ok", "ok", "ok", "119"}},
		{"AuthOnly create", create("AuthOnly"), nil, [nCallers]string{"101", "ok", "ok", "ok", "ok", "ok", "119"}},
		{"AuthOnly delete", del("AuthOnly"), nil, [nCallers]string{"101", "ok", "ok", "ok", "ok", "ok", "119"}},

		// One user id.
		{"AliceOnly find", find("AliceOnly"), names, [nCallers]string{"119", both, "119", "119", "119", both, both}},
		{"AliceOnly count", find("AliceOnly", "count", "1", "limit", "0"), count, [nCallers]string{"119", "2", "119", "119", "119", "2", "2"}},
		{"AliceOnly get", get("AliceOnly", "c1"), nil, [nCallers]string{"119", "ok", "119", "119", "119", "ok", "ok"}},
		{"AliceOnly update", update("AliceOnly", "c1"), nil, [nCallers]string{"119", "ok", "119", "119", "119", "ok", "119"}},
		{"AliceOnly create", create("AliceOnly"), nil, [nCallers]string{"119", "ok", "119", "119", "119", "ok", "119"}},
		{"AliceOnly delete", del("AliceOnly"), nil, [nCallers]string{"119", "ok", "119", "119", "119", "ok", "119"}},

		// role:Editors: carol directly, dave through Juniors.
		{"EditorsCls find", find("EditorsCls"), names, [nCallers]string{"119", "119", "119", both, both, both, both}},
		{"EditorsCls count", find("EditorsCls", "count", "1", "limit", "0"), count, [nCallers]string{"119", "119", "119", "2", "2", "2", "2"}},
		{"EditorsCls get", get("EditorsCls", "c1"), nil, [nCallers]string{"119", "119", "119", "ok", "ok", "ok", "ok"}},
		{"EditorsCls update", update("EditorsCls", "c1"), nil, [nCallers]string{"119", "119", "119", "ok", "ok", "ok", "119"}},
		{"EditorsCls create", create("EditorsCls"), nil, [nCallers]string{"119", "119", "119", "ok", "ok", "ok", "119"}},
		{"EditorsCls delete", del("EditorsCls"), nil, [nCallers]string{"119", "119", "119", "ok", "ok", "ok", "119"}},

		// role:Juniors: inheritance goes one way, carol gets nothing.
		{"JuniorsCls find", find("JuniorsCls"), names, [nCallers]string{"119", "119", "119", "119", both, both, both}},
		{"JuniorsCls get", get("JuniorsCls", "c1"), nil, [nCallers]string{"119", "119", "119", "119", "ok", "ok", "ok"}},
		{"JuniorsCls update", update("JuniorsCls", "c1"), nil, [nCallers]string{"119", "119", "119", "119", "ok", "ok", "119"}},
		{"JuniorsCls delete", del("JuniorsCls"), nil, [nCallers]string{"119", "119", "119", "119", "ok", "ok", "119"}},

		// Reads open, writes closed.
		{"ReadOnly find", find("ReadOnly"), names, [nCallers]string{both, both, both, both, both, both, both}},
		{"ReadOnly get", get("ReadOnly", "c1"), nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "ok"}},
		{"ReadOnly update", update("ReadOnly", "c1"), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},
		{"ReadOnly create", create("ReadOnly"), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},
		{"ReadOnly delete", del("ReadOnly"), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},

		// find allowed, count not: a find asking for a count is refused.
		{"NoCount find", find("NoCount"), names, [nCallers]string{both, both, both, both, both, both, both}},
		{"NoCount count", find("NoCount", "count", "1"), count, [nCallers]string{"119", "119", "119", "119", "119", "2", "2"}},

		// addField closed: writes may use the schema's fields, not add any.
		{"NoAddField update", update("NoAddField", "c1"), nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "119"}},
		{"NoAddField update adding a field", func(c who) response {
			return h.as(c, "PUT", "/classes/NoAddField/"+w.clsObj["NoAddField/c1"], map[string]any{"extra_" + strings.ReplaceAll(c.name, " ", "_"): 1})
		}, nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},
		{"NoAddField create adding a field", func(c who) response {
			return h.as(c, "POST", "/classes/NoAddField", map[string]any{"name": "fresh", "more_" + strings.ReplaceAll(c.name, " ", "_"): true})
		}, nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},

		// pointerFields: only objects whose owner is the caller.
		// Anonymous: no object can point at nobody, so an empty page (Parse's answer).
		{"PointerCls find", find("PointerCls"), names, [nCallers]string{"none", "mine-a", "mine-b", "none", "none", "mine-a mine-b", "mine-a mine-b"}},
		{"PointerCls count", find("PointerCls", "count", "1", "limit", "0"), count, [nCallers]string{"0", "1", "1", "0", "0", "2", "2"}},
		{"PointerCls get mine-a", get("PointerCls", "mine-a"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "ok"}},
		{"PointerCls update mine-a", update("PointerCls", "mine-a"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},
		{"PointerCls create", create("PointerCls"), nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "119"}},
		{"PointerCls delete alice's", del("PointerCls"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},

		// readUserFields (owner, readers[]) and writeUserFields (owner).
		{"UserFields find", find("UserFields"), names, [nCallers]string{"none", "u1", "u1 u2", "none", "none", "u1 u2", "u1 u2"}},
		{"UserFields count", find("UserFields", "count", "1", "limit", "0"), count, [nCallers]string{"0", "1", "2", "0", "0", "2", "2"}},
		{"UserFields get u1", get("UserFields", "u1"), nil, [nCallers]string{"101", "ok", "ok", "101", "101", "ok", "ok"}},
		{"UserFields update u1", update("UserFields", "u1"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},
		{"UserFields create", create("UserFields"), nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "119"}},
		{"UserFields delete alice's", del("UserFields"), nil, [nCallers]string{"101", "ok", "101", "101", "101", "ok", "119"}},
	})
}

// includeView renders, for each result, whether its field came back as the
// object ("obj") or as a bare pointer ("ptr"). A pointer must be exactly
// {__type, className, objectId}: nothing of a hidden object leaks.
func includeView(field string) func(who, response) string {
	return func(_ who, res response) string {
		var out []string
		for _, r := range res.results() {
			v, _ := r[field].(map[string]any)
			switch {
			case v["__type"] == "Object" && v["name"] != nil && v["createdAt"] != nil:
				out = append(out, "obj")
			case v["__type"] == "Pointer" && len(v) == 3 && v["className"] != nil && v["objectId"] != nil:
				out = append(out, "ptr")
			default:
				out = append(out, fmt.Sprintf("unexpected %v", v))
			}
		}
		return strings.Join(out, " ")
	}
}

// TestAuthzRoutes: include, subqueries, relations, distinct and batch, where
// what comes back depends on what the caller may read.
func TestAuthzRoutes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	h := w.h
	posts := func(params map[string]any) func(who) response {
		return func(c who) response { return h.as(c, "GET", withQuery("/classes/Post", params), nil) }
	}
	lowPosts := map[string]any{"n": map[string]any{"$lte": 2}}
	relatedTo := map[string]any{"$relatedTo": map[string]any{"object": pointer("Folder", w.folder), "key": "docs"}}
	batchUpdate := func(transaction bool, docs ...string) func(who) response {
		return func(c who) response {
			var reqs []any
			for _, d := range docs {
				reqs = append(reqs, map[string]any{"method": "PUT", "path": "/parse/classes/Doc/" + w.doc[d], "body": map[string]any{"note": "batch " + c.name}})
			}
			return h.as(c, "POST", "/batch", map[string]any{"requests": reqs, "transaction": transaction})
		}
	}
	batchView := func(_ who, res response) string {
		var list []any
		if err := json.Unmarshal(res.raw, &list); err != nil {
			return "not an array: " + string(res.raw)
		}
		var out []string
		for _, e := range list {
			m, _ := e.(map[string]any)
			if _, ok := m["success"]; ok {
				out = append(out, "ok")
			} else if errm, ok := m["error"].(map[string]any); ok {
				out = append(out, fmt.Sprint(errm["code"]))
			}
		}
		return strings.Join(out, " ")
	}
	w.check(t, []row{
		//                                                                       anon       alice      bob        carol      dave       master     ro
		{"include doc", posts(map[string]any{"where": lowPosts, "include": "doc", "order": "n"}), includeView("doc"),
			[nCallers]string{"ptr ptr", "obj ptr", "ptr ptr", "ptr obj", "ptr obj", "obj obj", "obj obj"}},
		{"include * ", posts(map[string]any{"where": lowPosts, "include": "*", "order": "n"}), includeView("doc"),
			[nCallers]string{"ptr ptr", "obj ptr", "ptr ptr", "ptr obj", "ptr obj", "obj obj", "obj obj"}},
		{"include through a requiresAuthentication class", posts(map[string]any{"where": map[string]any{"n": 3}, "include": "gate"}), includeView("gate"),
			[nCallers]string{"ptr", "obj", "obj", "obj", "obj", "obj", "obj"}},
		{"include through a user-id CLP class", posts(map[string]any{"where": map[string]any{"n": 4}, "include": "agate"}), includeView("agate"),
			[nCallers]string{"ptr", "obj", "ptr", "ptr", "ptr", "obj", "obj"}},
		{"get with include", func(c who) response {
			return h.as(c, "GET", "/classes/Post/"+w.post["P1"]+"?include=doc", nil)
		}, func(_ who, res response) string {
			return includeView("doc")(anonymous, response{body: map[string]any{"results": []any{res.body}}})
		}, [nCallers]string{"ptr", "obj", "ptr", "ptr", "ptr", "obj", "obj"}},

		{"$inQuery", posts(map[string]any{"where": map[string]any{"doc": map[string]any{"$inQuery": map[string]any{"className": "Doc", "where": map[string]any{}}}}, "order": "n"}), names,
			[nCallers]string{"none", "P1", "none", "P2", "P2", "P1 P2", "P1 P2"}},
		{"$notInQuery", posts(map[string]any{"where": map[string]any{"n": map[string]any{"$lte": 2}, "doc": map[string]any{"$notInQuery": map[string]any{"className": "Doc", "where": map[string]any{}}}}, "order": "n"}), names,
			[nCallers]string{"P1 P2", "P2", "P1 P2", "P1", "P1", "none", "none"}},
		{"$inQuery count", posts(map[string]any{"where": map[string]any{"doc": map[string]any{"$inQuery": map[string]any{"className": "Doc"}}}, "count": "1", "limit": "0"}), count,
			[nCallers]string{"0", "1", "0", "1", "1", "2", "2"}},
		{"$inQuery into a CLP-closed class", posts(map[string]any{"where": map[string]any{"agate": map[string]any{"$inQuery": map[string]any{"className": "AliceOnly"}}}}), names,
			[nCallers]string{"119", "P4", "119", "119", "119", "P4", "P4"}},
		{"$select", posts(map[string]any{"where": map[string]any{"docName": map[string]any{"$select": map[string]any{"query": map[string]any{"className": "Doc"}, "key": "name"}}}, "order": "n"}), names,
			[nCallers]string{"none", "P1", "none", "P2", "P2", "P1 P2", "P1 P2"}},
		{"$dontSelect", posts(map[string]any{"where": map[string]any{"n": map[string]any{"$lte": 2}, "docName": map[string]any{"$dontSelect": map[string]any{"query": map[string]any{"className": "Doc"}, "key": "name"}}}, "order": "n"}), names,
			[nCallers]string{"P1 P2", "P2", "P1 P2", "P1", "P1", "none", "none"}},

		{"$relatedTo", func(c who) response {
			return h.as(c, "GET", where("/classes/Doc", relatedTo, "order", "n"), nil)
		}, names, [nCallers]string{anonDocs, aliceDocs, bobDocs, carolDocs, daveDocs, allDocs, allDocs}},
		{"$relatedTo count", func(c who) response {
			return h.as(c, "GET", where("/classes/Doc", relatedTo, "count", "1", "limit", "0"), nil)
		}, count, [nCallers]string{"2", "3", "3", "4", "5", "7", "7"}},
		{"relation query (redirectClassNameForKey)", func(c who) response {
			return h.as(c, "GET", where("/classes/Folder", relatedTo, "redirectClassNameForKey", "docs", "order", "n"), nil)
		}, names, [nCallers]string{anonDocs, aliceDocs, bobDocs, carolDocs, daveDocs, allDocs, allDocs}},

		{"distinct", func(c who) response {
			return h.as(c, "GET", "/aggregate/Doc?distinct=name", nil)
		}, func(_ who, res response) string {
			var out []string
			for _, v := range res.body["results"].([]any) {
				out = append(out, fmt.Sprint(v))
			}
			sort.Strings(out)
			return strings.Join(out, " ")
		}, [nCallers]string{"119", "119", "119", "119", "119", "alice bob editors juniors pubRead public writeOnly", "alice bob editors juniors pubRead public writeOnly"}},

		{"batch updates", batchUpdate(false, "public", "pubRead", "alice", "bob", "editors", "juniors", "writeOnly"), batchView, [nCallers]string{
			"ok 101 101 101 101 101 101",
			"ok ok ok 101 101 101 ok",
			"ok 101 101 ok 101 101 101",
			"ok 101 101 101 ok 101 101",
			"ok 101 101 101 ok 101 101",
			"ok ok ok ok ok ok ok",
			"119 119 119 119 119 119 119"}},
		{"transactional batch", batchUpdate(true, "alice", "bob"), nil,
			[nCallers]string{"101", "101", "101", "101", "101", "ok", "119"}},
	})
	// A transaction with one refused write leaves nothing behind, not even
	// the write alice was allowed.
	res := h.as(w.alice, "POST", "/batch", map[string]any{"transaction": true, "requests": []any{
		map[string]any{"method": "PUT", "path": "/parse/classes/Doc/" + w.doc["alice"], "body": map[string]any{"note": "tx"}},
		map[string]any{"method": "PUT", "path": "/parse/classes/Doc/" + w.doc["bob"], "body": map[string]any{"note": "tx"}},
	}})
	wantError(t, res, 101)
	res = h.do("GET", withQuery("/classes/Doc", map[string]any{"where": map[string]any{"note": "tx"}}), "master", nil)
	if got := names(anonymous, res); got != "none" {
		t.Errorf("a failed transaction wrote %s", got)
	}
}

// TestAuthzSystemRoutes: /users, /sessions, /roles, /schemas, /config and
// the internal classes.
func TestAuthzSystemRoutes(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	h := w.h
	req := func(method, path string, body any) func(who) response {
		return func(c who) response { return h.as(c, method, path, body) }
	}
	emailsShown := func(_ who, res response) string {
		var out []string
		for _, u := range res.results() {
			if u["email"] != nil {
				out = append(out, u["username"].(string))
			}
			if u["authData"] != nil || u["password"] != nil || u["_hashed_password"] != nil {
				return "leak: " + string(res.raw)
			}
		}
		if len(res.results()) != 5 {
			return fmt.Sprintf("%d users", len(res.results()))
		}
		if len(out) == 0 {
			return "none"
		}
		return strings.Join(out, " ")
	}
	ownSessions := func(c who, res response) string {
		users := map[string]bool{}
		for _, s := range res.results() {
			u, _ := s["user"].(map[string]any)
			users[fmt.Sprint(u["objectId"])] = true
		}
		if c.id != "" && (len(users) != 1 || !users[c.id]) {
			return "someone else's sessions: " + string(res.raw)
		}
		return fmt.Sprintf("%d sessions of %d users", len(res.results()), len(users))
	}
	paramNames := func(_ who, res response) string {
		params, _ := res.body["params"].(map[string]any)
		var out []string
		for k := range params {
			out = append(out, k)
		}
		sort.Strings(out)
		return strings.Join(out, " ")
	}
	schemaIdx := 0
	w.check(t, []row{
		//                                                                       anon    alice    bob      carol    dave     master   ro
		{"find users: e-mails", req("GET", "/users?order=username", nil), emailsShown,
			[nCallers]string{"none", "alice", "bob", "carol", "dave", "alice bob carol dave eve", "alice bob carol dave eve"}},
		{"get alice: e-mail", req("GET", "/users/"+w.alice.id, nil), func(_ who, res response) string {
			if res.body["email"] == "alice@example.com" {
				return "email"
			}
			return "no email"
		}, [nCallers]string{"no email", "email", "no email", "no email", "no email", "email", "email"}},
		{"update alice", func(c who) response {
			return h.as(c, "PUT", "/users/"+w.alice.id, map[string]any{"nick": "by " + c.name})
		}, nil, [nCallers]string{"206", "ok", "206", "206", "206", "ok", "119"}},
		{"update eve (public-write ACL)", req("PUT", "/users/"+w.eve.id, map[string]any{"nick": "x"}), nil,
			[nCallers]string{"206", "206", "206", "206", "206", "ok", "119"}},

		{"find sessions", req("GET", "/sessions", nil), ownSessions,
			[nCallers]string{"209", "1 sessions of 1 users", "1 sessions of 1 users", "1 sessions of 1 users", "1 sessions of 1 users", "5 sessions of 5 users", "5 sessions of 5 users"}},
		{"count sessions", req("GET", "/classes/_Session?count=1&limit=0", nil), count,
			[nCallers]string{"209", "1", "1", "1", "1", "5", "5"}},
		{"get alice's session", func(c who) response { return h.as(c, "GET", "/sessions/"+w.sessionOf["alice"], nil) }, nil,
			[nCallers]string{"209", "ok", "101", "101", "101", "ok", "ok"}},
		{"sessions/me", req("GET", "/sessions/me", nil), func(c who, res response) string {
			if res.body["sessionToken"] != c.token {
				return "another session: " + string(res.raw)
			}
			return "own"
		}, [nCallers]string{"209", "own", "own", "own", "own", "209", "209"}},
		{"update alice's session", func(c who) response {
			return h.as(c, "PUT", "/sessions/"+w.sessionOf["alice"], map[string]any{"installationId": "by " + c.name})
		}, nil, [nCallers]string{"209", "119", "119", "119", "119", "ok", "119"}},
		{"delete a session of alice's", func(c who) response {
			// A fresh session each time, made by alice with POST /sessions.
			id := w.mustOK(h.as(w.alice, "POST", "/sessions", nil)).body["objectId"].(string)
			return h.as(c, "DELETE", "/sessions/"+id, nil)
		}, nil, [nCallers]string{"209", "ok", "101", "101", "101", "ok", "119"}},
		// A client's POST /classes/_Session is POST /sessions (Parse's rule):
		// a new session for the caller; anonymous callers have no user (209).
		{"create a session object", req("POST", "/classes/_Session", map[string]any{"installationId": "x"}), nil,
			[nCallers]string{"209", "ok", "ok", "ok", "ok", "ok", "119"}},

		{"find roles", req("GET", "/roles?order=name", nil), names,
			[nCallers]string{"Editors Juniors", "Editors Juniors", "Editors Juniors", "Editors Juniors", "Editors Juniors", "Editors Juniors", "Editors Juniors"}},
		{"change Editors' users (public-read ACL)", req("PUT", "/roles/"+w.editors, map[string]any{
			"users": map[string]any{"__op": "RemoveRelation", "objects": []any{pointer("_User", w.bob.id)}}}), nil,
			[nCallers]string{"101", "101", "101", "101", "101", "ok", "119"}},
		{"create a role", func(c who) response {
			return h.as(c, "POST", "/roles", map[string]any{"name": "Made by " + c.name, "ACL": map[string]any{"*": map[string]any{"read": true}}})
		}, nil, [nCallers]string{"ok", "ok", "ok", "ok", "ok", "ok", "119"}},

		{"list schemas", req("GET", "/schemas", nil), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "ok"}},
		{"get schema", req("GET", "/schemas/Doc", nil), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "ok"}},
		{"create schema", func(c who) response {
			schemaIdx++
			return h.as(c, "POST", "/schemas/New"+strconv.Itoa(schemaIdx), map[string]any{})
		}, nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},
		{"update schema", func(c who) response {
			schemaIdx++
			return h.as(c, "PUT", "/schemas/Doc", map[string]any{"fields": map[string]any{"extra" + strconv.Itoa(schemaIdx): map[string]any{"type": "String"}}})
		}, nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},
		// New6 is the class the master key made in "create schema".
		{"delete schema", req("DELETE", "/schemas/New6", nil), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},
		{"purge", req("DELETE", "/purge/NoSuchClass", nil), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},

		{"get config", req("GET", "/config", nil), paramNames, [nCallers]string{"open", "open", "open", "open", "open", "open secret", "open secret"}},
		{"update config", req("PUT", "/config", map[string]any{"params": map[string]any{"open": 3}}), nil,
			[nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},
		{"serverInfo", req("GET", "/serverInfo", nil), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "ok"}},

		{"find _GlobalConfig", req("GET", "/classes/_GlobalConfig", nil), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "ok"}},
		{"find _SmsCode", req("GET", "/classes/_SmsCode", nil), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "ok"}},
		{"find _Idempotency", req("GET", "/classes/_Idempotency", nil), nil, [nCallers]string{"119", "119", "119", "119", "119", "ok", "ok"}},
		{"$inQuery into _GlobalConfig", req("GET", withQuery("/classes/Post", map[string]any{"where": map[string]any{"doc": map[string]any{"$inQuery": map[string]any{"className": "_GlobalConfig"}}}}), nil), names,
			[nCallers]string{"119", "119", "119", "119", "119", "none", "none"}},
		{"$select from _GlobalConfig", req("GET", withQuery("/classes/Post", map[string]any{"where": map[string]any{"docName": map[string]any{"$select": map[string]any{"query": map[string]any{"className": "_GlobalConfig"}, "key": "objectId"}}}}), nil), names,
			[nCallers]string{"119", "119", "119", "119", "119", "none", "none"}},

		{"relation query into _GlobalConfig", req("GET", withQuery("/classes/Leak", map[string]any{"redirectClassNameForKey": "config",
			"where": map[string]any{"$relatedTo": map[string]any{"object": pointer("Leak", w.leak), "key": "config"}}}), nil),
			func(c who, res response) string {
				if r := res.results(); len(r) == 1 {
					return paramNames(c, response{body: r[0]})
				}
				return string(res.raw)
			},
			[nCallers]string{"119", "119", "119", "119", "119", "open secret", "open secret"}},
		{"relation query into _Session", func(c who) response {
			return h.as(c, "GET", withQuery("/classes/Leak", map[string]any{"redirectClassNameForKey": "session",
				"where": map[string]any{"$relatedTo": map[string]any{"object": pointer("Leak", w.leak), "key": "session"}}}), nil)
		}, func(_ who, res response) string { return strconv.Itoa(len(res.results())) },
			[nCallers]string{"209", "1", "0", "0", "0", "1", "1"}},

		// A session for any user: the master key only, not the read-only
		// one (a session writes as its user).
		{"loginAs alice", req("POST", "/loginAs", map[string]any{"userId": w.alice.id}), nil,
			[nCallers]string{"119", "119", "119", "119", "119", "ok", "119"}},

		{"delete eve (public-write ACL)", req("DELETE", "/users/"+w.eve.id, nil), nil,
			[nCallers]string{"206", "206", "206", "206", "206", "ok", "119"}},
	})
}

// probeTarget is a protected field and the value it holds on one object.
type probeTarget struct {
	class, field, value string
	other               string // an unprotected String field of the class
	ptr                 string // the Post field that points at the object
}

// TestProtectedFieldProbes: a protected field cannot be read, filtered,
// sorted or selected on by anyone it is hidden from, through any route.
// _User.email is protected by default; Secret.ssn by a custom CLP. Parse
// Server had an advisory for most of these paths.
func TestProtectedFieldProbes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw-alice", map[string]any{"email": "alice@example.com"})
	bob := h.signup("bob", "pw-bob", map[string]any{"email": "bob@example.com"})
	carol := h.signup("carol", "pw-carol", nil)
	if res := h.do("POST", "/roles", "master", map[string]any{"name": "Editors", "ACL": map[string]any{"*": map[string]any{"read": true}},
		"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", carol.id)}}}); res.status != 201 {
		t.Fatalf("role: %d %s", res.status, res.raw)
	}
	clp := map[string]any{"find": map[string]any{"*": true}, "get": map[string]any{"*": true}, "count": map[string]any{"*": true},
		"create": map[string]any{"*": true}, "update": map[string]any{"*": true}, "delete": map[string]any{"*": true}, "addField": map[string]any{"*": true},
		"protectedFields": map[string]any{
			"*":               []any{"ssn", "pin", "meta"},
			"role:Editors":    []any{"pin"}, // Editors see ssn and meta, not pin
			"userField:owner": []any{},      // the owner sees everything
		}}
	res := h.do("POST", "/schemas/Secret", "master", map[string]any{"classLevelPermissions": clp, "fields": map[string]any{
		"label": map[string]any{"type": "String"}, "ssn": map[string]any{"type": "String"}, "pin": map[string]any{"type": "Number"},
		"meta": map[string]any{"type": "Object"}, "owner": map[string]any{"type": "Pointer", "targetClass": "_User"}}})
	wantStatus(t, res, 200)
	secret := h.do("POST", "/classes/Secret", "", map[string]any{"label": "one", "ssn": "123-45-6789", "pin": 1234,
		"meta": map[string]any{"k": "meta-secret-v"}, "owner": pointer("_User", alice.id)}).body["objectId"].(string)
	post := h.do("POST", "/classes/Post", "", map[string]any{"name": "p", "author": pointer("_User", alice.id), "secret": pointer("Secret", secret)})
	wantStatus(t, post, 201)
	postID := post.body["objectId"].(string)

	targets := []probeTarget{
		{class: "_User", field: "email", value: "alice@example.com", other: "username", ptr: "author"},
		{class: "Secret", field: "ssn", value: "123-45-6789", other: "label", ptr: "secret"},
		{class: "Secret", field: "meta", value: "meta-secret-v", other: "label", ptr: "secret"},
	}
	classPath := func(p probeTarget) string {
		if p.class == "_User" {
			return "/users"
		}
		return "/classes/" + p.class
	}
	// eq is {field: value}, or {meta.k: value} for the Object field.
	eq := func(p probeTarget) map[string]any {
		if p.field == "meta" {
			return map[string]any{"meta.k": p.value}
		}
		return map[string]any{p.field: p.value}
	}
	op := func(p probeTarget, o string, v any) map[string]any {
		return map[string]any{p.field: map[string]any{o: v}}
	}
	find := func(p probeTarget, params map[string]any) string { return withQuery(classPath(p), params) }
	posts := func(w map[string]any) string { return withQuery("/classes/Post", map[string]any{"where": w}) }
	sub := func(p probeTarget, extra map[string]any) map[string]any {
		q := map[string]any{"className": p.class}
		for k, v := range extra {
			q[k] = v
		}
		return q
	}
	const refused = "119"
	probes := []struct {
		name string
		path func(p probeTarget) string
		want string // "119", or "hidden": answered, but the value is nowhere in the reply
	}{
		{"where equality", func(p probeTarget) string { return find(p, map[string]any{"where": eq(p)}) }, refused},
		{"$eq", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$eq", p.value)}) }, refused},
		{"$ne", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$ne", p.value)}) }, refused},
		{"$gt", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$gt", "a")}) }, refused},
		{"$lte", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$lte", "m")}) }, refused},
		{"$regex", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$regex", "^a")}) }, refused},
		{"$regex with $options", func(p probeTarget) string {
			return find(p, map[string]any{"where": map[string]any{p.field: map[string]any{"$regex": "^A", "$options": "i"}}})
		}, refused},
		{"$exists true", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$exists", true)}) }, refused},
		{"$exists false", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$exists", false)}) }, refused},
		{"$in", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$in", []any{p.value})}) }, refused},
		{"$nin", func(p probeTarget) string { return find(p, map[string]any{"where": op(p, "$nin", []any{p.value})}) }, refused},
		{"$text", func(p probeTarget) string {
			return find(p, map[string]any{"where": op(p, "$text", map[string]any{"$search": map[string]any{"$term": "alice"}})})
		}, refused},
		{"dotted key", func(p probeTarget) string {
			return find(p, map[string]any{"where": map[string]any{p.field + ".x": "y"}})
		}, refused},
		{"$or", func(p probeTarget) string {
			return find(p, map[string]any{"where": map[string]any{"$or": []any{eq(p), map[string]any{p.other: "nobody"}}}})
		}, refused},
		{"$and", func(p probeTarget) string {
			return find(p, map[string]any{"where": map[string]any{"$and": []any{eq(p)}}})
		}, refused},
		{"$nor", func(p probeTarget) string {
			return find(p, map[string]any{"where": map[string]any{"$nor": []any{eq(p)}}})
		}, refused},
		{"$or inside $and", func(p probeTarget) string {
			return find(p, map[string]any{"where": map[string]any{"$and": []any{map[string]any{"$or": []any{eq(p)}}}}})
		}, refused},
		{"order", func(p probeTarget) string { return find(p, map[string]any{"order": p.field}) }, refused},
		{"order descending", func(p probeTarget) string { return find(p, map[string]any{"order": "-" + p.field}) }, refused},
		{"order second key", func(p probeTarget) string { return find(p, map[string]any{"order": p.other + ",-" + p.field}) }, refused},
		{"keys", func(p probeTarget) string { return find(p, map[string]any{"keys": p.field}) }, refused},
		{"keys among others", func(p probeTarget) string { return find(p, map[string]any{"keys": p.other + "," + p.field}) }, refused},
		{"count", func(p probeTarget) string { return find(p, map[string]any{"where": eq(p), "count": "1", "limit": "0"}) }, refused},
		{"count with $regex", func(p probeTarget) string {
			return find(p, map[string]any{"where": op(p, "$regex", "^1"), "count": "1", "limit": "0"})
		}, refused},
		{"get with keys", func(p probeTarget) string {
			id := alice.id
			if p.class == "Secret" {
				id = secret
			}
			return withQuery(classPath(p)+"/"+id, map[string]any{"keys": p.field})
		}, refused},
		{"$select key", func(p probeTarget) string {
			return posts(map[string]any{"name": map[string]any{"$select": map[string]any{"query": sub(p, nil), "key": p.field}}})
		}, refused},
		{"$dontSelect key", func(p probeTarget) string {
			return posts(map[string]any{"name": map[string]any{"$dontSelect": map[string]any{"query": sub(p, nil), "key": p.field}}})
		}, refused},
		{"$select where", func(p probeTarget) string {
			return posts(map[string]any{"name": map[string]any{"$select": map[string]any{"query": sub(p, map[string]any{"where": eq(p)}), "key": p.other}}})
		}, refused},
		{"$select order", func(p probeTarget) string {
			return posts(map[string]any{"name": map[string]any{"$select": map[string]any{"query": sub(p, map[string]any{"order": p.field, "limit": 1}), "key": p.other}}})
		}, refused},
		{"$inQuery where", func(p probeTarget) string {
			return posts(map[string]any{p.ptr: map[string]any{"$inQuery": sub(p, map[string]any{"where": eq(p)})}})
		}, refused},
		{"$notInQuery where", func(p probeTarget) string {
			return posts(map[string]any{p.ptr: map[string]any{"$notInQuery": sub(p, map[string]any{"where": eq(p)})}})
		}, refused},
		{"$inQuery order with limit", func(p probeTarget) string {
			return posts(map[string]any{p.ptr: map[string]any{"$inQuery": sub(p, map[string]any{"order": p.field, "limit": 1})}})
		}, refused},
		{"$inQuery nested in $or", func(p probeTarget) string {
			return posts(map[string]any{"$or": []any{map[string]any{p.ptr: map[string]any{"$inQuery": sub(p, map[string]any{"where": eq(p)})}}}})
		}, refused},

		{"find", func(p probeTarget) string { return classPath(p) }, "hidden"},
		{"get", func(p probeTarget) string {
			if p.class == "Secret" {
				return classPath(p) + "/" + secret
			}
			return classPath(p) + "/" + alice.id
		}, "hidden"},
		{"include", func(p probeTarget) string { return "/classes/Post/" + postID + "?include=" + p.ptr }, "hidden"},
		{"include *", func(p probeTarget) string { return "/classes/Post?include=*" }, "hidden"},
		{"include with keys", func(p probeTarget) string {
			return withQuery("/classes/Post", map[string]any{"include": p.ptr, "keys": p.ptr + "." + p.field})
		}, "hidden"},
	}
	for _, target := range targets {
		for _, c := range []who{anonymous, bob} {
			for _, pr := range probes {
				t.Run(target.class+"."+target.field+"/"+c.name+"/"+pr.name, func(t *testing.T) {
					res := h.as(c, "GET", pr.path(target), nil)
					if pr.want == refused {
						wantError(t, res, 119)
						if !strings.Contains(res.body["error"].(string), "not allowed to query "+target.field) {
							t.Fatalf("refusal does not name the field: %s", res.raw)
						}
						return
					}
					wantStatus(t, res, 200)
					// bob sees his own e-mail; nobody else's.
					ownField := target.class == "_User" && c.id != ""
					if strings.Contains(string(res.raw), target.value) || (!ownField && strings.Contains(string(res.raw), `"`+target.field+`"`)) {
						t.Fatalf("%s leaked: %s", target.field, res.raw)
					}
					if !strings.Contains(string(res.raw), `"objectId"`) {
						t.Fatalf("nothing came back: %s", res.raw)
					}
				})
			}
		}
	}

	// Internal fields are not fields to clients at all.
	t.Run("internal fields", func(t *testing.T) {
		for _, c := range []who{anonymous, bob, alice} {
			wantError(t, h.as(c, "GET", withQuery("/users", map[string]any{"where": map[string]any{"_hashed_password": map[string]any{"$regex": "^\\$2"}}}), nil), 105)
			wantError(t, h.as(c, "GET", withQuery("/users", map[string]any{"where": map[string]any{"_perishable_token": map[string]any{"$exists": true}}}), nil), 105)
			wantError(t, h.as(c, "GET", posts(map[string]any{"name": map[string]any{"$select": map[string]any{"query": map[string]any{"className": "_User"}, "key": "_hashed_password"}}}), nil), 105)
			for _, path := range []string{
				withQuery("/users", map[string]any{"keys": "_hashed_password,username", "order": "_hashed_password"}),
				withQuery("/classes/Post", map[string]any{"include": "author", "keys": "author._hashed_password"}),
				"/users/me",
			} {
				res := h.as(c, "GET", path, nil)
				if res.status >= 500 || strings.Contains(string(res.raw), "$2a$") || (res.status == 200 && strings.Contains(string(res.raw), "_hashed_password")) {
					t.Fatalf("%s as %s: %d %s", path, c.name, res.status, res.raw)
				}
			}
		}
	})

	// The same batch routes through the same checks.
	res = h.as(bob, "POST", "/batch", map[string]any{"requests": []any{
		map[string]any{"method": "GET", "path": "/parse/users", "body": map[string]any{"where": map[string]any{"email": "alice@example.com"}}},
		map[string]any{"method": "GET", "path": "/parse/users/" + alice.id},
	}})
	wantStatus(t, res, 200)
	if !strings.Contains(string(res.raw), `"code":119`) || strings.Contains(string(res.raw), "alice@example.com") {
		t.Fatalf("batch probe: %s", res.raw)
	}

	// Those who may see the fields do.
	t.Run("self sees own e-mail", func(t *testing.T) {
		for _, path := range []string{"/users/me", "/users/" + alice.id} {
			if res := h.as(alice, "GET", path, nil); res.body["email"] != "alice@example.com" {
				t.Errorf("%s: %s", path, res.raw)
			}
		}
		res := h.as(alice, "GET", "/classes/Post/"+postID+"?include=author", nil)
		if author, _ := res.body["author"].(map[string]any); author["email"] != "alice@example.com" {
			t.Errorf("included self: %s", res.raw)
		}
		// Another user's e-mail stays hidden from alice.
		if res := h.as(alice, "GET", "/users/"+bob.id, nil); res.body["email"] != nil || res.body["username"] != "bob" {
			t.Errorf("bob as seen by alice: %s", res.raw)
		}
	})
	t.Run("master key queries protected fields", func(t *testing.T) {
		res := h.do("GET", withQuery("/users", map[string]any{"where": map[string]any{"email": "alice@example.com"}, "order": "-email"}), "master", nil)
		if r := res.results(); len(r) != 1 || r[0]["username"] != "alice" {
			t.Errorf("master where email: %s", res.raw)
		}
		res = h.do("GET", withQuery("/classes/Secret", map[string]any{"where": map[string]any{"ssn": "123-45-6789"}, "keys": "ssn,pin"}), "readonly", nil)
		if r := res.results(); len(r) != 1 || r[0]["ssn"] != "123-45-6789" || r[0]["pin"] != 1234.0 {
			t.Errorf("read-only master where ssn: %s", res.raw)
		}
	})
	t.Run("owner sees all through userField", func(t *testing.T) {
		res := h.as(alice, "GET", "/classes/Secret/"+secret, nil)
		if res.body["ssn"] != "123-45-6789" || res.body["pin"] != 1234.0 || res.body["meta"] == nil {
			t.Errorf("owner: %s", res.raw)
		}
	})
	t.Run("role entry intersects with *", func(t *testing.T) {
		res := h.as(carol, "GET", "/classes/Secret/"+secret, nil)
		if res.body["ssn"] != "123-45-6789" || res.body["meta"] == nil || res.body["pin"] != nil {
			t.Errorf("Editors see ssn and meta but not pin: %s", res.raw)
		}
		res = h.as(carol, "GET", withQuery("/classes/Secret", map[string]any{"where": map[string]any{"ssn": "123-45-6789"}}), nil)
		if len(res.results()) != 1 {
			t.Errorf("Editors may query ssn: %s", res.raw)
		}
		wantError(t, h.as(carol, "GET", withQuery("/classes/Secret", map[string]any{"where": map[string]any{"pin": 1234}}), nil), 119)
	})
}

// role creates a role readable by all, with users and child roles, and
// returns its objectId.
func (h *harness) role(name string, users []who, roles ...string) string {
	h.t.Helper()
	body := map[string]any{"name": name, "ACL": map[string]any{"*": map[string]any{"read": true}}}
	var ptrs []any
	for _, u := range users {
		ptrs = append(ptrs, pointer("_User", u.id))
	}
	if len(ptrs) > 0 {
		body["users"] = map[string]any{"__op": "AddRelation", "objects": ptrs}
	}
	var rptrs []any
	for _, r := range roles {
		rptrs = append(rptrs, pointer("_Role", r))
	}
	if len(rptrs) > 0 {
		body["roles"] = map[string]any{"__op": "AddRelation", "objects": rptrs}
	}
	res := h.do("POST", "/roles", "master", body)
	if res.status != 201 {
		h.t.Fatalf("role %s: %d %s", name, res.status, res.raw)
	}
	return res.body["objectId"].(string)
}

// roleDocs creates one Doc per role name, readable only by that role.
func (h *harness) roleDocs(roles ...string) map[string]string {
	h.t.Helper()
	ids := map[string]string{}
	for _, r := range roles {
		res := h.do("POST", "/classes/Doc", "master", map[string]any{"name": r, "ACL": map[string]any{"role:" + r: map[string]any{"read": true}}})
		wantStatus(h.t, res, 201)
		ids[r] = res.body["objectId"].(string)
	}
	return ids
}

// visible lists the names of the Docs c can read, in name order.
func (h *harness) visible(c who) string {
	h.t.Helper()
	res := h.as(c, "GET", "/classes/Doc?order=name", nil)
	if res.status != 200 {
		h.t.Fatalf("find as %s: %d %s", c.name, res.status, res.raw)
	}
	return names(c, res)
}

func TestRoleInheritanceDepth(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	top := h.signup("top", "pw", nil)
	leaf := h.signup("leaf", "pw", nil)
	// R1 ⊃ R2 ⊃ R3 ⊃ R4: R4's users hold R3, R2 and R1 too.
	r4 := h.role("R4", []who{leaf})
	r3 := h.role("R3", nil, r4)
	r2 := h.role("R2", nil, r3)
	h.role("R1", []who{top}, r2)
	h.roleDocs("R1", "R2", "R3", "R4")
	if got := h.visible(leaf); got != "R1 R2 R3 R4" {
		t.Errorf("leaf (in R4) sees %q", got)
	}
	if got := h.visible(top); got != "R1" {
		t.Errorf("top (in R1) sees %q: permissions flow down the roles relation, not up", got)
	}
	if got := h.visible(anonymous); got != "none" {
		t.Errorf("anonymous sees %q", got)
	}
	// Cutting the chain in the middle takes R1 and R2 from leaf at once.
	wantStatus(t, h.do("PUT", "/roles/"+r2, "master", map[string]any{"roles": map[string]any{"__op": "RemoveRelation", "objects": []any{pointer("_Role", r3)}}}), 200)
	if got := h.visible(leaf); got != "R3 R4" {
		t.Errorf("after cutting R2 ⊃ R3, leaf sees %q", got)
	}
}

func TestRoleCycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	ua := h.signup("ua", "pw", nil)
	ub := h.signup("ub", "pw", nil)
	a := h.role("A", []who{ua})
	b := h.role("B", []who{ub}, a)
	// A ⊂ B ⊂ A.
	wantStatus(t, h.do("PUT", "/roles/"+a, "master", map[string]any{"roles": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_Role", b)}}}), 200)
	h.roleDocs("A", "B")
	for _, u := range []who{ua, ub} {
		if got := h.visible(u); got != "A B" {
			t.Errorf("%s sees %q", u.name, got)
		}
	}
	// A self-loop is harmless too.
	wantStatus(t, h.do("PUT", "/roles/"+a, "master", map[string]any{"roles": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_Role", a)}}}), 200)
	if got := h.visible(ua); got != "A B" {
		t.Errorf("with a self-loop, ua sees %q", got)
	}
}

// TestRoleChangesApplyAtOnce: the cached role set of a user is dropped on
// every role write, so a revoked member loses access on the next request.
func TestRoleChangesApplyAtOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	carol := h.signup("carol", "pw", nil)
	dave := h.signup("dave", "pw", nil)
	staff := h.role("Staff", []who{carol})
	sub := h.role("Sub", nil)
	h.roleDocs("Staff")
	members := func(op, class, id string) map[string]any {
		return map[string]any{"__op": op, "objects": []any{pointer(class, id)}}
	}
	steps := []struct {
		name        string
		write       func() response
		carol, dave string
	}{
		{"before", nil, "Staff", "none"},
		{"remove carol", func() response {
			return h.do("PUT", "/roles/"+staff, "master", map[string]any{"users": members("RemoveRelation", "_User", carol.id)})
		}, "none", "none"},
		{"add carol back", func() response {
			return h.do("PUT", "/classes/_Role/"+staff, "master", map[string]any{"users": members("AddRelation", "_User", carol.id)})
		}, "Staff", "none"},
		{"dave joins Sub", func() response {
			return h.do("PUT", "/roles/"+sub, "master", map[string]any{"users": members("AddRelation", "_User", dave.id)})
		}, "Staff", "none"},
		{"Sub joins Staff", func() response {
			return h.do("PUT", "/roles/"+staff, "master", map[string]any{"roles": members("AddRelation", "_Role", sub)})
		}, "Staff", "Staff"},
		{"remove carol in a batch", func() response {
			return h.do("POST", "/batch", "master", map[string]any{"requests": []any{map[string]any{"method": "PUT", "path": "/parse/roles/" + staff,
				"body": map[string]any{"users": members("RemoveRelation", "_User", carol.id)}}}})
		}, "none", "Staff"},
		{"delete Sub", func() response { return h.do("DELETE", "/roles/"+sub, "master", nil) }, "none", "none"},
	}
	for _, s := range steps {
		if s.write != nil {
			wantStatus(t, s.write(), 200)
		}
		// Ask twice: the second answer comes from the cache.
		for range 2 {
			if got := h.visible(carol); got != s.carol {
				t.Errorf("%s: carol sees %q, want %q", s.name, got, s.carol)
			}
			if got := h.visible(dave); got != s.dave {
				t.Errorf("%s: dave sees %q, want %q", s.name, got, s.dave)
			}
		}
	}
}

// TestRoleWritesByUsers: a role's own ACL decides who may change it.
func TestRoleWritesByUsers(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw", nil)
	bob := h.signup("bob", "pw", nil)
	res := h.as(alice, "POST", "/roles", map[string]any{"name": "Club", "ACL": map[string]any{
		"*": map[string]any{"read": true}, alice.id: map[string]any{"read": true, "write": true}}})
	wantStatus(t, res, 201)
	club := res.body["objectId"].(string)
	h.roleDocs("Club")
	join := func(u who) map[string]any {
		return map[string]any{"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", u.id)}}}
	}
	wantError(t, h.as(bob, "PUT", "/roles/"+club, join(bob)), 101)
	if got := h.visible(bob); got != "none" {
		t.Errorf("bob joined by himself: sees %q", got)
	}
	wantError(t, h.as(bob, "DELETE", "/roles/"+club, nil), 101)
	wantStatus(t, h.as(alice, "PUT", "/roles/"+club, join(bob)), 200)
	if got := h.visible(bob); got != "Club" {
		t.Errorf("bob added by alice sees %q", got)
	}
}

func TestRoleNames(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	id := h.role("Editors", nil)
	for _, name := range []string{"Editors", "editors"} {
		res := h.do("POST", "/roles", "master", map[string]any{"name": name, "ACL": map[string]any{}})
		if name == "Editors" {
			wantError(t, res, 137)
		} else {
			wantStatus(t, res, 201) // role names are case-sensitive, as on Parse Server
		}
	}
	for _, name := range []any{"", "a!b", "über", "a/b", "role:x", nil, 5, []any{"x"}} {
		t.Run(fmt.Sprint(name), func(t *testing.T) {
			wantError(t, h.do("POST", "/roles", "master", map[string]any{"name": name}), 139)
		})
	}
	t.Run("immutable", func(t *testing.T) {
		wantError(t, h.do("PUT", "/roles/"+id, "master", map[string]any{"name": "Writers"}), 136)
		wantError(t, h.do("PUT", "/classes/_Role/"+id, "master", map[string]any{"name": map[string]any{"__op": "Delete"}}), 136)
		res := h.do("POST", "/batch", "master", map[string]any{"requests": []any{
			map[string]any{"method": "PUT", "path": "/parse/roles/" + id, "body": map[string]any{"name": "Writers"}}}})
		if !strings.Contains(string(res.raw), `"code":136`) {
			t.Fatalf("rename in a batch: %s", res.raw)
		}
		if res := h.do("GET", "/roles/"+id, "master", nil); res.body["name"] != "Editors" {
			t.Fatalf("after refused renames: %s", res.raw)
		}
	})
}
