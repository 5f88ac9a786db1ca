package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/leancloud"
	"github.com/switchboardhq/switchboard/core/server"
)

// A LeanCloud export, written here in LeanCloud's format: a user whose
// password hash was made by LeanCloud's scheme (the vector is computed
// outside Go, see core/dialect_test.go), the user's session token, a role
// with the user in its users relation, a post readable by that role only,
// a relation of posts, and a file record.
const (
	lcUserID   = "5f1a2b3c4d5e6f7a8b9c0d1e"
	lcOtherID  = "5f1a2b3c4d5e6f7a8b9c0d1f"
	lcRoleID   = "6a1a2b3c4d5e6f7a8b9c0d1e"
	lcPostID   = "7b1a2b3c4d5e6f7a8b9c0d1e"
	lcFileID   = "8c1a2b3c4d5e6f7a8b9c0d1e"
	lcSalt     = "s4lt$with$dollars"
	lcPassword = "old-Passw0rd"
	lcHash     = "tkfIroCdAbpelBn8DtNNKhG9NzYoTsa9xvS4PURlAe5yk4A0G4JbnWrs1iSj/3xiA+OcwF4Upkn594g3aTcOVQ=="
	lcToken    = "qmdj8pdidnmyzp0c7yqil91oc"
)

func writeExport(t *testing.T, extraPosts int) string {
	t.Helper()
	dir := t.TempDir()
	lines := func(name string, rows ...map[string]any) {
		var b bytes.Buffer
		for _, r := range rows {
			j, _ := json.Marshal(r)
			b.Write(j)
			b.WriteByte('\n')
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ts := map[string]any{"createdAt": "2020-01-02T03:04:05.678Z", "updatedAt": "2021-01-02T03:04:05.678Z"}
	with := func(m map[string]any) map[string]any {
		for k, v := range ts {
			m[k] = v
		}
		return m
	}
	lines("_User.0.jsonl",
		with(map[string]any{"objectId": lcUserID, "username": "ada", "salt": lcSalt, "password": lcHash, "sessionToken": lcToken,
			"email": "ada@example.com", "emailVerified": true, "mobilePhoneNumber": "+8613800000001", "mobilePhoneVerified": true,
			"ACL": map[string]any{"*": map[string]any{"read": true}, lcUserID: map[string]any{"read": true, "write": true}}}),
		with(map[string]any{"objectId": lcOtherID, "username": "bob", "salt": "x", "password": "nope", "sessionToken": "bobtoken0000000000000000a"}),
	)
	lines("_Role.jsonl", with(map[string]any{"objectId": lcRoleID, "name": "Editors", "ACL": map[string]any{"*": map[string]any{"read": true}}}))
	lines("_Join:users:_Role.jsonl", map[string]any{"owningId": lcRoleID, "relatedId": lcUserID})
	lines("_File.jsonl", with(map[string]any{"objectId": lcFileID, "name": "cat.png", "url": "https://files.example.com/cat.png", "mime_type": "image/png"}))
	posts := []map[string]any{with(map[string]any{"objectId": lcPostID, "title": "secret",
		"author": map[string]any{"__type": "Pointer", "className": "_User", "objectId": lcUserID},
		"pic":    map[string]any{"__type": "File", "id": lcFileID},
		"at":     map[string]any{"__type": "Date", "iso": "2022-05-06T07:08:09.123Z"},
		"ACL":    map[string]any{"role:Editors": map[string]any{"read": true, "write": true}}})}
	for i := range extraPosts {
		posts = append(posts, with(map[string]any{"objectId": fmt.Sprintf("9%023x", i), "title": fmt.Sprintf("p%d", i), "n": float64(i)}))
	}
	lines("Post.jsonl", posts...)
	lines("_Join:likes:Post.jsonl", map[string]any{"owningId": lcPostID, "relatedId": lcUserID}, map[string]any{"owningId": lcPostID, "relatedId": lcOtherID})
	schema := map[string]any{"Post": map[string]any{"fields": map[string]any{
		"title": map[string]any{"type": "String"}, "likes": map[string]any{"type": "Relation", "className": "_User"},
		"author": map[string]any{"type": "Pointer", "className": "_User"}, "weird": map[string]any{"type": "Any"}}}}
	perms := map[string]any{"Post": map[string]any{"create": map[string]any{"onlySignInUsers": true}, "find": map[string]any{"*": true},
		"get": map[string]any{"*": true}, "update": map[string]any{"roles": []any{"Editors"}}, "delete": map[string]any{"users": []any{lcUserID}}}}
	for name, v := range map[string]any{"schema.json": schema, "permissions.json": perms} {
		b, _ := json.Marshal(v)
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type lcHarness struct {
	t   *testing.T
	app *core.App
	url string
}

func newLeanCloudHarness(t *testing.T) *lcHarness {
	st := openStore(t)
	app, err := core.NewApp(context.Background(), st, core.Options{AppID: appID, MasterKey: masterKey})
	if err != nil {
		t.Fatal(err)
	}
	apiHandler := api.New(app)
	lc := leancloud.New(app, apiHandler, leancloud.Options{AppID: appID, MasterKey: masterKey})
	srv, err := server.New(server.Options{API: apiHandler, Extra: map[string]http.Handler{leancloud.Prefix: lc},
		Logger: slog.New(slog.NewTextHandler(testLogWriter, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		ts.Close()
		_ = app.Close()
	})
	return &lcHarness{t: t, app: app, url: ts.URL + leancloud.Prefix}
}

func (h *lcHarness) do(method, path, session string, body any) (int, map[string]any) {
	h.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, h.url+path, r)
	req.Header.Set("X-LC-Id", appID)
	req.Header.Set("X-LC-Key", "any-app-key")
	if session != "" {
		req.Header.Set("X-LC-Session", session)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

func (h *lcHarness) count(class string) int {
	h.t.Helper()
	n, err := h.app.Store().Count(context.Background(), h.app.Class(class), &core.Query{})
	if err != nil {
		h.t.Fatal(err)
	}
	return int(n)
}

func TestLeanCloudImportRoundTrip(t *testing.T) {
	h := newLeanCloudHarness(t)
	export := writeExport(t, 0)
	state := filepath.Join(t.TempDir(), "state")
	rep, err := leancloud.Import(context.Background(), h.app, export, leancloud.ImportOptions{StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Objects != 5 || rep.Sessions != 2 || rep.Relations != 3 {
		t.Errorf("report %+v, want 5 objects, 2 sessions, 3 relation rows", rep)
	}
	if !strings.Contains(strings.Join(rep.Problems, "\n"), "weird") {
		t.Errorf("the Any field is not reported: %v", rep.Problems)
	}

	// The old session token works, with the 24-hex id kept.
	status, me := h.do("GET", "/users/me", lcToken, nil)
	if status != 200 || me["objectId"] != lcUserID || me["username"] != "ada" {
		t.Fatalf("users/me with the imported token: %d %v", status, me)
	}
	// The old password logs in, and the hash becomes bcrypt.
	status, login := h.do("POST", "/login", "", map[string]any{"username": "ada", "password": lcPassword})
	if status != 200 || login["sessionToken"] == nil {
		t.Fatalf("login with the old password: %d %v", status, login)
	}
	users, _ := h.app.Store().Find(context.Background(), h.app.Class("_User"), &core.Query{Where: core.Cmp{Field: "objectId", Op: core.OpEq, Value: lcUserID}, Limit: 1})
	if hash, _ := users[0]["_hashed_password"].(string); !strings.HasPrefix(hash, "$2a$") {
		t.Errorf("hash after login = %q, want bcrypt", hash)
	}
	if status, _ := h.do("POST", "/login", "", map[string]any{"username": "ada", "password": lcPassword}); status != 200 {
		t.Errorf("second login (now on bcrypt): %d", status)
	}
	if status, body := h.do("POST", "/login", "", map[string]any{"mobilePhoneNumber": "+8613800000001", "password": "wrong"}); status != 400 || body["code"] != 210.0 {
		t.Errorf("wrong password: %d %v", status, body)
	}

	// ACL by role, through the imported users relation of the role.
	if status, post := h.do("GET", "/classes/Post/"+lcPostID, lcToken, nil); status != 200 || post["title"] != "secret" {
		t.Errorf("member reads the post: %d %v", status, post)
	} else if pic, _ := post["pic"].(map[string]any); pic["url"] != "https://files.example.com/cat.png" || pic["objectId"] != lcFileID {
		t.Errorf("file read back: %v", post["pic"])
	} else if at, _ := post["at"].(map[string]any); at["iso"] != "2022-05-06T07:08:09.123Z" {
		t.Errorf("date: %v", post["at"])
	}
	if status, post := h.do("GET", "/classes/Post/"+lcPostID, "bobtoken0000000000000000a", nil); status != 200 || len(post) != 0 {
		t.Errorf("outsider reads the post: %d %v, want {}", status, post)
	}
	// The relation of posts holds both users.
	where := fmt.Sprintf(`{"$relatedTo":{"object":{"__type":"Pointer","className":"Post","objectId":%q},"key":"likes"}}`, lcPostID)
	if status, res := h.do("GET", "/users?where="+url.QueryEscape(where), lcToken, nil); status != 200 || len(res["results"].([]any)) != 2 {
		t.Errorf("likes relation: %d %v", status, res)
	}
	// Class permissions came across: update needs the Editors role.
	c := h.app.Class("Post")
	if upd, _ := c.CLP["update"].(map[string]any); upd["role:Editors"] != true {
		t.Errorf("CLP update = %v", c.CLP["update"])
	}
	if status, _ := h.do("PUT", "/classes/Post/"+lcPostID, "bobtoken0000000000000000a", map[string]any{"title": "x"}); status == 200 {
		t.Error("bob updated the post")
	}

	// A re-run writes nothing twice.
	_ = os.Remove(state)
	rep2, err := leancloud.Import(context.Background(), h.app, export, leancloud.ImportOptions{StateFile: state})
	if err != nil {
		t.Fatal(err)
	}
	if rep2.Objects != 0 || rep2.Skipped != 5 || h.count("Post") != 1 || h.count("_User") != 2 || h.count("_Session") < 2 {
		t.Errorf("re-run: %+v; Post %d, _User %d", rep2, h.count("Post"), h.count("_User"))
	}
}

// An import stopped half-way (its context cancelled after a few batches,
// as a crash would stop it) finishes on a re-run, without duplicates.
func TestLeanCloudImportResumes(t *testing.T) {
	h := newLeanCloudHarness(t)
	export := writeExport(t, 1000)
	state := filepath.Join(t.TempDir(), "state")
	ctx, cancel := context.WithCancel(context.Background())
	batches := 0
	_, err := leancloud.Import(ctx, h.app, export, leancloud.ImportOptions{StateFile: state, BatchSize: 100,
		Progress: func(file string, done, total int64) {
			if strings.HasSuffix(file, "Post.jsonl") {
				if batches++; batches == 3 {
					cancel()
				}
			}
		}})
	if err == nil { // the store reports the cancel in its own words
		t.Fatalf("the first run ended with %v, want it cut off", err)
	}
	if n := h.count("Post"); n < 300 || n > 400 {
		t.Fatalf("%d posts after the cut, want 300-400", n)
	}
	rep, err := leancloud.Import(context.Background(), h.app, export, leancloud.ImportOptions{StateFile: state, BatchSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if n := h.count("Post"); n != 1001 {
		t.Errorf("%d posts after the re-run, want 1001 (report %+v)", n, rep)
	}
}
