package integration

import (
	"bufio"
	"encoding/json"
	"fmt"
	"github.com/switchboardhq/switchboard/core/server"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// The security holes of issue 8 that the penetration test found in the
// user, session, installation and write paths, over HTTP on each store.
// Each test is named after the hole it closes and failed before the fix.

// TestHole1DottedAuthDataRefused: a dotted key into authData (or into any
// other _User field with rules) is refused, so it cannot link a provider
// id without the provider's token check and take over its owner's logins.
func TestHole1DottedAuthDataRefused(t *testing.T) {
	t.Parallel()
	h, p := newAuthHarness(t)

	// The signup that planted a GitHub id with no token.
	res := h.do("POST", "/users", "", map[string]any{"username": "mallory", "password": "pw", "authData.github.id": "4242"})
	wantError(t, res, 105)
	wantError(t, h.do("POST", "/login", "", map[string]any{"username": "mallory", "password": "pw"}), 101)

	mallory := h.signup("mallory", "pw", nil)
	for _, key := range []string{
		"authData.github.id", "authData.github", "authData.anonymous.id",
		"email.address", "password.x", "username.x", "emailVerified.x", "mobilePhoneNumber.x", "mobilePhoneVerified.x",
	} {
		res := h.as(mallory, "PUT", "/users/"+mallory.id, map[string]any{key: "4242"})
		if res.status != 400 || res.code() != 105 {
			t.Errorf("update with %q: %d %s, want 105", key, res.status, res.raw)
		}
	}
	// Nor through a batch.
	res = h.as(mallory, "POST", "/batch", map[string]any{"requests": []any{
		map[string]any{"method": "PUT", "path": "/parse/users/" + mallory.id, "body": map[string]any{"authData.github.id": "4242"}},
	}})
	if !strings.Contains(string(res.raw), `"code":105`) {
		t.Errorf("batch: %d %s, want a 105 entry", res.status, res.raw)
	}
	stored := h.do("GET", "/users/"+mallory.id, "master", nil)
	if stored.body["authData"] != nil || stored.body["email"] != nil {
		t.Fatalf("the dotted writes left %s", stored.raw)
	}

	// The real owner of GitHub id 4242 signs in and gets an account of
	// their own, not mallory's.
	res = h.do("POST", "/users", "", authData("github", p.githubData(4242, "octocat")))
	wantStatus(t, res, 201)
	if res.body["objectId"] == mallory.id {
		t.Fatal("GitHub's 4242 logged into mallory's account")
	}
	// Ordinary Object fields keep their dotted updates.
	wantStatus(t, h.as(mallory, "PUT", "/users/"+mallory.id, map[string]any{"prefs": map[string]any{"theme": "dark"}}), 200)
	wantStatus(t, h.as(mallory, "PUT", "/users/"+mallory.id, map[string]any{"prefs.theme": "light"}), 200)
	if prefs, _ := h.do("GET", "/users/"+mallory.id, "master", nil).body["prefs"].(map[string]any); prefs["theme"] != "light" {
		t.Errorf("prefs.theme: %v", prefs)
	}
}

// TestHole3DistinctRefusesInternalFields: distinct and aggregate never read
// password hashes, reset tokens or other internal fields, not even with the
// master keys.
func TestHole3DistinctRefusesInternalFields(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *core.Options) { o.Mailer = &mailbox{} })
	h.signup("alice", "pw-alice", map[string]any{"email": "alice@example.com"})
	wantStatus(t, h.do("POST", "/requestPasswordReset", "", map[string]any{"email": "alice@example.com"}), 200)
	for _, key := range []string{"master", "readonly"} {
		for _, field := range []string{"_hashed_password", "_perishable_token", "_perishable_token_expires_at", "_email_verify_token", "_rperm", "_wperm", "_failed_login_count"} {
			res := h.do("GET", "/aggregate/_User?distinct="+field, key, nil)
			if res.status != 400 || res.code() != 105 {
				t.Errorf("%s distinct=%s: %d %s, want 105", key, field, res.status, res.raw)
			}
		}
		for _, stage := range []string{
			`[{"$group":{"_id":"$_hashed_password"}}]`,
			`[{"$group":{"_id":null,"h":{"$push":"$_perishable_token"}}}]`,
			`[{"$project":{"t":"$_perishable_token"}}]`,
			`[{"$match":{"_perishable_token":{"$exists":true}}}]`,
		} {
			res := h.do("GET", "/aggregate/_User?pipeline="+url.QueryEscape(stage), key, nil)
			if res.status != 400 || res.code() != 105 {
				t.Errorf("%s pipeline %s: %d %s, want 105", key, stage, res.status, res.raw)
			}
		}
	}
	// The ordinary fields still work.
	res := h.do("GET", "/aggregate/_User?distinct=username", "readonly", nil)
	if res.status != 200 || string(res.raw) != `{"results":["alice"]}` {
		t.Errorf("distinct=username: %d %s", res.status, res.raw)
	}
}

