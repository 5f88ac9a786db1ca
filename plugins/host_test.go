package plugins_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/internal/syncbuf"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

func openFiles(t *testing.T, h *plugins.Host, name string) *core.Files {
	t.Helper()
	f, err := core.OpenFiles(context.Background(), "plugin:"+name, core.FilesConfig{Plugins: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// kill -9 in the middle of traffic: calls during the outage fail with a
// clear CodeConnectionFailed within the call timeout, the plugin comes
// back on its own, and later calls succeed.
func TestKillMidTraffic(t *testing.T) {
	if plugins.FirstRestartDelay+plugins.PollInterval > time.Second {
		t.Fatalf("a crash is seen and restarted after up to %v; the first restart must come within 2s with room for the start", plugins.FirstRestartDelay+plugins.PollInterval)
	}
	spec := filesDirSpec(t, "dirstore", t.TempDir())
	spec.Timeout = 2 * time.Second
	logs := &syncbuf.Buffer{}
	h, err := plugins.Start(context.Background(), []plugins.Spec{spec}, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	files := openFiles(t, h, "dirstore")
	ctx := context.Background()
	put := func(name string) error {
		_, err := files.Put(ctx, name, strings.NewReader("hello"), core.PutOptions{Size: 5, ContentType: "text/plain"})
		return err
	}
	if err := put("before.txt"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "files-dir serving") {
		t.Errorf("the plugin's own log line is not in the server's log:\n%s", logs)
	}

	// Traffic: workers put and stat until told to stop, and record the
	// errors and how long each failed call took.
	stop := make(chan struct{})
	var mu sync.Mutex
	var failures []error
	var slowest time.Duration
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				err := put("traffic.txt")
				if err == nil {
					_, err = files.Stat(ctx, "before.txt")
				}
				if err != nil {
					mu.Lock()
					failures = append(failures, err)
					slowest = max(slowest, time.Since(start))
					mu.Unlock()
					time.Sleep(10 * time.Millisecond)
				}
				_ = w
			}
		}()
	}
	time.Sleep(200 * time.Millisecond)
	pid := plugins.PID(h, "dirstore")
	killed := time.Now()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Back: a new process answers.
	var back time.Duration
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := files.Stat(ctx, "before.txt"); err == nil && plugins.PID(h, "dirstore") != pid {
			back = time.Since(killed)
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the plugin did not come back within 30s")
		}
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	t.Logf("back %v after kill -9; %d calls failed during the outage, the slowest failure took %v (timeout %v)", back, len(failures), slowest, spec.Timeout)
	for _, err := range failures {
		var ce *core.Error
		if !errors.As(err, &ce) || ce.Code != core.CodeConnectionFailed || !strings.Contains(ce.Message, `plugin "dirstore"`) {
			t.Errorf("a call during the outage failed with %v; want CodeConnectionFailed naming the plugin", err)
		}
	}
	for i := range 20 {
		if err := put("after.txt"); err != nil {
			t.Fatalf("put %d after the restart: %v", i, err)
		}
	}
	if !strings.Contains(logs.String(), "plugin down, restarting") || !strings.Contains(logs.String(), "plugin restarted") {
		t.Errorf("the crash and restart are not in the log:\n%s", logs)
	}
}

// A plugin that hangs is cut off by the call timeout with an error that
// says so.
func TestHangingPluginTimesOut(t *testing.T) {
	spec := plugintest.AdapterSpec(t, "stuck", "sms", "hang", nil)
	spec.Timeout = 300 * time.Millisecond
	h := plugintest.Start(t, spec)
	sms, err := core.OpenProvider(context.Background(), core.SMSProviders, "plugin:stuck", core.ProviderEnv{Plugins: h})
	if err != nil {
		t.Fatal(err)
	}
	err = sms.Send(context.Background(), core.SMSMessage{To: "+15550100", Text: "hi"})
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Code != core.CodeConnectionFailed || !strings.Contains(ce.Message, "did not answer within 300ms") {
		t.Fatalf("Send to a hung plugin: %v; want CodeConnectionFailed saying it did not answer within the timeout", err)
	}
	// The caller's own deadline wins when it is shorter, and the error
	// wraps the context's.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	err = sms.Send(ctx, core.SMSMessage{To: "+15550100", Text: "hi"})
	if !errors.Is(err, context.DeadlineExceeded) || !core.IsCode(err, core.CodeConnectionFailed) {
		t.Fatalf("Send with a short context: %v; want CodeConnectionFailed wrapping the deadline", err)
	}
}

// A binary whose checksum does not match is refused before it runs.
func TestChecksumMismatchRefused(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "ran")
	spec := filesDirSpec(t, "dirstore", dir)
	good := spec.SHA256
	spec.SHA256 = strings.Repeat("0", 64)
	_, err := plugins.Start(context.Background(), []plugins.Spec{spec}, nil)
	if err == nil {
		t.Fatal("started a plugin whose checksum does not match")
	}
	for _, want := range []string{`plugin "dirstore"`, "refusing to start", good, spec.SHA256, "update sha256"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, statErr := os.Stat(marker); statErr == nil {
		t.Error("the binary ran")
	}
}

// Opening errors say what to fix.
func TestOpenErrors(t *testing.T) {
	h := plugintest.Start(t, filesDirSpec(t, "dirstore", t.TempDir()))
	ctx := context.Background()
	cases := []struct {
		name string
		open func() error
		want string
	}{
		{"unknown plugin", func() error {
			_, err := core.OpenFiles(ctx, "plugin:nope", core.FilesConfig{Plugins: h})
			return err
		}, `unknown plugin "nope" (configured: dirstore)`},
		{"kind not served", func() error {
			_, err := core.OpenProvider(ctx, core.SMSProviders, "plugin:dirstore", core.ProviderEnv{Plugins: h})
			return err
		}, `plugin "dirstore" does not serve the sms contract (switchboard.sms.v1.SMS)`},
		{"no plugins configured", func() error {
			_, err := core.OpenFiles(ctx, "plugin:dirstore", core.FilesConfig{})
			return err
		}, `no plugins are configured: add an entry named "dirstore"`},
		{"options", func() error {
			_, err := core.OpenFiles(ctx, "plugin:dirstore", core.FilesConfig{Plugins: h, Options: map[string]any{"bucket": "x"}})
			return err
		}, "takes no options section (got bucket)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.open(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v; want an error saying %q", err, tc.want)
			}
		})
	}
}

