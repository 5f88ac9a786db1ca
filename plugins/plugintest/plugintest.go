// Package plugintest builds and starts plugins for tests: the examples and
// the adapter plugin, as real processes, and registers plugin-backed
// providers so that each kind's conformance suite runs against them.
package plugintest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins"
)

// AdapterPlugin is the import path of the plugin that serves an in-process
// provider out of process (see adapterplugin).
const AdapterPlugin = "github.com/switchboardhq/switchboard/plugins/plugintest/adapterplugin"

var (
	buildMu  sync.Mutex
	builtDir string
	built    = map[string]string{}
)

// Build compiles the main package pkg once per test binary and returns the
// executable's path and SHA-256.
func Build(t testing.TB, pkg string) (path, sum string) {
	t.Helper()
	buildMu.Lock()
	defer buildMu.Unlock()
	if p, ok := built[pkg]; ok {
		return p, SHA256(t, p)
	}
	if builtDir == "" {
		dir, err := os.MkdirTemp("", "switchboard-plugins-")
		if err != nil {
			t.Fatal(err)
		}
		builtDir = dir
	}
	out := filepath.Join(builtDir, filepath.Base(pkg))
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
	built[pkg] = out
	return out, SHA256(t, out)
}

// Cleanup removes what Build compiled (a later Build compiles again); call
// it from TestMain, or with t.Cleanup in a package without one.
func Cleanup() {
	adapterHosts.Range(func(h, _ any) bool {
		_ = h.(*plugins.Host).Close()
		adapterHosts.Delete(h)
		return true
	})
	buildMu.Lock()
	defer buildMu.Unlock()
	if builtDir != "" {
		_ = os.RemoveAll(builtDir)
	}
	builtDir, built = "", map[string]string{}
}

// SHA256 is the file's SHA-256 in hex.
func SHA256(t testing.TB, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Start starts a Host with specs, stopped when the test ends.
func Start(t testing.TB, specs ...plugins.Spec) *plugins.Host {
	t.Helper()
	h, err := plugins.Start(context.Background(), specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = h.Close() })
	return h
}

// AdapterSpec is a spec of the adapter plugin serving provider of kind
// with options, under the plugin name name.
func AdapterSpec(t testing.TB, name, kind, provider string, options map[string]any) plugins.Spec {
	t.Helper()
	path, sum := Build(t, AdapterPlugin)
	raw, err := json.Marshal(options)
	if err != nil {
		t.Fatal(err)
	}
	return plugins.Spec{Name: name, Path: path, SHA256: sum, Timeout: 10 * time.Second, Env: map[string]string{
		"SB_PLUGIN_KIND": kind, "SB_PLUGIN_PROVIDER": provider, "SB_PLUGIN_OPTIONS": string(raw), "SB_PLUGIN_DIR": os.TempDir(),
	}}
}

var (
	registered   sync.Map
	adapterHosts sync.Map // *plugins.Host started by adapter opens
)

// RegisterAdapter registers, once, a provider of kind named
// "plugin-test-PROVIDER" that runs the in-process provider out of process:
// each open starts the adapter plugin with the open's options (a fresh
// process per open, stopped when the provider closes) and returns the
// plugin-backed provider. The conformance suites of the kind run against
// it by that name.
func RegisterAdapter(t testing.TB, kind, provider string) string {
	t.Helper()
	Build(t, AdapterPlugin) // fail here, not inside an open
	return RegisterPlugin(t, kind, "plugin-test-"+provider, func(options map[string]any) (plugins.Spec, error) {
		return AdapterSpec(t, "adapter", kind, provider, options), nil
	})
}

