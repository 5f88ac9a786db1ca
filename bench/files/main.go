// Command files measures uploads and downloads of one large file through
// the whole server, `switchboard serve` on its embedded defaults (SQLite,
// the local files provider in its data folder) over real HTTP, against a
// plain `cp` of the same file on the same disk, in the same run, and
// reports the server process's peak resident memory (VmHWM).
//
//	go run ./bench/files -size 1GiB -dir /var/tmp/sbbench
//
// It builds ./cmd/switchboard unless -bin names a binary. It exits
// non-zero when the server's peak RSS is over -max-rss (default 100 MB)
// or the downloaded file differs from the source. The upload includes the
// provider's fsync; so that the comparison is fair the cp figure is
// reported with and without a following sync.
package main

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/switchboardhq/switchboard/bench/internal/benchkit"
)

func main() {
	size := flag.String("size", "1GiB", "file size (bytes, or with KiB, MiB, GiB)")
	dir := flag.String("dir", "", "where to make the working folder, on the disk to measure (default: the current folder)")
	maxRSS := flag.Int64("max-rss", 100, "fail when the server's peak RSS is over this many MB")
	bin := flag.String("bin", "", "switchboard binary (default: build ./cmd/switchboard)")
	viaPlugin := flag.Bool("plugin", false, "store through the files-dir example plugin (files: plugin:dirstore) instead of the built-in local provider, and report the plugin process's peak RSS too")
	flag.Parse()
	n, err := parseSize(*size)
	if err != nil {
		fail(err)
	}
	work, binary, err := benchkit.Prepare(*dir, "files-bench-", *bin)
	if work != "" {
		defer os.RemoveAll(work)
	}
	if err != nil {
		fail(err)
	}
	*bin = binary
	if *viaPlugin {
		pluginConfig = filepath.Join(work, "plugin.yaml")
		if err := writePluginConfig(work, pluginConfig); err != nil {
			fail(err)
		}
	}
	if err := run(*bin, work, n, *maxRSS); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "files bench:", err)
	os.Exit(1)
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for suffix, m := range map[string]int64{"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30} {
		if v, ok := strings.CutSuffix(s, suffix); ok {
			s, mult = v, m
		}
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v <= 0 {
		return 0, fmt.Errorf("bad -size %q", s)
	}
	return v * mult, nil
}

func run(bin, work string, size int64, maxRSSMB int64) error {
	src := filepath.Join(work, "source.bin")
	fmt.Printf("generating %d MiB in %s\n", size>>20, work)
	want, err := generate(src, size)
	if err != nil {
		return err
	}

	cpTime, err := timed(func() error { return exec.Command("cp", src, filepath.Join(work, "cp.bin")).Run() })
	if err != nil {
		return fmt.Errorf("cp: %w", err)
	}
	cpSyncTime, err := timed(func() error {
		if err := exec.Command("cp", src, filepath.Join(work, "cp2.bin")).Run(); err != nil {
			return err
		}
		return exec.Command("sync").Run()
	})
	if err != nil {
		return fmt.Errorf("cp+sync: %w", err)
	}
	os.Remove(filepath.Join(work, "cp.bin"))
	os.Remove(filepath.Join(work, "cp2.bin"))

	srv, err := startServer(bin, work, size)
	if err != nil {
		return err
	}
	defer srv.stop()

	var url string
	upTime, err := timed(func() error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		req, _ := http.NewRequest(http.MethodPost, srv.base+"/files/big.bin", f)
		req.ContentLength = size
		req.Header.Set("X-Parse-Application-Id", "bench")
		req.Header.Set("X-Parse-Master-Key", "bench-master-key")
		req.Header.Set("Content-Type", "application/octet-stream")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusCreated {
			return fmt.Errorf("upload: %d %s", resp.StatusCode, b)
		}
		url = resp.Header.Get("Location")
		return nil
	})
	if err != nil {
		return err
	}
	var got [32]byte
	downTime, err := timed(func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("download: %d", resp.StatusCode)
		}
		out, err := os.Create(filepath.Join(work, "download.bin"))
		if err != nil {
			return err
		}
		defer out.Close()
		sum := sha256.New()
		if _, err := io.Copy(io.MultiWriter(out, sum), resp.Body); err != nil {
			return err
		}
		copy(got[:], sum.Sum(nil))
		return out.Sync()
	})
	if err != nil {
		return err
	}
	rss, err := peakRSS(srv.cmd.Process.Pid)
	if err != nil {
		return err
	}
	var pluginRSS int64
	if pluginConfig != "" {
		if pluginRSS, err = childrenPeakRSS(srv.cmd.Process.Pid); err != nil {
			return err
		}
	}
	rate := func(d time.Duration) float64 { return float64(size) / (1 << 20) / d.Seconds() }
	fmt.Printf("%-36s %8s %10s\n", "", "seconds", "MiB/s")
	fmt.Printf("%-36s %8.2f %10.0f\n", "cp", cpTime.Seconds(), rate(cpTime))
	fmt.Printf("%-36s %8.2f %10.0f\n", "cp + sync", cpSyncTime.Seconds(), rate(cpSyncTime))
	fmt.Printf("%-36s %8.2f %10.0f\n", "upload (POST /parse/files, fsync)", upTime.Seconds(), rate(upTime))
	fmt.Printf("%-36s %8.2f %10.0f\n", "download (GET /parse/files, fsync)", downTime.Seconds(), rate(downTime))
	fmt.Printf("peak RSS of the server process (VmHWM): %d MB (limit %d MB)\n", rss>>20, maxRSSMB)
	if pluginConfig != "" {
		fmt.Printf("peak RSS of the files plugin process (VmHWM): %d MB (limit %d MB)\n", pluginRSS>>20, maxRSSMB)
		if pluginRSS>>20 > maxRSSMB {
			return fmt.Errorf("the plugin's peak RSS %d MB is over %d MB", pluginRSS>>20, maxRSSMB)
		}
	}
	if got != want {
		return errors.New("the downloaded file differs from the source")
	}
	if rss>>20 > maxRSSMB {
		return fmt.Errorf("peak RSS %d MB is over %d MB", rss>>20, maxRSSMB)
	}
	fmt.Println("ok: content verified, server memory within the limit")
	return nil
}