// Close stops the plugin processes, and calls after it fail fast.
func TestCloseStopsPlugins(t *testing.T) {
	h, err := plugins.Start(context.Background(), []plugins.Spec{filesDirSpec(t, "dirstore", t.TempDir())}, nil)
	if err != nil {
		t.Fatal(err)
	}
	files := openFiles(t, h, "dirstore")
	pid := plugins.PID(h, "dirstore")
	if st := h.Status(); len(st) != 1 || st[0].Name != "dirstore" || !st[0].Up || st[0].Since.IsZero() {
		t.Errorf("status of a running plugin: %+v", st)
	}
	if err := h.Close(); err != nil {
		t.Fatal(err)
	}
	if st := h.Status(); len(st) != 1 || st[0].Up || st[0].Down == "" {
		t.Errorf("status after Close: %+v", st)
	}
	for deadline := time.Now().Add(10 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("plugin process %d still runs after Close", pid)
		}
	}
	_, err = files.Stat(context.Background(), "x")
	if !core.IsCode(err, core.CodeConnectionFailed) || !strings.Contains(err.Error(), "stopped") {
		t.Fatalf("Stat after Close: %v; want a fail-fast CodeConnectionFailed", err)
	}
}

// A plugin that stops answering (SIGSTOP: alive but silent) fails its
// health checks and is replaced by a new process.
func TestUnresponsivePluginReplaced(t *testing.T) {
	spec := filesDirSpec(t, "dirstore", t.TempDir())
	spec.Timeout = time.Second
	h := plugintest.Start(t, spec)
	files := openFiles(t, h, "dirstore")
	pid := plugins.PID(h, "dirstore")
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	defer syscall.Kill(pid, syscall.SIGKILL)
	// SIGSTOP lands asynchronously: wait until the process is stopped.
	for deadline := time.Now().Add(10 * time.Second); !stopped(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the plugin process did not stop")
		}
	}
	_, err := files.Stat(context.Background(), "x.txt")
	if !core.IsCode(err, core.CodeConnectionFailed) {
		t.Fatalf("Stat on a stopped plugin: %v; want CodeConnectionFailed", err)
	}
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		_, err := files.Stat(context.Background(), "x.txt")
		if core.IsCode(err, core.CodeObjectNotFound) && plugins.PID(h, "dirstore") != pid {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stopped plugin was not replaced: %v", err)
		}
	}
}

// A plugin gets its own env and PATH, never the server's secrets.
func TestPluginEnvironment(t *testing.T) {
	t.Setenv("SWITCHBOARD_MASTER_KEY", "server-secret")
	spec := plugintest.AdapterSpec(t, "env", "sms", "envcheck", nil)
	spec.Env["PLUGIN_OWN"] = "yes"
	h := plugintest.Start(t, spec)
	sms, err := core.OpenProvider(context.Background(), core.SMSProviders, "plugin:env", core.ProviderEnv{Plugins: h})
	if err != nil {
		t.Fatal(err)
	}
	for name, wantSet := range map[string]bool{"SWITCHBOARD_MASTER_KEY": false, "PLUGIN_OWN": true, "PATH": true} {
		err := sms.Send(context.Background(), core.SMSMessage{To: "+15550100", Text: name})
		if set := core.IsCode(err, core.CodeInvalidValue); set != wantSet {
			t.Errorf("%s set in the plugin: %v, want %v (%v)", name, set, wantSet, err)
		}
	}
}

// stopped reports whether the process is in the stopped state (T).
func stopped(pid int) bool {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses.
	rest := string(raw[strings.LastIndexByte(string(raw), ')')+1:])
	return strings.HasPrefix(strings.TrimSpace(rest), "T")
}
