package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/analytics"
	"github.com/switchboardhq/switchboard/core/config"
)

// wireAnalytics opens the analytics sink (analytics.provider) and serves
// the /events and /analytics routes: client events and the automatic
// ones (signups and logins from the pipeline's hooks, installations from
// its committed changes) are buffered and written in batches; events
// still buffered at shutdown are written before the store closes.
func wireAnalytics(ctx context.Context, f *features) error {
	ac := f.cfg.Analytics
	if ac.Provider == config.AnalyticsOff {
		return nil
	}
	if ac.Provider == "store" && !hostsTables(f.store) {
		// A store of another kind (a plugin) keeps no side tables: the
		// server still starts, and events are accepted and dropped as by
		// Parse Server.
		f.log.Warn("analytics is off: this store keeps no analytics tables; set analytics.provider to webhook (or none)", "store", f.cfg.StoreProvider())
		return nil
	}
	ing, svc, closeSink, err := openAnalytics(ctx, f.cfg, f.log, f.store, f.app)
	if err != nil {
		return err
	}
	f.api.SetAnalytics(svc)
	unsubscribe := f.app.Changes().Subscribe(svc.Listen)
	loginHook := f.app.Hooks().AfterLogin.BindClass("_User", svc.LoggedIn)
	f.onClose(func(ctx context.Context) error {
		unsubscribe()
		f.app.Hooks().AfterLogin.Unbind(loginHook)
		// A database that is down at shutdown must not hold the process:
		// what is still buffered then is lost, and said so.
		ctx, cancel := context.WithTimeout(ctx, drainTimeout)
		defer cancel()
		err := ing.Close(ctx)
		if err != nil {
			err = fmt.Errorf("writing the buffered analytics events: %w", err)
		}
		return errors.Join(err, closeSink())
	})
	return nil
}

// hostsTables reports whether the store can keep the store sink's tables.
func hostsTables(st core.Store) bool {
	switch st.(type) {
	case core.ConnStringer, core.SideDBOpener:
		return true
	}
	return false
}

// drainTimeout bounds the writing of buffered events at shutdown.
const drainTimeout = 15 * time.Second

// openAnalytics opens the configured sink on store and the Ingestor and
// Service over it (app may be nil for a command that only reads).
func openAnalytics(ctx context.Context, cfg *config.Config, log *slog.Logger, store core.Store, app *core.App) (*analytics.Ingestor, *analytics.Service, func() error, error) {
	ac := cfg.Analytics
	sink, err := core.OpenProvider(ctx, core.AnalyticsSinks, ac.Provider, core.ProviderEnv{
		Options: ac.Section(ac.Provider), DataDir: cfg.Dir, URL: cfg.DatabaseURL, Store: store, Logger: log,
	})
	if err != nil {
		return nil, nil, nil, err
	}
	loc, _ := ac.Location() // validated with the config
	opts := analytics.Options{Sink: sink, Location: loc, FlushInterval: time.Duration(ac.FlushInterval),
		BatchSize: ac.BatchSize, BufferSize: ac.BufferSize, Logger: log}
	if app != nil {
		opts.Devices = installationLookup(app)
	}
	ing := analytics.New(opts)
	reader, _ := sink.(analytics.Reader)
	svc := analytics.NewService(app, ing, reader, time.Duration(ac.SessionGap))
	return ing, svc, func() error { return core.CloseProvider(sink) }, nil
}

// installationLookup finds the platform, version and channel of
// installations by installationId, in pages the query limits allow.
func installationLookup(app *core.App) func(ctx context.Context, ids []string) (map[string]analytics.Device, error) {
	const page = 100
	return func(ctx context.Context, ids []string) (map[string]analytics.Device, error) {
		out := map[string]analytics.Device{}
		if app.Class("_Installation") == nil {
			return out, nil
		}
		limit := page
		for start := 0; start < len(ids); start += page {
			in := make([]any, 0, page)
			for _, id := range ids[start:min(start+page, len(ids))] {
				in = append(in, id)
			}
			res, err := app.Find(ctx, core.MasterAuth(), "_Installation", core.FindOptions{
				Where: map[string]any{"installationId": map[string]any{"$in": in}},
				Keys:  []string{"installationId", "deviceType", "appVersion", "channel"}, Limit: &limit,
			})
			if err != nil {
				return out, err
			}
			for _, r := range res.Results {
				id, _ := r["installationId"].(string)
				str := func(k string) string { v, _ := r[k].(string); return v }
				out[id] = analytics.Device{Platform: str("deviceType"), AppVersion: str("appVersion"), Channel: str("channel")}
			}
		}
		return out, nil
	}
}