type server struct {
	cmd  *exec.Cmd
	base string
	log  *bytes.Buffer
}

// startServer runs `switchboard serve` on a free port with its data folder
// in work, and waits for /health.
func startServer(bin, work string, size int64) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "SWITCHBOARD_") {
			env = append(env, kv)
		}
	}
	env = append(env, "SWITCHBOARD_APP_ID=bench", "SWITCHBOARD_MASTER_KEY=bench-master-key",
		"SWITCHBOARD_MAX_UPLOAD_SIZE="+strconv.FormatInt(2*size, 10), "SWITCHBOARD_LOG_LEVEL=warn")
	s := &server{base: "http://" + addr + "/parse", log: &bytes.Buffer{}}
	args := []string{"serve", "--http", addr, "--dir", filepath.Join(work, "data")}
	if pluginConfig != "" {
		args = append(args, "--config", pluginConfig)
	}
	s.cmd = exec.Command(bin, args...)
	s.cmd.Env, s.cmd.Stdout, s.cmd.Stderr = env, s.log, s.log
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + addr + "/health"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	return nil, fmt.Errorf("the server did not start:\n%s", s.log)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

func timed(fn func() error) (time.Duration, error) {
	start := time.Now()
	err := fn()
	return time.Since(start), err
}

// generate writes size pseudo-random bytes (so no layer can compress
// them) and returns their SHA-256.
func generate(path string, size int64) ([32]byte, error) {
	f, err := os.Create(path)
	if err != nil {
		return [32]byte{}, err
	}
	defer f.Close()
	r := rand.New(rand.NewPCG(1, 2))
	buf := make([]byte, 1<<20)
	sum := sha256.New()
	for left := size; left > 0; {
		n := min(int64(len(buf)), left)
		for i := int64(0); i < n; i += 8 {
			v := r.Uint64()
			for j := int64(0); j < 8 && i+j < n; j++ {
				buf[i+j] = byte(v >> (8 * j))
			}
		}
		f.Write(buf[:n])
		sum.Write(buf[:n])
		left -= n
	}
	var out [32]byte
	copy(out[:], sum.Sum(nil))
	return out, f.Sync()
}

// peakRSS reads VmHWM, the peak resident set of process pid, from /proc.
func peakRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10, err
		}
	}
	return 0, errors.New("no VmHWM in /proc/PID/status")
}

// pluginConfig is the config file that sends files through the files-dir
// plugin ("" without -plugin).
var pluginConfig string

// writePluginConfig builds the files-dir example into work and writes a
// config that stores files through it, in work/plugin-files.
func writePluginConfig(work, config string) error {
	bin := filepath.Join(work, "files-dir")
	if out, err := exec.Command("go", "build", "-o", bin, "./plugins/examples/files-dir").CombinedOutput(); err != nil {
		return fmt.Errorf("building the files-dir plugin: %v\n%s", err, out)
	}
	f, err := os.Open(bin)
	if err != nil {
		return err
	}
	defer f.Close()
	sum := sha256.New()
	if _, err := io.Copy(sum, f); err != nil {
		return err
	}
	yaml := fmt.Sprintf("plugins:\n  - name: dirstore\n    path: %q\n    sha256: %x\n    args: [\"-dir\", %q]\nfiles:\n  provider: plugin:dirstore\n",
		bin, sum.Sum(nil), filepath.Join(work, "plugin-files"))
	return os.WriteFile(config, []byte(yaml), 0o600)
}

// childrenPeakRSS is the largest VmHWM among pid's child processes (the
// plugin), whichever of its threads started them.
func childrenPeakRSS(pid int) (int64, error) {
	lists, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil {
		return 0, err
	}
	var children []string
	for _, list := range lists {
		raw, _ := os.ReadFile(list)
		children = append(children, strings.Fields(string(raw))...)
	}
	var most int64
	for _, child := range children {
		n, err := strconv.Atoi(child)
		if err != nil {
			continue
		}
		if rss, err := peakRSS(n); err == nil {
			most = max(most, rss)
		}
	}
	if most == 0 {
		return 0, errors.New("no plugin process found under the server")
	}
	return most, nil
}
