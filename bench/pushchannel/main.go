// Command pushchannel measures the built-in push channel: N devices
// (default 10,000) connected over WebSocket to a real `switchboard serve`
// on its embedded defaults (SQLite, no push provider configured: the
// built-in channel), then pushes to all of them through POST /push.
//
// For each push it reports the time from the request to the moment the
// last device received the notification (and the median and 99th
// percentile of the devices' delays), whether every device got it exactly
// once, and the server process's resident memory with the N connections
// open: VmRSS and its peak VmHWM, split into the process's own memory
// (RssAnon) and the files mapped into it (RssFile: SQLite maps its
// database, and the binary).
//
//	go run ./bench/pushchannel [-devices 10000] [-pushes 3] [-bin ./switchboard]
//
// The server is the binary built from ./cmd/switchboard (or -bin), in a
// child process, so that its memory is measured alone. Both processes
// raise their open-file limit to the hard limit: N connections need about
// N descriptors on each side.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/switchboardhq/switchboard/internal/syncbuf"

	"github.com/switchboardhq/switchboard/adapters/push/builtin/builtinclient"
)

const (
	appID     = "bench"
	masterKey = "bench-master"
)

func main() {
	devices := flag.Int("devices", 10000, "devices connected to the built-in channel")
	pushes := flag.Int("pushes", 3, "pushes to all of them")
	bin := flag.String("bin", "", "switchboard binary (default: built from ./cmd/switchboard)")
	flag.Parse()
	raiseFileLimit()

	dir, err := os.MkdirTemp("", "pushchannel")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	if *bin == "" {
		*bin = filepath.Join(dir, "switchboard")
		out, err := exec.Command("go", "build", "-o", *bin, "./cmd/switchboard").CombinedOutput()
		if err != nil {
			log.Fatalf("go build: %v\n%s", err, out)
		}
	}
	srv, base := startServer(*bin, filepath.Join(dir, "data"))
	defer func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}()

	start := time.Now()
	installAll(base, *devices)
	log.Printf("%d installations saved in %s", *devices, time.Since(start).Round(time.Millisecond))

	start = time.Now()
	conns := connectAll(base, *devices)
	log.Printf("%d devices connected in %s", len(conns), time.Since(start).Round(time.Millisecond))
	connected := procStatus(srv.Process.Pid)
	log.Printf("server after connecting: %s", goMemory(base))

	for p := range *pushes {
		delays, dup := pushOnce(base, conns, p)
		slices.Sort(delays)
		fmt.Printf("push %d: %d of %d devices reached, all within %s of the request (median %s, p99 %s), %d received twice\n",
			p+1, len(delays), len(conns), delays[len(delays)-1].Round(time.Millisecond), delays[len(delays)/2].Round(time.Millisecond),
			delays[len(delays)*99/100].Round(time.Millisecond), dup)
	}
	after := procStatus(srv.Process.Pid)
	log.Printf("server after the pushes: %s", goMemory(base))
	fmt.Printf("server RSS with %d connections: %.0f MB after connecting (%.0f MB its own, %.0f MB mapped files), %.0f MB after the pushes (%.0f MB its own, %.0f MB mapped files), peak %.0f MB\n",
		len(conns), connected["VmRSS:"], connected["RssAnon:"], connected["RssFile:"], after["VmRSS:"], after["RssAnon:"], after["RssFile:"], after["VmHWM:"])
	for _, c := range conns {
		c.d.Close()
	}
}

// device is one connected device and what it received.
type device struct {
	d    *builtinclient.Device
	got  chan builtinclient.Message
	seen map[string]int
}

