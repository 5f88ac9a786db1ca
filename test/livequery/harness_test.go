// Package livequery_test drives the LiveQuery server over real WebSockets:
// a real App on SQLite behind the real REST API and HTTP shell, and the
// LiveQuery handler on the same path, as the binary mounts them. Until the
// request pipeline publishes change events itself, the harness writes
// through the REST API and publishes the matching core.ChangeEvent on the
// App's bus, with the object read from the store before and after, exactly
// as the pipeline will.
package livequery_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	_ "github.com/switchboardhq/switchboard/adapters/store/postgres"
	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/livequery"
	"github.com/switchboardhq/switchboard/core/server"
)

const (
	appID     = "lqtest"
	masterKey = "lqtest-master"
)

type harness struct {
	t   testing.TB
	app *core.App
	lq  *livequery.Server
	bus *core.ChangeBus
	url string // http://host:port/parse
}

// newHarness starts an App on a fresh SQLite store with the LiveQuery
// server on /parse. tweak may change the LiveQuery options.
func newHarness(t testing.TB, tweak func(*livequery.Options)) *harness {
	t.Helper()
	return newHarnessOpts(t, core.Options{}, tweak)
}

// newHarnessOpts is newHarness with App options (app id, master key and
// client class creation are always set).
func newHarnessOpts(t testing.TB, appOpts core.Options, tweak func(*livequery.Options)) *harness {
	t.Helper()
	return newNode(t, "sqlite", core.StoreConfig{DataDir: t.TempDir()}, appOpts, tweak)
}

// newNode starts one server (App, REST API, LiveQuery) on the store
// provider named store; several nodes on one PostgreSQL schema form a
// cluster.
func newNode(t testing.TB, store string, cfg core.StoreConfig, appOpts core.Options, tweak func(*livequery.Options)) *harness {
	t.Helper()
	open, err := core.Stores.Lookup(store)
	if err != nil {
		t.Fatal(err)
	}
	st, err := open(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	appOpts.AppID, appOpts.MasterKey, appOpts.AllowClientClassCreation = appID, masterKey, true
	app, err := core.NewApp(context.Background(), st, appOpts)
	if err != nil {
		t.Fatal(err)
	}
	opts := livequery.Options{AllClasses: true, Logger: slog.New(slog.NewTextHandler(testLog, nil))}
	if tweak != nil {
		tweak(&opts)
	}
	lq := livequery.New(app, opts)
	bus := &core.ChangeBus{}
	bus.Subscribe(lq.Listen)
	srv, err := server.New(server.Options{API: api.New(app), Ready: app.Ready, Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	// What the binary does: upgrades on the mount path go to LiveQuery.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if livequery.IsUpgrade(r) && strings.TrimSuffix(r.URL.Path, "/") == "/parse" {
			lq.ServeHTTP(w, r)
			return
		}
		srv.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = lq.Close(ctx)
		ts.Close()
		_ = app.Close()
	})
	return &harness{t: t, app: app, lq: lq, bus: bus, url: ts.URL + "/parse"}
}

// ---- REST ----

type who struct {
	name, token, id string
	master          bool
}

var (
	anonymous = who{name: "anonymous"}
	master    = who{name: "master", master: true}
)

