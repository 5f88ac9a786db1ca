package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Config is what an engine package passes to New.
type Config struct {
	Dialect Dialect
	// Writers are the connections every write runs on, one transaction at a
	// time each. SQLite has one writer; a server engine may have several.
	// The store owns them and closes them.
	Writers []*sql.Conn
	// Reader serves reads outside transactions. It may be the same pool the
	// writers came from.
	Reader *sql.DB
	// OnClose, if set, runs after the store closed its connections (to close
	// the pools).
	OnClose func() error
	// Autocommit: an Insert outside a Tx, when the Dialect is a RowInserter,
	// and an Update outside a Tx that is one statement, run at once on the
	// Reader pool in autocommit mode instead of in a transaction on a writer
	// (no group commit, no BEGIN and COMMIT round trips). For engines that
	// run concurrent writes and group their commits themselves (PostgreSQL).
	Autocommit bool
	// DriverCachesStatements: the driver prepares and caches statements per
	// connection itself, and drops them when they fail (pgx does), so the
	// store prepares none of its own. Statements the store prepared would
	// outlive a schema change that alters their result columns.
	DriverCachesStatements bool
	// InProcess: the engine runs inside this process (SQLite), so a read
	// by primary key cannot hang on a network or a lock held elsewhere,
	// and runs without watching its context: database/sql and the driver
	// each start a goroutine per statement to watch one, the largest
	// part of a get by id that was neither SQL nor HTTP. Admission to the
	// reader pool still honours the context.
	InProcess bool
	// NewWriter, if set, opens a writer connection to replace one that
	// died (a server engine restarted, a network cut); it is checked each
	// time a writer is given back. SQLite's never dies and needs none.
	NewWriter func(ctx context.Context) (*sql.Conn, error)
}

// Store implements core.Store on a SQL engine.
type Store struct {
	d       Dialect
	writers chan *writerConn
	all     []*writerConn
	r       *sql.DB
	rstmts  stmtCache
	plans   planCache
	acl     aclStats

	pendingMu sync.Mutex
	pending   []*insertReq // inserts waiting for a group commit
	onClose   func() error
	closed    atomic.Bool

	autocommit bool // Config.Autocommit
	inProcess  bool // Config.InProcess
	noPrepare  bool // Config.DriverCachesStatements
	newWriter  func(ctx context.Context) (*sql.Conn, error)

	// rgate admits calls to the reader pool, as many at once as it has
	// connections for them (nil: no limit). database/sql gives a freed
	// connection to a random one of the calls waiting for it, so under load
	// some waited for hundreds of milliseconds while later ones went
	// first; the calls waiting here are served in order (a channel's
	// blocked senders queue first come, first served).
	rgate chan struct{}
	// heavy admits the reads whose cost a client's input decides rather
	// than the data (regular expressions, text search, polygons,
	// aggregate pipelines; see isHeavy) to at most half of rgate's
	// connections, before they queue there: however many of them a
	// client sends, the other reads always find connections free, and a
	// runaway one holds only its own until the query time limit ends it.
	heavy chan struct{}
}

var (
	_ core.Store      = (*Store)(nil)
	_ core.Store      = (*txStore)(nil)
	_ core.StoreStats = (*Store)(nil)
)