// TestHole4OperatorRepliesHideUnreadableValues: the reply to Increment,
// Add, AddUnique and Remove carries a new value only when the caller could
// read it back: not for a protected field, nor on an object the caller may
// write but not read.
func TestHole4OperatorRepliesHideUnreadableValues(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw", nil)
	bob := h.signup("bob", "pw", nil)
	wantStatus(t, h.do("POST", "/schemas/Wallet", "master", map[string]any{
		"fields":                map[string]any{"balance": map[string]any{"type": "Number"}, "log": map[string]any{"type": "Array"}, "visits": map[string]any{"type": "Number"}},
		"classLevelPermissions": map[string]any{"protectedFields": map[string]any{"*": []any{"balance", "log"}}},
	}), 200)
	public := createAll(t, h, "Wallet", map[string]map[string]any{"w": {"balance": 100, "log": []any{"a"}, "visits": 0}})["w"]
	writeOnly := createAll(t, h, "Wallet", map[string]map[string]any{"w": {"balance": 50, "visits": 0,
		"ACL": map[string]any{alice.id: map[string]any{"write": true}, bob.id: map[string]any{"read": true, "write": true}}}})["w"]

	ops := map[string]any{
		"balance": map[string]any{"__op": "Increment", "amount": 0},
		"log":     map[string]any{"__op": "AddUnique", "objects": []any{"b"}},
		"visits":  map[string]any{"__op": "Increment", "amount": 1},
	}
	tests := []struct {
		name   string
		caller who
		id     string
		want   []string // operator fields the reply may carry
	}{
		{"protected fields, anonymous", anonymous, public, []string{"visits"}},
		{"protected fields, a user", alice, public, []string{"visits"}},
		{"protected fields, master", asMaster, public, []string{"balance", "log", "visits"}},
		{"writable, not readable", alice, writeOnly, nil},
		{"writable and readable", bob, writeOnly, []string{"visits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := h.as(tt.caller, "PUT", "/classes/Wallet/"+tt.id, ops)
			wantStatus(t, res, 200)
			if res.body["updatedAt"] == nil {
				t.Fatalf("no updatedAt: %s", res.raw)
			}
			for _, f := range []string{"balance", "log", "visits"} {
				_, got := res.body[f]
				if want := contains(tt.want, f); got != want {
					t.Errorf("reply %s: %s present = %v, want %v", res.raw, f, got, want)
				}
			}
		})
	}
	// An Increment inside a protected Object field answers nothing either;
	// inside a visible one it answers the new value on its path.
	wantStatus(t, h.do("PUT", "/schemas/Wallet", "master", map[string]any{"fields": map[string]any{
		"vault": map[string]any{"type": "Object"}, "stats": map[string]any{"type": "Object"}},
		"classLevelPermissions": map[string]any{"protectedFields": map[string]any{"*": []any{"balance", "log", "vault"}}}}), 200)
	res := h.as(alice, "PUT", "/classes/Wallet/"+public, map[string]any{
		"vault.gold.bars": map[string]any{"__op": "Increment", "amount": 0},
		"stats.a.b":       map[string]any{"__op": "Increment", "amount": 2},
	})
	if res.status != 200 || res.body["vault"] != nil || string(mustJSON(res.body["stats"])) != `{"a":{"b":2}}` {
		t.Errorf("nested increments: %d %s", res.status, res.raw)
	}
	// A create answers the defaults it filled, but not a protected one.
	wantStatus(t, h.do("POST", "/schemas/Vault", "master", map[string]any{
		"fields": map[string]any{"pin": map[string]any{"type": "Number", "defaultValue": 1234},
			"label": map[string]any{"type": "String", "defaultValue": "spare"}},
		"classLevelPermissions": map[string]any{"protectedFields": map[string]any{"*": []any{"pin"}}},
	}), 200)
	res = h.do("POST", "/classes/Vault", "", map[string]any{})
	if res.status != 201 || res.body["label"] != "spare" || res.body["pin"] != nil {
		t.Errorf("create with defaults: %d %s", res.status, res.raw)
	}
	// A user sees their own protected fields in the reply.
	wantStatus(t, h.do("PUT", "/schemas/_User", "master", map[string]any{
		"classLevelPermissions": map[string]any{"protectedFields": map[string]any{"*": []any{"email", "credits"}}},
	}), 200)
	res = h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"credits": map[string]any{"__op": "Increment", "amount": 3}})
	if res.status != 200 || res.body["credits"] != float64(3) {
		t.Errorf("own user: %d %s", res.status, res.raw)
	}
}

