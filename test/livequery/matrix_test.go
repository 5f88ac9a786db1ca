package livequery_test

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sort"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

// The permission matrix: every subscriber (anonymous, the owner, another
// user, a role member, the master key) × every class-level permission
// (open, requiresAuthentication, role-only, pointer permissions, protected
// fields) × every ACL (public, owner, role, other user, nobody), through
// create, update, enter, leave and delete.
//
// The oracle is the REST API: a subscriber must receive exactly the events
// whose objects a find shows them, with exactly the fields the find shows,
// and a subscription is refused exactly when the find is. A difference is
// a leak (or a loss), and the test counts them: it must find none.

type matrixEnv struct {
	h        *harness
	subs     []who
	clients  []*client
	classes  []string
	requests map[string]int // class → request id
	refused  map[string]map[string]int
	checks   int
	// What the checks covered, so that a vacuous pass shows.
	ops              map[string]int
	reduced, hidden  int
	refusedSubscribe int
}

func setupMatrix(t *testing.T) *matrixEnv {
	h := newHarness(t, nil)
	owner, other, staffer := h.signup("owner"), h.signup("other"), h.signup("staffer")
	h.mustREST(master, "POST", "/roles", map[string]any{
		"name": "staff", "ACL": map[string]any{"*": map[string]any{"read": true}},
		"users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_User", staffer.id)}},
	})
	fields := map[string]any{
		"n": map[string]any{"type": "Number"}, "secret": map[string]any{"type": "String"}, "note": map[string]any{"type": "String"},
		"owner":  map[string]any{"type": "Pointer", "targetClass": "_User"},
		"owners": map[string]any{"type": "Array"},
	}
	clps := map[string]map[string]any{
		"Open":      nil,
		"AuthOnly":  {"find": map[string]any{"requiresAuthentication": true}, "get": map[string]any{"requiresAuthentication": true}},
		"StaffOnly": {"find": map[string]any{"role:staff": true}, "get": map[string]any{"role:staff": true}},
		"Pointer":   {"find": map[string]any{}, "get": map[string]any{}, "readUserFields": []any{"owners"}},
		"Protected": {"protectedFields": map[string]any{"*": []any{"secret", "note"}, "role:staff": []any{"note"}, "userField:owner": []any{}}},
	}
	env := &matrixEnv{h: h, subs: []who{anonymous, owner, other, staffer, master}, requests: map[string]int{}, refused: map[string]map[string]int{}, ops: map[string]int{}}
	for name, clp := range clps {
		body := map[string]any{"className": name, "fields": fields}
		if clp != nil {
			body["classLevelPermissions"] = clp
		}
		h.mustREST(master, "POST", "/schemas/"+name, body)
		env.classes = append(env.classes, name)
	}
	sort.Strings(env.classes)
	for i, name := range env.classes {
		env.requests[name] = i + 1
	}
	for _, w := range env.subs {
		c := h.connect(w)
		c.watchFence()
		env.refused[w.name] = map[string]int{}
		for _, name := range env.classes {
			got := c.subscribe(env.requests[name], name, nil, nil)
			_, findCode := h.findAs(w, name, "none")
			subCode := 0
			if got["op"] == "error" {
				subCode = num(got["code"])
			} else if got["op"] != "subscribed" {
				t.Fatalf("%s subscribing to %s: %v", w.name, name, got)
			}
			env.checks++
			if subCode != findCode {
				t.Errorf("LEAK? %s subscribing to %s: LiveQuery answered %d, a find answers %d", w.name, name, subCode, findCode)
			}
			env.refused[w.name][name] = subCode
			if subCode != 0 {
				env.refusedSubscribe++
			}
		}
		env.clients = append(env.clients, c)
	}
	return env
}

func (env *matrixEnv) acls() map[string]any {
	users := map[string]who{}
	for _, w := range env.subs {
		users[w.name] = w
	}
	read := map[string]any{"read": true, "write": true}
	return map[string]any{
		"public": nil,
		"owner":  map[string]any{users["owner"].id: read},
		"staff":  map[string]any{"role:staff": read},
		"other":  map[string]any{users["other"].id: read},
		"nobody": map[string]any{},
	}
}

// views returns what each subscriber's find shows of an object.
func (env *matrixEnv) views(className, id string) []map[string]any {
	out := make([]map[string]any, len(env.subs))
	for i, w := range env.subs {
		out[i], _ = env.h.findAs(w, className, id)
	}
	return out
}

// expectation is the event a subscriber must get for a change, derived
// from the REST views before and after it.
func expectation(kind core.ChangeKind, before, after map[string]any) string {
	switch {
	case kind == core.Created && after != nil:
		return "create"
	case kind == core.Deleted && before != nil:
		return "delete"
	case kind == core.Updated && before != nil && after != nil:
		return "update"
	case kind == core.Updated && before != nil:
		return "leave"
	case kind == core.Updated && after != nil:
		return "enter"
	}
	return ""
}

// identity is what a subscriber gets of an object it may not read.
func identity(full map[string]any) map[string]any {
	out := map[string]any{}
	for _, k := range []string{"objectId", "createdAt", "updatedAt"} {
		out[k] = full[k]
	}
	return out
}

