package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/switchboardhq/switchboard/core"
)

var sessionTokenPattern = regexp.MustCompile(`^r:[0-9a-f]{32}$`)

// mailbox is a core.Mailer that keeps what it is given.
type mailbox struct{ inbox[core.MailMessage] }

func (m *mailbox) Send(_ context.Context, msg core.MailMessage) error { return m.deliver(msg) }

// last returns the last message, which must be to addr, and the one link in it.
func (m *mailbox) last(t *testing.T, addr string) (core.MailMessage, string) {
	t.Helper()
	msg := m.latest(t)
	if msg.To != addr {
		t.Fatalf("mail to %q, want %q", msg.To, addr)
	}
	links := regexp.MustCompile(`https?://\S+`).FindAllString(msg.Text, -1)
	if len(links) != 1 {
		t.Fatalf("want one link in %q", msg.Text)
	}
	return msg, links[0]
}

// sessionID returns the objectId of the session with token.
func (h *harness) sessionID(token string) string {
	h.t.Helper()
	res := h.do("GET", withQuery("/sessions", map[string]any{"where": map[string]any{"sessionToken": token}}), "master", nil)
	r := res.results()
	if len(r) != 1 {
		h.t.Fatalf("session for %s: %s", token, res.raw)
	}
	return r[0]["objectId"].(string)
}

func TestSignup(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	res := h.do("POST", "/users", "", map[string]any{"username": "alice", "password": "pw", "email": "Alice@Example.com", "nick": "al"})
	wantStatus(t, res, 201)
	token, _ := res.body["sessionToken"].(string)
	id, _ := res.body["objectId"].(string)
	if !sessionTokenPattern.MatchString(token) || !objectIDPattern.MatchString(id) || !isoPattern.MatchString(fmt.Sprint(res.body["createdAt"])) {
		t.Fatalf("signup reply: %s", res.raw)
	}
	if len(res.body) != 3 {
		t.Errorf("signup reply has more than objectId, createdAt and sessionToken: %s", res.raw)
	}
	if loc := res.header.Get("Location"); !strings.HasSuffix(loc, "/parse/users/"+id) { // as Parse Server answers
		t.Errorf("Location %q", loc)
	}
	me := h.as(who{token: token}, "GET", "/users/me", nil)
	if me.body["email"] != "alice@example.com" || me.body["nick"] != "al" || me.body["password"] != nil {
		t.Errorf("e-mail is stored lower-cased, password never returned: %s", me.raw)
	}

	tests := []struct {
		name string
		body any
		code int
	}{
		{"duplicate username", map[string]any{"username": "alice", "password": "x"}, 202},
		{"duplicate e-mail", map[string]any{"username": "a2", "password": "x", "email": "alice@example.com"}, 203},
		{"duplicate e-mail in other case", map[string]any{"username": "a3", "password": "x", "email": "ALICE@EXAMPLE.COM"}, 203},
		{"e-mail without @", map[string]any{"username": "b", "password": "x", "email": "nope"}, 125},
		{"e-mail without domain dot", map[string]any{"username": "b", "password": "x", "email": "a@b"}, 125},
		{"e-mail with a space", map[string]any{"username": "b", "password": "x", "email": "a b@c.com"}, 125},
		{"e-mail with a display name", map[string]any{"username": "b", "password": "x", "email": "Bob <b@c.com>"}, 125},
		{"e-mail not a string", map[string]any{"username": "b", "password": "x", "email": 12}, 125},
		{"missing username", map[string]any{"password": "x"}, 200},
		{"empty username", map[string]any{"username": "", "password": "x"}, 200},
		{"username not a string", map[string]any{"username": 7, "password": "x"}, 200},
		{"missing password", map[string]any{"username": "b"}, 201},
		{"empty password", map[string]any{"username": "b", "password": ""}, 201},
		{"password not a string", map[string]any{"username": "b", "password": []any{"x"}}, 201},
		{"password longer than bcrypt reads", map[string]any{"username": "b", "password": strings.Repeat("p", 73)}, 142},
		{"emailVerified set by the client", map[string]any{"username": "b", "password": "x", "email": "b@example.com", "emailVerified": true}, 119},
		{"mobilePhoneVerified set by the client", map[string]any{"username": "b", "password": "x", "mobilePhoneVerified": true}, 119},
		{"internal field", map[string]any{"username": "b", "password": "x", "_hashed_password": "$2a$10$x"}, 105},
		{"bad ACL", map[string]any{"username": "b", "password": "x", "ACL": "everyone"}, 123},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantError(t, h.do("POST", "/users", "", tt.body), tt.code)
		})
	}
	t.Run("read-only master", func(t *testing.T) {
		wantError(t, h.do("POST", "/users", "readonly", map[string]any{"username": "ro", "password": "x"}), 119)
	})
	// None of the refused signups made a user.
	if res := h.do("GET", "/users?count=1&limit=0", "master", nil); res.body["count"] != 1.0 {
		t.Errorf("users after refused signups: %s", res.raw)
	}
}

func TestLogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw-alice", map[string]any{"email": "alice@example.com"})
	check := func(t *testing.T, res response) {
		t.Helper()
		wantStatus(t, res, 200)
		token, _ := res.body["sessionToken"].(string)
		if res.body["objectId"] != alice.id || res.body["username"] != "alice" || res.body["email"] != "alice@example.com" ||
			!sessionTokenPattern.MatchString(token) || token == alice.token {
			t.Fatalf("login reply: %s", res.raw)
		}
		for _, k := range []string{"password", "_hashed_password", "authData"} {
			if _, ok := res.body[k]; ok {
				t.Fatalf("login reply has %s: %s", k, res.raw)
			}
		}
		if me := h.as(who{token: token}, "GET", "/users/me", nil); me.body["objectId"] != alice.id {
			t.Fatalf("new session does not work: %s", me.raw)
		}
	}
	t.Run("GET", func(t *testing.T) {
		check(t, h.do("GET", "/login?username=alice&password=pw-alice", "", nil))
	})
	t.Run("POST", func(t *testing.T) {
		check(t, h.do("POST", "/login", "", map[string]any{"username": "alice", "password": "pw-alice"}))
	})
	t.Run("JS SDK envelope", func(t *testing.T) {
		check(t, h.request("POST", "/login", `{"_method":"GET","_ApplicationId":"itest","username":"alice","password":"pw-alice"}`,
			map[string]string{"Content-Type": "text/plain", "X-Parse-Application-Id": ""}))
	})
	t.Run("by e-mail", func(t *testing.T) {
		check(t, h.do("POST", "/login", "", map[string]any{"email": "ALICE@example.com", "password": "pw-alice"}))
	})
	t.Run("verifyPassword", func(t *testing.T) {
		res := h.do("GET", "/verifyPassword?username=alice&password=pw-alice", "", nil)
		if res.status != 200 || res.body["objectId"] != alice.id || res.body["sessionToken"] != nil {
			t.Fatalf("verifyPassword: %d %s", res.status, res.raw)
		}
		wantError(t, h.do("GET", "/verifyPassword?username=alice&password=nope", "", nil), 101)
	})
	failures := []struct {
		name   string
		params map[string]any
		code   int
	}{
		{"wrong password", map[string]any{"username": "alice", "password": "pw-bob"}, 101},
		{"unknown user", map[string]any{"username": "zed", "password": "pw-alice"}, 101},
		{"unknown e-mail", map[string]any{"email": "zed@example.com", "password": "pw-alice"}, 101},
		{"password in other case", map[string]any{"username": "alice", "password": "PW-ALICE"}, 101},
		{"username in other case", map[string]any{"username": "ALICE", "password": "pw-alice"}, 101},
		{"missing password", map[string]any{"username": "alice"}, 201},
		{"missing username", map[string]any{"password": "pw-alice"}, 200},
		{"username not a string", map[string]any{"username": 1, "password": "pw-alice"}, 200},
	}
	for _, f := range failures {
		t.Run(f.name, func(t *testing.T) {
			res := h.do("POST", "/login", "", f.params)
			wantError(t, res, f.code)
			if f.code == 101 && res.body["error"] != "Invalid username/password." {
				t.Fatalf("a failed login must not say why: %s", res.raw)
			}
		})
	}
}

func TestSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw-alice", nil)
	alice2 := h.login("alice", "pw-alice")
	bob := h.signup("bob", "pw-bob", nil)

	t.Run("users/me", func(t *testing.T) {
		res := h.as(alice, "GET", "/users/me", nil)
		if res.status != 200 || res.body["objectId"] != alice.id || res.body["sessionToken"] != alice.token {
			t.Fatalf("me: %d %s", res.status, res.raw)
		}
		wantError(t, h.as(anonymous, "GET", "/users/me", nil), 209)
	})
	t.Run("a user sees only their own sessions", func(t *testing.T) {
		res := h.as(alice, "GET", "/sessions", nil)
		got := map[string]bool{}
		for _, s := range res.results() {
			if u, _ := s["user"].(map[string]any); u["objectId"] != alice.id {
				t.Fatalf("someone else's session: %s", res.raw)
			}
			got[s["sessionToken"].(string)] = true
		}
		if len(got) != 2 || !got[alice.token] || !got[alice2.token] {
			t.Fatalf("alice's sessions: %s", res.raw)
		}
		bobs := h.as(bob, "GET", "/sessions", nil).results()
		if len(bobs) != 1 || bobs[0]["sessionToken"] != bob.token {
			t.Fatalf("bob's sessions: %v", bobs)
		}
		wantError(t, h.as(anonymous, "GET", "/sessions", nil), 209)
		wantError(t, h.as(bob, "GET", "/sessions/"+h.sessionID(alice.token), nil), 101)
	})
	t.Run("sessions/me", func(t *testing.T) {
		res := h.as(alice2, "GET", "/sessions/me", nil)
		cw, _ := res.body["createdWith"].(map[string]any)
		if res.body["sessionToken"] != alice2.token || cw["action"] != "login" || cw["authProvider"] != "password" {
			t.Fatalf("sessions/me: %s", res.raw)
		}
		if u, _ := res.body["user"].(map[string]any); u["objectId"] != alice.id {
			t.Fatalf("sessions/me user: %s", res.raw)
		}
		if !isoPattern.MatchString(fmt.Sprint(res.body["expiresAt"].(map[string]any)["iso"])) {
			t.Fatalf("expiresAt: %s", res.raw)
		}
		wantError(t, h.as(anonymous, "GET", "/sessions/me", nil), 209)
	})
	t.Run("POST /sessions", func(t *testing.T) {
		res := h.as(alice, "POST", "/sessions", nil)
		wantStatus(t, res, 200)
		token, _ := res.body["sessionToken"].(string)
		cw, _ := res.body["createdWith"].(map[string]any)
		if !sessionTokenPattern.MatchString(token) || token == alice.token || cw["action"] != "create" {
			t.Fatalf("new session: %s", res.raw)
		}
		if me := h.as(who{token: token}, "GET", "/users/me", nil); me.body["objectId"] != alice.id {
			t.Fatalf("new session: %s", me.raw)
		}
		wantError(t, h.as(anonymous, "POST", "/sessions", nil), 209)
	})
	t.Run("deleting one's session ends it", func(t *testing.T) {
		extra := h.login("bob", "pw-bob")
		wantStatus(t, h.as(extra, "DELETE", "/sessions/"+h.sessionID(extra.token), nil), 200)
		wantError(t, h.as(extra, "GET", "/users/me", nil), 209)
		wantStatus(t, h.as(bob, "GET", "/users/me", nil), 200)
	})
	t.Run("logout", func(t *testing.T) {
		s := h.login("bob", "pw-bob")
		wantStatus(t, h.as(s, "GET", "/users/me", nil), 200) // cached now
		wantStatus(t, h.as(s, "POST", "/logout", nil), 200)
		wantError(t, h.as(s, "GET", "/users/me", nil), 209)
		wantError(t, h.as(s, "GET", "/classes/Anything", nil), 209)
		wantError(t, h.as(s, "POST", "/logout", nil), 209)
		wantError(t, h.as(anonymous, "POST", "/logout", nil), 209)
		// Even with the master key, a dead token is reported.
		wantError(t, h.as(who{key: "master", token: s.token}, "GET", "/classes/Anything", nil), 209)
		wantStatus(t, h.as(bob, "GET", "/users/me", nil), 200)
	})
	t.Run("bad tokens", func(t *testing.T) {
		for _, tok := range []string{"garbage", "r:" + strings.Repeat("0", 32), "r:", alice.token + "0",
			strings.ToUpper(alice.token), "r:" + strings.Repeat("a", 300), "r:' OR 1=1 --"} {
			wantError(t, h.as(who{token: tok}, "GET", "/users/me", nil), 209)
			wantError(t, h.as(who{token: tok}, "GET", "/classes/Anything", nil), 209)
		}
		// In the JS SDK's envelope too.
		wantError(t, h.request("POST", "/users/me", `{"_method":"GET","_ApplicationId":"itest","_SessionToken":"r:nope"}`,
			map[string]string{"Content-Type": "text/plain"}), 209)
	})
	t.Run("expired token never used", func(t *testing.T) {
		s := h.login("bob", "pw-bob")
		h.storeUpdate("_Session", h.sessionID(s.token), core.Update{"expiresAt": core.Set{Value: time.Now().Add(-time.Minute)}})
		wantError(t, h.as(s, "GET", "/users/me", nil), 209)
	})
	t.Run("expired token in use", func(t *testing.T) {
		s := h.login("bob", "pw-bob")
		wantStatus(t, h.as(s, "GET", "/users/me", nil), 200)
		res := h.do("PUT", "/sessions/"+h.sessionID(s.token), "master", map[string]any{"expiresAt": map[string]any{"__type": "Date", "iso": "2001-01-01T00:00:00.000Z"}})
		wantStatus(t, res, 200)
		wantError(t, h.as(s, "GET", "/users/me", nil), 209)
	})
	t.Run("deleting a user ends their sessions", func(t *testing.T) {
		carol := h.signup("carol", "pw-carol", nil)
		carol2 := h.login("carol", "pw-carol")
		wantStatus(t, h.as(carol, "DELETE", "/users/"+carol.id, nil), 200)
		wantError(t, h.as(carol, "GET", "/users/me", nil), 209)
		wantError(t, h.as(carol2, "GET", "/users/me", nil), 209)
		wantError(t, h.do("POST", "/login", "", map[string]any{"username": "carol", "password": "pw-carol"}), 101)
	})
}

func TestPasswordChangeRevokesOtherSessions(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	s1 := h.signup("alice", "old-pw", nil)
	s2 := h.login("alice", "old-pw")
	bob := h.signup("bob", "pw-bob", nil)
	wantStatus(t, h.as(s2, "GET", "/users/me", nil), 200) // s2 is cached
	wantStatus(t, h.as(s1, "PUT", "/users/"+s1.id, map[string]any{"password": "new-pw"}), 200)
	wantStatus(t, h.as(s1, "GET", "/users/me", nil), 200)
	wantError(t, h.as(s2, "GET", "/users/me", nil), 209)
	wantStatus(t, h.as(bob, "GET", "/users/me", nil), 200)
	wantError(t, h.do("POST", "/login", "", map[string]any{"username": "alice", "password": "old-pw"}), 101)
	h.login("alice", "new-pw")
	// Nobody else may set alice's password, not even with an update that
	// looks harmless.
	wantError(t, h.as(bob, "PUT", "/users/"+s1.id, map[string]any{"password": "bobs"}), 206)
	wantError(t, h.as(anonymous, "PUT", "/users/"+s1.id, map[string]any{"password": "anon"}), 206)
	wantError(t, h.as(s1, "PUT", "/users/"+s1.id, map[string]any{"password": ""}), 201)
	wantError(t, h.as(s1, "PUT", "/users/"+s1.id, map[string]any{"password": map[string]any{"__op": "Delete"}}), 201)
	h.login("alice", "new-pw")
}

func TestUserWriteRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	alice := h.signup("alice", "pw", map[string]any{"email": "alice@example.com"})
	bob := h.signup("bob", "pw", map[string]any{"email": "bob@example.com"})
	// Even with a public-write ACL, a user is changed only by itself.
	wantStatus(t, h.do("PUT", "/users/"+bob.id, "master", map[string]any{"ACL": map[string]any{"*": map[string]any{"read": true, "write": true}}}), 200)
	wantError(t, h.as(alice, "PUT", "/users/"+bob.id, map[string]any{"nick": "x"}), 206)
	wantError(t, h.as(alice, "DELETE", "/users/"+bob.id, nil), 206)
	wantError(t, h.as(anonymous, "DELETE", "/users/"+bob.id, nil), 206)
	wantError(t, h.as(alice, "POST", "/batch", map[string]any{"transaction": true, "requests": []any{
		map[string]any{"method": "PUT", "path": "/parse/users/" + bob.id, "body": map[string]any{"nick": "x"}}}}), 206)

	wantError(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"emailVerified": true}), 119)
	wantError(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"mobilePhoneVerified": true}), 119)
	wantStatus(t, h.do("PUT", "/users/"+alice.id, "master", map[string]any{"emailVerified": true}), 200)
	if res := h.as(alice, "GET", "/users/me", nil); res.body["emailVerified"] != true {
		t.Errorf("master set emailVerified: %s", res.raw)
	}
	wantError(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"username": "bob"}), 202)
	wantError(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"email": "BOB@example.com"}), 203)
	wantError(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"email": "not an address"}), 125)
	wantStatus(t, h.as(alice, "PUT", "/users/"+alice.id, map[string]any{"username": "alice2", "email": "Alice2@Example.com"}), 200)
	if res := h.as(alice, "GET", "/users/me", nil); res.body["username"] != "alice2" || res.body["email"] != "alice2@example.com" {
		t.Errorf("after rename: %s", res.raw)
	}
	h.login("alice2", "pw")
	if res := h.do("GET", "/users/"+bob.id, "master", nil); res.body["nick"] != nil {
		t.Errorf("bob was changed: %s", res.raw)
	}
}

func TestAccountLockout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *core.Options) { o.Users.LockoutThreshold = 3 })
	alice := h.signup("alice", "right", nil)
	bad := map[string]any{"username": "alice", "password": "wrong"}
	good := map[string]any{"username": "alice", "password": "right"}
	// Two failures, then a success, reset the count.
	wantError(t, h.do("POST", "/login", "", bad), 101)
	wantError(t, h.do("POST", "/login", "", bad), 101)
	wantStatus(t, h.do("POST", "/login", "", good), 200)
	wantError(t, h.do("POST", "/login", "", bad), 101)
	wantError(t, h.do("POST", "/login", "", bad), 101)
	wantStatus(t, h.do("POST", "/login", "", good), 200)
	// Three in a row lock the account: the right password is refused too.
	for range 3 {
		wantError(t, h.do("POST", "/login", "", bad), 101)
	}
	for _, params := range []map[string]any{good, bad} {
		res := h.do("POST", "/login", "", params)
		wantError(t, res, 101)
		if !strings.Contains(res.body["error"].(string), "locked") {
			t.Fatalf("locked account: %s", res.raw)
		}
	}
	res := h.do("GET", "/verifyPassword?username=alice&password=right", "", nil)
	wantError(t, res, 101)
	// Existing sessions are not affected.
	wantStatus(t, h.as(alice, "GET", "/users/me", nil), 200)
	// Once the lockout has passed, the right password works.
	h.storeUpdate("_User", alice.id, core.Update{"_account_lockout_expires_at": core.Set{Value: time.Now().Add(-time.Second)}})
	wantStatus(t, h.do("POST", "/login", "", good), 200)
}

func TestLoginRateLimit(t *testing.T) {
	t.Parallel()
	h := newHarness(t, func(o *core.Options) { o.Users.LoginRequests, o.Users.LoginWindow = 3, time.Hour })
	h.signup("alice", "right", nil)
	h.signup("bob", "right", nil) // signups do not count
	wantError(t, h.do("POST", "/login", "", map[string]any{"username": "alice", "password": "wrong"}), 101)
	wantStatus(t, h.do("POST", "/login", "", map[string]any{"username": "alice", "password": "right"}), 200)
	wantError(t, h.do("GET", "/verifyPassword?username=alice&password=wrong", "", nil), 101)
	// The limit is per address, whatever the account or password.
	for _, params := range []map[string]any{{"username": "alice", "password": "right"}, {"username": "bob", "password": "right"}} {
		res := h.do("POST", "/login", "", params)
		wantError(t, res, 155)
		if res.status != http.StatusTooManyRequests {
			t.Fatalf("rate limited login: %d", res.status)
		}
	}
}