func mustJSON(v any) []byte { b, _ := json.Marshal(v); return b }

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}

// TestHole6InstallationsClosedToClients: as on Parse Server, clients cannot
// list or delete installations, and change only their own device's.
func TestHole6InstallationsClosedToClients(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	from := func(inst string) map[string]string { return map[string]string{"X-Parse-Installation-Id": inst} }
	res := h.request("POST", "/installations", map[string]any{"deviceType": "android", "installationId": "inst-a", "deviceToken": "token-a"}, from("inst-a"))
	wantStatus(t, res, 201)
	id := res.body["objectId"].(string)
	alice := h.signup("alice", "pw", nil)

	for _, c := range []who{anonymous, alice} {
		for _, path := range []string{"/installations", "/classes/_Installation", "/installations?count=1&limit=0",
			withQuery("/installations", map[string]any{"where": map[string]any{"deviceToken": map[string]any{"$exists": true}}})} {
			wantError(t, h.as(c, "GET", path, nil), 119)
		}
		wantError(t, h.as(c, "DELETE", "/installations/"+id, nil), 119)
		wantError(t, h.as(c, "DELETE", "/classes/_Installation/"+id, nil), 119)
		wantError(t, h.as(c, "PUT", "/installations/"+id, map[string]any{"deviceToken": "evil"}), 119)
	}
	wantError(t, h.request("PUT", "/installations/"+id, map[string]any{"deviceToken": "evil"}, from("inst-b")), 119)
	// Nor can subqueries list them, or compare their device tokens.
	createAll(t, h, "Note", map[string]map[string]any{"n": {"inst": pointer("_Installation", id), "text": "token-a"}})
	wantError(t, h.do("GET", withQuery("/classes/Note", map[string]any{"where": map[string]any{"text": map[string]any{
		"$select": map[string]any{"query": map[string]any{"className": "_Installation"}, "key": "deviceToken"}}}}), "", nil), 119)
	wantError(t, h.do("GET", withQuery("/classes/Note", map[string]any{"where": map[string]any{"inst": map[string]any{
		"$inQuery": map[string]any{"className": "_Installation", "where": map[string]any{}}}}}), "", nil), 119)

	// The device itself updates its own installation.
	wantStatus(t, h.request("PUT", "/installations/"+id, map[string]any{"badge": 3}, from("inst-a")), 200)
	stored := h.do("GET", "/installations/"+id, "master", nil)
	if stored.body["deviceToken"] != "token-a" || stored.body["badge"] != float64(3) {
		t.Fatalf("installation after the attempts: %s", stored.raw)
	}
	// The master key lists and deletes.
	if n := len(h.do("GET", "/installations", "master", nil).results()); n != 1 {
		t.Fatalf("master lists %d installations", n)
	}
	wantStatus(t, h.do("DELETE", "/installations/"+id, "master", nil), 200)
}

