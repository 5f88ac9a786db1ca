// Command livequery measures LiveQuery on one node:
//
//   - fan-out: N subscribers (default 10,000) on their own WebSockets, one
//     write that matches all of them; the delay from the write to each
//     event, p50/p99/max over several writes, and whether every event came;
//   - the server's resident memory with the N connections open;
//   - one subscriber alone: the delay from a write to its event, p50/p99.
//
// The server runs in a child process (this program started again with
// LQBENCH_SERVER set) so that its memory is measured alone: an App on
// SQLite, the REST API and LiveQuery on the same port, as the binary
// mounts them. Until the request pipeline publishes change events, the
// child publishes one per created or updated object after the REST write,
// as the pipeline will (after commit, with the stored object).
//
//	go run ./bench/livequery [-subscribers 10000] [-writes 5] [-single 200]
//
// Each process raises its open-file limit to the hard limit; 10,000
// connections need about 10,100 descriptors on each side.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/livequery"
	"github.com/switchboardhq/switchboard/core/server"
)

const (
	appID     = "bench"
	masterKey = "bench-master"
)

func main() {
	if os.Getenv("LQBENCH_SERVER") != "" {
		runServer()
		return
	}
	subscribers := flag.Int("subscribers", 10_000, "subscribers for the fan-out")
	writes := flag.Int("writes", 5, "writes that match every subscriber")
	single := flag.Int("single", 200, "writes measured with one subscriber")
	profile := flag.String("profile", "", "write the server's CPU profile during the fan-out to this file")
	flag.Parse()
	raiseFileLimit()

	srv, base := startServer()
	defer srv.stop()
	fmt.Printf("server pid %d at %s; RSS at start %s\n", srv.cmd.Process.Pid, base, mib(rss(srv.cmd.Process.Pid)))

	// Fan-out.
	start := time.Now()
	clients := connectMany(base, *subscribers, "Fan")
	fmt.Printf("%d subscribers connected and subscribed in %v\n", len(clients), time.Since(start).Round(time.Millisecond))
	time.Sleep(2 * time.Second) // let the server settle before reading its memory
	fmt.Printf("server RSS with %d open subscribed connections: %s\n", len(clients), mib(rss(srv.cmd.Process.Pid)))
	if *profile != "" {
		saveProfile(strings.TrimSuffix(base, "/parse")+"/debug/pprof/heap", *profile+".heap")
		saveProfile(strings.TrimSuffix(base, "/parse")+"/debug/pprof/heap?debug=1", *profile+".memstats")
		saveProfile(strings.TrimSuffix(base, "/parse")+"/debug/pprof/goroutine?debug=1", *profile+".goroutines")
	}

	var profiled sync.WaitGroup
	if *profile != "" {
		profiled.Add(1)
		go func() {
			defer profiled.Done()
			saveProfile(strings.TrimSuffix(base, "/parse")+"/debug/pprof/profile?seconds=4", *profile)
		}()
	}
	var all []time.Duration
	for w := range *writes {
		lat, missing := fanOut(base, clients, w)
		slices.Sort(lat)
		fmt.Printf("write %d: %d/%d events, p50 %v p99 %v max %v\n", w+1, len(lat), len(clients), pct(lat, 50), pct(lat, 99), lat[len(lat)-1])
		if missing > 0 {
			fmt.Printf("  %d events missing\n", missing)
		}
		all = append(all, lat...)
	}
	slices.Sort(all)
	profiled.Wait()
	fmt.Printf("fan-out over %d writes × %d subscribers: p50 %v p99 %v max %v (target p99 ≤ 200ms)\n", *writes, len(clients), pct(all, 50), pct(all, 99), all[len(all)-1])
	for _, c := range clients {
		c.ws.CloseNow()
	}
	time.Sleep(time.Second)

	// One subscriber alone.
	one := connectMany(base, 1, "Solo")[0]
	var lat []time.Duration
	for i := range *single {
		t0 := time.Now()
		post(base, "Solo", map[string]any{"seq": i})
		if _, err := one.waitEvent(i, 5*time.Second); err != nil {
			log.Fatalf("single subscriber: %v", err)
		}
		lat = append(lat, time.Since(t0))
	}
	slices.Sort(lat)
	fmt.Printf("one subscriber, write → event over %d writes: p50 %v p99 %v max %v\n", len(lat), pct(lat, 50), pct(lat, 99), lat[len(lat)-1])
}