// TestImportedBcryptHashes: users moved from Parse Server (bcrypt "$2b$"
// from the npm bcrypt package, "$2a$" from bcryptjs) or LeanCloud, and hashes
// from PHP ("$2y$"), log in with their old passwords.
func TestImportedBcryptHashes(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	h.signup("seed", "pw", nil) // creates _User
	hash, err := bcrypt.GenerateFromPassword([]byte("imported secret"), 10)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(hash), "$2a$10$") {
		t.Fatalf("unexpected hash %s", hash)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		name := "imported-" + prefix[1:3]
		now := core.Now()
		err := h.app.Store().Insert(context.Background(), h.app.Class("_User"), core.Object{
			core.FieldObjectID: core.NewObjectID(), core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
			core.FieldACL: core.ACL{"*": {Read: true}}, "username": name,
			"_hashed_password": prefix + string(hash[4:]),
		})
		if err != nil {
			t.Fatal(err)
		}
		t.Run(prefix, func(t *testing.T) {
			s := h.login(name, "imported secret")
			if me := h.as(s, "GET", "/users/me", nil); me.body["username"] != name {
				t.Fatalf("me: %s", me.raw)
			}
			wantError(t, h.do("POST", "/login", "", map[string]any{"username": name, "password": "imported secreT"}), 101)
		})
	}
}

// postForm submits the password form of a reset page.
func postForm(t *testing.T, link string, form url.Values) response {
	t.Helper()
	req, err := http.NewRequest("POST", link, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return send(t, req)
}

var hiddenInput = regexp.MustCompile(`<input type="hidden" name="(\w+)" value="([^"]*)">`)

func TestPasswordResetByEmail(t *testing.T) {
	t.Parallel()
	mail := &mailbox{}
	h := newHarness(t, func(o *core.Options) { o.Mailer = mail })
	s1 := h.signup("alice", "old-pw", map[string]any{"email": "alice@example.com"})
	s2 := h.login("alice", "old-pw")

	// An unknown address gets the same answer and no mail.
	res := h.do("POST", "/requestPasswordReset", "", map[string]any{"email": "nobody@example.com"})
	if res.status != 200 || string(res.raw) != "{}" || mail.count() != 0 {
		t.Fatalf("unknown address: %d %s, %d mails", res.status, res.raw, mail.count())
	}
	res = h.do("POST", "/requestPasswordReset", "", map[string]any{"email": "ALICE@example.com"})
	if res.status != 200 || string(res.raw) != "{}" {
		t.Fatalf("request: %d %s", res.status, res.raw)
	}
	msg, link := mail.last(t, "alice@example.com")
	if !strings.HasPrefix(link, h.url+"/apps/"+appID+"/request_password_reset?") || !strings.Contains(msg.Subject, "Password Reset") {
		t.Fatalf("mail: %+v", msg)
	}

	// The link opens a page with the form.
	page, err := httpGet(t, link, nil)
	if err != nil {
		t.Fatal(err)
	}
	if page.status != 200 || !strings.HasPrefix(page.header.Get("Content-Type"), "text/html") ||
		page.header.Get("Referrer-Policy") != "no-referrer" || page.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset page: %d %v", page.status, page.header)
	}
	form := url.Values{}
	for _, m := range hiddenInput.FindAllStringSubmatch(string(page.raw), -1) {
		form.Set(m[1], m[2])
	}
	if form.Get("username") != "alice" || len(form.Get("token")) != 32 || !strings.Contains(string(page.raw), `name="new_password"`) {
		t.Fatalf("form: %v in %s", form, page.raw)
	}
	token := form.Get("token")

	// A forged token changes nothing.
	forged := url.Values{"username": {"alice"}, "token": {strings.Repeat("0", 32)}, "new_password": {"evil"}}
	if res := postForm(t, link, forged); res.status != 400 || !strings.Contains(string(res.raw), "Password not changed") {
		t.Fatalf("forged token: %d %s", res.status, res.raw)
	}
	// Nor the right token for another user.
	h.signup("bob", "pw-bob", map[string]any{"email": "bob@example.com"})
	if res := postForm(t, link, url.Values{"username": {"bob"}, "token": {token}, "new_password": {"evil"}}); res.status != 400 {
		t.Fatalf("alice's token for bob: %d %s", res.status, res.raw)
	}
	h.login("bob", "pw-bob")

	form.Set("new_password", "new-pw")
	if res := postForm(t, link, form); res.status != 200 || !strings.Contains(string(res.raw), "Password changed") {
		t.Fatalf("reset: %d %s", res.status, res.raw)
	}
	wantError(t, h.do("POST", "/login", "", map[string]any{"username": "alice", "password": "old-pw"}), 101)
	h.login("alice", "new-pw")
	// A reset ends every session, as on Parse Server.
	wantError(t, h.as(s1, "GET", "/users/me", nil), 209)
	wantError(t, h.as(s2, "GET", "/users/me", nil), 209)
	// The token works once.
	form.Set("new_password", "third-pw")
	if res := postForm(t, link, form); res.status != 400 {
		t.Fatalf("reused token: %d %s", res.status, res.raw)
	}

	// An expired token is refused.
	wantStatus(t, h.do("POST", "/requestPasswordReset", "", map[string]any{"email": "alice@example.com"}), 200)
	_, link = mail.last(t, "alice@example.com")
	u, _ := url.Parse(link)
	alice := h.do("GET", withQuery("/users", map[string]any{"where": map[string]any{"username": "alice"}}), "master", nil).results()[0]
	h.storeUpdate("_User", alice["objectId"].(string), core.Update{"_perishable_token_expires_at": core.Set{Value: time.Now().Add(-time.Second)}})
	expired := url.Values{"username": {"alice"}, "token": {u.Query().Get("token")}, "new_password": {"late-pw"}}
	if res := postForm(t, link, expired); res.status != 400 {
		t.Fatalf("expired token: %d %s", res.status, res.raw)
	}
	h.login("alice", "new-pw")
}