// TestHole7UserFieldOperatorsAre4xx: email or mobilePhoneNumber given as an
// update operator is a Parse error, not a 500.
func TestHole7UserFieldOperatorsAre4xx(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw", nil)
	ops := []map[string]any{
		{"__op": "Increment", "amount": 1},
		{"__op": "Add", "objects": []any{"a@example.com"}},
		{"__op": "AddUnique", "objects": []any{"+14155550100"}},
		{"__op": "Remove", "objects": []any{"x"}},
	}
	for _, field := range []string{"email", "mobilePhoneNumber"} {
		for _, op := range ops {
			body := map[string]any{"username": "new-" + field, "password": "pw", field: op}
			if res := h.do("POST", "/users", "", body); res.status != 400 || res.code() == 0 {
				t.Errorf("signup with %s %v: %d %s, want a 400 Parse error", field, op["__op"], res.status, res.raw)
			}
			if res := h.as(alice, "PUT", "/users/"+alice.id, map[string]any{field: op}); res.status != 400 || res.code() == 0 {
				t.Errorf("update of %s with %v: %d %s, want a 400 Parse error", field, op["__op"], res.status, res.raw)
			}
		}
	}
	// Delete stays a way to remove them.
	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"email": map[string]any{"__op": "Delete"}}), 200)
}

// TestHole8ResetTokenDiesWithPasswordOrEmailChange: a reset link sent
// before a password or e-mail change no longer works after it.
func TestHole8ResetTokenDiesWithPasswordOrEmailChange(t *testing.T) {
	t.Parallel()
	mail := &mailbox{}
	h := newHarness(t, func(o *core.Options) { o.Mailer = mail })
	alice := h.signup("alice", "pw-1", map[string]any{"email": "alice@example.com"})
	resetLink := func() (string, url.Values) {
		t.Helper()
		wantStatus(t, h.do("POST", "/requestPasswordReset", "", map[string]any{"email": "alice@example.com"}), 200)
		_, link := mail.last(t, "alice@example.com")
		u, _ := url.Parse(link)
		return link, url.Values{"username": {"alice"}, "token": {u.Query().Get("token")}, "new_password": {"attacker-pw"}}
	}
	refused := func(what, link string, form url.Values) {
		t.Helper()
		if res := postForm(t, link, form); res.status != 400 {
			t.Fatalf("a reset link from before %s still works: %d %s", what, res.status, res.raw)
		}
	}

	link, form := resetLink()
	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"password": "pw-2"}), 200)
	refused("the password change", link, form)
	alice = h.login("alice", "pw-2")

	link, form = resetLink()
	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"email": "alice@other.example"}), 200)
	refused("the e-mail change", link, form)
	h.login("alice", "pw-2")

	// A link sent after the change works.
	wantStatus(t, h.do("POST", "/requestPasswordReset", "", map[string]any{"email": "alice@other.example"}), 200)
	_, link = mail.last(t, "alice@other.example")
	u, _ := url.Parse(link)
	if res := postForm(t, link, url.Values{"username": {"alice"}, "token": {u.Query().Get("token")}, "new_password": {"pw-3"}}); res.status != 200 {
		t.Fatalf("a fresh link: %d %s", res.status, res.raw)
	}
	h.login("alice", "pw-3")
}

// TestHole10PurgeInvalidatesCaches: after DELETE /purge/_Session or
// /purge/_Role, the purged sessions and role memberships stop working at
// once, not when the cache entry expires.
func TestHole10PurgeInvalidatesCaches(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw", nil)
	bob := h.signup("bob", "pw", nil)
	staff := h.role("Staff", []who{bob})
	doc := createAll(t, h, "Memo", map[string]map[string]any{"m": {"text": "staff only",
		"ACL": map[string]any{"role:Staff": map[string]any{"read": true}}}})["m"]

	// Both are cached now.
	wantStatus(t, h.as(alice, "GET", "/users/me", nil), 200)
	wantStatus(t, h.as(bob, "GET", "/classes/Memo/"+doc, nil), 200)

	wantStatus(t, h.do("DELETE", "/purge/_Role", "master", nil), 200)
	wantError(t, h.as(bob, "GET", "/classes/Memo/"+doc, nil), 101)
	if res := h.do("GET", "/roles/"+staff, "master", nil); res.status != 404 {
		t.Fatalf("the role survived the purge: %s", res.raw)
	}

	wantStatus(t, h.do("DELETE", "/purge/_Session", "master", nil), 200)
	wantError(t, h.as(alice, "GET", "/users/me", nil), 209)
	wantError(t, h.as(bob, "GET", "/classes/Memo/"+doc, nil), 209)
	// Logging in again works.
	alice = h.login("alice", "pw")
	wantStatus(t, h.as(alice, "GET", "/users/me", nil), 200)
}

