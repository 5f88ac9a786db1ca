package core

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sync"
	"sync/atomic"
	"time"
)

// App is the data service: the Parse semantics between the HTTP API (or
// cloud code) and a Store. Every method takes the caller's Auth and does the
// checks for it, so any entry point gets the same rules.
type App struct {
	opts  Options
	store Store

	// schemas is the in-memory schema, replaced whole on every change so
	// readers never lock: map[string]*Class, never mutated after Store.
	schemas atomic.Pointer[map[string]*Class]
	// schemaMu serialises schema changes so two requests inferring the same
	// new field do not race each other to the store.
	schemaMu sync.Mutex
	// schemaTxs counts open transactions that changed the in-memory schema
	// ahead of their commit; while any is open, a reload from the store
	// (another node's change) would drop their classes, so it waits for
	// the last of them (reloadAfterTxs). Both are guarded by schemaMu.
	schemaTxs      int
	reloadAfterTxs bool

	idempotencyPaths []*regexp.Regexp
	// queryTimeoutErr is the cause of a read cut by the query time limit
	// (QueryContext), made once: no one changes an *Error once made.
	queryTimeoutErr *Error

	cache          *authCache
	roleGeneration atomic.Uint64
	limiter        *rateLimiter
	// sync announces local changes to other nodes and applies theirs; nil
	// when the store is not a Notifier (see cluster_sync.go).
	sync *clusterSync

	// hooks are the pipeline's chains (pipeline.go), changes the bus of
	// committed changes, authz the extra authorization stage (policies).
	hooks   Hooks
	changes ChangeBus
	authz   atomic.Pointer[Authorizer]
	// fileURLs gives File values their URLs (fileurls.go).
	fileURLs atomic.Pointer[FileURLResolver]

	// authHooks are told when sessions or roles changed on another node
	// (OnAuthInvalidated).
	authHooksMu sync.Mutex
	authHookID  int
	authHooks   map[int]func()
	// push sends POST /push (pushservice.go); nil when push is off.
	push atomic.Pointer[PushService]

	stop chan struct{}
	wg   sync.WaitGroup
	// bg is the work that runs after a request's answer (background.go).
	bg background
}

// NewApp loads the schema from store and returns a ready App. The App owns
// the store from then on and closes it in Close.
func NewApp(ctx context.Context, store Store, opts Options) (*App, error) {
	opts = opts.WithDefaults()
	a := &App{opts: opts, store: store, stop: make(chan struct{}), cache: newAuthCache(), limiter: newRateLimiter()}
	a.queryTimeoutErr = queryTimeoutError(opts.Limits.QueryTimeout)
	for _, p := range opts.Idempotency.Paths {
		re, err := regexp.Compile("^(?:" + p + ")$")
		if err != nil {
			return nil, fmt.Errorf("idempotencyOptions.paths: %q is not a valid regular expression: %w", p, err)
		}
		a.idempotencyPaths = append(a.idempotencyPaths, re)
	}
	if err := a.ReloadSchemas(ctx); err != nil {
		return nil, fmt.Errorf("loading schema: %w", err)
	}
	a.bindClassRules()
	if opts.Jobs != nil {
		if err := a.registerJobs(); err != nil {
			return nil, err
		}
	} else if len(a.idempotencyPaths) > 0 {
		a.wg.Add(1)
		go a.expireIdempotencyKeys()
	}
	a.startClusterSync()
	return a, nil
}

// Options returns the options the App runs with, defaults filled in.
func (a *App) Options() Options { return a.opts }

// Store returns the underlying store, for the HTTP shell's pool metrics.
func (a *App) Store() Store { return a.store }

// Ready reports whether the App can serve: the store answers a query.
func (a *App) Ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_, err := a.store.Schemas(ctx)
	return err
}

// Close stops background work (the job queue too, waiting up to 15s for
// running jobs) and closes the store.
func (a *App) Close() error {
	select {
	case <-a.stop:
	default:
		close(a.stop)
	}
	a.bg.close()
	var jobsErr error
	if a.opts.Jobs != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		jobsErr = a.opts.Jobs.Stop(ctx)
		cancel()
	}
	a.wg.Wait()
	return errors.Join(jobsErr, a.store.Close())
}