func TestEmailVerification(t *testing.T) {
	t.Parallel()
	mail := &mailbox{}
	h := newHarness(t, func(o *core.Options) {
		o.Mailer = mail
		o.Users.VerifyUserEmails = true
		o.Users.PreventLoginWithUnverifiedEmail = true
	})
	res := h.do("POST", "/users", "", map[string]any{"username": "bob", "password": "pw", "email": "bob@example.com"})
	wantStatus(t, res, 201)
	if res.body["sessionToken"] != nil {
		t.Fatalf("an unverified user got a session: %s", res.raw)
	}
	bobID := res.body["objectId"].(string)
	_, link := mail.last(t, "bob@example.com")
	if !strings.HasPrefix(link, h.url+"/apps/"+appID+"/verify_email?") {
		t.Fatalf("link %s", link)
	}
	res = h.do("POST", "/login", "", map[string]any{"username": "bob", "password": "pw"})
	wantError(t, res, 205)
	verified := func() any { return h.do("GET", "/users/"+bobID, "master", nil).body["emailVerified"] }
	if verified() != false {
		t.Fatalf("emailVerified before: %v", verified())
	}

	u, _ := url.Parse(link)
	q := u.Query()
	q.Set("token", strings.Repeat("f", 32))
	u.RawQuery = q.Encode()
	if page, _ := httpGet(t, u.String(), nil); page.status != 400 || !strings.Contains(string(page.raw), "Invalid link") {
		t.Fatalf("forged link: %d %s", page.status, page.raw)
	}
	if verified() != false {
		t.Fatal("a forged link verified the address")
	}
	if page, _ := httpGet(t, link, nil); page.status != 200 || !strings.Contains(string(page.raw), "E-mail verified") {
		t.Fatalf("link: %d %s", page.status, page.raw)
	}
	if verified() != true {
		t.Fatal("the link did not verify the address")
	}
	h.login("bob", "pw")
	if page, _ := httpGet(t, link, nil); page.status != 400 {
		t.Fatalf("link used twice: %d", page.status)
	}
	// A verified or unknown address gets the same answer as any other
	// (emailVerifySuccessOnInvalidEmail), and no mail.
	sent := mail.count()
	for _, addr := range []string{"bob@example.com", "zed@example.com"} {
		if res := h.do("POST", "/verificationEmailRequest", "", map[string]any{"email": addr}); res.status != 200 || string(res.raw) != "{}" {
			t.Fatalf("verificationEmailRequest for %s: %d %s", addr, res.status, res.raw)
		}
	}

	// An expired link fails; a new one from verificationEmailRequest works.
	res = h.do("POST", "/users", "", map[string]any{"username": "carol", "password": "pw", "email": "carol@example.com"})
	wantStatus(t, res, 201)
	carolID := res.body["objectId"].(string)
	_, link = mail.last(t, "carol@example.com")
	h.storeUpdate("_User", carolID, core.Update{"_email_verify_token_expires_at": core.Set{Value: time.Now().Add(-time.Second)}})
	if page, _ := httpGet(t, link, nil); page.status != 400 {
		t.Fatalf("expired link: %d", page.status)
	}
	wantStatus(t, h.do("POST", "/verificationEmailRequest", "", map[string]any{"email": "carol@example.com"}), 200)
	mail.waitCount(t, sent+2) // carol's signup mail, and now this one
	_, fresh := mail.last(t, "carol@example.com")
	if fresh == link {
		t.Fatal("the new link is the old one")
	}
	if page, _ := httpGet(t, fresh, nil); page.status != 200 {
		t.Fatalf("fresh link: %d %s", page.status, page.raw)
	}
	carol := h.login("carol", "pw")

	// Changing the address needs a new verification.
	wantStatus(t, h.as(carol, "PUT", "/users/"+carolID, map[string]any{"email": "carol2@example.com"}), 200)
	if res := h.do("GET", "/users/"+carolID, "master", nil); res.body["emailVerified"] != false {
		t.Fatalf("after an e-mail change: %s", res.raw)
	}
	mail.last(t, "carol2@example.com")
	wantError(t, h.do("POST", "/login", "", map[string]any{"username": "carol", "password": "pw"}), 205)
}

