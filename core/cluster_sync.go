package core

import (
	"context"
	"strings"
	"sync/atomic"
	"time"
)

// Cache invalidation across nodes.
//
// Each node caches the schema (for good), session lookups and role sets
// (for sessionCacheTTL). When the store is a Notifier, a change made on one
// node is announced on clusterChannel after it commits, and every other node
// drops the cache it concerns within the notification's latency (PostgreSQL
// delivers NOTIFY in milliseconds):
//
//	"schema <node>"    a class was created, changed or dropped → reload the schema
//	"roles <node>"     a _Role was written or deleted → drop every cached role set
//	"sessions <node>"  sessions were deleted or changed (logout, revocation, a
//	                   password change, a deleted user) → drop every cached session
//	"*"                (from the Notifier, after it (re)connects) → all of the above
//
// A node skips its own messages: it changed its caches when it wrote. Config
// parameters (_GlobalConfig) are not cached, so they need no message. Only
// those rare writes publish; reads and ordinary writes do no new work.
//
// Sessions are dropped whole rather than token by token so that tokens never
// travel in notifications; a dropped session costs one indexed lookup the
// next time its token is used, which the TTL makes every node pay every
// sessionCacheTTL anyway.

// clusterChannel is the Notifier channel the App's invalidations use.
const clusterChannel = "switchboard_cache"

// The kinds of change, one bit each in clusterSync.pending.
const (
	syncSchema uint32 = 1 << iota
	syncRoles
	syncSessions
)

var syncNames = map[uint32]string{syncSchema: "schema", syncRoles: "roles", syncSessions: "sessions"}

// clusterSync publishes this node's changes and applies other nodes'.
type clusterSync struct {
	n    Notifier
	node string // random id; messages carry it so a node can skip its own
	// pending holds the kinds of change not yet published, so that a burst
	// of changes is one message per kind and a write never waits.
	pending atomic.Uint32
	wake    chan struct{}
	// missReload is when a read last reloaded the schema for a class this
	// node did not know (unix ns; see classAfterMiss).
	missReload atomic.Int64
}

