package app

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// wirePush opens the push providers of the config (the built-in channel
// when none is configured) through core.OpenPush, starts the push service
// (POST /push, _PushStatus, pushes scheduled or resumed on this node) with
// its job on the job queue, and serves the device endpoint of the
// built-in channel under the API (/parse/pushChannel). A custom build
// without the built-in channel and with no provider configured runs
// without push.
func wirePush(ctx context.Context, f *features) error {
	pc, err := f.cfg.Push.PushConfig(core.ProviderEnv{DataDir: f.cfg.Dir, URL: f.cfg.DatabaseURL, PublicURL: f.cfg.ServerURL, Store: f.store, Logger: f.log, Plugins: f.plugins})
	if err != nil {
		return err
	}
	names := slices.Sorted(maps.Keys(pc.Providers))
	if len(names) == 0 {
		if _, err := core.PushProviders.Lookup(core.BuiltinPushProvider); err != nil {
			f.log.Warn("push is off: no push provider is configured and this build has no built-in channel")
			return nil
		}
		names = []string{core.BuiltinPushProvider}
	}
	router, err := core.OpenPush(ctx, pc)
	if err != nil {
		return err
	}
	f.onClose(func(context.Context) error { return router.Close() })
	svc, err := core.NewPushService(f.app, core.PushServiceOptions{Router: router, Concurrency: f.cfg.Push.Concurrency,
		ResumeAfter: time.Duration(f.cfg.Push.ResumeAfter), Logger: f.log})
	if err != nil {
		return err
	}
	if q := f.app.Jobs(); q != nil {
		svc.Handle(q)
	}
	svc.Start()
	// Closed before the router (closers run in reverse): running pushes
	// store their checkpoints and are released to the other nodes.
	f.onClose(func(context.Context) error { return svc.Close() })
	for _, name := range names {
		s, _ := router.Sender(name)
		if ch, ok := s.(core.PushChannel); ok {
			f.api.Mount(core.PushChannelSegment, "push.channel", ch.Handler(ctx, f.app.IdentifyPushDevice))
		}
	}
	var routes []string
	for _, r := range router.Routes() {
		routes = append(routes, r.String())
	}
	f.log.Info("push ready", "providers", names, "routes", routes)
	return nil
}
