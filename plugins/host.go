package plugins

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health/grpc_health_v1"

	"github.com/switchboardhq/switchboard/core"
)

// Spec is one plugin to run: the config's plugins entry.
type Spec struct {
	// Name is what providers call it ("plugin:NAME").
	Name string
	// Path is the executable; SHA256 its expected SHA-256 in hex.
	Path, SHA256 string
	// Args and Env are passed to the process; of the server's environment
	// it gets only inheritedEnv.
	Args []string
	Env  map[string]string
	// Timeout bounds every call (a stream: every chunk); 0 means
	// DefaultTimeout.
	Timeout time.Duration
}

// Supervision settings. A crash is seen within pollInterval; the first
// restart follows after firstRestartDelay, later ones back off to
// maxRestartDelay, and a plugin that stayed up for stableAfter starts over
// from the first delay. A process that fails unhealthyAfter health checks
// in a row is restarted too (hung beyond gRPC, or its health service
// down).
const (
	DefaultTimeout    = 30 * time.Second
	startTimeout      = 20 * time.Second
	pollInterval      = 100 * time.Millisecond
	healthInterval    = time.Second
	healthTimeout     = 2 * time.Second
	unhealthyAfter    = 3
	firstRestartDelay = 100 * time.Millisecond
	maxRestartDelay   = 30 * time.Second
	stableAfter       = time.Minute
)

// Host runs the configured plugins: it starts each at Start, restarts one
// that crashes or stops answering its health checks, and stops them all
// at Close. It implements core.PluginHost.
type Host struct {
	log   *slog.Logger
	procs map[string]*process
}

var _ core.PluginHost = (*Host)(nil)

// Start checks and starts every plugin of specs. A plugin that cannot
// start (a checksum that does not match, a missing binary, a failed
// handshake) fails Start with a message naming it, and stops the others.
func Start(ctx context.Context, specs []Spec, log *slog.Logger) (*Host, error) {
	if log == nil {
		log = slog.Default()
	}
	h := &Host{log: log, procs: map[string]*process{}}
	for _, s := range specs {
		if s.Timeout <= 0 {
			s.Timeout = DefaultTimeout
		}
		p := &process{spec: s, log: log.With("plugin", s.Name), stop: make(chan struct{}), done: make(chan struct{})}
		c, conn, err := p.launch(ctx)
		if err != nil {
			_ = h.Close()
			return nil, fmt.Errorf("plugin %q: %w", s.Name, err)
		}
		p.setUp(c, conn)
		h.procs[s.Name] = p
		go p.supervise()
		p.log.Info("plugin started", "path", s.Path, "pid", c.ID())
	}
	return h, nil
}

// OpenPlugin implements core.PluginHost: the provider of kind that the
// plugin name serves, checked with the kind's Check call.
func (h *Host) OpenPlugin(ctx context.Context, kind, name string, _ core.ProviderEnv) (any, error) {
	p, ok := h.procs[name]
	if !ok {
		return nil, fmt.Errorf("unknown plugin %q (configured: %s): add it to plugins with its name, path and sha256", name, strings.Join(slices.Sorted(maps.Keys(h.procs)), ", "))
	}
	switch kind {
	case KindFiles:
		return &filesClient{p: p}, nil
	case KindPush:
		return newPushClient(ctx, p)
	case KindSMS:
		return &smsClient{p: p}, nil
	case KindMail:
		return &mailClient{p: p}, nil
	}
	return nil, fmt.Errorf("plugins cannot serve %s providers (only %s)", kind, strings.Join(slices.Sorted(maps.Keys(Services)), ", "))
}

// PluginStatus is one plugin's state, for the admin console's providers
// page.
type PluginStatus struct {
	Name  string    `json:"name"`
	Path  string    `json:"path"`
	Up    bool      `json:"up"`
	Since time.Time `json:"since,omitzero"` // when it last came up
	Down  string    `json:"down,omitempty"` // why it is down (being restarted, or stopped)
}