// TestHole11DottedIncrementOnUnreadableIs101: a dotted Increment on an
// object the caller may not write answers 101 like a missing object, not a
// type error that tells the object and its field exist.
func TestHole11DottedIncrementOnUnreadableIs101(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw", nil)
	bob := h.signup("bob", "pw", nil)
	id := createAll(t, h, "Profile", map[string]map[string]any{"p": {"meta": map[string]any{"name": "secret", "n": 1},
		"ACL": map[string]any{alice.id: map[string]any{"read": true, "write": true}}}})["p"]
	readOnly := createAll(t, h, "Profile", map[string]map[string]any{"p": {"meta": map[string]any{"name": "x"},
		"ACL": map[string]any{"*": map[string]any{"read": true}}}})["p"]
	inc := func(key string) map[string]any {
		return map[string]any{key: map[string]any{"__op": "Increment", "amount": 1}}
	}
	for _, c := range []who{anonymous, bob} {
		for _, key := range []string{"meta.name", "meta.n", "meta.none.deep"} {
			wantError(t, h.as(c, "PUT", "/classes/Profile/"+id, inc(key)), 101)
			wantError(t, h.as(c, "PUT", "/classes/Profile/nosuchobj1", inc(key)), 101)
		}
		// Readable is not writable: the same answer.
		wantError(t, h.as(c, "PUT", "/classes/Profile/"+readOnly, inc("meta.name")), 101)
	}
	// The owner gets the real type error, and the number counts.
	wantError(t, h.as(alice, "PUT", "/classes/Profile/"+id, inc("meta.name")), 111)
	wantStatus(t, h.as(alice, "PUT", "/classes/Profile/"+id, inc("meta.n")), 200)
	if meta, _ := h.do("GET", "/classes/Profile/"+id, "master", nil).body["meta"].(map[string]any); meta["n"] != float64(2) || meta["name"] != "secret" {
		t.Fatalf("meta after the attempts: %v", meta)
	}
}

