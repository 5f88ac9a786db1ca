package plugins_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/switchboardhq/switchboard/adapters/files/filestest"
	_ "github.com/switchboardhq/switchboard/adapters/files/local"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/plugins"
	"github.com/switchboardhq/switchboard/plugins/plugintest"
)

// Per-call overhead and streaming throughput of a plugin provider against
// the same provider in process:
//
//	go test ./plugins -run XXX -bench . -benchtime 2s
//
// Numbers are reported, never asserted.

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func startQuiet(b *testing.B, specs ...plugins.Spec) *plugins.Host {
	h, err := plugins.Start(context.Background(), specs, quiet)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = h.Close() })
	return h
}

// benchFiles opens the local provider in process and the files-dir plugin
// on separate folders.
func benchFiles(b *testing.B) map[string]*core.Files {
	files, _ := benchFilesHost(b)
	return files
}

func benchFilesHost(b *testing.B) (map[string]*core.Files, *plugins.Host) {
	ctx := context.Background()
	local, err := core.OpenFiles(ctx, "local", core.FilesConfig{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	h := startQuiet(b, filesDirSpec(b, "dirstore", b.TempDir()))
	plugin, err := core.OpenFiles(ctx, "plugin:dirstore", core.FilesConfig{Plugins: h})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { local.Close(); plugin.Close() })
	return map[string]*core.Files{"in-process": local, "plugin": plugin}, h
}

type noopSMS struct{}

func (noopSMS) Send(context.Context, core.SMSMessage) error { return nil }

// BenchmarkCallOverhead: one unary call that does nothing (sms Send), and
// a files Stat, in process and through the plugin.
func BenchmarkCallOverhead(b *testing.B) {
	ctx := context.Background()
	h := startQuiet(b, plugintest.AdapterSpec(b, "noop", "sms", "noop", nil))
	viaPlugin, err := core.OpenProvider(ctx, core.SMSProviders, "plugin:noop", core.ProviderEnv{Plugins: h})
	if err != nil {
		b.Fatal(err)
	}
	msg := core.SMSMessage{To: "+15550100", Purpose: "login", Text: "Your code is 123456", Params: map[string]string{"code": "123456"}}
	for name, s := range map[string]core.SMSSender{"sms-send/in-process": noopSMS{}, "sms-send/plugin": viaPlugin} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if err := s.Send(ctx, msg); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for name, f := range benchFiles(b) {
		if _, err := f.Put(ctx, "stat.txt", strings.NewReader("x"), core.PutOptions{Size: 1, ContentType: "text/plain"}); err != nil {
			b.Fatal(err)
		}
		b.Run("files-stat/"+name, func(b *testing.B) {
			for b.Loop() {
				if _, err := f.Stat(ctx, "stat.txt"); err != nil {
					b.Fatal(err)
				}
			}
		})
		body := filestest.Body(1, 4096)
		b.Run("files-put-4KiB/"+name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := f.Put(ctx, "small.bin", bytes.NewReader(body), core.PutOptions{Size: int64(len(body)), ContentType: "application/octet-stream"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkStream: one Put and one Get of a 64 MiB file per operation.
// The plugin process's peak RSS is reported as plugin-peak-MB.
func BenchmarkStream(b *testing.B) {
	const size = 64 << 20
	ctx := context.Background()
	files, h := benchFilesHost(b)
	for name, f := range files {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(2 * size)
			for b.Loop() {
				src := filestest.NewGeneratedReader(3, size)
				if _, err := f.Put(ctx, "big.bin", src, core.PutOptions{Size: size, ContentType: "application/octet-stream"}); err != nil {
					b.Fatal(err)
				}
				rc, _, err := f.Get(ctx, "big.bin", nil)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, rc)
				rc.Close()
				if err != nil || n != size {
					b.Fatalf("read %d bytes: %v", n, err)
				}
			}
			if name == "plugin" {
				rss, err := peakRSS(plugins.PID(h, "dirstore"))
				if err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(rss>>20), "plugin-peak-MB")
			}
		})
	}
}

// peakRSS is a process's VmHWM in bytes.
func peakRSS(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmHWM for %d", pid)
}
