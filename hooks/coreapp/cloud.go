// Package coreapp runs cloud code inside a Switchboard server: it connects
// the goja runtime of package hooks to a core.App.
//
//   - Scripts reach data through the API's route table, in process
//     (api.Handler.Call), as the caller they name: the master key, a
//     session token, or nobody (backend.go).
//   - The deployment's triggers are bound into the App's hook chains, one
//     handler per stage and class, after the built-in class rules, and
//     dispatch to the active deployment (triggers.go).
//   - Cloud functions, jobs, Parse's webhooks and job schedules serve the
//     API's cloud-code routes (functions.go, jobs.go, webhooks.go,
//     schedules.go).
//   - Versions live in the internal class _CloudCode of the App's store;
//     an activation reaches every node through the store's core.Notifier
//     (store.go, bus.go).
package coreapp

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/hooks"
)

// Options configure cloud code in a server.
type Options struct {
	// Runtime are the runtime's limits (timeouts, pool, memory, ...).
	// AppID defaults to the App's.
	Runtime hooks.Options
	// Dir is a folder of cloud code loaded at start (config cloud:), or "".
	Dir string
	// WebhookKey is sent as X-Parse-Webhook-Key to webhooks (config
	// webhookKey).
	WebhookKey string
	// ReloadPolicies loads the policies of a deployment (its policies/
	// folder) on this node; nil when the server has no policy engine. An
	// error refuses the deployment.
	ReloadPolicies func(ctx context.Context, fsys fs.FS) error
	// PollInterval is how often a node reads the active version when the
	// store cannot notify (SQLite; default 1s).
	PollInterval time.Duration
	// HTTPClient calls webhooks (default: a client that follows no
	// redirects; each call is bounded by Runtime.Timeout).
	HTTPClient *http.Client
	// Logger receives operational messages (default slog.Default()).
	Logger *slog.Logger
}

// Cloud is cloud code running in one App. It serves the API's cloud-code
// routes (api.CloudCode).
type Cloud struct {
	app  *core.App
	api  *api.Handler
	opts Options
	log  *slog.Logger
	m    *hooks.Manager
	bus  *bus

	triggers *binder
	webhooks *webhooks
	found    sync.Map // *core.FindEvent → objects a beforeFind returned
	cancel   context.CancelFunc
}

var _ api.CloudCode = (*Cloud)(nil)

// New prepares cloud code for app, served through h. It registers the job
// handlers on the App's queue, so call it before the queue starts, then
// Start.
func New(app *core.App, h *api.Handler, opts Options) (*Cloud, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	rt := opts.Runtime
	if rt.AppID == "" {
		rt.AppID = app.Options().AppID
	}
	if rt.Logger == nil {
		rt.Logger = opts.Logger
	}
	c := &Cloud{app: app, api: h, opts: opts, log: opts.Logger, bus: newBus(app.Store(), opts.Logger)}
	store := &deployStore{app: app, bus: c.bus, poll: opts.PollInterval}
	m, err := hooks.NewManager(rt, &backend{app: app, api: h}, store)
	if err != nil {
		return nil, err
	}
	c.m = m
	c.triggers = newBinder(c)
	c.webhooks = newWebhooks(c)
	m.OnActivate(c.activating)
	if err := c.registerJobs(); err != nil {
		m.Close()
		return nil, err
	}
	return c, nil
}

// Manager returns the runtime: the active deployment and its triggers, for
// features that run cloud code themselves (LiveQuery's beforeConnect,
// beforeSubscribe and afterLiveQueryEvent).
func (c *Cloud) Manager() *hooks.Manager { return c.m }

// Start loads the webhooks and the active version (deploying the cloud
// folder first when it changed), binds the triggers and follows changes
// made on other nodes.
func (c *Cloud) Start(ctx context.Context) error {
	lctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	c.bus.subscribe(func(payload string) {
		if payload == "hooks" || payload == "*" {
			if err := c.webhooks.load(lctx); err != nil {
				c.log.Error("cloud code: reloading webhooks failed; the previous ones stay", "err", err)
			}
		}
	})
	if err := c.webhooks.load(ctx); err != nil {
		return fmt.Errorf("cloud code: loading webhooks: %w", err)
	}
	if err := c.m.Start(ctx, c.opts.Dir); err != nil {
		return err
	}
	c.bus.listen(lctx)
	return nil
}

// Close stops following other nodes and the runtime. Invocations still
// running finish on their own.
func (c *Cloud) Close() error {
	if c.cancel != nil {
		c.cancel()
	}
	return c.m.Close()
}

// Handler serves the deployment routes (POST/GET /deployments, PUT
// /deployments/:version) and GET /scriptlog, paths relative to the mount
// path; authorize must accept only the master key.
func (c *Cloud) Handler(authorize func(*http.Request) error) http.Handler {
	return hooks.NewHandler(c.m, authorize)
}

// activating prepares this node for a version about to serve: its policies
// (when it carries any) and the hook chains its triggers need.
func (c *Cloud) activating(ctx context.Context, next *hooks.Deployment) (func(bool), error) {
	var undoPolicies func()
	if fsys, ok := next.Bundle().Sub("policies"); ok && c.opts.ReloadPolicies != nil {
		if err := c.opts.ReloadPolicies(ctx, fsys); err != nil {
			return nil, core.Errorf(core.CodeScriptFailed, "cloud code bundle refused: its policies do not compile: %v", err)
		}
		undoPolicies = func() {
			// Back to the policies of the version that keeps serving.
			if cur := c.m.Active(); cur != nil {
				if fsys, ok := cur.Bundle().Sub("policies"); ok {
					if err := c.opts.ReloadPolicies(context.WithoutCancel(ctx), fsys); err != nil {
						c.log.Error("cloud code: restoring the active version's policies failed", "err", err)
					}
				}
			}
		}
	} else if ok && c.opts.ReloadPolicies == nil {
		c.log.Warn("cloud code: the deployment carries policies/ but this server has no policy engine; they are ignored", "version", next.Info.Version)
	}
	c.triggers.sync(next)
	return func(served bool) {
		if !served && undoPolicies != nil {
			undoPolicies()
		}
		c.triggers.sync(nil)
	}, nil
}
