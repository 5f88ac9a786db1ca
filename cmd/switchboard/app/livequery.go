package app

import (
	"context"
	"io/fs"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/livequery"
)

// wireLiveQuery serves Parse LiveQuery on the mount path when liveQuery
// names classes (or allClasses is on): it listens to the App's committed
// changes, asks the policy engine about each subscription, and drops the
// sessions and roles it checked whenever the App learns that they changed.
func wireLiveQuery(ctx context.Context, f *features) error {
	lc := f.cfg.LiveQuery
	if !lc.Enabled() {
		return nil
	}
	app := f.app
	opts := livequery.Options{
		ClassNames:          lc.ClassNames,
		AllClasses:          lc.AllClasses,
		MaxConnections:      lc.MaxConnections,
		MaxSubscriptions:    lc.MaxSubscriptions,
		MaxMessageBytes:     lc.MaxMessageBytes,
		MessagesPerSecond:   lc.MessagesPerSecond,
		OutboundBuffer:      lc.OutboundBuffer,
		ConnectTimeout:      time.Duration(lc.ConnectTimeout),
		PingInterval:        time.Duration(lc.PingInterval),
		PongTimeout:         time.Duration(lc.PongTimeout),
		WriteTimeout:        time.Duration(lc.WriteTimeout),
		IdleTimeout:         time.Duration(lc.IdleTimeout),
		AuthRecheckInterval: time.Duration(lc.AuthRecheckInterval),
		EventQueue:          lc.EventQueue,
		Logger:              f.log,
		// A subscription is a find for the policy engine: its filter is
		// matched in memory on every event.
		Authorize: func(ctx context.Context, in *livequery.AuthorizeInput) (core.Expr, error) {
			return app.Authorize(ctx, &core.AuthzInput{Point: core.PointOf(in.Class), Action: in.Action, Class: in.Class,
				Schema: app.Class(in.Class), Auth: in.Auth, Query: in.Query})
		},
	}
	if f.cloudCode != nil {
		f.cloudCode.BindLiveQuery(&opts) // beforeConnect, beforeSubscribe, afterLiveQueryEvent
	}
	lq := livequery.New(app, opts)
	unsubscribe := app.Changes().Subscribe(lq.Listen)
	stopAuth := app.OnAuthInvalidated(lq.InvalidateAuth)
	if reload := f.reloadPolicies; reload != nil {
		f.reloadPolicies = func(ctx context.Context, fsys fs.FS) error {
			err := reload(ctx, fsys)
			if err == nil {
				lq.InvalidateAuth() // subscriptions are authorized again under the new set
			}
			return err
		}
	}
	f.server.WebSocket = lq
	f.onClose(func(ctx context.Context) error {
		unsubscribe()
		stopAuth()
		return lq.Close(ctx)
	})
	return nil
}