// TestHole5RelatedToNeedsReadableOwner: the members of a relation are
// listed only to callers who could read the object that owns it: its ACL,
// its class's get permission, and the relation field's protection all
// apply, through $relatedTo and the SDKs' redirectClassNameForKey form.
func TestHole5RelatedToNeedsReadableOwner(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw", nil)
	bob := h.signup("bob", "pw", nil)
	items := createAll(t, h, "Item", map[string]map[string]any{"i1": {"n": 1}, "i2": {"n": 2}})
	both := []any{pointer("Item", items["i1"]), pointer("Item", items["i2"])}
	relation := map[string]any{"items": map[string]any{"__op": "AddRelation", "objects": both}}
	only := func(user string) map[string]any { return map[string]any{user: true} }
	for class, clp := range map[string]map[string]any{
		"AuthBox":   {"get": only("requiresAuthentication"), "find": only("requiresAuthentication")},
		"AliceBox":  {"get": only(alice.id), "find": only(alice.id)},
		"SecretBox": {"protectedFields": map[string]any{"*": []any{"items"}}},
	} {
		wantStatus(t, h.do("POST", "/schemas/"+class, "master", map[string]any{
			"fields":                map[string]any{"items": map[string]any{"type": "Relation", "targetClass": "Item"}},
			"classLevelPermissions": clp,
		}), 200)
	}
	box := func(class string, acl map[string]any) string {
		body := map[string]any{"items": relation["items"]}
		if acl != nil {
			body["ACL"] = acl
		}
		return createAll(t, h, class, map[string]map[string]any{"b": body})["b"]
	}
	owners := map[string]struct{ class, id string }{
		"public":  {"Box", box("Box", nil)},
		"private": {"Box", box("Box", map[string]any{alice.id: map[string]any{"read": true, "write": true}})},
		"auth":    {"AuthBox", box("AuthBox", nil)},
		"alice":   {"AliceBox", box("AliceBox", nil)},
		"secret":  {"SecretBox", box("SecretBox", nil)},
	}
	relatedTo := func(owner string) map[string]any {
		o := owners[owner]
		return map[string]any{"$relatedTo": map[string]any{"object": pointer(o.class, o.id), "key": "items"}}
	}
	forms := map[string]func(c who, owner string) response{
		"$relatedTo": func(c who, owner string) response {
			return h.as(c, "GET", withQuery("/classes/Item", map[string]any{"where": relatedTo(owner)}), nil)
		},
		"redirectClassNameForKey": func(c who, owner string) response {
			return h.as(c, "GET", withQuery("/classes/"+owners[owner].class, map[string]any{"where": relatedTo(owner), "redirectClassNameForKey": "items"}), nil)
		},
		"$relatedTo in $or": func(c who, owner string) response {
			return h.as(c, "GET", withQuery("/classes/Item", map[string]any{"where": map[string]any{"$or": []any{relatedTo(owner)}}}), nil)
		},
		"$relatedTo in an $inQuery": func(c who, owner string) response {
			return h.as(c, "GET", withQuery("/classes/Tag", map[string]any{"where": map[string]any{"item": map[string]any{
				"$inQuery": map[string]any{"className": "Item", "where": relatedTo(owner)}}}}), nil)
		},
		"count": func(c who, owner string) response {
			return h.as(c, "GET", withQuery("/classes/Item", map[string]any{"where": relatedTo(owner), "count": "1", "limit": "0"}), nil)
		},
	}
	createAll(t, h, "Tag", map[string]map[string]any{"t1": {"item": pointer("Item", items["i1"])}, "t2": {"item": pointer("Item", items["i2"])}})
	view := func(res response) string {
		switch {
		case res.status != 200:
			return strconv.Itoa(res.code())
		case res.body["count"] != nil:
			return "count " + strconv.Itoa(int(res.body["count"].(float64)))
		}
		return strconv.Itoa(len(res.results())) + " results"
	}
	//                        anonymous   alice        bob          master
	want := map[string][4]string{
		"public":  {"2", "2", "2", "2"},
		"private": {"0", "2", "0", "2"},
		"auth":    {"101", "2", "2", "2"},
		"alice":   {"119", "2", "119", "2"},
		"secret":  {"119", "119", "119", "2"},
	}
	callers := []who{anonymous, alice, bob, asMaster}
	for form, send := range forms {
		for owner, wants := range want {
			for i, c := range callers {
				got := view(send(c, owner))
				exp := wants[i]
				if len(exp) == 1 {
					if form == "count" {
						exp = "count " + exp
					} else {
						exp += " results"
					}
				}
				if got != exp {
					t.Errorf("%s on the %s owner as %s: %s, want %s", form, owner, c.name, got, exp)
				}
			}
		}
	}
	// {"relField": pointer} lists owners, each behind its own ACL.
	res := h.as(bob, "GET", withQuery("/classes/Box", map[string]any{"where": map[string]any{"items": pointer("Item", items["i1"])}}), nil)
	if got := resultIDs(t, res); len(got) != 1 || got[0] != owners["public"].id {
		t.Errorf("owners of i1 as bob: %v, want only the public box", got)
	}
}