// ---- the client side ----

// client records when each event (by the object's seq) arrived, without
// decoding JSON, so that the client process takes as little of the shared
// CPU as it can.
type client struct {
	ws      *websocket.Conn
	mu      sync.Mutex
	arrived map[int]time.Time
	closed  bool
}

func connectMany(base string, n int, className string) []*client {
	out := make([]*client, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				out[i] = connect(base, className)
			}
		}()
	}
	wg.Wait()
	return out
}

func connect(base, className string) *client {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(base, "http"), nil)
	if err != nil {
		log.Fatalf("dial: %v", err)
	}
	send := func(m map[string]any) {
		b, _ := json.Marshal(m)
		if err := ws.Write(ctx, websocket.MessageText, b); err != nil {
			log.Fatalf("send: %v", err)
		}
	}
	expect := func(op string) {
		_, b, err := ws.Read(ctx)
		if err != nil || !bytes.Contains(b, []byte(`"op":"`+op+`"`)) {
			log.Fatalf("waiting for %s: %s %v", op, b, err)
		}
	}
	send(map[string]any{"op": "connect", "applicationId": appID})
	expect("connected")
	send(map[string]any{"op": "subscribe", "requestId": 1, "query": map[string]any{"className": className, "where": map[string]any{"live": true}}})
	expect("subscribed")
	c := &client{ws: ws, arrived: map[int]time.Time{}}
	go c.read()
	return c
}

var seqField = []byte(`"seq":`)

// read records the arrival of each create event by its object's seq.
func (c *client) read() {
	for {
		_, b, err := c.ws.Read(context.Background())
		at := time.Now()
		if err != nil {
			c.mu.Lock()
			c.closed = true
			c.mu.Unlock()
			return
		}
		if !bytes.HasPrefix(b, []byte(`{"op":"create"`)) {
			continue
		}
		i := bytes.Index(b, seqField)
		if i < 0 {
			continue
		}
		rest := b[i+len(seqField):]
		end := bytes.IndexAny(rest, ",}")
		seq, err := strconv.Atoi(string(rest[:max(end, 0)]))
		if err != nil {
			continue
		}
		c.mu.Lock()
		c.arrived[seq] = at
		c.mu.Unlock()
	}
}