// ReloadSchemas replaces the in-memory schema with the stored one. It runs at
// start, after a failed transaction, and when another node changed a schema.
func (a *App) ReloadSchemas(ctx context.Context) error {
	classes, err := a.store.Schemas(ctx)
	if err != nil {
		return err
	}
	m := make(map[string]*Class, len(classes))
	for _, c := range classes {
		m[c.Name] = c
	}
	a.schemas.Store(&m)
	return nil
}

// Class returns the current schema of a class, or nil.
func (a *App) Class(name string) *Class {
	return (*a.schemas.Load())[name]
}

// Classes returns every class's schema.
func (a *App) Classes() []*Class {
	m := *a.schemas.Load()
	out := make([]*Class, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	return out
}

// setClass publishes a changed class (nil removes it), and announces the
// change to other nodes once ctx's write commits. Callers hold schemaMu.
func (a *App) setClass(ctx context.Context, name string, c *Class) {
	a.afterCommit(ctx, a.schemaChanged)
	if tx, ok := ctx.Value(txKey{}).(*txState); ok && tx != nil && !tx.schemaChanged {
		tx.schemaChanged = true
		a.schemaTxs++
	}
	old := *a.schemas.Load()
	m := make(map[string]*Class, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	if c == nil {
		delete(m, name)
	} else {
		m[name] = c
	}
	a.schemas.Store(&m)
}

type txKey struct{}

// txState is what a transaction carries in its context: its store, and the
// cache invalidations to run once it commits.
type txState struct {
	store Store
	mu    sync.Mutex
	after []func()
	// schemaChanged is set once the transaction changed the in-memory
	// schema (see App.schemaTxs).
	schemaChanged bool
}

// storeFor returns the transaction's store when ctx runs inside one (a
// transactional batch), else the App's store.
func (a *App) storeFor(ctx context.Context) Store {
	if tx, ok := ctx.Value(txKey{}).(*txState); ok && tx != nil {
		return tx.store
	}
	return a.store
}

// outsideTx returns ctx without the transaction it may carry, for work
// that runs after the transaction ended (stage 7 of the pipeline).
func outsideTx(ctx context.Context) context.Context {
	if tx, ok := ctx.Value(txKey{}).(*txState); ok && tx != nil {
		return context.WithValue(ctx, txKey{}, (*txState)(nil))
	}
	return ctx
}

// afterCommit runs fn once the write ctx belongs to is durable: at once
// outside a transaction, after commit inside one (dropped on rollback). Cache
// invalidations go through it: clearing a cache before commit would let a
// concurrent request re-cache the old state until the TTL.
func (a *App) afterCommit(ctx context.Context, fn func()) {
	if tx, ok := ctx.Value(txKey{}).(*txState); ok && tx != nil {
		tx.mu.Lock()
		tx.after = append(tx.after, fn)
		tx.mu.Unlock()
		return
	}
	fn()
}

// InTransaction runs fn with every App call made with its ctx inside one
// store transaction. If fn fails, nothing it wrote stays, and the in-memory
// schema is reloaded since fn may have inferred fields that rolled back.
func (a *App) InTransaction(ctx context.Context, fn func(ctx context.Context) error) error {
	if tx, nested := ctx.Value(txKey{}).(*txState); nested && tx != nil {
		return fn(ctx)
	}
	state := &txState{}
	err := a.store.Tx(ctx, func(ctx context.Context, tx Store) error {
		state.store = tx
		return fn(context.WithValue(ctx, txKey{}, state))
	})
	// A failed transaction may have inferred fields that rolled back; a
	// reload from another node's change may have waited for it.
	a.schemaMu.Lock()
	if state.schemaChanged {
		a.schemaTxs--
	}
	if err != nil && state.schemaChanged {
		a.reloadAfterTxs = true
	}
	if a.schemaTxs == 0 && a.reloadAfterTxs {
		a.reloadAfterTxs = false
		if rerr := a.ReloadSchemas(context.WithoutCancel(ctx)); rerr != nil {
			LoggerFrom(ctx).Error("reloading the schema after a transaction", "err", rerr)
		}
	}
	a.schemaMu.Unlock()
	if err != nil {
		return err
	}
	for _, f := range state.after {
		f()
	}
	return nil
}