// New returns a Store on cfg's connections, after running the store's
// migrations.
func New(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.Dialect == nil || len(cfg.Writers) == 0 || cfg.Reader == nil {
		return nil, errors.New("sqlstore: Config needs a Dialect, at least one writer connection and a reader pool")
	}
	s := &Store{d: cfg.Dialect, writers: make(chan *writerConn, len(cfg.Writers)), r: cfg.Reader, onClose: cfg.OnClose,
		autocommit: cfg.Autocommit, inProcess: cfg.InProcess, noPrepare: cfg.DriverCachesStatements, newWriter: cfg.NewWriter}
	s.rstmts.off = s.noPrepare
	for _, c := range cfg.Writers {
		wc := &writerConn{conn: c, stmts: map[string]*sql.Stmt{}, noPrepare: s.noPrepare}
		s.all = append(s.all, wc)
		s.writers <- wc
	}
	// The writers may have come from the reader pool (PostgreSQL): they
	// hold their connections for good, and the reads share what is left.
	if st := cfg.Reader.Stats(); st.MaxOpenConnections > 0 {
		s.rgate = make(chan struct{}, max(1, st.MaxOpenConnections-st.InUse))
		s.heavy = make(chan struct{}, max(1, cap(s.rgate)/2))
	}
	if err := s.migrate(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Dialect returns the store's dialect.
func (s *Store) Dialect() Dialect { return s.d }

// Close closes the connections. Calls after Close fail.
func (s *Store) Close() error {
	if s.closed.Swap(true) {
		return nil
	}
	var errs []error
	for range s.all {
		wc := <-s.writers
		for _, st := range wc.stmts {
			_ = st.Close()
		}
		errs = append(errs, wc.conn.Close())
	}
	s.rstmts.close()
	if s.onClose != nil {
		errs = append(errs, s.onClose())
	}
	return errors.Join(errs...)
}

// PoolStats reports the reader pool.
func (s *Store) PoolStats() core.PoolStats {
	st := s.r.Stats()
	return core.PoolStats{Open: st.OpenConnections, InUse: st.InUse, Idle: st.Idle, WaitCount: st.WaitCount, WaitDurationSecs: st.WaitDuration.Seconds()}
}

// writerConn is one write connection with its prepared statements. The
// goroutine that took it from Store.writers uses it; so may other
// goroutines given the same Tx, which database/sql serializes per call.
type writerConn struct {
	conn  *sql.Conn
	mu    sync.Mutex // guards stmts and nsp
	stmts map[string]*sql.Stmt
	nsp   int // savepoints opened, to name the next one

	noPrepare bool // the driver caches statements: prepare none
}

const maxCachedStmts = 1000

func (wc *writerConn) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if wc.noPrepare {
		return nil, nil
	}
	wc.mu.Lock()
	defer wc.mu.Unlock()
	if st, ok := wc.stmts[q]; ok {
		return st, nil
	}
	if len(wc.stmts) >= maxCachedStmts {
		return nil, nil
	}
	st, err := wc.conn.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	wc.stmts[q] = st
	return st, nil
}

func (wc *writerConn) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := wc.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return wc.conn.ExecContext(ctx, q, args...)
	}
	return st.ExecContext(ctx, args...)
}

func (wc *writerConn) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := wc.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return wc.conn.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// stmtCache holds prepared statements of the reader pool by SQL text, up
// to maxCachedStmts; rarer shapes past that run unprepared.
type stmtCache struct {
	m   sync.Map
	n   atomic.Int64
	off bool // the driver caches statements: prepare none
}

func (c *stmtCache) get(ctx context.Context, db *sql.DB, q string) (*sql.Stmt, error) {
	if c.off {
		return nil, nil
	}
	if st, ok := c.m.Load(q); ok {
		return st.(*sql.Stmt), nil
	}
	if c.n.Load() >= maxCachedStmts {
		return nil, nil
	}
	st, err := db.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	if prev, loaded := c.m.LoadOrStore(q, st); loaded {
		_ = st.Close()
		return prev.(*sql.Stmt), nil
	}
	c.n.Add(1)
	return st, nil
}

func (c *stmtCache) close() {
	c.m.Range(func(k, v any) bool {
		_ = v.(*sql.Stmt).Close()
		c.m.Delete(k)
		return true
	})
}

// session is where one call's SQL runs: on a writer inside a transaction,
// or on the reader pool.
type session struct {
	s  *Store
	wc *writerConn
}

func (ss session) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if ss.wc != nil {
		return ss.wc.query(ctx, q, args...)
	}
	st, err := ss.s.rstmts.get(ctx, ss.s.r, q)
	if err != nil {
		return nil, err
	}
	if st == nil {
		return ss.s.r.QueryContext(ctx, q, args...)
	}
	return st.QueryContext(ctx, args...)
}

// exec runs a statement on the writer, or autocommitted on the reader pool.
func (ss session) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if ss.wc != nil {
		return ss.wc.exec(ctx, q, args...)
	}
	return ss.s.r.ExecContext(ctx, q, args...)
}

// admit waits for the reader pool to have a connection for one more call
// that runs outside a transaction (see Store.rgate), and returns the
// function that lets the next one in. The call may run several
// statements, one after the other.
//
// A heavy call (see Store.heavy) first waits for one of the heavy turns.
func (s *Store) admit(ctx context.Context, heavy bool) (func(), error) {
	if s.rgate == nil || s.txFrom(ctx) != nil {
		return func() {}, nil
	}
	if heavy {
		select {
		case s.heavy <- struct{}{}:
		case <-ctx.Done():
			return nil, timedOut(ctx, "waiting for a turn to run an expensive query ($regex, $text, polygons or aggregate) while others run")
		}
	}
	select {
	case s.rgate <- struct{}{}:
		return func() {
			<-s.rgate
			if heavy {
				<-s.heavy
			}
		}, nil
	case <-ctx.Done():
		if heavy {
			<-s.heavy
		}
		return nil, timedOut(ctx, "waiting for a database connection")
	}
}

