package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/parseimport"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// parseFixture is what test/parseserver/make-db.js made with the real
// Parse Server.
type parseFixture struct {
	ParseServer  string
	Users        struct{ Ada, Bob string }
	Sessions     struct{ Ada, Bob string }
	Role         string
	Posts        struct{ Secret, Open string }
	Installation string
}

// parseServerDB creates a database on this machine's PostgreSQL, has the
// real Parse Server (npm parse-server, installed in test/parseserver) fill
// it, and returns its URL and what was made. It needs `npm ci` in
// test/parseserver: without it the test is skipped, unless
// SB_REQUIRE_PARSE_SERVER is set (make test-parse-import), where it fails.
func parseServerDB(t *testing.T) (string, parseFixture) {
	t.Helper()
	dir, _ := filepath.Abs("../../../test/parseserver")
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "parse-server")); err != nil {
		if os.Getenv("SB_REQUIRE_PARSE_SERVER") != "" {
			t.Fatalf("parse-server is not installed in %s (npm ci there): %v", dir, err)
		}
		t.Skip("parse-server is not installed (npm ci in test/parseserver; make test-parse-import runs this test)")
	}
	pgtest.Require(t)
	base, err := url.Parse(pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name := "sbparse_" + hex.EncodeToString(b)
	psql := func(sql string) {
		if out, err := exec.Command("psql", base.String(), "-v", "ON_ERROR_STOP=1", "-qc", sql).CombinedOutput(); err != nil {
			t.Fatalf("psql %s: %v %s", sql, err, out)
		}
	}
	psql("CREATE DATABASE " + name)
	t.Cleanup(func() { psql("DROP DATABASE " + name + " WITH (FORCE)") })
	dbURL := *base
	dbURL.Path = "/" + name
	dbURL.RawQuery = ""

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "make-db.js"), dbURL.String())
	cmd.Dir = t.TempDir() // whatever Parse Server writes stays out of the tree
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("make-db.js (the real Parse Server) failed: %v\n%s\n%s", err, out, stderr.String())
	}
	_, result, ok := strings.Cut(string(out), "\nRESULT ")
	var fx parseFixture
	if !ok || json.Unmarshal([]byte(strings.TrimSpace(result)), &fx) != nil || fx.Users.Ada == "" {
		t.Fatalf("make-db.js printed no result:\n%s", out)
	}
	if !strings.HasPrefix(fx.ParseServer, "9.") {
		t.Fatalf("the database was made by Parse Server %s, want 9.x", fx.ParseServer)
	}
	return dbURL.String(), fx
}