// waitEvent polls for event seq; polling keeps 10,000 waiters from
// costing 10,000 goroutines.
func (c *client) waitEvent(seq int, timeout time.Duration) (time.Time, error) {
	deadline := time.Now().Add(timeout)
	for {
		c.mu.Lock()
		at, ok := c.arrived[seq]
		closed := c.closed
		c.mu.Unlock()
		switch {
		case ok:
			return at, nil
		case closed:
			return time.Time{}, errors.New("connection closed")
		case time.Now().After(deadline):
			return time.Time{}, fmt.Errorf("no event %d within %v", seq, timeout)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// fanOut writes one matching object and returns each subscriber's delay.
func fanOut(base string, clients []*client, seq int) ([]time.Duration, int) {
	t0 := time.Now()
	post(base, "Fan", map[string]any{"seq": seq})
	lat := make([]time.Duration, 0, len(clients))
	missing := 0
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range clients {
		at, err := c.waitEvent(seq, time.Until(deadline))
		if err != nil {
			missing++
			continue
		}
		lat = append(lat, at.Sub(t0))
	}
	return lat, missing
}

func post(base, className string, fields map[string]any) {
	fields["live"] = true
	b, _ := json.Marshal(fields)
	req, _ := http.NewRequest("POST", base+"/classes/"+className, bytes.NewReader(b))
	req.Header.Set("X-Parse-Application-Id", appID)
	req.Header.Set("X-Parse-Master-Key", masterKey)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		log.Fatalf("write: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 201 {
		log.Fatalf("write: %d %s", res.StatusCode, body)
	}
}

func saveProfile(url, file string) {
	res, err := http.Get(url)
	if err != nil {
		log.Printf("profile: %v", err)
		return
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	_ = os.WriteFile(file, b, 0o644)
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)].Round(10 * time.Microsecond)
}

// ---- the server process ----

type serverProc struct{ cmd *exec.Cmd }

func (s *serverProc) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

func startServer() (*serverProc, string) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "LQBENCH_SERVER=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		log.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	var line [256]byte
	n, err := out.Read(line[:])
	if err != nil {
		log.Fatalf("server did not start: %v", err)
	}
	return &serverProc{cmd: cmd}, strings.TrimSpace(string(line[:n]))
}

func runServer() {
	raiseFileLimit()
	dir, err := os.MkdirTemp("", "lqbench-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	open, _ := core.Stores.Lookup("sqlite")
	st, err := open(context.Background(), core.StoreConfig{DataDir: dir})
	if err != nil {
		log.Fatal(err)
	}
	app, err := core.NewApp(context.Background(), st, core.Options{AppID: appID, MasterKey: masterKey})
	if err != nil {
		log.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	lq := livequery.New(app, livequery.Options{AllClasses: true, MaxSubscriptions: 10, Logger: quiet})
	bus := &core.ChangeBus{}
	bus.Subscribe(lq.Listen)
	rest, err := server.New(server.Options{API: api.New(app), Ready: app.Ready, Store: st, Logger: quiet})
	if err != nil {
		log.Fatal(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if livequery.IsUpgrade(r) {
			lq.ServeHTTP(w, r)
			return
		}
		if name, ok := strings.CutPrefix(r.URL.Path, "/debug/pprof/"); ok {
			if name == "profile" {
				pprof.Profile(w, r)
			} else {
				pprof.Handler(name).ServeHTTP(w, r)
			}
			return
		}
		rec := &statusRecorder{ResponseWriter: w}
		rest.ServeHTTP(rec, r)
		publishCreate(app, bus, r, rec)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("http://%s/parse\n", ln.Addr())
	hs := &http.Server{Handler: handler}
	go func() { _ = hs.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	<-sig
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = lq.Close(ctx)
	_ = hs.Close()
	_ = app.Close()
}

// publishCreate stands in for the pipeline: after a created object's
// reply, it publishes the stored object on the change bus.
func publishCreate(app *core.App, bus *core.ChangeBus, r *http.Request, rec *statusRecorder) {
	if r.Method != http.MethodPost || rec.status != http.StatusCreated {
		return
	}
	parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	if len(parts) != 3 || parts[1] != "classes" {
		return
	}
	var reply struct {
		ObjectID string `json:"objectId"`
	}
	if json.Unmarshal(rec.body.Bytes(), &reply) != nil {
		return
	}
	c := app.Class(parts[2])
	objs, err := app.Store().Find(r.Context(), c, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: reply.ObjectID}, Limit: 1})
	if err != nil || len(objs) != 1 {
		return
	}
	bus.Publish(r.Context(), &core.ChangeEvent{Kind: core.Created, ClassName: c.Name, Object: objs[0], Auth: core.MasterAuth(), At: time.Now()})
}

type statusRecorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (s *statusRecorder) WriteHeader(code int) {
	s.status = code
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	s.body.Write(b)
	return s.ResponseWriter.Write(b)
}

// ---- process helpers ----

func raiseFileLimit() {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return
	}
	lim.Cur = lim.Max
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Printf("raising the open-file limit: %v", err)
	}
}

// rss reads a process's resident set size in bytes from /proc.
func rss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func mib(b int64) string { return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20)) }