// Status reports each plugin's state, sorted by name.
func (h *Host) Status() []PluginStatus {
	out := make([]PluginStatus, 0, len(h.procs))
	for _, name := range slices.Sorted(maps.Keys(h.procs)) {
		p := h.procs[name]
		p.mu.Lock()
		st := PluginStatus{Name: name, Path: p.spec.Path, Up: p.down == nil && !p.closed, Since: p.upAt}
		if p.down != nil {
			st.Down = p.down.Error()
		} else if p.closed {
			st.Down = "stopped"
		}
		p.mu.Unlock()
		out = append(out, st)
	}
	return out
}

// Close stops every plugin: supervision first, then the processes
// (go-plugin asks each to exit and kills it after two seconds).
func (h *Host) Close() error {
	var wg sync.WaitGroup
	for _, p := range h.procs {
		wg.Add(1)
		go func() { defer wg.Done(); p.shutdown() }()
	}
	wg.Wait()
	return nil
}

// process is one plugin and its supervision.
type process struct {
	spec Spec
	log  *slog.Logger

	mu     sync.Mutex
	client *plugin.Client
	conn   *grpc.ClientConn
	upAt   time.Time
	down   error // why the plugin is down; nil while it is up
	closed bool

	stop chan struct{} // closed by shutdown
	done chan struct{} // closed when supervise returns
}

// verifyChecksum refuses a binary whose SHA-256 is not the configured one,
// with both sums in the message so the operator sees what to fix.
// go-plugin's SecureConfig checks again right before exec.
func verifyChecksum(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read the plugin binary: %w", err)
	}
	defer f.Close()
	hash := sha256.New()
	if _, err := io.Copy(hash, f); err != nil {
		return fmt.Errorf("cannot read the plugin binary: %w", err)
	}
	if got := hex.EncodeToString(hash.Sum(nil)); !strings.EqualFold(got, want) {
		return fmt.Errorf("refusing to start %s: its SHA-256 is %s but the config says %s; if you replaced the binary on purpose, update sha256 in its plugins entry", path, got, want)
	}
	return nil
}

// inheritedEnv are the only variables of the server's environment a
// plugin gets: the server's own (SWITCHBOARD_MASTER_KEY, database URLs,
// provider credentials) are not for third-party code.
var inheritedEnv = []string{"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ"}

// pluginEnv is a plugin's environment: inheritedEnv, then its own env.
func pluginEnv(own map[string]string) []string {
	var env []string
	for _, k := range inheritedEnv {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(own)) {
		env = append(env, k+"="+own[k])
	}
	return env
}

// launch starts the process and waits for its handshake and a healthy
// answer.
func (p *process) launch(ctx context.Context) (*plugin.Client, *grpc.ClientConn, error) {
	if err := verifyChecksum(p.spec.Path, p.spec.SHA256); err != nil {
		return nil, nil, err
	}
	sum, _ := hex.DecodeString(p.spec.SHA256)
	cmd := exec.Command(p.spec.Path, p.spec.Args...)
	cmd.Env = pluginEnv(p.spec.Env)
	stderr := &tailBuffer{max: 2048}
	c := plugin.NewClient(&plugin.ClientConfig{
		Stderr:           stderr,
		HandshakeConfig:  Handshake,
		Plugins:          hostPluginSet(),
		Cmd:              cmd,
		SecureConfig:     &plugin.SecureConfig{Checksum: sum, Hash: sha256.New()},
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		AutoMTLS:         true,
		SkipHostEnv:      true,
		StartTimeout:     startTimeout,
		Logger:           newHCLogger(p.log),
	})
	rpc, err := c.Client()
	if err != nil {
		c.Kill()
		if out := stderr.String(); out != "" {
			return nil, nil, fmt.Errorf("starting %s: %w; its last output: %s", p.spec.Path, err, out)
		}
		return nil, nil, fmt.Errorf("starting %s: %w", p.spec.Path, err)
	}
	grpcClient, ok := rpc.(*plugin.GRPCClient)
	if !ok {
		c.Kill()
		return nil, nil, fmt.Errorf("%s speaks net/rpc; Switchboard plugins speak gRPC", p.spec.Path)
	}
	if err := ping(ctx, grpcClient.Conn); err != nil {
		c.Kill()
		return nil, nil, fmt.Errorf("%s started but fails its health check: %w", p.spec.Path, err)
	}
	return c, grpcClient.Conn, nil
}