// timedOut is the CodeTimeout error of a call whose ctx ended while it
// waited: the ctx's own cause when that is a core error (the query time
// limit's, see core.App.QueryContext).
func timedOut(ctx context.Context, what string) error {
	if ce, ok := context.Cause(ctx).(*core.Error); ok {
		return ce
	}
	return core.Errorf(core.CodeTimeout, "%s: %v", what, ctx.Err())
}

// isHeavy reports whether e holds a predicate whose cost per row a client
// chooses: a regular expression, a text search or a polygon.
func isHeavy(e core.Expr) bool {
	switch x := e.(type) {
	case core.Regex, core.Text, core.WithinPolygon, core.PolygonContains:
		return true
	case core.And:
		return slices.ContainsFunc(x.Exprs, isHeavy)
	case core.Or:
		return slices.ContainsFunc(x.Exprs, isHeavy)
	case core.Nor:
		return slices.ContainsFunc(x.Exprs, isHeavy)
	case core.InQuery:
		return x.Sub != nil && isHeavy(x.Sub.Where)
	case core.Select:
		return x.Sub != nil && isHeavy(x.Sub.Where)
	}
	return false
}

func queryIsHeavy(q *core.Query) bool { return q != nil && isHeavy(q.Where) }

// cutByDeadline reports a read that failed because its ctx ended (the
// query time limit, or the client went away) as that, whatever error the
// engine gave for the interruption: CodeTimeout with the ctx's cause.
func cutByDeadline(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil {
		return err
	}
	if ce, ok := context.Cause(ctx).(*core.Error); ok {
		return ce
	}
	return &core.Error{Code: core.CodeTimeout, Message: "the query was stopped: its request was cancelled or ran out of time", Err: err}
}

// autocommitting reports whether a one-statement write may run autocommitted
// on the reader pool: the engine allows it and ctx is in no Tx.
func (s *Store) autocommitting(ctx context.Context, wc *writerConn) bool {
	return s.autocommit && wc == nil && s.txFrom(ctx) == nil
}

type txKey struct{}

// txFrom returns the transaction of this store that ctx runs in, if any,
// so that a call made on the Store with a Tx's context joins that
// transaction instead of waiting for the writer it holds.
func (s *Store) txFrom(ctx context.Context) *txStore {
	if t, ok := ctx.Value(txKey{}).(*txStore); ok && t.s == s && !t.done.Load() {
		return t
	}
	return nil
}

// reading returns the session for a read: the transaction's writer when in
// one, else the reader pool.
func (s *Store) reading(ctx context.Context) session {
	if t := s.txFrom(ctx); t != nil {
		return session{s: s, wc: t.wc}
	}
	return session{s: s}
}

// write runs fn in a write transaction: the current one when ctx is inside
// a Tx (or wc is given), else a new one that commits when fn succeeds.
func (s *Store) write(ctx context.Context, wc *writerConn, fn func(ss session) error) error {
	if s.closed.Load() {
		return core.Internal(errors.New("sqlstore: store is closed"))
	}
	if wc == nil {
		if t := s.txFrom(ctx); t != nil {
			wc = t.wc
		}
	}
	if wc != nil {
		return fn(session{s: s, wc: wc})
	}
	wc, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(wc)
	return s.inTx(ctx, wc, func() error { return fn(session{s: s, wc: wc}) })
}

func (s *Store) acquire(ctx context.Context) (*writerConn, error) {
	select {
	case wc := <-s.writers:
		return wc, nil
	case <-ctx.Done():
		return nil, core.Errorf(core.CodeTimeout, "waiting for the database writer: %v", ctx.Err())
	}
}

func (s *Store) release(wc *writerConn) {
	if s.newWriter != nil && !wc.alive() {
		s.replaceWriter(wc)
	}
	s.writers <- wc
}

// alive reports whether the writer's connection can still be used: a
// server engine's connection dies with its server process or the network.
func (wc *writerConn) alive() bool {
	err := wc.conn.Raw(func(dc any) error {
		if v, ok := dc.(driver.Validator); ok && !v.IsValid() {
			return driver.ErrBadConn
		}
		return nil
	})
	return err == nil
}

