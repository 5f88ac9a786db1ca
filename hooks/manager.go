package hooks

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Manager owns an app's cloud code: it loads the active version from the
// DeploymentStore, follows activations made on any node, deploys and rolls
// back, and is what the core calls to run functions, jobs and triggers.
// Swapping versions is atomic: each call runs entirely on the version that
// was active when it started, and a new version serves only once its pool
// is warm, so no call fails during a switch.
type Manager struct {
	opts    Options
	backend Backend
	store   DeploymentStore
	progs   *programs
	mem     *memGuard
	http    *httpClient
	limiter *rateLimiter

	active atomic.Pointer[Deployment]
	// activating serializes building and swapping deployments.
	activating sync.Mutex
	// recent keeps the logs of the last few deployments for GET /scriptlog.
	logsMu sync.Mutex
	recent []*Deployment

	// onActivate prepares this node for each version about to serve.
	onActivate ActivationHook

	stopWatch context.CancelFunc
	closed    atomic.Bool
}

// An ActivationHook prepares this node for a version about to serve: deploy,
// rollback, a version activated on another node, the version loaded at
// start. It runs under the Manager's activation lock, after the version's
// code loaded and before it serves; an error refuses the version (the
// active one keeps serving) and is reported as the deploy's error. On
// success it returns done (or nil), which the Manager calls with true once
// the version serves, or with false when the activation failed afterwards
// (storing it), so that the hook can undo what it prepared.
type ActivationHook func(ctx context.Context, next *Deployment) (done func(served bool), err error)

// OnActivate sets the activation hook. Call it before Start.
func (m *Manager) OnActivate(h ActivationHook) { m.onActivate = h }

// prepare runs the activation hook for d.
func (m *Manager) prepare(ctx context.Context, d *Deployment) (func(bool), error) {
	if m.onActivate == nil {
		return func(bool) {}, nil
	}
	done, err := m.onActivate(ctx, d)
	if err != nil {
		return nil, err
	}
	if done == nil {
		done = func(bool) {}
	}
	return done, nil
}

// recentLogs is how many past deployments keep their logs readable.
const recentLogs = 5

// NewManager makes a Manager. backend runs scripts' data calls; store keeps
// the versions. Call Start before use and Close at shutdown.
func NewManager(opts Options, backend Backend, store DeploymentStore) (*Manager, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if store == nil {
		return nil, errors.New("cloud code: a DeploymentStore is required")
	}
	progs, err := compilePrograms()
	if err != nil {
		return nil, err
	}
	return &Manager{
		opts:    opts,
		backend: backend,
		store:   store,
		progs:   progs,
		mem:     newMemGuard(opts.MemoryLimit, opts.Logger),
		http:    newHTTPClient(opts.HTTPAllowList, opts.HTTPMaxResponse),
		limiter: newRateLimiter(),
	}, nil
}

// Start loads the active version and follows activations from other nodes.
// With dir set (config cloud: ./cloud), the folder is deployed first when
// its content differs from the last version deployed from a folder, so an
// edited folder takes effect at restart, as on Parse Server, while versions
// uploaded since keep serving across restarts of an unchanged folder.
func (m *Manager) Start(ctx context.Context, dir string) error {
	if dir != "" {
		b, err := LoadDir(dir)
		if err != nil {
			return fmt.Errorf("cloud code folder %s: %w", dir, err)
		}
		deployed, err := m.folderDeployed(ctx, b.Hash())
		if err != nil {
			return err
		}
		if !deployed {
			if _, err := m.Deploy(ctx, b, folderNote); err != nil {
				return fmt.Errorf("cloud code folder %s: %w", dir, err)
			}
		}
	}
	if m.active.Load() == nil {
		v, err := m.store.Active(ctx)
		if err != nil {
			return fmt.Errorf("cloud code: reading the active version: %w", err)
		}
		if v > 0 {
			if err := m.load(ctx, v); err != nil {
				return fmt.Errorf("cloud code: loading version %d: %w", v, err)
			}
		}
	}
	wctx, cancel := context.WithCancel(context.Background())
	m.stopWatch = cancel
	return m.store.Watch(wctx, func(v int) {
		if cur := m.active.Load(); cur != nil && cur.Info.Version == v {
			return
		}
		lctx, cancel := context.WithTimeout(wctx, time.Minute)
		defer cancel()
		if err := m.load(lctx, v); err != nil {
			m.opts.Logger.Error("cloud code: cannot load the version activated on another node; the previous one keeps serving", "version", v, "err", err)
		}
	})
}