// check runs one change and compares every subscriber's messages with the
// oracle.
// id is the object's id, "" for a create: change then returns the new id.
func (env *matrixEnv) check(t *testing.T, what string, className, id string, kind core.ChangeKind, change func() string) {
	t.Helper()
	before := make([]map[string]any, len(env.subs))
	var masterBefore map[string]any
	if kind != core.Created {
		before = env.views(className, id)
		masterBefore, _ = env.h.findAs(masterWho, className, id)
	}
	id = change()
	after := env.views(className, id)
	masterAfter, _ := env.h.findAs(masterWho, className, id)
	got := env.h.fence(env.clients...)
	for i, w := range env.subs {
		env.checks++
		want := ""
		if env.refused[w.name][className] == 0 {
			want = expectation(kind, before[i], after[i])
		}
		msgs := got[i]
		if want == "" {
			if len(msgs) != 0 {
				t.Errorf("LEAK: %s: %s got %v, want nothing", what, w.name, msgs)
			}
			continue
		}
		if len(msgs) != 1 {
			t.Errorf("%s: %s got %d messages %v, want one %s", what, w.name, len(msgs), msgs, want)
			continue
		}
		m := msgs[0]
		if m["op"] != want || num(m["requestId"]) != env.requests[className] {
			t.Errorf("%s: %s got %v, want %s", what, w.name, m, want)
			continue
		}
		env.ops[want]++
		wantObj, wantOrig := after[i], before[i]
		switch want {
		case "delete":
			wantObj = before[i]
		case "leave":
			if wantObj == nil {
				wantObj = identity(masterAfter)
				env.reduced++
			}
		case "enter":
			if wantOrig == nil {
				wantOrig = identity(masterBefore)
				env.reduced++
			}
		}
		if wantObj != nil && masterAfter != nil && len(wantObj) < len(masterAfter) && wantObj["ACL"] != nil {
			env.hidden++ // protected fields were stripped from this view
		}
		obj, _ := m["object"].(map[string]any)
		compareView(t, fmt.Sprintf("%s: %s's %s object", what, w.name, want), obj, wantObj, className)
		if want == "update" || want == "enter" || want == "leave" {
			orig, _ := m["original"].(map[string]any)
			compareView(t, fmt.Sprintf("%s: %s's %s original", what, w.name, want), orig, wantOrig, className)
		} else if _, ok := m["original"]; ok {
			t.Errorf("%s: %s's %s carries an original", what, w.name, want)
		}
	}
}

var masterWho = who{name: "master", master: true}

func compareView(t *testing.T, what string, got, want map[string]any, className string) {
	t.Helper()
	if got["className"] != className {
		t.Errorf("%s: className %v", what, got["className"])
	}
	g := maps.Clone(got)
	delete(g, "className")
	gj, _ := json.Marshal(g)
	wj, _ := json.Marshal(want)
	if string(gj) != string(wj) {
		extra := []string{}
		for k := range g {
			if _, ok := want[k]; !ok {
				extra = append(extra, k)
			}
		}
		slices.Sort(extra)
		t.Errorf("LEAK? %s differs from what a find shows (fields only LiveQuery sent: %v):\n got %s\nwant %s", what, extra, gj, wj)
	}
}

func TestPermissionMatrix(t *testing.T) {
	env := setupMatrix(t)
	h := env.h
	ownerID := env.subs[1].id
	base := func(acl any) map[string]any {
		f := map[string]any{"n": 1, "secret": "s3cret", "note": "private note",
			"owner": pointer("_User", ownerID), "owners": []any{pointer("_User", ownerID)}}
		if acl != nil {
			f["ACL"] = acl
		}
		return f
	}
	acls := env.acls()
	names := slices.Sorted(maps.Keys(acls))
	for _, className := range env.classes {
		for _, aclName := range names {
			acl := acls[aclName]
			what := className + "/" + aclName
			env.check(t, what+" create", className, "", core.Created, func() string {
				return h.create(master, className, base(acl))
			})
		}
		// One object through its life: private, public, another user's,
		// a field change, and gone.
		var id string
		env.check(t, className+" create private", className, "", core.Created, func() string {
			id = h.create(master, className, base(acls["owner"]))
			return id
		})
		steps := []struct {
			name   string
			fields map[string]any
		}{
			{"made public (enter)", map[string]any{"ACL": map[string]any{"*": map[string]any{"read": true}}}},
			{"a field changes (update)", map[string]any{"n": 2, "secret": "changed"}},
			{"given to the role (leave)", map[string]any{"ACL": acls["staff"]}},
			{"given to another user", map[string]any{"ACL": acls["other"], "owners": []any{}}},
			{"pointed at the other user", map[string]any{"owner": pointer("_User", env.subs[2].id), "owners": []any{pointer("_User", env.subs[2].id)}}},
			{"public again", map[string]any{"ACL": map[string]any{"*": map[string]any{"read": true}}}},
		}
		for _, st := range steps {
			env.check(t, className+" "+st.name, className, id, core.Updated, func() string {
				h.update(master, className, id, st.fields)
				return id
			})
		}
		env.check(t, className+" deleted", className, id, core.Deleted, func() string {
			h.remove(master, className, id)
			return id
		})
	}
	if t.Failed() {
		t.Logf("%d checks, with failures above", env.checks)
		return
	}
	for _, op := range []string{"create", "update", "enter", "leave", "delete"} {
		if env.ops[op] == 0 {
			t.Errorf("the matrix never produced a %s event: it proves nothing about them", op)
		}
	}
	if env.reduced == 0 || env.hidden == 0 || env.refusedSubscribe == 0 {
		t.Errorf("the matrix never hid an object (%d), a protected field (%d) or refused a subscription (%d)", env.reduced, env.hidden, env.refusedSubscribe)
	}
	t.Logf("permission matrix: %d checks of subscribe and event delivery against the REST API, 0 leaks; events checked %v, %d hidden objects reduced to their id, %d views without protected fields, %d subscriptions refused",
		env.checks, env.ops, env.reduced, env.hidden, env.refusedSubscribe)
}