// TestImportParseServer: a database made by the real Parse Server 9 (sign
// up, log in, objects saved through the Parse SDK with ACLs, a role, a
// relation, class-level permissions, an index, an installation, config
// parameters) goes into Switchboard, on SQLite and on PostgreSQL, and the
// users log in with their old passwords and stay signed in with their old
// sessions.
func TestImportParseServer(t *testing.T) {
	src, fx := parseServerDB(t)
	for _, target := range []string{"sqlite", "postgres"} {
		t.Run(target, func(t *testing.T) {
			var env []string
			if target == "postgres" {
				env = append(env, "SWITCHBOARD_DATABASE_URL="+pgtest.Fresh(t))
			}
			data := t.TempDir()
			importParse := func() string {
				t.Helper()
				var out, errOut bytes.Buffer
				all := append([]string{"SWITCHBOARD_APP_ID=app", "SWITCHBOARD_MASTER_KEY=mk", "SWITCHBOARD_JOBS__PROVIDER=none"}, env...)
				if code := Run(context.Background(), []string{"import", "parse", src, "--dir", data, "--batch", "1"}, all, &out, &errOut); code != 0 {
					t.Fatalf("import parse: %d\n%s%s", code, out.String(), errOut.String())
				}
				return out.String()
			}
			out := importParse()
			if !strings.Contains(out, "imported 5 classes, 8 objects (0 already there), 3 relation rows, 1 indexes; 0 problems") {
				t.Errorf("import output:\n%s", out)
			}
			// Idempotent: a re-run from scratch (no state file) skips all.
			_ = os.Remove(filepath.Join(data, "import-parse.state"))
			if out := importParse(); !strings.Contains(out, "0 objects (8 already there)") {
				t.Errorf("re-run output:\n%s", out)
			}

			s := startFileServer(t, data, env...)
			login := s.do("POST", "/login", strings.NewReader(`{"username":"ada","password":"ada-Passw0rd"}`), "app", "Content-Type: application/json")
			if login.status != 200 || login.json["objectId"] != fx.Users.Ada {
				t.Fatalf("ada logs in with her Parse Server password: %d %s", login.status, login.body)
			}
			if bad := s.do("POST", "/login", strings.NewReader(`{"username":"ada","password":"wrong"}`), "app", "Content-Type: application/json"); bad.status == 200 {
				t.Error("a wrong password logged in")
			}
			for who, token := range map[string]string{fx.Users.Ada: fx.Sessions.Ada, fx.Users.Bob: fx.Sessions.Bob} {
				if me := s.do("GET", "/users/me", nil, "app", "X-Parse-Session-Token: "+token); me.json["objectId"] != who {
					t.Errorf("the old session %s: %d %s", token, me.status, me.body)
				}
			}

			// ACLs: the secret post is ada's and the Editors role's (bob).
			secret := "/classes/Post/" + fx.Posts.Secret
			got := s.do("GET", secret, nil, "app", "X-Parse-Session-Token: "+fx.Sessions.Ada)
			if got.status != 200 {
				t.Fatalf("ada reads her post: %d %s", got.status, got.body)
			}
			if byBob := s.do("GET", secret, nil, "app", "X-Parse-Session-Token: "+fx.Sessions.Bob); byBob.status != 200 {
				t.Errorf("bob (Editors) reads the post: %d %s", byBob.status, byBob.body)
			}
			if anon := s.do("GET", secret, nil, "app"); anon.status != 404 {
				t.Errorf("anyone reads the secret post: %d %s", anon.status, anon.body)
			}
			if open := s.do("GET", "/classes/Post/"+fx.Posts.Open, nil, "app"); open.status != 200 || open.json["title"] != "public post" {
				t.Errorf("the public post: %d %s", open.status, open.body)
			}
			p := got.json
			at, _ := p["at"].(map[string]any)
			meta, _ := p["meta"].(map[string]any)
			when, _ := meta["when"].(map[string]any)
			place, _ := p["place"].(map[string]any)
			author, _ := p["author"].(map[string]any)
			if p["n"] != 42.0 || p["done"] != true || fmt.Sprint(p["tags"]) != "[a b]" || at["iso"] != "2024-05-06T07:08:09.123Z" ||
				when["iso"] != "2020-01-02T03:04:05.006Z" || place["latitude"] != 31.2304 || place["longitude"] != 121.4737 ||
				author["objectId"] != fx.Users.Ada || author["className"] != "_User" || p["createdAt"] == nil {
				t.Errorf("the post's values: %s", got.body)
			}
			where := url.QueryEscape(fmt.Sprintf(`{"$relatedTo":{"object":{"__type":"Pointer","className":"Post","objectId":%q},"key":"likes"}}`, fx.Posts.Secret))
			if likes := s.do("GET", "/classes/_User?where="+where, nil, "master"); len(likes.json["results"].([]any)) != 2 {
				t.Errorf("the likes relation: %s", likes.body)
			}
			// Class-level permissions: updates are the Editors role's (on
			// the public post, whose ACL lets anyone write), and the ACL
			// still holds (bob may not write the secret post).
			upd := func(path, token string) answer {
				return s.do("PUT", path, strings.NewReader(`{"title":"changed"}`), "app", "X-Parse-Session-Token: "+token, "Content-Type: application/json")
			}
			open := "/classes/Post/" + fx.Posts.Open
			if a := upd(open, fx.Sessions.Ada); a.code() != 119 {
				t.Errorf("ada, not an editor, updating a post: %d %s, want 119", a.status, a.body)
			}
			if a := upd(open, fx.Sessions.Bob); a.status != 200 {
				t.Errorf("bob (Editors) could not update the public post: %d %s", a.status, a.body)
			}
			if a := upd(secret, fx.Sessions.Bob); a.code() != 101 {
				t.Errorf("bob updating the secret post his ACL lets him only read: %d %s, want 101", a.status, a.body)
			}
			schema := s.do("GET", "/schemas/Post", nil, "master")
			if ix, _ := schema.json["indexes"].(map[string]any); ix["n_1"] == nil {
				t.Errorf("the index n_1: %s", schema.body)
			}
			if inst := s.do("GET", "/installations/"+fx.Installation, nil, "master"); inst.status != 200 || fmt.Sprint(inst.json["channels"]) != "[news]" {
				t.Errorf("the installation: %d %s", inst.status, inst.body)
			}
			if cfg := s.do("GET", "/config", nil, "app"); fmt.Sprint(cfg.json["params"]) != "map[limit:3 welcome:hello]" {
				t.Errorf("config parameters: %s", cfg.body)
			}
			if roles := s.do("GET", "/roles/"+fx.Role, nil, "master"); roles.json["name"] != "Editors" {
				t.Errorf("the role: %s", roles.body)
			}
		})
	}
}