const folderNote = "folder"

func (m *Manager) folderDeployed(ctx context.Context, hash string) (bool, error) {
	list, err := m.store.List(ctx)
	if err != nil {
		return false, fmt.Errorf("cloud code: listing versions: %w", err)
	}
	for _, v := range list { // newest first
		if v.Note == folderNote {
			return v.Hash == hash, nil
		}
	}
	return false, nil
}

// load builds version v from the store and swaps it in, unless it already
// serves.
func (m *Manager) load(ctx context.Context, v int) error {
	m.activating.Lock()
	defer m.activating.Unlock()
	if cur := m.active.Load(); cur != nil && cur.Info.Version == v {
		return nil
	}
	b, info, err := m.store.Get(ctx, v)
	if err != nil {
		return err
	}
	d, err := newDeployment(ctx, m, info, b)
	if err != nil {
		return err
	}
	done, err := m.prepare(ctx, d)
	if err != nil {
		d.close()
		return err
	}
	m.swap(d)
	done(true)
	return nil
}

func (m *Manager) swap(d *Deployment) {
	d.Info.Active = true
	old := m.active.Swap(d)
	if old != nil {
		old.close()
	}
	m.logsMu.Lock()
	m.recent = append(m.recent, d)
	if len(m.recent) > recentLogs {
		m.recent = m.recent[len(m.recent)-recentLogs:]
	}
	m.logsMu.Unlock()
	m.opts.Logger.Info("cloud code: version active", "version", d.Info.Version, "functions", len(d.functions), "jobs", len(d.jobs), "triggers", len(d.triggers))
}

// Deploy checks and loads a bundle (refusing it with file:line if it does
// not compile or main.js throws), stores it as a new version and activates
// it on every node. On any error nothing changes: the active version keeps
// serving.
func (m *Manager) Deploy(ctx context.Context, b *Bundle, note string) (VersionInfo, error) {
	if err := b.check(); err != nil {
		return VersionInfo{}, err
	}
	m.activating.Lock()
	defer m.activating.Unlock()
	// Load before saving: a bundle that fails at load is never stored.
	d, err := newDeployment(ctx, m, VersionInfo{Hash: b.Hash(), Note: note}, b)
	if err != nil {
		return VersionInfo{}, err
	}
	done, err := m.prepare(ctx, d)
	if err != nil {
		d.close()
		return VersionInfo{}, err
	}
	info, err := m.store.Save(ctx, b, note)
	if err != nil {
		d.close()
		done(false)
		return VersionInfo{}, fmt.Errorf("cloud code: saving the version: %w", err)
	}
	if err := m.store.SetActive(ctx, info.Version); err != nil {
		d.close()
		done(false)
		return VersionInfo{}, fmt.Errorf("cloud code: activating version %d: %w", info.Version, err)
	}
	d.Info = info
	m.swap(d)
	done(true)
	return d.Info, nil
}

// Activate makes a stored version the active one on every node (rollback).
func (m *Manager) Activate(ctx context.Context, version int) (VersionInfo, error) {
	m.activating.Lock()
	defer m.activating.Unlock()
	b, info, err := m.store.Get(ctx, version)
	if err != nil {
		return VersionInfo{}, err
	}
	d := m.active.Load()
	if d != nil && d.Info.Version == version {
		if err := m.store.SetActive(ctx, version); err != nil {
			return VersionInfo{}, fmt.Errorf("cloud code: activating version %d: %w", version, err)
		}
		return d.Info, nil
	}
	if d, err = newDeployment(ctx, m, info, b); err != nil {
		return VersionInfo{}, err
	}
	done, err := m.prepare(ctx, d)
	if err != nil {
		d.close()
		return VersionInfo{}, err
	}
	if err := m.store.SetActive(ctx, version); err != nil {
		d.close()
		done(false)
		return VersionInfo{}, fmt.Errorf("cloud code: activating version %d: %w", version, err)
	}
	m.swap(d)
	done(true)
	return d.Info, nil
}

// Versions lists the stored versions, newest first.
func (m *Manager) Versions(ctx context.Context) ([]VersionInfo, error) {
	list, err := m.store.List(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return list[i].Version > list[j].Version })
	return list, nil
}

