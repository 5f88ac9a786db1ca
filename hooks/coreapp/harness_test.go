package coreapp_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/jobs/river"
	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/server"
	"github.com/switchboardhq/switchboard/hooks"
	"github.com/switchboardhq/switchboard/hooks/coreapp"
)

const (
	appID     = "cloudtest"
	masterKey = "cloudtest-master"
)

// testStore is the store of the current pass (TestMain runs every test on
// SQLite, then PostgreSQL; SWITCHBOARD_TEST_STORES picks).
var testStore = "sqlite"

// TestMain runs every test once per store (see pgtest.RunPerStore).
func TestMain(m *testing.M) {
	os.Exit(pgtest.RunPerStore(m, func(store string) { testStore = store }))
}

// node is one server: a store, the App with a River job queue, the API,
// cloud code wired as the binary wires it, over real HTTP.
type node struct {
	t     testing.TB
	app   *core.App
	cloud *coreapp.Cloud
	url   string
	log   *bytes.Buffer
}

type nodeOptions struct {
	runtime    hooks.Options
	tweak      func(*core.Options)
	dbURL      string // PostgreSQL: share a database with another node
	webhookKey string
	reload     func(ctx context.Context, fsys fs.FS) error
}

func openStore(t testing.TB, dbURL string) core.Store {
	t.Helper()
	cfg := core.StoreConfig{DataDir: t.TempDir(), URL: dbURL}
	if testStore == "postgres" && cfg.URL == "" {
		cfg.URL = pgtest.Fresh(t)
	}
	open, err := core.Stores.Lookup(testStore)
	if err != nil {
		t.Fatal(err)
	}
	st, err := open(context.Background(), cfg)
	if err != nil {
		t.Fatalf("opening the %s store: %v", testStore, err)
	}
	return st
}

// startNode starts a server. Its cloud code has no deployment yet.
func startNode(t testing.TB, o nodeOptions) *node {
	t.Helper()
	st := openStore(t, o.dbURL)
	q, err := river.Open(context.Background(), core.ProviderEnv{Store: st, Options: map[string]any{"pollInterval": "100ms"}})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	var handler http.Handler = http.NotFoundHandler()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	opts := core.Options{AppID: appID, MasterKey: masterKey, AllowClientClassCreation: true,
		ServerURL: "http://" + ts.Listener.Addr().String() + "/parse", Jobs: q}
	if o.tweak != nil {
		o.tweak(&opts)
	}
	app, err := core.NewApp(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	logs := &bytes.Buffer{}
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, &slog.HandlerOptions{Level: slog.LevelWarn}))
	h := api.New(app)
	rt := o.runtime
	if rt.PoolSize == 0 {
		rt.PoolSize = 2
	}
	c, err := coreapp.New(app, h, coreapp.Options{Runtime: rt, WebhookKey: o.webhookKey, ReloadPolicies: o.reload, Logger: logger, PollInterval: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	h.SetCloudCode(c)
	dh := c.Handler(func(r *http.Request) error {
		if r.Header.Get("X-Parse-Master-Key") != masterKey {
			return core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
		}
		return nil
	})
	h.Mount("deployments", "deployments", dh)
	h.Mount("scriptlog", "scriptlog", dh)
	srv, err := server.New(server.Options{API: h, Ready: app.Ready, Store: st, MaxBodyBytes: 64 << 20, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	handler = srv
	ts.Start()
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	n := &node{t: t, app: app, cloud: c, url: ts.URL + "/parse", log: logs}
	t.Cleanup(func() {
		ts.Close()
		c.Close()
		_ = app.Close()
	})
	return n
}

// lockedWriter lets goroutines log into one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.w.Write(p)
}

// reply is one HTTP answer.
type reply struct {
	status int
	header http.Header
	body   map[string]any
	list   []any
	raw    string
}

func (r reply) code() float64  { c, _ := r.body["code"].(float64); return c }
func (r reply) errMsg() string { s, _ := r.body["error"].(string); return s }

// call sends one request. key is "master" or "" (the app id alone); more
// headers (session token, request id) may be given.
func (n *node) call(method, path, key string, body any, headers ...string) reply {
	n.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			n.t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.url+path, rd)
	if err != nil {
		n.t.Fatal(err)
	}
	req.Header.Set("X-Parse-Application-Id", appID)
	req.Header.Set("Content-Type", "application/json")
	if key == "master" {
		req.Header.Set("X-Parse-Master-Key", masterKey)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := reply{status: res.StatusCode, header: res.Header, raw: string(raw)}
	_ = json.Unmarshal(raw, &r.body)
	_ = json.Unmarshal(raw, &r.list)
	return r
}

// must sends a request and fails the test unless the status is want.
func (n *node) must(want int, method, path, key string, body any, headers ...string) reply {
	n.t.Helper()
	r := n.call(method, path, key, body, headers...)
	if r.status != want {
		n.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, want, r.raw)
	}
	return r
}

// deploy uploads files (main.js first) as a new version.
func (n *node) deploy(files ...string) reply {
	n.t.Helper()
	r := n.tryDeploy(files...)
	if r.status != http.StatusCreated {
		n.t.Fatalf("deploy: status %d: %s", r.status, r.raw)
	}
	return r
}

func (n *node) tryDeploy(files ...string) reply {
	n.t.Helper()
	m := map[string]any{}
	m["main.js"] = base64.StdEncoding.EncodeToString([]byte(files[0]))
	for i := 1; i+1 < len(files); i += 2 {
		m[files[i]] = base64.StdEncoding.EncodeToString([]byte(files[i+1]))
	}
	return n.call(http.MethodPost, "/deployments", "master", map[string]any{"files": m, "encoding": "base64", "note": "test"})
}

// run calls a cloud function.
func (n *node) run(name string, params map[string]any, headers ...string) reply {
	n.t.Helper()
	if params == nil {
		params = map[string]any{}
	}
	return n.call(http.MethodPost, "/functions/"+name, "", params, headers...)
}

// signup creates a user and returns its id and session token.
func (n *node) signup(name string) (id, token string) {
	n.t.Helper()
	r := n.must(http.StatusCreated, http.MethodPost, "/users", "", map[string]any{"username": name, "password": "pw-" + name})
	return r.body["objectId"].(string), r.body["sessionToken"].(string)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
