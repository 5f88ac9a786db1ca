// Package integration drives the whole server in process: a store, the
// App, the Parse API and the HTTP shell, over real HTTP. Tests here are
// tables of API scenarios; the benchmarks measure the server's own cost per
// request without a network hop. Every test runs on each store in turn,
// SQLite and PostgreSQL (see stores_test.go).
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/server"
)

const (
	appID       = "itest"
	masterKey   = "itest-master"
	readOnlyKey = "itest-readonly"
)

type harness struct {
	t       testing.TB
	app     *core.App
	handler http.Handler
	url     string
}

// newHarness starts a server on a fresh, empty store with opts applied.
func newHarness(t testing.TB, tweak func(*core.Options)) *harness {
	t.Helper()
	return newHarnessWith(t, tweak, nil)
}

// newHarnessWith is newHarness with the HTTP server's options changed too.
func newHarnessWith(t testing.TB, tweak func(*core.Options), serverTweak func(*server.Options)) *harness {
	t.Helper()
	st := openStore(t)
	// The listener comes first so that the App knows its own URL, for the
	// links it puts in e-mails.
	var handler http.Handler = http.NotFoundHandler()
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	base := "http://" + ts.Listener.Addr().String()
	opts := core.Options{AppID: appID, MasterKey: masterKey, ReadOnlyMasterKey: readOnlyKey,
		AllowClientClassCreation: true, ServerURL: base + "/parse"}
	if tweak != nil {
		tweak(&opts)
	}
	app, err := core.NewApp(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	so := server.Options{API: api.New(app), Ready: app.Ready, Store: st, MaxBodyBytes: 1 << 20,
		Logger: slog.New(slog.NewTextHandler(testLogWriter, nil))}
	if serverTweak != nil {
		serverTweak(&so)
	}
	srv, err := server.New(so)
	if err != nil {
		t.Fatal(err)
	}
	handler = srv
	ts.Start()
	t.Cleanup(func() {
		ts.Close()
		_ = app.Close()
	})
	return &harness{t: t, app: app, handler: srv, url: ts.URL + "/parse"}
}

type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends one request. key is "master", "readonly", "client" or "" (app
// id only).
func (h *harness) do(method, path, key string, body any) response {
	h.t.Helper()
	headers := map[string]string{}
	switch key {
	case "master":
		headers["X-Parse-Master-Key"] = masterKey
	case "readonly":
		headers["X-Parse-Master-Key"] = readOnlyKey
	}
	return h.request(method, path, body, headers)
}

// request sends one request with the app id and the given headers. A string
// or []byte body is sent as is, anything else as JSON.
func (h *harness) request(method, path string, body any, headers map[string]string) response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		js, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("X-Parse-Application-Id", appID)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return send(h.t, req)
}

// code returns the Parse error code of a reply, or 0.
func (r response) code() int {
	c, _ := r.body["code"].(float64)
	return int(c)
}

func (h *harness) doWithHeaders(method, path string, body any, headers map[string]string) response {
	h.t.Helper()
	js, _ := json.Marshal(body)
	req, err := http.NewRequest(method, h.url+path, bytes.NewReader(js))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("X-Parse-Application-Id", appID)
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return send(h.t, req)
}

func send(t testing.TB, req *http.Request) response {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	out := response{status: res.StatusCode, header: res.Header, raw: raw}
	_ = json.Unmarshal(raw, &out.body)
	return out
}

func httpGet(t testing.TB, url string, headers map[string]string) (response, error) {
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		return response{}, err
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return send(t, req), nil
}

var testLogWriter io.Writer = io.Discard

// who is the caller of a request: a key, a session token, or neither.
type who struct {
	name  string // for failure messages
	key   string // "", "master" or "readonly"
	token string // sent as X-Parse-Session-Token
	id    string // the user's objectId, for logged-in users
}

var (
	anonymous  = who{name: "anonymous"}
	asMaster   = who{name: "master", key: "master"}
	asReadOnly = who{name: "read-only master", key: "readonly"}
)

// as sends one request as w.
func (h *harness) as(w who, method, path string, body any) response {
	h.t.Helper()
	headers := map[string]string{}
	switch w.key {
	case "master":
		headers["X-Parse-Master-Key"] = masterKey
	case "readonly":
		headers["X-Parse-Master-Key"] = readOnlyKey
	}
	if w.token != "" {
		headers["X-Parse-Session-Token"] = w.token
	}
	return h.request(method, path, body, headers)
}

// signup creates a user with extra fields and returns it logged in.
func (h *harness) signup(username, password string, extra map[string]any) who {
	h.t.Helper()
	body := map[string]any{"username": username, "password": password}
	for k, v := range extra {
		body[k] = v
	}
	res := h.do("POST", "/users", "", body)
	if res.status != 201 {
		h.t.Fatalf("signup %s: %d %s", username, res.status, res.raw)
	}
	token, _ := res.body["sessionToken"].(string)
	id, _ := res.body["objectId"].(string)
	return who{name: username, token: token, id: id}
}

// login logs a user in with POST /login and returns the new session.
func (h *harness) login(username, password string) who {
	h.t.Helper()
	res := h.do("POST", "/login", "", map[string]any{"username": username, "password": password})
	if res.status != 200 {
		h.t.Fatalf("login %s: %d %s", username, res.status, res.raw)
	}
	return who{name: username, token: res.body["sessionToken"].(string), id: res.body["objectId"].(string)}
}

// storeUpdate changes an object directly in the store, past every check:
// for internal fields (hashes, token expiries) that no API may touch.
func (h *harness) storeUpdate(className, id string, upd core.Update) {
	h.t.Helper()
	c := h.app.Class(className)
	if c == nil {
		h.t.Fatalf("no class %s", className)
	}
	if _, err := h.app.Store().Update(context.Background(), c, id, nil, nil, upd); err != nil {
		h.t.Fatalf("store update %s/%s: %v", className, id, err)
	}
}

// statusFor is the HTTP status Parse answers a code with.
func statusFor(code int) int {
	switch code {
	case 101:
		return 404
	case 155:
		return 429
	case 116:
		return 413
	}
	return 400
}

// wantError fails unless res is the Parse error code, with its status and a
// message.
func wantError(t testing.TB, res response, code int) {
	t.Helper()
	msg, _ := res.body["error"].(string)
	if res.status != statusFor(code) || res.code() != code || msg == "" {
		t.Fatalf("got %d %s, want %d with code %d", res.status, res.raw, statusFor(code), code)
	}
}

// wantStatus fails unless res has the status.
func wantStatus(t testing.TB, res response, status int) {
	t.Helper()
	if res.status != status {
		t.Fatalf("got %d %s, want %d", res.status, res.raw, status)
	}
}

// withQuery appends URL parameters; values that are not strings are sent
// as JSON, as the REST API expects for where.
func withQuery(path string, params map[string]any) string {
	q := url.Values{}
	for k, v := range params {
		if s, ok := v.(string); ok {
			q.Set(k, s)
			continue
		}
		js, _ := json.Marshal(v)
		q.Set(k, string(js))
	}
	return path + "?" + q.Encode()
}

// pointer is the JSON of a Pointer.
func pointer(className, id string) map[string]any {
	return map[string]any{"__type": "Pointer", "className": className, "objectId": id}
}

// results returns the results array of a find reply.
func (r response) results() []map[string]any {
	list, _ := r.body["results"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, e := range list {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

// inbox records what a provider fake (a core.Mailer or core.SMSSender) was
// given, and fails with fail while that is set.
type inbox[T any] struct {
	mu   sync.Mutex
	msgs []T
	fail error
}

func (b *inbox[T]) deliver(msg T) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.fail != nil {
		return b.fail
	}
	b.msgs = append(b.msgs, msg)
	return nil
}

func (b *inbox[T]) setFail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail = err
}

func (b *inbox[T]) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.msgs)
}

// waitCount waits until n messages were delivered, for messages sent after
// the answer; more than n, or fewer by the deadline, fails.
func (b *inbox[T]) waitCount(t testing.TB, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for b.count() < n && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if got := b.count(); got != n {
		t.Fatalf("%d messages delivered, want %d", got, n)
	}
}

// latest returns the last message delivered.
func (b *inbox[T]) latest(t testing.TB) T {
	t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.msgs) == 0 {
		t.Fatal("no message was sent")
	}
	return b.msgs[len(b.msgs)-1]
}
