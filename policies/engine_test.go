package policies

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

const pushPolicy = `package switchboard.push

allow if {
	input.action == "send"
	"role:marketing" in input.auth.roles
}
`

func sendPush(e *Engine, auth *core.Auth) error {
	_, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "push", Action: "send", Auth: auth})
	return err
}

func TestLoadRefusals(t *testing.T) {
	cases := []struct {
		name  string
		opts  Options
		files map[string]string
		file  string
		line  int
		want  string
	}{
		{"syntax error", Options{}, map[string]string{"a.rego": "package switchboard.push\n\nallow if {\n\tinput.x ==\n}\n"},
			"a.rego", 5, "unexpected"},
		{"undefined reference", Options{}, map[string]string{"a.rego": "package switchboard.push\n\nallow if nosuch(input.x)\n"},
			"a.rego", 3, "undefined function nosuch"},
		{"http.send is off by default", Options{}, map[string]string{"a.rego": "package switchboard.push\n\nallow if {\n\thttp.send({\"method\": \"get\", \"url\": \"http://127.0.0.1:1\"}).status_code == 200\n}\n"},
			"a.rego", 4, "http.send is an unsafe built-in"},
		{"opa.runtime is off by default", Options{}, map[string]string{"a.rego": "package switchboard.push\n\nallow if opa.runtime().env.SECRET == \"x\"\n"},
			"a.rego", 3, "set policies.allowUnsafeBuiltins: true"},
		{"net.lookup_ip_addr is off by default", Options{}, map[string]string{"a.rego": "package switchboard.push\n\nallow if count(net.lookup_ip_addr(\"example.com\")) > 0\n"},
			"a.rego", 3, "net.lookup_ip_addr is an unsafe built-in"},
		{"unknown decision point", Options{}, map[string]string{"a.rego": "package switchboard.objcts\n\nallow if true\n"},
			"a.rego", 3, `unknown decision point "objcts"`},
		{"allow as a set", Options{}, map[string]string{"a.rego": "package switchboard.push\n\nallow contains 1 if true\n"},
			"a.rego", 3, "must be a boolean rule"},
		{"allow as a function", Options{}, map[string]string{"a.rego": "package switchboard.push\n\nallow(x) if x\n"},
			"a.rego", 3, "must be a boolean rule"},
		{"a path too deep", Options{}, map[string]string{"a.rego": "package switchboard.objects.A.B\n\nallow if true\n"},
			"a.rego", 3, "decision rules are data.switchboard.<point>.allow"},
		{"invalid data.json", Options{}, map[string]string{"p.rego": pushPolicy, "limits/data.json": "{\n  \"a\": 1,\n  oops\n}"},
			"limits/data.json", 3, "invalid JSON"},
		{"root data.json that is not an object", Options{}, map[string]string{"p.rego": pushPolicy, "data.json": "[1]"},
			"data.json", 1, "must hold a JSON object"},
		{"an empty file", Options{}, map[string]string{"p.rego": ""},
			"p.rego", 1, ""},
		{"a file too large", Options{}, map[string]string{"big.rego": "package switchboard.push\n\n# " + strings.Repeat("x", maxFileSize)},
			"big.rego", 0, "larger than"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			le := loadErr(t, tc.opts, tc.files)
			for _, p := range le.Problems {
				if p.File == tc.file && p.Line == tc.line && strings.Contains(p.Message, tc.want) {
					return
				}
			}
			t.Errorf("want a problem at %s:%d containing %q, got:\n%v", tc.file, tc.line, tc.want, le)
		})
	}
}

func TestUnsafeBuiltinsWhenAllowed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"open": %v}`, r.URL.Query().Get("user") == "u1")
	}))
	defer srv.Close()
	files := map[string]string{"a.rego": `package switchboard.push

