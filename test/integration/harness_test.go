// Package integration drives the whole server in process: the SQLite store,
// the App, the Parse API and the HTTP shell, over real HTTP. Tests here are
// tables of API scenarios; the benchmarks measure the server's own cost per
// request without a network hop.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/server"
)

const (
	appID     = "itest"
	masterKey = "itest-master"
)

type harness struct {
	t       testing.TB
	app     *core.App
	handler http.Handler
	url     string
}

// newHarness starts a server on a fresh SQLite file with opts applied.
func newHarness(t testing.TB, tweak func(*core.Options)) *harness {
	t.Helper()
	open, err := core.Stores.Lookup("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	st, err := open(context.Background(), core.StoreConfig{DataDir: dir})
	if err != nil {
		t.Fatalf("opening sqlite: %v", err)
	}
	opts := core.Options{AppID: appID, MasterKey: masterKey, AllowClientClassCreation: true}
	if tweak != nil {
		tweak(&opts)
	}
	app, err := core.NewApp(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("NewApp: %v", err)
	}
	srv, err := server.New(server.Options{API: api.New(app), Ready: app.Ready, Store: st, MaxBodyBytes: 1 << 20,
		Logger: slog.New(slog.NewTextHandler(testLogWriter, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
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

// do sends one request. key is "master", "client" or "" (app id only).
func (h *harness) do(method, path, key string, body any) response {
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
	if key == "master" {
		req.Header.Set("X-Parse-Master-Key", masterKey)
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