// RegisterPlugin registers, once, a provider of kind named name whose
// every open starts the plugin specFor returns for the open's options (a
// fresh process per open, stopped when the provider closes), for running
// a conformance suite against a plugin. specFor decodes the options
// itself, strictly.
func RegisterPlugin(t testing.TB, kind, name string, specFor func(options map[string]any) (plugins.Spec, error)) string {
	t.Helper()
	if _, dup := registered.LoadOrStore(kind+"/"+name, true); dup {
		return name
	}
	switch kind {
	case plugins.KindPush:
		core.PushProviders.Register(name, pluginOpen[core.PushSender](kind, specFor))
	case plugins.KindSMS:
		core.SMSProviders.Register(name, pluginOpen[core.SMSSender](kind, specFor))
	case plugins.KindMail:
		core.MailProviders.Register(name, pluginOpen[core.Mailer](kind, specFor))
	case plugins.KindFiles:
		core.FileProviders.Register(name, pluginOpen[core.FileDriver](kind, specFor))
	default:
		t.Fatalf("plugintest: unknown kind %q", kind)
	}
	return name
}

func pluginOpen[T any](kind string, specFor func(map[string]any) (plugins.Spec, error)) core.OpenFunc[T] {
	return func(ctx context.Context, env core.ProviderEnv) (T, error) {
		var zero T
		spec, err := specFor(env.Options)
		if err != nil {
			return zero, err
		}
		h, err := plugins.Start(ctx, []plugins.Spec{spec}, env.Logger)
		if err != nil {
			return zero, err
		}
		// The suites do not close every provider (an sms sender has no
		// Close): Cleanup stops what is left.
		adapterHosts.Store(h, true)
		p, err := h.OpenPlugin(ctx, kind, spec.Name, env)
		if err != nil {
			_ = h.Close()
			return zero, err
		}
		if v, ok := p.(core.Validator); ok {
			if err := v.Validate(ctx); err != nil {
				_ = h.Close()
				return zero, err
			}
		}
		return withHost(p, h).(T), nil
	}
}

// withHost makes closing the provider stop its host too.
func withHost(p any, h *plugins.Host) any {
	switch v := p.(type) {
	case core.PushSender:
		return &pushWithHost{v, h}
	case core.FileDriver:
		return &filesWithHost{v, h}
	case core.SMSSender:
		return &smsWithHost{v, h}
	case core.Mailer:
		return &mailWithHost{v, h}
	}
	panic(fmt.Sprintf("plugintest: %T", p))
}

type pushWithHost struct {
	core.PushSender
	h *plugins.Host
}

func (p *pushWithHost) Close() error { _ = p.PushSender.Close(); return p.h.Close() }

type filesWithHost struct {
	core.FileDriver
	h *plugins.Host
}

func (p *filesWithHost) Close() error { _ = p.FileDriver.Close(); return p.h.Close() }

type smsWithHost struct {
	core.SMSSender
	h *plugins.Host
}

func (p *smsWithHost) Close() error { return p.h.Close() }

type mailWithHost struct {
	core.Mailer
	h *plugins.Host
}

func (p *mailWithHost) Close() error { return p.h.Close() }

// Contains reports whether s contains every one of subs (for messages).
func Contains(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// NodeSMSPlugin returns a spec of the Node.js sms example
// (plugins/examples/sms-node) delivering to webhook. It needs node and the
// example's node_modules (`npm ci` in its folder; make test does it): the
// test is skipped without them, and fails under CI=true.
func NodeSMSPlugin(t testing.TB, name, webhook string) plugins.Spec {
	t.Helper()
	dir := filepath.Join(moduleRoot(t), "plugins", "examples", "sms-node")
	missing := ""
	if _, err := exec.LookPath("node"); err != nil {
		missing = "node is not installed"
	} else if _, err := os.Stat(filepath.Join(dir, "node_modules", "@grpc", "grpc-js")); err != nil {
		missing = "run npm ci in " + dir
	}
	if missing != "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the Node.js plugin cannot run: %s", missing)
		}
		t.Skipf("the Node.js plugin cannot run: %s", missing)
	}
	path := filepath.Join(dir, "plugin.js")
	return plugins.Spec{Name: name, Path: path, SHA256: SHA256(t, path), Timeout: 10 * time.Second, Env: map[string]string{"SMS_WEBHOOK_URL": webhook}}
}

// moduleRoot is the folder of go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Dir(strings.TrimSpace(string(out)))
}