// ping asks the plugin's gRPC health service, which go-plugin registers
// under the service name "plugin".
func ping(ctx context.Context, conn *grpc.ClientConn) error {
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	resp, err := grpc_health_v1.NewHealthClient(conn).Check(ctx, &grpc_health_v1.HealthCheckRequest{Service: plugin.GRPCServiceName})
	if err != nil {
		return err
	}
	if resp.Status != grpc_health_v1.HealthCheckResponse_SERVING {
		return fmt.Errorf("health status %s", resp.Status)
	}
	return nil
}

func (p *process) setUp(c *plugin.Client, conn *grpc.ClientConn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.client, p.conn, p.down, p.upAt = c, conn, nil, time.Now()
}

func (p *process) setDown(why error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = why
}

// supervise watches the process until shutdown and restarts it when it
// exits or stops answering health checks.
func (p *process) supervise() {
	defer close(p.done)
	delay := firstRestartDelay
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	lastHealth, failures := time.Now(), 0
	for {
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
		p.mu.Lock()
		c, conn, upAt := p.client, p.conn, p.upAt
		p.mu.Unlock()
		var why error
		switch {
		case c.Exited():
			why = errors.New("the process exited")
		case time.Since(lastHealth) >= healthInterval:
			lastHealth = time.Now()
			if err := ping(context.Background(), conn); err != nil {
				failures++
				if failures >= unhealthyAfter {
					why = fmt.Errorf("%d health checks failed, the last with: %v", failures, err)
				}
			} else {
				failures = 0
			}
		}
		if why == nil {
			if time.Since(upAt) >= stableAfter {
				delay = firstRestartDelay
			}
			continue
		}
		p.log.Error("plugin down, restarting", "reason", why.Error(), "pid", c.ID())
		p.setDown(why)
		// A process that stopped answering may not answer go-plugin's
		// polite shutdown either: kill it first, then let go-plugin clean
		// up.
		if pid, err := strconv.Atoi(c.ID()); err == nil && pid > 0 && !c.Exited() {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		c.Kill()
		for {
			select {
			case <-p.stop:
				return
			case <-time.After(delay):
			}
			delay = min(2*delay, maxRestartDelay)
			nc, nconn, err := p.launch(context.Background())
			if err == nil {
				p.setUp(nc, nconn)
				p.log.Info("plugin restarted", "pid", nc.ID())
				failures, lastHealth = 0, time.Now()
				break
			}
			p.log.Error("plugin restart failed", "err", err.Error(), "next_try_in", delay.String())
			p.setDown(fmt.Errorf("%v; restarting failed: %v", why, err))
		}
	}
}

// shutdown stops supervision, then the process.
func (p *process) shutdown() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	p.mu.Unlock()
	close(p.stop)
	<-p.done
	p.mu.Lock()
	c := p.client
	p.mu.Unlock()
	if c != nil {
		c.Kill()
	}
	p.log.Info("plugin stopped")
}

// connection returns the live connection, or a fail-fast error while the
// plugin is down or stopped.
func (p *process) connection() (*grpc.ClientConn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return nil, core.Errorf(core.CodeConnectionFailed, "plugin %q is stopped (the server is shutting down)", p.spec.Name)
	case p.down != nil:
		return nil, core.Errorf(core.CodeConnectionFailed, "plugin %q is down (%v); it is being restarted, retry shortly", p.spec.Name, p.down)
	}
	return p.conn, nil
}

// pid is the process id of the running plugin ("" while none runs).
func (p *process) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.client == nil {
		return 0
	}
	n, _ := strconv.Atoi(p.client.ID())
	return n
}

// tailBuffer keeps the last max bytes written to it: a plugin's last words
// on stderr, for the error when it fails to start.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(string(b.buf))
}