// Bundle returns a stored version's files, to show or compare them (the
// admin console's diff between deployments).
func (m *Manager) Bundle(ctx context.Context, version int) (*Bundle, VersionInfo, error) {
	return m.store.Get(ctx, version)
}

// Options returns the options in effect, defaults filled in.
func (m *Manager) Options() Options { return m.opts }

// Active returns the deployment serving now, or nil when no cloud code is
// deployed. Keep the pointer for the whole of one request: its methods are
// the typed entry points (RunFunction, RunTrigger, HasTrigger, RunJob).
func (m *Manager) Active() *Deployment { return m.active.Load() }

// HasTrigger reports whether the active version has a trigger of kind for
// className (false with no cloud code).
func (m *Manager) HasTrigger(kind Kind, className string) bool {
	d := m.active.Load()
	return d != nil && d.HasTrigger(kind, className)
}

// RunTrigger runs a trigger of the active version; see Deployment.RunTrigger.
func (m *Manager) RunTrigger(ctx context.Context, kind Kind, className string, req *Request) (*Response, error) {
	d := m.active.Load()
	if d == nil {
		return nil, nil
	}
	return d.RunTrigger(ctx, kind, className, req)
}

// RunFunction runs a cloud function of the active version.
func (m *Manager) RunFunction(ctx context.Context, name string, req *Request) (*Response, error) {
	d := m.active.Load()
	if d == nil {
		return nil, core.Errorf(core.CodeScriptFailed, "Invalid function: %q", name)
	}
	return d.RunFunction(ctx, name, req)
}

// RunJob runs a job of the active version.
func (m *Manager) RunJob(ctx context.Context, name string, req *Request, message func(string)) (*Response, error) {
	d := m.active.Load()
	if d == nil {
		return nil, core.Errorf(core.CodeScriptFailed, "Invalid job: %s", name)
	}
	return d.RunJob(ctx, name, req, message)
}

// Jobs lists the jobs of the active version.
func (m *Manager) Jobs() []string {
	if d := m.active.Load(); d != nil {
		return d.Jobs()
	}
	return nil
}

// LogQuery selects log entries, as Parse's GET /scriptlog parameters do.
type LogQuery struct {
	// Level is the lowest level kept: error, warn, info (default), verbose,
	// debug, silly.
	Level string
	// Size is how many entries (default 10, at most 1000).
	Size int
	// Ascending returns oldest first; default newest first (order=desc).
	Ascending bool
	// From and Until bound the entries' time (zero: unbounded).
	From, Until time.Time
	// Version selects one of the recent deployments (0: all recent ones).
	Version int
}

var levelRank = map[string]int{"error": 0, "warn": 1, "info": 2, "verbose": 3, "debug": 4, "silly": 5}

// Logs returns console.log and request.log output and script errors of the
// active deployment and the few before it, kept in memory on this node.
func (m *Manager) Logs(q LogQuery) []LogEntry {
	if q.Size <= 0 {
		q.Size = 10
	}
	q.Size = min(q.Size, 1000)
	maxRank, ok := levelRank[q.Level]
	if !ok {
		maxRank = levelRank["info"]
	}
	m.logsMu.Lock()
	deps := append([]*Deployment(nil), m.recent...)
	m.logsMu.Unlock()
	all := []LogEntry{}
	for _, d := range deps {
		if q.Version != 0 && d.Info.Version != q.Version {
			continue
		}
		for _, e := range d.logs.all() {
			r, known := levelRank[e.Level]
			if !known {
				r = levelRank["info"]
			}
			if r > maxRank || (!q.From.IsZero() && e.Time.Before(q.From)) || (!q.Until.IsZero() && e.Time.After(q.Until)) {
				continue
			}
			all = append(all, e)
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Time.Before(all[j].Time) })
	if !q.Ascending {
		for i, j := 0, len(all)-1; i < j; i, j = i+1, j-1 {
			all[i], all[j] = all[j], all[i]
		}
	}
	if len(all) > q.Size {
		all = all[:q.Size]
	}
	return all
}

// Close stops following activations and the memory guard. Invocations still
// running finish on their own.
func (m *Manager) Close() error {
	if !m.closed.CompareAndSwap(false, true) {
		return nil
	}
	if m.stopWatch != nil {
		m.stopWatch()
	}
	if d := m.active.Load(); d != nil {
		d.close()
	}
	m.mem.close()
	return nil
}