allow if {
	resp := http.send({"method": "get", "url": concat("", [data.cfg.url, "?user=", input.auth.userId])})
	resp.body.open == true
}
`, "cfg/data.json": fmt.Sprintf(`{"url": %q}`, srv.URL)}
	loadErr(t, Options{}, files)
	e := mustLoad(t, Options{AllowUnsafeBuiltins: true}, files)
	if err := sendPush(e, user("u1")); err != nil {
		t.Errorf("with http.send allowed, u1: %v", err)
	}
	if err := sendPush(e, user("u2")); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("with http.send allowed, u2: %v, want 119", err)
	}
}

// TestRefusedLoadKeepsTheOldSet: a reload that does not compile changes
// nothing: the old rules keep answering and the revision stays.
func TestRefusedLoadKeepsTheOldSet(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{"push.rego": pushPolicy})
	rev := e.Revision()
	if rev == "" {
		t.Fatal("no revision after a load")
	}
	if err := sendPush(e, user("u1")); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Fatalf("before: %v, want 119", err)
	}
	err := e.Load(context.Background(), mapFS(map[string]string{"push.rego": "package switchboard.push\n\nallow if {\n"}))
	if _, ok := err.(*LoadError); !ok {
		t.Fatalf("broken reload: %v", err)
	}
	if e.Revision() != rev {
		t.Errorf("revision changed to %s after a refused load", e.Revision())
	}
	if err := sendPush(e, user("u1")); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Fatalf("after the refused reload: %v, want the old 119", err)
	}
	if err := sendPush(e, user("u1", "role:marketing")); err != nil {
		t.Fatalf("after the refused reload, marketing: %v", err)
	}
	// A good reload takes effect at once.
	if err := e.Load(context.Background(), mapFS(map[string]string{"push.rego": "package switchboard.push\n\nallow if true\n"})); err != nil {
		t.Fatal(err)
	}
	if e.Revision() == rev {
		t.Error("revision unchanged by a new set")
	}
	if err := sendPush(e, user("u1")); err != nil {
		t.Fatalf("after the reload: %v", err)
	}
	// An empty folder removes every policy.
	if err := e.Load(context.Background(), fstest.MapFS{}); err != nil {
		t.Fatal(err)
	}
	if e.Covers("push", "") {
		t.Error("an empty folder still covers push")
	}
}

func TestCoverage(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{
		"push.rego": pushPolicy,
		"post.rego": "package switchboard.objects.Post\n\nallow if input.object.published == true\n",
		"user.rego": "package switchboard.users._User\n\nallow if input.auth.authenticated\n",
	})
	cases := []struct {
		point, class string
		want         bool
	}{
		{"push", "", true}, {"push", "Anything", true},
		{"objects", "Post", true}, {"objects", "Comment", false}, {"objects", "", false},
		{"users", "_User", true}, {"files", "", false}, {"nosuch", "", false},
	}
	for _, tc := range cases {
		if got := e.Covers(tc.point, tc.class); got != tc.want {
			t.Errorf("Covers(%q, %q) = %v", tc.point, tc.class, got)
		}
	}
	// What no policy covers is allowed without a filter.
	got, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: "find", Class: "Comment"})
	if got != nil || err != nil {
		t.Errorf("uncovered class: %v, %v", got, err)
	}
	if _, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "files", Action: "upload"}); err != nil {
		t.Errorf("uncovered point: %v", err)
	}
	if len(e.Rules()) != 3 {
		t.Errorf("rules: %v", e.Rules())
	}
}

// TestPointAndClassRulesBothApply: a point-wide rule and a class rule must
// both allow; neither can widen the other.
func TestPointAndClassRulesBothApply(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{
		"all.rego":  "package switchboard.objects\n\nallow if input.auth.authenticated\n",
		"post.rego": "package switchboard.objects.Post\n\nallow if input.object.published == true\n",
	})
	ctx := context.Background()
	published := map[string]any{"published": true}
	draft := map[string]any{"published": false}
	for _, tc := range []struct {
		auth   *core.Auth
		object map[string]any
		ok     bool
	}{
		{user("u1"), published, true},
		{user("u1"), draft, false},
		{nil, published, false},
	} {
		_, err := e.Authorize(ctx, &core.AuthzInput{Point: "objects", Action: "create", Class: "Post", Auth: tc.auth, Object: tc.object})
		if (err == nil) != tc.ok {
			t.Errorf("create %v by %v: %v", tc.object, tc.auth, err)
		}
	}
	got, err := e.Authorize(ctx, &core.AuthzInput{Point: "objects", Action: "find", Class: "Post", Schema: &core.Class{Name: "Post", Fields: map[string]core.Field{"published": {Type: core.TypeBoolean}}}, Auth: user("u1")})
	if err != nil || !reflect.DeepEqual(got, core.Cmp{Field: "published", Op: core.OpEq, Value: true}) {
		t.Errorf("find: %v, %v", got, err)
	}
	if _, err := e.Authorize(ctx, &core.AuthzInput{Point: "objects", Action: "find", Class: "Post"}); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("anonymous find: %v, want 119 from the point-wide rule", err)
	}
}

func TestMasterKey(t *testing.T) {
	master := &core.Auth{Master: true}
	e := mustLoad(t, Options{}, map[string]string{"push.rego": pushPolicy})
	if err := sendPush(e, master); err != nil {
		t.Errorf("master bypasses policies by default: %v", err)
	}
	e = mustLoad(t, Options{ApplyToMaster: true}, map[string]string{"push.rego": pushPolicy})
	if err := sendPush(e, master); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("with applyToMaster: %v, want 119", err)
	}
}

func TestDenialReason(t *testing.T) {
	files := map[string]string{"push.rego": pushPolicy}
	err := sendPush(mustLoad(t, Options{}, files), user("u1"))
	ce := core.AsError(err)
	if ce.Code != core.CodeOperationForbidden || strings.Contains(ce.Message, "push.rego") {
		t.Errorf("without debug: %v (the reason must stay private)", err)
	}
	err = sendPush(mustLoad(t, Options{Debug: true}, files), user("u1"))
	ce = core.AsError(err)
	want := `Rule data.switchboard.push.allow (push.rego:3): push.rego:5: "role:marketing" in input.auth.roles is false.`
	if ce.Code != core.CodeOperationForbidden || !strings.Contains(ce.Message, want) {
		t.Errorf("with debug: %q, want it to contain %q", ce.Message, want)
	}
}

func TestDecisionLog(t *testing.T) {
	var logs logBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	e := mustLoad(t, Options{DecisionLogSample: 1, Logger: logger}, map[string]string{"push.rego": pushPolicy})
	_ = sendPush(e, user("u1"))
	_ = sendPush(e, user("u2", "role:marketing"))
	out := logs.String()
	for _, want := range []string{"result=deny", "result=allow", "user=u1", "user=u2", "rule=data.switchboard.push.allow", "point=push"} {
		if !strings.Contains(out, want) {
			t.Errorf("decision log lacks %q:\n%s", want, out)
		}
	}
	var none logBuffer
	e = mustLoad(t, Options{Logger: slog.New(slog.NewTextHandler(&none, nil))}, map[string]string{"push.rego": pushPolicy})
	_ = sendPush(e, user("u1"))
	if strings.Contains(none.String(), "policy decision") {
		t.Errorf("decisions logged with sampling off:\n%s", none.String())
	}
}

// TestEvalErrorsRefuse: a policy that fails while deciding never allows.
func TestEvalErrorsRefuse(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{"push.rego": `package switchboard.push