// replaceWriter gives wc a new connection from Config.NewWriter. When that
// fails too (the server is still down), wc keeps the dead one and the next
// release tries again.
func (s *Store) replaceWriter(wc *writerConn) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := s.newWriter(ctx)
	if err != nil {
		return
	}
	wc.mu.Lock()
	for _, st := range wc.stmts {
		_ = st.Close()
	}
	wc.stmts = map[string]*sql.Stmt{}
	wc.mu.Unlock()
	_ = wc.conn.Close()
	wc.conn = c
}

// inTx runs fn between BEGIN and COMMIT on wc, rolling back on error.
func (s *Store) inTx(ctx context.Context, wc *writerConn, fn func() error) error {
	if _, err := wc.exec(ctx, s.d.BeginSQL()); err != nil {
		return wrap("begin transaction", err)
	}
	if err := fn(); err != nil {
		s.rollback(wc)
		return err
	}
	if _, err := wc.exec(ctx, "COMMIT"); err != nil {
		s.rollback(wc)
		return wrap("commit", err)
	}
	return nil
}

func (s *Store) rollback(wc *writerConn) {
	// A cancelled ctx must not stop the rollback.
	_, _ = wc.conn.ExecContext(context.Background(), "ROLLBACK")
	s.acl.invalidateAll()
}

// wrap turns an engine error into a core error, with context for the log.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	var ce *core.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return &core.Error{Code: core.CodeTimeout, Message: "the database call was cancelled or timed out", Err: err}
	}
	return core.Internal(fmt.Errorf("sqlstore: %s: %w", what, err))
}

func (s *Store) wrapWrite(what string, err error) error {
	if err != nil && s.d.IsUniqueViolation(err) {
		return &core.Error{Code: core.CodeDuplicateValue, Message: "A duplicate value for a field with unique values was provided", Err: err}
	}
	return wrap(what, err)
}

// Tx runs fn in one transaction on a writer connection. A Tx inside a Tx
// (by ctx) is a savepoint of the outer one.
func (s *Store) Tx(ctx context.Context, fn func(ctx context.Context, tx core.Store) error) error {
	if t := s.txFrom(ctx); t != nil {
		return t.Tx(ctx, fn)
	}
	if s.closed.Load() {
		return core.Internal(errors.New("sqlstore: store is closed"))
	}
	wc, err := s.acquire(ctx)
	if err != nil {
		return err
	}
	defer s.release(wc)
	t := &txStore{s: s, wc: wc}
	defer t.done.Store(true)
	return s.inTx(ctx, wc, func() error {
		return fn(context.WithValue(ctx, txKey{}, t), t)
	})
}

// txStore is a Store bound to one open transaction.
type txStore struct {
	s    *Store
	wc   *writerConn
	done atomic.Bool
}

func (t *txStore) check() error {
	if t.done.Load() {
		return core.Internal(errors.New("sqlstore: transaction store used after its Tx returned"))
	}
	return nil
}

func (t *txStore) session() session { return session{s: t.s, wc: t.wc} }

func (t *txStore) Schemas(ctx context.Context) ([]*core.Class, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.s.schemas(ctx, t.session())
}
func (t *txStore) CreateClass(ctx context.Context, c *core.Class) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.s.createClass(ctx, t.wc, c)
}
func (t *txStore) UpdateClass(ctx context.Context, old, new *core.Class) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.s.updateClass(ctx, t.wc, old, new)
}
func (t *txStore) DeleteClass(ctx context.Context, name string) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.s.deleteClass(ctx, t.wc, name)
}
func (t *txStore) Insert(ctx context.Context, c *core.Class, obj core.Object) error {
	if err := t.check(); err != nil {
		return err
	}
	return t.s.insert(ctx, t.wc, c, obj)
}
func (t *txStore) Update(ctx context.Context, c *core.Class, id string, where core.Expr, writeACL []string, upd core.Update) (core.Object, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.s.update(ctx, t.wc, c, id, where, writeACL, upd)
}
func (t *txStore) Delete(ctx context.Context, c *core.Class, where core.Expr, writeACL []string) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	n, _, err := t.s.delete(ctx, t.wc, c, where, writeACL, false)
	return n, err
}
func (t *txStore) DeleteObject(ctx context.Context, c *core.Class, id string, where core.Expr, writeACL []string) (core.Object, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.s.deleteObject(ctx, t.wc, c, id, where, writeACL)
}
func (t *txStore) Find(ctx context.Context, c *core.Class, q *core.Query) ([]core.Object, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.s.find(ctx, t.session(), c, q)
}
func (t *txStore) Count(ctx context.Context, c *core.Class, q *core.Query) (int64, error) {
	if err := t.check(); err != nil {
		return 0, err
	}
	return t.s.count(ctx, t.session(), c, q)
}
func (t *txStore) Distinct(ctx context.Context, c *core.Class, field string, q *core.Query) ([]any, error) {
	if err := t.check(); err != nil {
		return nil, err
	}
	return t.s.distinct(ctx, t.session(), c, field, q)
}

