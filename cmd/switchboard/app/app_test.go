package app

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	_ "github.com/switchboardhq/switchboard/adapters/auth/anonymous"
	_ "github.com/switchboardhq/switchboard/adapters/mail/log"
	_ "github.com/switchboardhq/switchboard/adapters/sms/log"
	"github.com/switchboardhq/switchboard/core"
)

// nopStore is just enough of a store for the App to start: no classes.
type nopStore struct{ core.Store }

func (nopStore) Schemas(context.Context) ([]*core.Class, error) { return nil, nil }
func (nopStore) Close() error                                   { return nil }

func init() {
	core.Stores.Register("apptest", func(ctx context.Context, cfg core.StoreConfig) (core.Store, error) {
		return nopStore{}, nil
	})
}

func TestCommands(t *testing.T) {
	tests := []struct {
		name        string
		args, env   []string
		code        int
		out, errOut string
	}{
		{"no command", nil, nil, exitUsage, "", "Usage:"},
		{"help", []string{"help"}, nil, exitOK, "switchboard serve [--config FILE]", ""},
		{"version", []string{"version"}, nil, exitOK, "switchboard ", ""},
		{"unknown command", []string{"srve"}, nil, exitUsage, "", `unknown command "srve"`},
		{"unknown flag", []string{"serve", "--htp", ":1"}, nil, exitUsage, "", "flag provided but not defined: -htp"},
		{"extra argument", []string{"serve", "x"}, nil, exitUsage, "", `unexpected argument "x"`},
		{"migrate extra argument", []string{"migrate", "x"}, nil, exitUsage, "", `switchboard migrate: unexpected argument "x"`},
		{"migrate has no --http", []string{"migrate", "--http", ":1"}, nil, exitUsage, "", "flag provided but not defined: -http"},
		{"migrate bad config", []string{"migrate"}, []string{"SWITCHBOARD_JOBS__CLEANUP_SCHEDULE=hourly"}, exitFailure, "", "jobs.cleanupSchedule: must be a five-field cron schedule"},
		{"bad env value", []string{"serve"}, []string{"SWITCHBOARD_MAX_LIMIT=-3"}, exitFailure, "", "maxLimit: must be a positive integer, got -3"},
		{"unknown env var", []string{"serve"}, []string{"SWITCHBOARD_MAX_LIMT=3"}, exitFailure, "", "SWITCHBOARD_MAX_LIMT matches no option"},
		{"bad flag value", []string{"serve", "--http", "abc"}, nil, exitFailure, "", `http: invalid listen address "abc"`},
		{"missing config file", []string{"serve", "--config", "/nonexistent.yaml"}, nil, exitFailure, "", "reading config"},
		{"unknown store", []string{"serve", "--http", "127.0.0.1:0", "--dir", "DIR"}, []string{"SWITCHBOARD_STORE__PROVIDER=nosuch"}, exitFailure, "", `unknown store provider \"nosuch\"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for i, a := range tc.args {
				if a == "DIR" {
					tc.args[i] = t.TempDir()
				}
			}
			var out, errOut bytes.Buffer
			code := Run(context.Background(), tc.args, tc.env, &out, &errOut)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr: %s", code, tc.code, errOut.String())
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Errorf("stdout %q lacks %q", out.String(), tc.out)
			}
			if !strings.Contains(errOut.String(), tc.errOut) {
				t.Errorf("stderr %q lacks %q", errOut.String(), tc.errOut)
			}
		})
	}
}

type logFile struct{ *os.File }

func tempFile(t *testing.T) logFile {
	f, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return logFile{f}
}

func (f logFile) text() string {
	b, _ := os.ReadFile(f.Name())
	return string(b)
}

var addrRE = regexp.MustCompile(`address=(127\.0\.0\.1:\d+)`)

// serveOnce runs serve until /health answers, then stops it.
func serveOnce(t *testing.T, dir string, env []string) (stdout string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// Files take concurrent writes while the test reads them.
	out, errOut := tempFile(t), tempFile(t)
	done := make(chan int, 1)
	env = append([]string{"SWITCHBOARD_STORE__PROVIDER=apptest", "SWITCHBOARD_JOBS__PROVIDER=none"}, env...)
	go func() {
		done <- Run(ctx, []string{"serve", "--http", "127.0.0.1:0", "--dir", dir}, env, out, errOut)
	}()
	var addr string
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		if m := addrRE.FindStringSubmatch(errOut.text()); m != nil {
			addr = m[1]
		}
		select {
		case code := <-done:
			t.Fatalf("serve exited %d: %s", code, errOut.text())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no start-up log: %s", errOut.text())
		}
	}
	resp, err := http.Get("http://" + addr + "/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"status":"ok"}` {
		t.Errorf("health = %d %s", resp.StatusCode, body)
	}
	for _, want := range []string{"mount_path=/parse", "app_id=switchboard", "store=apptest", "data_dir="} {
		if !strings.Contains(errOut.text(), want) {
			t.Errorf("start-up log lacks %s: %s", want, errOut.text())
		}
	}
	cancel()
	select {
	case code := <-done:
		if code != exitOK {
			t.Errorf("exit %d after shutdown: %s", code, errOut.text())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop")
	}
	return out.text()
}

func TestServeGeneratesMasterKeyOnce(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sb_data") // created by serve
	first := serveOnce(t, dir, nil)
	keyPath := filepath.Join(dir, MasterKeyFile)
	data, err := os.ReadFile(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key := strings.TrimSpace(string(data))
	if len(key) < 32 || !strings.Contains(first, key) {
		t.Errorf("key %q not printed: %q", key, first)
	}
	if fi, _ := os.Stat(keyPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("master.key mode %v", fi.Mode().Perm())
	}
	if second := serveOnce(t, dir, nil); strings.Contains(second, key) || strings.Contains(second, "Generated") {
		t.Errorf("key printed again: %q", second)
	}
	if again, _ := os.ReadFile(keyPath); string(again) != string(data) {
		t.Error("key changed between runs")
	}
	// A configured key is used as is and nothing is generated.
	dir2 := t.TempDir()
	if out := serveOnce(t, dir2, []string{"SWITCHBOARD_MASTER_KEY=mine"}); strings.Contains(out, "Generated") {
		t.Errorf("generated despite a configured key: %q", out)
	}
	if _, err := os.Stat(filepath.Join(dir2, MasterKeyFile)); !os.IsNotExist(err) {
		t.Errorf("master.key written despite a configured key: %v", err)
	}
}

func TestLoadOrCreateMasterKey(t *testing.T) {
	dir := t.TempDir()
	k1, created, err := LoadOrCreateMasterKey(dir)
	if err != nil || !created {
		t.Fatalf("first: %q %v %v", k1, created, err)
	}
	k2, created, err := LoadOrCreateMasterKey(dir)
	if err != nil || created || k2 != k1 {
		t.Fatalf("second: %q %v %v", k2, created, err)
	}
	if err := os.WriteFile(filepath.Join(dir, MasterKeyFile), []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadOrCreateMasterKey(dir); err == nil || !strings.Contains(err.Error(), "is empty") {
		t.Errorf("empty file: %v", err)
	}
}