// TestHole9NoAccountEnumeration: POST /verificationEmailRequest and POST
// /requestMobilePhoneVerify answer an address or number with no account
// exactly as one with an account (emailVerifySuccessOnInvalidEmail, on by
// default), and only an account's address or number gets a message.
func TestHole9NoAccountEnumeration(t *testing.T) {
	t.Parallel()
	mail, sms := &mailbox{}, &smsBox{}
	h := newHarness(t, func(o *core.Options) { o.Mailer, o.SMS, o.Users.VerifyUserEmails = mail, sms, true })
	alice := h.signup("alice", "pw", map[string]any{"email": "alice@example.com"})
	h.signup("bob", "pw", map[string]any{"email": "bob@example.com"})
	bob := h.do("GET", withQuery("/users", map[string]any{"where": map[string]any{"username": "bob"}}), "master", nil).results()[0]
	wantStatus(t, h.do("PUT", "/users/"+bob["objectId"].(string), "master", map[string]any{"emailVerified": true}), 200)
	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"mobilePhoneNumber": "+14155550100"}), 200)
	mails := mail.count()

	same := func(what string, res response) {
		t.Helper()
		if res.status != 200 || string(res.raw) != "{}" {
			t.Errorf("%s: %d %s, want 200 {}", what, res.status, res.raw)
		}
	}
	for _, addr := range []string{"alice@example.com", "bob@example.com", "nobody@example.com"} {
		same("verificationEmailRequest "+addr, h.do("POST", "/verificationEmailRequest", "", map[string]any{"email": addr}))
	}
	for _, phone := range []string{"+14155550100", "+14155550199"} {
		same("requestMobilePhoneVerify "+phone, h.do("POST", "/requestMobilePhoneVerify", "", map[string]any{"mobilePhoneNumber": phone}))
	}
	// Only the unverified account's address got a mail, only the account's
	// number a code.
	mail.waitCount(t, mails+1)
	mail.last(t, "alice@example.com")
	sms.waitCount(t, 1)
	sms.code(t, "+14155550100", "verify")
	// The per-number limits hold for both numbers alike.
	for _, phone := range []string{"+14155550100", "+14155550199"} {
		wantError(t, h.do("POST", "/requestMobilePhoneVerify", "", map[string]any{"mobilePhoneNumber": phone}), 155)
	}
	// Malformed input is refused alike for everyone.
	wantError(t, h.do("POST", "/verificationEmailRequest", "", map[string]any{"email": "not an address"}), 125)
	wantError(t, h.do("POST", "/requestMobilePhoneVerify", "", map[string]any{"mobilePhoneNumber": "12"}), 162)

	t.Run("emailVerifySuccessOnInvalidEmail off", func(t *testing.T) {
		mail, sms := &mailbox{}, &smsBox{}
		h := newHarness(t, func(o *core.Options) {
			o.Mailer, o.SMS, o.Users.VerifyUserEmails, o.Users.EmailVerifyErrorOnInvalidEmail = mail, sms, true, true
		})
		h.signup("alice", "pw", map[string]any{"email": "alice@example.com"})
		wantError(t, h.do("POST", "/verificationEmailRequest", "", map[string]any{"email": "nobody@example.com"}), 205)
		wantError(t, h.do("POST", "/requestMobilePhoneVerify", "", map[string]any{"mobilePhoneNumber": "+14155550199"}), 101)
		sent := mail.count()
		wantStatus(t, h.do("POST", "/verificationEmailRequest", "", map[string]any{"email": "alice@example.com"}), 200)
		if mail.count() != sent+1 {
			t.Fatalf("the mail is sent before the answer when errors are on: %d, want %d", mail.count(), sent+1)
		}
	})
}

// TestHole11SlowBodyIsCut: a request body sent a byte at a time, through
// the whole server, is answered 124 and its connection closed instead of
// holding it for as long as the client likes; a client that keeps up the
// minimum rate saves its object however long the body takes.
func TestHole11SlowBodyIsCut(t *testing.T) {
	t.Parallel()
	h := newHarnessWith(t, nil, func(o *server.Options) { o.BodyReadTimeout, o.BodyReadMinRate = 300*time.Millisecond, 100 })
	addr := strings.TrimPrefix(strings.TrimSuffix(h.url, "/parse"), "http://")
	post := func(body string, pause time.Duration, per int) (*http.Response, string, int) {
		t.Helper()
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /parse/classes/Slow HTTP/1.1\r\nHost: x\r\nX-Parse-Application-Id: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", appID, len(body))
		sent := make(chan int, 1)
		go func() {
			n := 0
			defer func() { sent <- n }()
			for n < len(body) {
				end := min(n+per, len(body))
				if _, err := conn.Write([]byte(body[n:end])); err != nil {
					return
				}
				n = end
				time.Sleep(pause)
			}
		}()
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // bounds the test only
		res, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		raw, _ := io.ReadAll(res.Body)
		conn.Close()
		return res, string(raw), <-sent
	}
	body := `{"text":"` + strings.Repeat("s", 400) + `"}`
	res, raw, sent := post(body, 200*time.Millisecond, 1) // 5 bytes a second, 80 s in all
	if res.StatusCode != 400 || !strings.Contains(raw, `"code":124`) || sent >= len(body) {
		t.Fatalf("a trickled body: %d %s after %d of %d bytes", res.StatusCode, raw, sent, len(body))
	}
	// 40 bytes every 100 ms: 400 bytes a second, above the minimum, and
	// longer than the timeout in all.
	res, raw, _ = post(body, 100*time.Millisecond, 40)
	if res.StatusCode != 201 {
		t.Fatalf("a steady body: %d %s", res.StatusCode, raw)
	}
	if n := len(h.do("GET", "/classes/Slow", "master", nil).results()); n != 1 {
		t.Fatalf("%d objects saved, want 1", n)
	}
}