allow := true if input.extra.a
allow := false if input.extra.b
`})
	_, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "push", Action: "send", Extra: map[string]any{"a": true, "b": true}})
	if !core.IsCode(err, core.CodeInternalServerError) {
		t.Errorf("a conflicting rule: %v, want an internal error", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = e.Authorize(ctx, &core.AuthzInput{Point: "push", Action: "send", Extra: map[string]any{"a": true}})
	if err == nil {
		t.Error("a cancelled context allowed the operation")
	}
}

// TestSecretsStayOutOfTheInput: keys and session tokens in headers never
// reach a policy; header names are lower-case.
func TestSecretsStayOutOfTheInput(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{"push.rego": `package switchboard.push

allow if {
	object.keys(input.request.headers) == {"user-agent"}
	input.request.ip == "10.1.2.3"
}
`})
	_, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "push", Action: "send", Request: core.AuthzRequest{
		IP: "10.1.2.3",
		Headers: map[string]string{"User-Agent": "sdk", "X-Parse-Master-Key": "secret", "X-Parse-Session-Token": "r:abc",
			"Authorization": "Bearer x", "Cookie": "a=b"},
	}})
	if err != nil {
		t.Fatalf("the policy saw more than user-agent: %v", err)
	}
}

func TestLoadDir(t *testing.T) {
	ctx := context.Background()
	e := New(Options{Logger: quietLogger()})
	if err := e.LoadDir(ctx, filepath.Join(t.TempDir(), "missing")); err != nil {
		t.Fatalf("a missing folder: %v", err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "push.rego"), []byte(pushPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, ".git"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".git", "broken.rego"), []byte("not rego"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := e.LoadDir(ctx, dir); err != nil {
		t.Fatalf("load: %v (hidden folders must be skipped)", err)
	}
	if !e.Covers("push", "") {
		t.Fatal("push.rego not loaded")
	}
	// A symbolic link could reach outside the folder: refused.
	outside := filepath.Join(t.TempDir(), "outside.rego")
	if err := os.WriteFile(outside, []byte(pushPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.rego")); err != nil {
		t.Skipf("symlinks: %v", err)
	}
	err := e.LoadDir(ctx, dir)
	le, ok := err.(*LoadError)
	if !ok || !strings.Contains(le.Error(), "link.rego: symbolic links are not followed") {
		t.Fatalf("symlink: %v", err)
	}
}

// TestConcurrentDecisionsDuringReloads: decisions keep being answered,
// each by one whole set, while sets are swapped (run with -race).
func TestConcurrentDecisionsDuringReloads(t *testing.T) {
	allowAll := mapFS(map[string]string{"push.rego": "package switchboard.push\n\nallow if true\n"})
	denyAll := mapFS(map[string]string{"push.rego": "package switchboard.push\n\nallow if false\n"})
	e := New(Options{Logger: quietLogger()})
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				err := sendPush(e, user("u1"))
				if err != nil && !core.IsCode(err, core.CodeOperationForbidden) {
					t.Errorf("decision during reload: %v", err)
					return
				}
			}
		})
	}
	for i := range 20 {
		fsys := allowAll
		if i%2 == 1 {
			fsys = denyAll
		}
		if err := e.Load(ctx, fsys); err != nil {
			t.Fatal(err)
		}
	}
	close(stop)
	wg.Wait()
	if err := sendPush(e, user("u1")); !core.IsCode(err, core.CodeOperationForbidden) {
		t.Errorf("the last set loaded denies, got %v", err)
	}
}

func TestDocumentInput(t *testing.T) {
	d := Document{Point: "push", Action: "send"}
	d.Auth.UserID, d.Auth.Roles = "u1", []string{"role:marketing"}
	d.Request.Time = "2025-01-02T03:04:05.678Z"
	in, err := d.AuthzInput()
	if err != nil {
		t.Fatal(err)
	}
	if in.Auth.UserID != "u1" || in.Request.Time.Year() != 2025 || in.Point != "push" {
		t.Errorf("converted: %+v", in)
	}
	if _, err := (&Document{Point: "push"}).AuthzInput(); err == nil {
		t.Error("a document without an action was accepted")
	}
	d.Request.Time = "yesterday"
	if _, err := d.AuthzInput(); err == nil {
		t.Error("a bad time was accepted")
	}
}

// TestCoreValuesInTheObject: an object holding core values (a Pointer, a
// time) is seen by policies in Parse JSON, as the API shows it.
func TestCoreValuesInTheObject(t *testing.T) {
	e := mustLoad(t, Options{}, map[string]string{"post.rego": `package switchboard.objects.Post

allow if {
	input.action == "create"
	input.object.author == {"__type": "Pointer", "className": "_User", "objectId": input.auth.userId}
	input.object.due == {"__type": "Date", "iso": "2025-01-02T03:04:05.006Z"}
	input.object.meta.n == 2
	time.parse_rfc3339_ns(input.object.createdAt) > 0
}
`})
	obj := map[string]any{
		"createdAt": time.Now(),
		"author":    core.Pointer{ClassName: "_User", ObjectID: "u1"},
		"due":       time.Date(2025, 1, 2, 3, 4, 5, 6e6, time.UTC),
		"meta":      core.Object{"n": 2},
	}
	if _, err := e.Authorize(context.Background(), &core.AuthzInput{Point: "objects", Action: "create", Class: "Post", Auth: user("u1"), Object: obj}); err != nil {
		t.Fatalf("create: %v", err)
	}
}