func startServer(bin, dir string) (*exec.Cmd, string) {
	cmd := exec.Command(bin, "serve", "--http", "127.0.0.1:0", "--dir", dir)
	cmd.Env = append(os.Environ(), "SWITCHBOARD_APP_ID="+appID, "SWITCHBOARD_MASTER_KEY="+masterKey, "SWITCHBOARD_LOG_LEVEL=warn",
		"SWITCHBOARD_LOG_FORMAT=text", "SWITCHBOARD_MAX_UPLOAD_SIZE=64mb")
	var logBuf syncbuf.Buffer
	cmd.Stdout, cmd.Stderr = &logBuf, &logBuf
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	// The address is logged at info; with warn, find it from /proc.
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if port := listenPort(cmd.Process.Pid); port != 0 {
			base := fmt.Sprintf("http://127.0.0.1:%d", port)
			if resp, err := http.Get(base + "/health"); err == nil {
				resp.Body.Close()
				if resp.StatusCode == 200 {
					return cmd, base + "/parse"
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	log.Fatalf("the server did not start:\n%s", logBuf.String())
	return nil, ""
}

// listenPort finds the TCP port the process listens on, from /proc.
func listenPort(pid int) int {
	inodes := map[string]bool{}
	fds, _ := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	for _, fd := range fds {
		target, _ := os.Readlink(fmt.Sprintf("/proc/%d/fd/%s", pid, fd.Name()))
		if m := regexp.MustCompile(`socket:\[(\d+)\]`).FindStringSubmatch(target); m != nil {
			inodes[m[1]] = true
		}
	}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/net/tcp", pid))
	for _, line := range strings.Split(string(data), "\n")[1:] {
		f := strings.Fields(line)
		if len(f) > 9 && f[3] == "0A" && inodes[f[9]] { // 0A: LISTEN
			_, port, _ := strings.Cut(f[1], ":")
			n, _ := strconv.ParseInt(port, 16, 32)
			return int(n)
		}
	}
	return 0
}

func call(method, url string, body any) (*http.Response, []byte) {
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, url, bytes.NewReader(b))
	req.Header.Set("X-Parse-Application-Id", appID)
	req.Header.Set("X-Parse-Master-Key", masterKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp, raw
}

func installAll(base string, n int) {
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for i := 0; i < n; i += 50 {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			var reqs []any
			for k := i; k < min(i+50, n); k++ {
				reqs = append(reqs, map[string]any{"method": "POST", "path": "/parse/installations",
					"body": map[string]any{"installationId": installationID(k), "deviceType": "web", "channels": []any{"bench"}}})
			}
			resp, raw := call(http.MethodPost, base+"/batch", map[string]any{"requests": reqs})
			if resp.StatusCode != 200 || bytes.Contains(raw, []byte(`"error"`)) {
				log.Fatalf("batch: %s %s", resp.Status, raw)
			}
		})
	}
	wg.Wait()
}

func installationID(i int) string { return fmt.Sprintf("bench-device-%06d", i) }

func connectAll(base string, n int) []*device {
	out := make([]*device, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 64)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			d, err := builtinclient.Dial(ctx, base, builtinclient.Credentials{ApplicationID: appID, InstallationID: installationID(i)})
			if err != nil {
				log.Fatalf("device %d: %v", i, err)
			}
			dev := &device{d: d, got: make(chan builtinclient.Message, 16), seen: map[string]int{}}
			go func() {
				for {
					m, err := d.Next(context.Background())
					if err != nil {
						return
					}
					_ = d.Ack(context.Background(), m.ID)
					dev.got <- m
				}
			}()
			out[i] = dev
		})
	}
	wg.Wait()
	return out
}

// pushOnce sends one push to every device and returns each device's delay
// from the request, and how many devices got it more than once.
func pushOnce(base string, conns []*device, n int) ([]time.Duration, int) {
	alert := fmt.Sprintf("bench push %d", n)
	start := time.Now()
	resp, raw := call(http.MethodPost, base+"/push", map[string]any{"channels": []any{"bench"}, "data": map[string]any{"alert": alert}})
	if resp.StatusCode != 200 {
		log.Fatalf("POST /push: %s %s", resp.Status, raw)
	}
	delays := make([]time.Duration, len(conns))
	var wg sync.WaitGroup
	var mu sync.Mutex
	dup := 0
	for i, c := range conns {
		wg.Go(func() {
			timeout := time.After(60 * time.Second)
			for {
				select {
				case m := <-c.got:
					if m.Data["alert"] != alert {
						continue
					}
					c.seen[m.PushID]++
					if c.seen[m.PushID] > 1 {
						mu.Lock()
						dup++
						mu.Unlock()
						continue
					}
					delays[i] = time.Since(start)
					return
				case <-timeout:
					log.Fatalf("device %d: no push within 60s", i)
				}
			}
		})
	}
	wg.Wait()
	time.Sleep(500 * time.Millisecond) // late duplicates, if any
	for _, c := range conns {
	drain:
		for {
			select {
			case m := <-c.got:
				if m.Data["alert"] == alert {
					dup++
				}
			default:
				break drain
			}
		}
	}
	return delays, dup
}

// goMemory reads the server's Go memory figures from /metrics.
func goMemory(base string) string {
	resp, err := http.Get(strings.TrimSuffix(base, "/parse") + "/metrics")
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var parts []string
	for _, line := range strings.Split(string(raw), "\n") {
		for _, m := range []string{"go_goroutines", "go_memstats_heap_inuse_bytes", "go_memstats_stack_inuse_bytes", "go_memstats_sys_bytes"} {
			if v, ok := strings.CutPrefix(line, m+" "); ok {
				f, _ := strconv.ParseFloat(v, 64)
				if m != "go_goroutines" {
					v = fmt.Sprintf("%.0fMB", f/(1<<20))
				}
				parts = append(parts, strings.TrimPrefix(strings.TrimPrefix(m, "go_memstats_"), "go_")+"="+v)
			}
		}
	}
	return strings.Join(parts, " ")
}

// procStatus returns a process's memory figures in MB: VmRSS, VmHWM (its
// peak), RssAnon (its own memory) and RssFile (files mapped into it:
// SQLite's database and the binary itself).
func procStatus(pid int) map[string]float64 {
	out := map[string]float64{}
	data, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	for _, line := range strings.Split(string(data), "\n") {
		field, rest, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		if kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64); err == nil {
			out[field+":"] = kb / 1024
		}
	}
	return out
}

func raiseFileLimit() {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err == nil && l.Cur < l.Max {
		l.Cur = l.Max
		_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}
