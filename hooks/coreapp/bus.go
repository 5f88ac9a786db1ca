package coreapp

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// bus carries cloud code's messages between the nodes of a cluster over
// the store's core.Notifier (PostgreSQL LISTEN/NOTIFY): activations and
// webhook changes. On a store without one (SQLite) the server has one node
// and the bus carries nothing.
type bus struct {
	notifier core.Notifier
	log      *slog.Logger

	mu   sync.Mutex
	subs []func(payload string)
}

func newBus(store core.Store, log *slog.Logger) *bus {
	n, _ := store.(core.Notifier)
	return &bus{notifier: n, log: log}
}

// subscribe adds fn, called for every message (and "*" after each
// (re)connection). Call before listen.
func (b *bus) subscribe(fn func(payload string)) {
	b.mu.Lock()
	b.subs = append(b.subs, fn)
	b.mu.Unlock()
}

// listen delivers messages to the subscribers until ctx ends.
func (b *bus) listen(ctx context.Context) {
	if b.notifier == nil {
		return
	}
	go func() {
		for ctx.Err() == nil {
			err := b.notifier.Listen(ctx, channel, func(payload string) {
				b.mu.Lock()
				subs := append([]func(string){}, b.subs...)
				b.mu.Unlock()
				for _, fn := range subs {
					fn(payload)
				}
			})
			if err != nil && ctx.Err() == nil {
				b.log.Warn("cloud code: listening for other nodes' changes failed; retrying", "err", err)
				select {
				case <-ctx.Done():
				case <-time.After(time.Second):
				}
			}
		}
	}()
}

// publish tells every node (this one too) about a change. A failure is
// logged: the other nodes then see the change at their next reconnection
// or restart, never a half-done one.
func (b *bus) publish(ctx context.Context, payload string) {
	if b.notifier == nil {
		return
	}
	for attempt := 0; attempt < 3; attempt++ {
		nctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		err := b.notifier.Notify(nctx, channel, payload)
		cancel()
		if err == nil {
			return
		}
		b.log.Warn("cloud code: announcing a change to the other nodes failed", "change", payload, "attempt", attempt+1, "err", err)
		time.Sleep(time.Duration(attempt+1) * 200 * time.Millisecond)
	}
}
