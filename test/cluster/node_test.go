package cluster_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/syncbuf"
)

// The real binary, built once per test process.
var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sbcluster")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "switchboard")
		_, file, _, _ := runtime.Caller(0)
		root := filepath.Join(filepath.Dir(file), "..", "..")
		cmd := exec.Command("go", "build", "-o", binPath, "./test/cluster/testnode")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

const (
	appID     = "clustertest"
	masterKey = "cluster-mk"
)

// node is one `switchboard serve` process.
type node struct {
	t    *testing.T
	cmd  *exec.Cmd
	base string // http://127.0.0.1:PORT/parse
	log  *syncbuf.Buffer
	done chan struct{}
}

var addrRE = regexp.MustCompile(`address=(127\.0\.0\.1:\d+)`)

// startNode starts serve with the data folder dir and env (on top of the
// app id, master key and a free port), and waits until /health is 200.
// The process is killed when the test ends, if still running.
func startNode(t *testing.T, dir string, env ...string) *node {
	t.Helper()
	cmd := exec.Command(binary(t), "serve", "--http", "127.0.0.1:0", "--dir", dir)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_APP_ID="+appID, "SWITCHBOARD_MASTER_KEY="+masterKey, "SWITCHBOARD_LOG_LEVEL=info")
	cmd.Env = append(cmd.Env, env...)
	n := &node{t: t, cmd: cmd, log: &syncbuf.Buffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = n.log, n.log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); close(n.done) }()
	t.Cleanup(func() {
		n.kill()
		if t.Failed() {
			t.Logf("log of node %d:\n%s", cmd.Process.Pid, tail(n.log.String(), 4000))
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m := addrRE.FindStringSubmatch(n.log.String()); m != nil {
			n.base = "http://" + m[1] + "/parse"
			break
		}
		select {
		case <-n.done:
			t.Fatalf("node exited at start:\n%s", n.log.String())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("node did not start:\n%s", n.log.String())
		}
	}
	for {
		resp, err := http.Get(strings.TrimSuffix(n.base, "/parse") + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return n
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("node not healthy: %v\n%s", err, n.log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (n *node) pid() int { return n.cmd.Process.Pid }

// kill sends SIGKILL and waits for the process to be gone.
func (n *node) kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

// client is how tests call a node's API.
var client = &http.Client{Timeout: 30 * time.Second}

// call sends a request; headers: master=true adds the master key, token a
// session token. It returns the status and the decoded body.
func (n *node) call(method, path string, body any, master bool, token string) (int, map[string]any, http.Header, error) {
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, n.base+path, r)
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("X-Parse-Application-Id", appID)
	req.Header.Set("Content-Type", "application/json")
	if master {
		req.Header.Set("X-Parse-Master-Key", masterKey)
	}
	if token != "" {
		req.Header.Set("X-Parse-Session-Token", token)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, nil, resp.Header, err
	}
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		return resp.StatusCode, nil, resp.Header, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out, resp.Header, nil
}

// must calls and fails the test unless the status is want.
func (n *node) must(want int, method, path string, body any, master bool, token string) map[string]any {
	n.t.Helper()
	status, out, _, err := n.call(method, path, body, master, token)
	if err != nil {
		n.t.Fatalf("%s %s: %v", method, path, err)
	}
	if status != want {
		n.t.Fatalf("%s %s: %d %v, want %d", method, path, status, out, want)
	}
	return out
}

// query returns the results of a find with a where clause (master key).
func (n *node) query(class string, where map[string]any) []map[string]any {
	n.t.Helper()
	w, _ := json.Marshal(where)
	out := n.must(200, http.MethodGet, "/classes/"+class+"?limit=1000&where="+url.QueryEscape(string(w)), nil, true, "")
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