func (h *harness) rest(w who, method, path string, body any) (int, map[string]any) {
	h.t.Helper()
	var rd io.Reader
	if body != nil {
		js, _ := json.Marshal(body)
		rd = bytes.NewReader(js)
	}
	req, err := http.NewRequest(method, h.url+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("X-Parse-Application-Id", appID)
	req.Header.Set("Content-Type", "application/json")
	if w.master {
		req.Header.Set("X-Parse-Master-Key", masterKey)
	}
	if w.token != "" {
		req.Header.Set("X-Parse-Session-Token", w.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	return res.StatusCode, out
}

func (h *harness) mustREST(w who, method, path string, body any) map[string]any {
	h.t.Helper()
	status, out := h.rest(w, method, path, body)
	if status >= 300 {
		h.t.Fatalf("%s %s as %s: %d %v", method, path, w.name, status, out)
	}
	return out
}

func (h *harness) signup(name string) who {
	h.t.Helper()
	out := h.mustREST(anonymous, "POST", "/users", map[string]any{"username": name, "password": "pw-" + name})
	return who{name: name, token: out["sessionToken"].(string), id: out["objectId"].(string)}
}

// findAs is the oracle: what a find shows w of one object (nil: nothing),
// or the find's error code.
func (h *harness) findAs(w who, className, id string) (map[string]any, int) {
	h.t.Helper()
	where, _ := json.Marshal(map[string]any{"objectId": map[string]any{"$in": []any{id}}})
	status, out := h.rest(w, "GET", "/classes/"+className+"?where="+url.QueryEscape(string(where)), nil)
	if status != 200 {
		code, _ := out["code"].(float64)
		return nil, int(code)
	}
	list, _ := out["results"].([]any)
	if len(list) == 0 {
		return nil, 0
	}
	return list[0].(map[string]any), 0
}

func pointer(className, id string) map[string]any {
	return map[string]any{"__type": "Pointer", "className": className, "objectId": id}
}

// ---- the pipeline's part: change events ----

// load reads an object from the store as the pipeline holds it.
func (h *harness) load(className, id string) core.Object {
	h.t.Helper()
	c := h.app.Class(className)
	if c == nil {
		return nil
	}
	objs, err := h.app.Store().Find(context.Background(), c, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id}, Limit: 1})
	if err != nil {
		h.t.Fatal(err)
	}
	if len(objs) == 0 {
		return nil
	}
	return objs[0]
}

func (h *harness) publish(kind core.ChangeKind, className string, obj, orig core.Object) {
	h.bus.Publish(context.Background(), &core.ChangeEvent{Kind: kind, ClassName: className, Object: obj, Original: orig, Auth: core.MasterAuth(), At: time.Now()})
}

// create saves a new object as w and publishes its event; it returns the id.
func (h *harness) create(w who, className string, fields map[string]any) string {
	h.t.Helper()
	out := h.mustREST(w, "POST", "/classes/"+className, fields)
	id := out["objectId"].(string)
	h.publish(core.Created, className, h.load(className, id), nil)
	return id
}

// update changes an object as w and publishes the event.
func (h *harness) update(w who, className, id string, fields map[string]any) {
	h.t.Helper()
	orig := h.load(className, id)
	h.mustREST(w, "PUT", "/classes/"+className+"/"+id, fields)
	h.publish(core.Updated, className, h.load(className, id), orig)
}

// remove deletes an object as w and publishes the event.
func (h *harness) remove(w who, className, id string) {
	h.t.Helper()
	obj := h.load(className, id)
	h.mustREST(w, "DELETE", "/classes/"+className+"/"+id, nil)
	h.publish(core.Deleted, className, obj, nil)
}

// ---- a LiveQuery client ----

type client struct {
	t  testing.TB
	ws *websocket.Conn
	id string
}

// dial opens a socket without connecting.
func (h *harness) dial() *client {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(h.url, "http"), nil)
	if err != nil {
		h.t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(64 << 20)
	c := &client{t: h.t, ws: ws}
	h.t.Cleanup(func() { ws.CloseNow() })
	return c
}

// connect opens a socket and connects as w.
func (h *harness) connect(w who) *client {
	h.t.Helper()
	c := h.dial()
	msg := map[string]any{"op": "connect", "applicationId": appID}
	if w.master {
		msg["masterKey"] = masterKey
	}
	if w.token != "" {
		msg["sessionToken"] = w.token
	}
	c.send(msg)
	got := c.recv()
	if got["op"] != "connected" {
		h.t.Fatalf("connect as %s: %v", w.name, got)
	}
	c.id, _ = got["clientId"].(string)
	return c
}

func (c *client) send(msg any) {
	c.t.Helper()
	js, err := json.Marshal(msg)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(js)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, b); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// recv returns the next message; it fails after 10 s without one.
func (c *client) recv() map[string]any {
	c.t.Helper()
	m, err := c.next()
	if err != nil {
		c.t.Fatalf("recv: %v", err)
	}
	return m
}

func (c *client) next() (map[string]any, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	typ, data, err := c.ws.Read(ctx)
	if err != nil {
		return nil, err
	}
	if typ != websocket.MessageText {
		return nil, fmt.Errorf("binary message")
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("not JSON: %s", data)
	}
	return m, nil
}

// closeStatus reads until the connection ends and returns its close code.
func (c *client) closeStatus() websocket.StatusCode {
	c.t.Helper()
	for {
		_, err := c.next()
		if err != nil {
			var ce websocket.CloseError
			if errors.As(err, &ce) {
				return ce.Code
			}
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

// subscribe sends a subscribe and returns the server's answer.
func (c *client) subscribe(requestID int, className string, where map[string]any, extra map[string]any) map[string]any {
	c.t.Helper()
	q := map[string]any{"className": className, "where": where}
	msg := map[string]any{"op": "subscribe", "requestId": requestID, "query": q}
	for k, v := range extra {
		switch k {
		case "keys", "watch":
			q[k] = v
		default:
			msg[k] = v
		}
	}
	c.send(msg)
	return c.recv()
}

func (c *client) mustSubscribe(requestID int, className string, where map[string]any, extra map[string]any) {
	c.t.Helper()
	if got := c.subscribe(requestID, className, where, extra); got["op"] != "subscribed" || num(got["requestId"]) != requestID {
		c.t.Fatalf("subscribe %s %v: %v", className, where, got)
	}
}

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// fenceClass is a public class every test client subscribes to (request id
// fenceRequest): events are dispatched in order, so once a client sees the
// fence object's event it has seen every event published before it. That
// makes "nothing was delivered" a fact rather than a timeout.
const (
	fenceClass   = "Fence"
	fenceRequest = 999
)

func (c *client) watchFence() { c.mustSubscribe(fenceRequest, fenceClass, nil, nil) }

// fence publishes a fence event and returns the messages every given client
// received before it.
func (h *harness) fence(clients ...*client) [][]map[string]any {
	h.t.Helper()
	id := h.create(master, fenceClass, map[string]any{"n": 1})
	out := make([][]map[string]any, len(clients))
	for i, c := range clients {
		for {
			m := c.recv()
			if num(m["requestId"]) == fenceRequest && m["op"] == "create" {
				if obj, _ := m["object"].(map[string]any); obj["objectId"] == id {
					break
				}
			}
			out[i] = append(out[i], m)
		}
	}
	return out
}

// until waits (up to 10 s) for cond, polling; for background work the
// test cannot observe otherwise.
func until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// testLog receives the servers' logs; set LQ_TEST_LOG=1 to see them.
var testLog io.Writer = func() io.Writer {
	if os.Getenv("LQ_TEST_LOG") != "" {
		return os.Stderr
	}
	return io.Discard
}()
