package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/plugins"
)

// providerKinds is the table of provider kinds the binary opens, in order:
// the store first, since the job queue keeps its tables in it. Each kind
// names its config section's provider and puts what it opened into the
// App's options. Adding a kind is one entry here, its section in
// core/config, and its packages under adapters/. Every kind goes through
// the same lifecycle (core.OpenProvider: strict decode, open, validate;
// closed in reverse order at shutdown).
var providerKinds = []providerKind{
	{"plugins", func(ctx context.Context, w *wiring) error {
		// Out-of-process providers start first, so that any kind may name
		// one (provider: plugin:NAME), and stop last.
		host, stop, err := startPlugins(ctx, w.cfg, w.log)
		w.plugins = host
		w.own(stop, false, err)
		return err
	}},
	{"store", func(ctx context.Context, w *wiring) error {
		st, err := openKind(ctx, w, core.Stores, w.cfg.StoreProvider(), w.cfg.Store.Section(w.cfg.StoreProvider()))
		w.store = st
		w.own(func() error { return st.Close() }, true, err)
		return err
	}},
	{"sms", func(ctx context.Context, w *wiring) error {
		s, err := openKind(ctx, w, core.SMSProviders, w.cfg.SMS.Provider, w.cfg.SMS.Section(w.cfg.SMS.Provider))
		w.opts.SMS = s
		w.own(func() error { return core.CloseProvider(s) }, false, err)
		return err
	}},
	{"mail", func(ctx context.Context, w *wiring) error {
		m, err := openKind(ctx, w, core.MailProviders, w.cfg.Mail.Provider, w.cfg.Mail.Section(w.cfg.Mail.Provider))
		w.opts.Mailer = m
		w.own(func() error { return core.CloseProvider(m) }, false, err)
		return err
	}},
	{"auth", func(ctx context.Context, w *wiring) error {
		w.opts.AuthProviders = map[string]core.AuthDataProvider{}
		for name, section := range authSections(w.cfg) {
			p, err := openKind(ctx, w, core.AuthProviders, name, section)
			if err != nil {
				return fmt.Errorf("auth.%s: %w", name, err)
			}
			w.opts.AuthProviders[name] = p
			w.own(func() error { return core.CloseProvider(p) }, false, nil)
		}
		return nil
	}},
	{"jobs", func(ctx context.Context, w *wiring) error {
		if w.cfg.Jobs.Provider == config.JobsOff {
			return nil
		}
		q, err := openKind(ctx, w, core.JobQueues, w.cfg.Jobs.Provider, w.cfg.Jobs.Section(w.cfg.Jobs.Provider))
		w.opts.Jobs = q
		w.own(func() error { return q.Stop(context.Background()) }, true, err)
		return err
	}},
}

type providerKind struct {
	name string
	open func(ctx context.Context, w *wiring) error
}

// wiring is what the provider kinds are opened into, and what to close.
type wiring struct {
	cfg   *config.Config
	log   *slog.Logger
	opts  *core.Options
	store core.Store
	// plugins runs the config's plugins (nil without any).
	plugins core.PluginHost
	// closers are the opened providers' cleanups in opening order; the
	// App owns (and closes) those marked byApp once it exists.
	closers []closer
}

type closer struct {
	close func() error
	byApp bool
}

// own records the cleanup of a provider that opened (err == nil).
func (w *wiring) own(fn func() error, byApp bool, err error) {
	if err == nil {
		w.closers = append(w.closers, closer{close: fn, byApp: byApp})
	}
}

// openProviders opens every kind of the table into opts. On failure what
// opened is closed again.
func openProviders(ctx context.Context, cfg *config.Config, log *slog.Logger, opts *core.Options) (*wiring, error) {
	w := &wiring{cfg: cfg, log: log, opts: opts}
	for _, k := range providerKinds {
		if err := k.open(ctx, w); err != nil {
			_ = w.close(true)
			return nil, err
		}
	}
	return w, nil
}

// close closes the providers in reverse order; withApp includes those the
// App owns (when there is no App to close them).
func (w *wiring) close(withApp bool) error {
	var errs []error
	for i := len(w.closers) - 1; i >= 0; i-- {
		if c := w.closers[i]; withApp || !c.byApp {
			errs = append(errs, c.close())
		}
	}
	return errors.Join(errs...)
}

// openKind opens the named provider of reg's kind with its section.
func openKind[T any](ctx context.Context, w *wiring, reg *core.Registry[core.OpenFunc[T]], name string, section map[string]any) (T, error) {
	return core.OpenProvider(ctx, reg, name, core.ProviderEnv{
		Options: section, DataDir: w.cfg.Dir, URL: w.cfg.DatabaseURL, Store: w.store, Logger: w.log, Plugins: w.plugins,
	})
}

// startPlugins starts the config's plugins; host is nil (and stop does
// nothing) when there are none.
func startPlugins(ctx context.Context, cfg *config.Config, log *slog.Logger) (host core.PluginHost, stop func() error, err error) {
	if len(cfg.Plugins) == 0 {
		return nil, func() error { return nil }, nil
	}
	h, err := plugins.Start(ctx, pluginSpecs(cfg.Plugins), log)
	if err != nil {
		return nil, nil, fmt.Errorf("plugins: %w", err)
	}
	return h, h.Close, nil
}

// pluginSpecs turns the config's plugins list into the host's specs.
func pluginSpecs(list []config.Plugin) []plugins.Spec {
	specs := make([]plugins.Spec, len(list))
	for i, p := range list {
		specs[i] = plugins.Spec{Name: p.Name, Path: p.Path, SHA256: p.SHA256, Args: p.Args, Env: p.Env, Timeout: time.Duration(p.Timeout)}
	}
	return specs
}

// authSections are the enabled third-party logins and their sections:
// auth.<name>, plus anonymous when enableAnonymousUsers is on.
func authSections(cfg *config.Config) map[string]map[string]any {
	sections := map[string]map[string]any{}
	for name, section := range cfg.Auth {
		sections[name] = section
	}
	if cfg.EnableAnonymousUsers {
		if _, set := sections["anonymous"]; !set {
			sections["anonymous"] = nil
		}
	} else {
		delete(sections, "anonymous")
	}
	return sections
}