// Tx inside a transaction is a savepoint: fn's writes go away if fn fails,
// and the outer transaction goes on.
func (t *txStore) Tx(ctx context.Context, fn func(ctx context.Context, tx core.Store) error) error {
	if err := t.check(); err != nil {
		return err
	}
	t.wc.mu.Lock()
	t.wc.nsp++
	name := "sp" + strconv.Itoa(t.wc.nsp)
	t.wc.mu.Unlock()
	if _, err := t.wc.conn.ExecContext(ctx, "SAVEPOINT "+name); err != nil {
		return wrap("savepoint", err)
	}
	if err := fn(context.WithValue(ctx, txKey{}, t), t); err != nil {
		_, _ = t.wc.conn.ExecContext(context.Background(), "ROLLBACK TO SAVEPOINT "+name)
		_, _ = t.wc.conn.ExecContext(context.Background(), "RELEASE SAVEPOINT "+name)
		t.s.acl.invalidateAll()
		return err
	}
	if _, err := t.wc.conn.ExecContext(ctx, "RELEASE SAVEPOINT "+name); err != nil {
		return wrap("release savepoint", err)
	}
	return nil
}

// Close does nothing: the transaction ends when its Tx returns.
func (t *txStore) Close() error { return nil }

// The Store's own methods: writes open a transaction (or join the one ctx
// is in), reads go to the reader pool (or the transaction).

func (s *Store) Schemas(ctx context.Context) ([]*core.Class, error) {
	done, err := s.admit(ctx, false)
	if err != nil {
		return nil, err
	}
	defer done()
	return s.schemas(ctx, s.reading(ctx))
}
func (s *Store) CreateClass(ctx context.Context, c *core.Class) error {
	return s.createClass(ctx, nil, c)
}
func (s *Store) UpdateClass(ctx context.Context, old, new *core.Class) error {
	return s.updateClass(ctx, nil, old, new)
}
func (s *Store) DeleteClass(ctx context.Context, name string) error {
	return s.deleteClass(ctx, nil, name)
}
func (s *Store) Insert(ctx context.Context, c *core.Class, obj core.Object) error {
	return s.insert(ctx, nil, c, obj)
}
func (s *Store) Update(ctx context.Context, c *core.Class, id string, where core.Expr, writeACL []string, upd core.Update) (core.Object, error) {
	return s.update(ctx, nil, c, id, where, writeACL, upd)
}
func (s *Store) Delete(ctx context.Context, c *core.Class, where core.Expr, writeACL []string) (int64, error) {
	n, _, err := s.delete(ctx, nil, c, where, writeACL, false)
	return n, err
}
func (s *Store) DeleteObject(ctx context.Context, c *core.Class, id string, where core.Expr, writeACL []string) (core.Object, error) {
	return s.deleteObject(ctx, nil, c, id, where, writeACL)
}
func (s *Store) Find(ctx context.Context, c *core.Class, q *core.Query) ([]core.Object, error) {
	done, err := s.admit(ctx, queryIsHeavy(q))
	if err != nil {
		return nil, err
	}
	defer done()
	objs, err := s.find(ctx, s.reading(ctx), c, q)
	return objs, cutByDeadline(ctx, err)
}
func (s *Store) Count(ctx context.Context, c *core.Class, q *core.Query) (int64, error) {
	done, err := s.admit(ctx, queryIsHeavy(q))
	if err != nil {
		return 0, err
	}
	defer done()
	n, err := s.count(ctx, s.reading(ctx), c, q)
	return n, cutByDeadline(ctx, err)
}
func (s *Store) Distinct(ctx context.Context, c *core.Class, field string, q *core.Query) ([]any, error) {
	done, err := s.admit(ctx, queryIsHeavy(q))
	if err != nil {
		return nil, err
	}
	defer done()
	vals, err := s.distinct(ctx, s.reading(ctx), c, field, q)
	return vals, cutByDeadline(ctx, err)
}