// TestImportParseResumes: an import stopped after a few batches (its
// context cancelled, as a crash would stop it) is finished by the command,
// with every object once.
func TestImportParseResumes(t *testing.T) {
	src, _ := parseServerDB(t)
	data := t.TempDir()
	cfg, err := config.Load("", []string{"SWITCHBOARD_APP_ID=app", "SWITCHBOARD_MASTER_KEY=mk"})
	if err != nil {
		t.Fatal(err)
	}
	cfg.Dir = data
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	app, _, err := openImportApp(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("pgx", src)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	batches := 0
	first, err := parseimport.Import(ctx, app, db, parseimport.Options{StateFile: filepath.Join(data, "import-parse.state"), BatchSize: 1,
		Progress: func(string, int64, int64) {
			if batches++; batches == 3 {
				cancel()
			}
		}})
	_ = app.Close()
	if err == nil {
		t.Fatal("the first run was not cut off")
	}
	code, out := runImportCommand(t, "parse", src, "--dir", data, "--batch", "1")
	if code != 0 {
		t.Fatalf("the re-run: %d %s", code, out)
	}
	var objects, skipped int64
	if _, err := fmt.Sscanf(out[strings.Index(out, "imported 5 classes, "):], "imported 5 classes, %d objects (%d already there)", &objects, &skipped); err != nil {
		t.Fatalf("re-run output: %v\n%s", err, out)
	}
	if first.Objects == 0 || first.Objects+objects != 8 {
		t.Errorf("%d objects in the first run and %d in the re-run, want 8 in all", first.Objects, objects)
	}
	s := startFileServer(t, data)
	for class, want := range map[string]float64{"_User": 2, "_Session": 2, "Post": 2, "_Role": 1, "_Installation": 1} {
		if got := s.do("GET", "/classes/"+class+"?count=1&limit=0", nil, "master"); got.json["count"] != want {
			t.Errorf("%s: %s, want %v", class, got.body, want)
		}
	}
}

// TestImportParseErrors: the command's refusals.
func TestImportParseErrors(t *testing.T) {
	for _, tc := range []struct {
		arg, want string
	}{
		{"mysql://x/y", "postgres://"},
		{"postgres://postgres@127.0.0.1:1/none", "connecting to the Parse Server database"},
	} {
		code, out := runImportCommand(t, "parse", tc.arg, "--dir", t.TempDir())
		if code == 0 || !strings.Contains(out, tc.want) {
			t.Errorf("import parse %s: %d %s", tc.arg, code, out)
		}
	}
	pgtest.Require(t)
	// A database without _SCHEMA is not a Parse Server's.
	code, out := runImportCommand(t, "parse", pgtest.ServerURL(), "--dir", t.TempDir())
	if code == 0 || !strings.Contains(out, "is this a Parse Server database?") {
		t.Errorf("import parse of a database without _SCHEMA: %d %s", code, out)
	}
}

// TestMain drops the PostgreSQL test database of pgtest when the tests end.
func TestMain(m *testing.M) {
	code := pgtest.Main(m)
	plugintest.Cleanup() // the plugins built by plugins_test.go
	os.Exit(code)
}
