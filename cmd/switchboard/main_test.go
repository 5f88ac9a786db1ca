package main

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// buildBinary builds the real switchboard binary once per test run.
func buildBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "switchboard")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, ".")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// cleanEnv is the test's environment without SWITCHBOARD_* variables, so a
// developer's shell cannot change what the binary sees.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

func TestBinaryServesAndStopsOnSIGTERM(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	port := freePort(t)
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(bin, "serve", "--http", "127.0.0.1:"+strconv.Itoa(port), "--dir", filepath.Join(dir, "data"))
	cmd.Dir = dir
	cmd.Env = cleanEnv("SWITCHBOARD_APP_ID=bintest")
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Kill()
	}()

	base := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(30 * time.Second)
	healthy := false
	for !healthy && time.Now().Before(deadline) {
		select {
		case err := <-exited:
			t.Fatalf("server exited early: %v\nstderr:\n%s", err, stderr.String())
		default:
		}
		resp, err := http.Get(base + "/health")
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			healthy = resp.StatusCode == 200 && string(body) == `{"status":"ok"}`
		}
		if !healthy {
			time.Sleep(50 * time.Millisecond)
		}
	}
	if !healthy {
		t.Fatalf("no healthy /health within 30s\nstderr:\n%s", stderr.String())
	}

	// The API is mounted at /parse (whatever it answers, it is not the
	// shell's plain-text 404).
	resp, err := http.Get(base + "/parse/classes/Anything")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Header.Get("X-Request-Id") == "" || strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain") {
		t.Errorf("/parse not served by the API: %d %v", resp.StatusCode, resp.Header)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v\nstderr:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit within 20s of SIGTERM\nstderr:\n%s", stderr.String())
	}
	if !strings.Contains(stdout.String(), "Generated a master key") {
		t.Errorf("generated master key not announced: %q", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "master.key")); err != nil {
		t.Error(err)
	}
	for _, want := range []string{"switchboard started", "app_id=bintest", "store=sqlite", "switchboard stopped"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, stderr.String())
		}
	}
}

func TestBinaryRejectsBadConfig(t *testing.T) {
	bin := buildBinary(t)
	dir := t.TempDir()
	cfgFile := filepath.Join(dir, "switchboard.yaml")
	if err := os.WriteFile(cfgFile, []byte("appId: x\nmaxLimt: 5\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"bad env value", []string{"serve"}, []string{"SWITCHBOARD_MAX_LIMIT=-3"}, "maxLimit: must be a positive integer, got -3"},
		{"bad flag value", []string{"serve", "--http", "abc"}, nil, `http: invalid listen address "abc"`},
		{"unknown file key", []string{"serve", "--config", cfgFile}, nil, `unknown option "maxLimt"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stderr bytes.Buffer
			cmd := exec.Command(bin, tc.args...)
			cmd.Dir = dir
			cmd.Env = cleanEnv(tc.env...)
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() == 0 {
				t.Fatalf("exit: %v, want non-zero", err)
			}
			if !strings.Contains(stderr.String(), tc.want) {
				t.Errorf("stderr lacks %q:\n%s", tc.want, stderr.String())
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, "sb_data")); !os.IsNotExist(err) {
		t.Errorf("a rejected config still created the data folder: %v", err)
	}
}