// TestUserRoutesBadInput: malformed requests to the user, session, phone and
// e-mail routes get a Parse error and a 4xx, never a 500.
func TestUserRoutesBadInput(t *testing.T) {
	t.Parallel()
	anon := openProvider(t, "anonymous", nil)
	h := newHarness(t, func(o *core.Options) {
		o.Mailer = &mailbox{}
		o.SMS = &smsBox{}
		o.AuthProviders = map[string]core.AuthDataProvider{"anonymous": anon}
	})
	alice := h.signup("alice", "pw", map[string]any{"email": "alice@example.com"})
	// bare has no mail or SMS provider.
	bare := newHarness(t, nil)
	bare.signup("carol", "pw", map[string]any{"email": "carol@example.com"})
	tests := []struct {
		name         string
		h            *harness
		as           who
		method, path string
		body         any
		code         int
	}{
		{"signup body not JSON", h, anonymous, "POST", "/users", `{"username":`, 107},
		{"signup body an array", h, anonymous, "POST", "/users", `["alice"]`, 107},
		{"signup body null", h, anonymous, "POST", "/users", `null`, 107},
		{"signup empty body", h, anonymous, "POST", "/users", nil, 200},
		{"signup authData number", h, anonymous, "POST", "/users", map[string]any{"authData": 5}, 250},
		{"signup authData string with password", h, anonymous, "POST", "/users", map[string]any{"username": "x1", "password": "y", "authData": "z"}, 250},
		{"signup objectId", h, anonymous, "POST", "/users", map[string]any{"username": "x2", "password": "y", "objectId": "abc"}, 105},
		{"signup e-mail as a list", h, anonymous, "POST", "/users", map[string]any{"username": "x3", "password": "y", "email": []any{"a@example.com"}}, 125},
		{"login body not JSON", h, anonymous, "POST", "/login", `{`, 107},
		{"login without anything", h, anonymous, "GET", "/login", nil, 200},
		{"login password as object", h, anonymous, "POST", "/login", map[string]any{"username": "alice", "password": map[string]any{"$ne": ""}}, 201},
		{"login username as operator", h, anonymous, "POST", "/login", map[string]any{"username": map[string]any{"$regex": ".*"}, "password": "pw"}, 200},
		{"login e-mail as operator", h, anonymous, "POST", "/login", map[string]any{"email": map[string]any{"$ne": ""}, "password": "pw"}, 200},
		{"login bad e-mail", h, anonymous, "POST", "/login", map[string]any{"email": "not an address", "password": "pw"}, 101},
		{"PUT /login", h, anonymous, "PUT", "/login", map[string]any{}, 107},
		{"users/me anonymous", h, anonymous, "GET", "/users/me", nil, 209},
		{"update user: username empty", h, alice, "PUT", "/users/" + alice.id, map[string]any{"username": ""}, 200},
		{"update user: username number", h, alice, "PUT", "/users/" + alice.id, map[string]any{"username": 3}, 200},
		{"update user: authData string", h, alice, "PUT", "/users/" + alice.id, map[string]any{"authData": "z"}, 250},
		{"update user: password number", h, alice, "PUT", "/users/" + alice.id, map[string]any{"password": 3}, 201},
		{"update user: authData op", h, alice, "PUT", "/users/" + alice.id, map[string]any{"authData": map[string]any{"__op": "Delete"}}, 107},
		{"update user: authData unknown provider", h, alice, "PUT", "/users/" + alice.id, authData("myspace", map[string]any{"id": "1"}), 252},
		{"update user: bad phone", h, alice, "PUT", "/users/" + alice.id, map[string]any{"mobilePhoneNumber": "12"}, 162},
		{"update user: phone number type", h, alice, "PUT", "/users/" + alice.id, map[string]any{"mobilePhoneNumber": 8613800138000}, 162},
		{"update missing user", h, asMaster, "PUT", "/users/nosuchuser", map[string]any{"nick": "x"}, 101},
		{"delete missing user", h, asMaster, "DELETE", "/users/nosuchuser", nil, 101},
		{"sessions/me anonymous", h, anonymous, "GET", "/sessions/me", nil, 209},
		{"POST /sessions anonymous", h, anonymous, "POST", "/sessions", nil, 209},
		{"logout anonymous", h, anonymous, "POST", "/logout", nil, 209},
		{"get missing session", h, alice, "GET", "/sessions/nosuchsess", nil, 101},
		{"session token of 10 KB", h, who{token: strings.Repeat("r", 10<<10)}, "GET", "/users/me", nil, 209},
		{"reset without e-mail", h, anonymous, "POST", "/requestPasswordReset", map[string]any{}, 125},
		{"reset e-mail number", h, anonymous, "POST", "/requestPasswordReset", map[string]any{"email": 5}, 125},
		{"reset e-mail operator", h, anonymous, "POST", "/requestPasswordReset", map[string]any{"email": map[string]any{"$ne": ""}}, 125},
		{"reset without a mailer", bare, anonymous, "POST", "/requestPasswordReset", map[string]any{"email": "carol@example.com"}, 204},
		{"verification without e-mail", h, anonymous, "POST", "/verificationEmailRequest", map[string]any{}, 125},
		{"sms code without number", h, anonymous, "POST", "/requestSmsCode", map[string]any{}, 162},
		{"sms code number as number", h, anonymous, "POST", "/requestSmsCode", map[string]any{"mobilePhoneNumber": 8613800138000}, 162},
		{"sms code letters", h, anonymous, "POST", "/requestSmsCode", map[string]any{"mobilePhoneNumber": "call me"}, 162},
		{"sms code too long", h, anonymous, "POST", "/requestSmsCode", map[string]any{"mobilePhoneNumber": "+" + strings.Repeat("1", 40)}, 162},
		{"sms code bad purpose", h, anonymous, "POST", "/requestSmsCode", map[string]any{"mobilePhoneNumber": "+8613800138000", "purpose": "spam"}, 162},
		{"sms code without a provider", bare, anonymous, "POST", "/requestSmsCode", map[string]any{"mobilePhoneNumber": "+8613800138000"}, 108},
		{"phone login without number", h, anonymous, "POST", "/usersByMobilePhone", map[string]any{"smsCode": "123456"}, 162},
		{"phone login without code", h, anonymous, "POST", "/usersByMobilePhone", map[string]any{"mobilePhoneNumber": "+8613800138000"}, 101},
		{"phone login code as number", h, anonymous, "POST", "/usersByMobilePhone", map[string]any{"mobilePhoneNumber": "+8613800138000", "smsCode": 123456}, 101},
		{"phone login code of 1 KB", h, anonymous, "POST", "/usersByMobilePhone", map[string]any{"mobilePhoneNumber": "+8613800138000", "smsCode": strings.Repeat("1", 1024)}, 101},
		{"phone login no code ever sent", bare, anonymous, "POST", "/usersByMobilePhone", map[string]any{"mobilePhoneNumber": "+8613800138000", "smsCode": "123456"}, 101},
		{"verify phone without number", h, anonymous, "POST", "/verifyMobilePhone/123456", map[string]any{}, 162},
		{"verify phone without code", h, anonymous, "POST", "/verifyMobilePhone", map[string]any{"mobilePhoneNumber": "+8613800138000"}, 107},
		{"phone verify request without number", h, anonymous, "POST", "/requestMobilePhoneVerify", nil, 162},
		{"role without name", h, asMaster, "POST", "/roles", map[string]any{}, 139},
		{"role name number", h, asMaster, "POST", "/roles", map[string]any{"name": 5}, 139},
		{"role name with punctuation", h, asMaster, "POST", "/roles", map[string]any{"name": "admins!"}, 139},
		{"role users not a relation", h, anonymous, "POST", "/roles", map[string]any{"name": "R", "users": "alice"}, 111},
		{"role users pointing at roles", h, asMaster, "POST", "/roles", map[string]any{"name": "R2", "users": map[string]any{"__op": "AddRelation", "objects": []any{pointer("_Role", "x")}}}, 111},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.h.as(tt.as, tt.method, tt.path, tt.body)
			wantError(t, res, tt.code)
		})
	}
	// The e-mail flow pages answer bad requests with a 4xx page.
	for _, tt := range []struct {
		method, path, body string
		status             int
	}{
		{"GET", "/apps/" + appID + "/verify_email", "", 400},
		{"GET", "/apps/" + appID + "/verify_email?username=alice&token=" + strings.Repeat("x", 5000), "", 400},
		{"POST", "/apps/" + appID + "/request_password_reset", "%%%", 400},
		{"POST", "/apps/" + appID + "/request_password_reset", "username=alice&token=&new_password=x", 400},
		{"POST", "/apps/" + appID + "/request_password_reset", "new_password=" + strings.Repeat("p", 20<<10), 400},
		{"GET", "/apps/other-app/verify_email", "", 404},
		{"GET", "/apps/" + appID + "/unknown_page", "", 404},
		{"DELETE", "/apps/" + appID + "/verify_email", "", 404},
	} {
		req, err := http.NewRequest(tt.method, h.url+tt.path, strings.NewReader(tt.body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if res := send(t, req); res.status != tt.status {
			t.Errorf("%s %s: %d, want %d", tt.method, tt.path, res.status, tt.status)
		}
	}
	// What the page shows from its URL is escaped.
	res, err := httpGet(t, h.url+"/apps/"+appID+"/request_password_reset?"+url.Values{
		"username": {`<script>alert(1)</script>`}, "token": {`"><img src=x onerror=alert(1)>`}}.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.status != 200 || strings.Contains(string(res.raw), "<script>alert") || strings.Contains(string(res.raw), "<img") {
		t.Errorf("reset page with markup in the URL: %d %s", res.status, res.raw)
	}
	h.login("alice", "pw")
}

// TestEmailRequestLimits: reset and verification e-mails to one address are
// limited, so the server cannot be used to flood an inbox.
func TestEmailRequestLimits(t *testing.T) {
	t.Parallel()
	mail := &mailbox{}
	h := newHarness(t, func(o *core.Options) { o.Mailer = mail; o.Users.VerifyUserEmails = true })
	h.signup("alice", "pw", map[string]any{"email": "alice@example.com"})
	sent := mail.count()
	for range 5 {
		wantStatus(t, h.do("POST", "/requestPasswordReset", "", map[string]any{"email": "alice@example.com"}), 200)
	}
	wantError(t, h.do("POST", "/requestPasswordReset", "", map[string]any{"email": "Alice@Example.com"}), 155)
	for range 5 {
		wantStatus(t, h.do("POST", "/verificationEmailRequest", "", map[string]any{"email": "alice@example.com"}), 200)
	}
	wantError(t, h.do("POST", "/verificationEmailRequest", "", map[string]any{"email": "alice@example.com"}), 155)
	mail.waitCount(t, sent+10)
}