// startClusterSync starts listening and publishing when the store is a
// Notifier; otherwise the App serves one node and does nothing here.
func (a *App) startClusterSync() {
	n, ok := a.store.(Notifier)
	if !ok {
		return
	}
	a.sync = &clusterSync{n: n, node: randomHex(8), wake: make(chan struct{}, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	a.wg.Add(3)
	go func() {
		defer a.wg.Done()
		<-a.stop
		cancel()
	}()
	go a.listenCluster(ctx)
	go a.publishCluster()
}

// publish announces a change of this node to the others, after the write
// committed (callers go through afterCommit). It never blocks.
func (a *App) publish(kind uint32) {
	s := a.sync
	if s == nil {
		return
	}
	s.pending.Or(kind)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// schemaChanged is called after a local schema change commits.
func (a *App) schemaChanged() { a.publish(syncSchema) }

// sessionsChanged drops this node's cached sessions and tells the others
// to, after sessions were changed or deleted in bulk.
func (a *App) sessionsChanged() {
	a.cache.sessions.Purge()
	a.publish(syncSessions)
}

// publishCluster sends pending changes until the App closes, then sends
// what is left once. A failed send is retried every second: another node
// must not keep a stale schema because the database blinked.
func (a *App) publishCluster() {
	defer a.wg.Done()
	s := a.sync
	send := func(timeout time.Duration) bool {
		kinds := s.pending.Swap(0)
		for bit, name := range syncNames {
			if kinds&bit == 0 {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), timeout)
			err := s.n.Notify(ctx, clusterChannel, name+" "+s.node)
			cancel()
			if err != nil {
				s.pending.Or(kinds) // the rest too: sending twice is harmless
				LoggerFrom(ctx).Warn("announcing a change to the other nodes failed; retrying", "change", name, "err", err)
				return false
			}
			kinds &^= bit
		}
		return true
	}
	for {
		select {
		case <-a.stop:
			send(2 * time.Second)
			return
		case <-s.wake:
		}
		if !send(5 * time.Second) {
			select {
			case <-a.stop:
				send(2 * time.Second)
				return
			case <-time.After(time.Second):
				a.publish(0) // wake again
			}
		}
	}
}

// listenCluster applies other nodes' changes until ctx ends. Listen
// reconnects by itself; it returning early is retried all the same.
func (a *App) listenCluster(ctx context.Context) {
	defer a.wg.Done()
	for ctx.Err() == nil {
		err := a.sync.n.Listen(ctx, clusterChannel, func(p string) { a.applyClusterMessage(ctx, p) })
		if ctx.Err() != nil {
			return
		}
		LoggerFrom(ctx).Warn("listening for other nodes' changes stopped; restarting", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// applyClusterMessage drops what another node's change made stale. Unknown
// kinds (from a newer node) are ignored.
func (a *App) applyClusterMessage(ctx context.Context, payload string) {
	kind, node, _ := strings.Cut(payload, " ")
	if node == a.sync.node {
		return
	}
	switch kind {
	case "*":
		a.reloadSchemasShared(ctx)
		a.dropRoles()
		a.cache.sessions.Purge()
		a.authInvalidated()
	case "schema":
		a.reloadSchemasShared(ctx)
	case "roles":
		a.dropRoles()
		a.authInvalidated()
	case "sessions":
		a.cache.sessions.Purge()
		a.authInvalidated()
	}
}

// OnAuthInvalidated calls fn whenever sessions or roles may have changed
// behind this node's back (another node revoked a session or wrote a role,
// or the notifier reconnected), so that a component holding resolved
// callers (LiveQuery's open subscriptions) resolves them again. It returns
// the function that stops the calls. fn runs on the cluster listener's
// goroutine and must not block.
func (a *App) OnAuthInvalidated(fn func()) (stop func()) {
	a.authHooksMu.Lock()
	defer a.authHooksMu.Unlock()
	a.authHookID++
	id := a.authHookID
	if a.authHooks == nil {
		a.authHooks = map[int]func(){}
	}
	a.authHooks[id] = fn
	return func() {
		a.authHooksMu.Lock()
		defer a.authHooksMu.Unlock()
		delete(a.authHooks, id)
	}
}

func (a *App) authInvalidated() {
	a.authHooksMu.Lock()
	fns := make([]func(), 0, len(a.authHooks))
	for _, fn := range a.authHooks {
		fns = append(fns, fn)
	}
	a.authHooksMu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// classAfterMiss looks once more for a class this node does not know, when
// other nodes share the store: a class another node created a moment ago is
// stored before its announcement arrives here, and a read right after (of
// the object whose id that node just answered) must find it. It reloads at
// most once a second, so reads of classes that never existed do not each
// read the schema; nil when the class is still unknown.
func (a *App) classAfterMiss(ctx context.Context, name string) *Class {
	s := a.sync
	if s == nil {
		return nil
	}
	now := time.Now().UnixNano()
	last := s.missReload.Load()
	if now-last < int64(time.Second) || !s.missReload.CompareAndSwap(last, now) {
		return nil
	}
	a.schemaMu.Lock()
	defer a.schemaMu.Unlock()
	if a.schemaTxs > 0 {
		return nil // a local transaction's changes would be dropped (see below)
	}
	if err := a.ReloadSchemas(ctx); err != nil {
		LoggerFrom(ctx).Warn("reloading the schema for an unknown class", "class", name, "err", err)
		return nil
	}
	return a.Class(name)
}

// reloadSchemasShared reloads the schema after another node changed it,
// under schemaMu so that it cannot overwrite a change this node is making.
// A failed read is tried again a few times: the change is not announced
// twice.
func (a *App) reloadSchemasShared(ctx context.Context) {
	a.schemaMu.Lock()
	defer a.schemaMu.Unlock()
	if a.schemaTxs > 0 {
		// A local transaction holds schema changes the store shows no one
		// yet: reloading now would drop them. The last such transaction
		// reloads when it ends.
		a.reloadAfterTxs = true
		return
	}
	var err error
	for attempt := range 5 {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Duration(attempt) * time.Second):
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = a.ReloadSchemas(rctx)
		cancel()
		if err == nil || ctx.Err() != nil {
			return
		}
	}
	LoggerFrom(ctx).Error("reloading the schema after another node changed it failed; it reloads at the next change or reconnection", "err", err)
}
