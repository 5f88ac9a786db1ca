// Package push tests push notifications end to end: the switchboard
// server as the binary wires it (app.Run, with the standard providers),
// over real HTTP, with the providers pointed at local fakes that speak
// their real protocols (jpushfake, fcmfake, apnsfake, webpushfake) and
// devices connected to the built-in channel over WebSocket and Server-Sent
// Events. Every test runs on SQLite and on PostgreSQL (see stores_test.go).
package push

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/syncbuf"

	"go.yaml.in/yaml/v3"

	"github.com/switchboardhq/switchboard/cmd/switchboard/app"
	_ "github.com/switchboardhq/switchboard/cmd/switchboard/standard"
)

const (
	appID     = "pushtest"
	masterKey = "pushtest-master"
)

// server is one switchboard serve running in this process.
type server struct {
	t      *testing.T
	base   string // http://127.0.0.1:PORT/parse
	log    *syncbuf.Buffer
	cancel context.CancelFunc
	done   chan int
}

var addrRE = regexp.MustCompile(`address=(127\.0\.0\.1:\d+)`)

// start runs serve on dir with cfg (the YAML configuration, as a map: the
// push section with the fakes' options) and env, and waits until /health
// is 200. It stops when the test ends.
func start(t *testing.T, dir string, cfg map[string]any, env ...string) *server {
	t.Helper()
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfgFile := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(cfgFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	env = append(append([]string{"SWITCHBOARD_APP_ID=" + appID, "SWITCHBOARD_MASTER_KEY=" + masterKey, "SWITCHBOARD_LOG_LEVEL=info"}, storeEnv(t)...), env...)
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{t: t, log: &syncbuf.Buffer{}, cancel: cancel, done: make(chan int, 1)}
	go func() {
		s.done <- app.Run(ctx, []string{"serve", "--config", cfgFile, "--http", "127.0.0.1:0", "--dir", dir}, env, s.log, s.log)
	}()
	t.Cleanup(func() {
		s.stop()
		if t.Failed() || os.Getenv("SB_TEST_LOG") != "" {
			t.Logf("server log (%s):\n%s", testStore, tail(s.log.String(), 6000))
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for s.base == "" {
		if m := addrRE.FindStringSubmatch(s.log.String()); m != nil {
			s.base = "http://" + m[1] + "/parse"
			break
		}
		select {
		case code := <-s.done:
			t.Fatalf("serve exited %d:\n%s", code, s.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start:\n%s", s.log.String())
		}
	}
	return s
}

// stop shuts the server down gracefully and waits for it.
func (s *server) stop() {
	if s.cancel == nil {
		return
	}
	s.cancel()
	s.cancel = nil
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.t.Errorf("serve did not stop")
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

var client = &http.Client{Timeout: 30 * time.Second}

// call sends one request; master adds the master key, headers others.
func (s *server) call(method, path string, body any, master bool, headers map[string]string) (int, map[string]any, http.Header) {
	s.t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.base+path, r)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("X-Parse-Application-Id", appID)
	req.Header.Set("Content-Type", "application/json")
	if master {
		req.Header.Set("X-Parse-Master-Key", masterKey)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.Unmarshal(raw, &out)
	if out == nil {
		out = map[string]any{"raw": string(raw)}
	}
	return resp.StatusCode, out, resp.Header
}

// must calls and fails the test unless the status is want.
func (s *server) must(want int, method, path string, body any, master bool) map[string]any {
	s.t.Helper()
	status, out, _ := s.call(method, path, body, master, nil)
	if status != want {
		s.t.Fatalf("%s %s: %d %v, want %d", method, path, status, out, want)
	}
	return out
}

// install saves an installation with the master key and returns its
// objectId.
func (s *server) install(fields map[string]any) string {
	s.t.Helper()
	out := s.must(http.StatusCreated, http.MethodPost, "/installations", fields, true)
	return out["objectId"].(string)
}

// installMany saves installations in /batch requests of 50.
func (s *server) installMany(list []map[string]any) {
	s.t.Helper()
	for i := 0; i < len(list); i += 50 {
		var reqs []any
		for _, f := range list[i:min(i+50, len(list))] {
			reqs = append(reqs, map[string]any{"method": "POST", "path": "/parse/installations", "body": f})
		}
		status, out, _ := s.call(http.MethodPost, "/batch", map[string]any{"requests": reqs}, true, nil)
		if status != http.StatusOK {
			s.t.Fatalf("batch: %d %v", status, out)
		}
	}
}

// push sends a push with the master key and returns its pushStatusId.
func (s *server) push(body map[string]any) string {
	s.t.Helper()
	status, out, hdr := s.call(http.MethodPost, "/push", body, true, nil)
	if status != http.StatusOK || out["result"] != true {
		s.t.Fatalf("POST /push: %d %v", status, out)
	}
	id := hdr.Get("X-Parse-Push-Status-Id")
	if id == "" {
		s.t.Fatal("POST /push: no X-Parse-Push-Status-Id")
	}
	return id
}

// status reads a _PushStatus with the master key.
func (s *server) status(id string) map[string]any {
	s.t.Helper()
	return s.must(http.StatusOK, http.MethodGet, "/classes/_PushStatus/"+id, nil, true)
}

// waitStatus polls a push until its status is final and returns it.
func (s *server) waitStatus(id string, within time.Duration) map[string]any {
	s.t.Helper()
	var st map[string]any
	poll(s.t, within, "push "+id+" to finish", func() bool {
		st = s.status(id)
		switch st["status"] {
		case "succeeded", "failed", "cancelled":
			return true
		}
		return false
	})
	return st
}

// query lists objects of a class with the master key.
func (s *server) query(class string, where map[string]any) []map[string]any {
	s.t.Helper()
	w, _ := json.Marshal(where)
	out := s.must(http.StatusOK, http.MethodGet, "/classes/"+class+"?limit=1000&where="+url.QueryEscape(string(w)), nil, true)
	var rows []map[string]any
	for _, r := range out["results"].([]any) {
		rows = append(rows, r.(map[string]any))
	}
	return rows
}

// poll checks cond every 50ms until it holds, or fails the test at the
// deadline. Nothing is asserted about how long it took.
func poll(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %s", what, within)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// num reads a JSON number field.
func num(m map[string]any, key string) int {
	f, _ := m[key].(float64)
	return int(f)
}

// sub reads a nested object field.
func sub(m map[string]any, keys ...string) map[string]any {
	for _, k := range keys {
		m, _ = m[k].(map[string]any)
	}
	return m
}
