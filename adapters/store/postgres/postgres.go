// Package postgres is the data store for running several nodes:
// PostgreSQL through sqlstore's SQL engine, with github.com/jackc/pgx/v5.
// It registers itself as the "postgres" store provider, which the config
// picks for a postgres:// (or postgresql://) databaseURL:
//
//	import _ "github.com/switchboardhq/switchboard/adapters/store/postgres"
//
// It passes the same conformance suite as SQLite (adapters/store/storetest)
// and keeps the same layout (see sqlstore): one table per class with a
// typed column per field, a readers side table for the ACL, a join table
// per relation.
//
// # Options
//
// The URL carries the connection (host, port, user, password, database,
// sslmode, and any PostgreSQL setting such as search_path). The "postgres"
// section of the store config sets the pool; every option may be left out:
//
//	store:
//	  postgres:
//	    maxConns: 16              # most connections open at once; default max(8, 4×GOMAXPROCS)
//	    minConns: 2               # connections kept open when idle; default 0
//	    writeConns: 4             # of maxConns, held for writes (see below); default max(2, maxConns/4)
//	    maxConnLifetime: 1h       # a connection is replaced after this long; default 1h
//	    maxConnIdleTime: 30m      # an idle connection is closed after this long; default 30m
//	    statementCacheCapacity: 512 # prepared statements kept per connection; default 512
//	    connectTimeout: 10s       # to open one connection; default 10s
//
// Durations are Go durations ("90s", "1h") or numbers of seconds.
//
// # Connections and writes
//
// One pgxpool serves everything; database/sql (through pgx's stdlib) keeps
// the connections it took from it. writeConns of them are set aside for
// writes. Inserts are group-committed: the Inserts that arrive while a
// write connection is busy queue up, and the next free one inserts all of
// them, with their ACL readers, in one autocommitted statement per class
// (unnest ... ON CONFLICT DO NOTHING, so that a duplicate fails alone): one
// round trip and one WAL flush for the whole queue, and a lone Insert is a
// single statement. An Update that is one statement (no array operator,
// ACL change or relation) runs autocommitted on any pooled connection.
// Every other write (Tx, Delete, schema changes, Updates that read first)
// is a READ COMMITTED transaction on a write connection; an Update that
// rewrites a row from what it read (Add, AddUnique, Remove, a new ACL)
// locks it first (SELECT ... FOR UPDATE), so that concurrent ones, on
// several nodes too, cannot lose each other's changes. Reads run on the
// pool. pgx prepares and caches statements per connection
// (statementCacheCapacity); no call runs a schema query, and the row
// counts that steer the ACL filter's plan come from the planner's
// statistics (pg_class, pg_stats), not from COUNTs. A write
// connection that dies (a server restart) is replaced when it is next
// given back.
//
// # Storage
//
// Strings are text COLLATE "C" (byte order, as MongoDB compares), Numbers
// double precision, Booleans boolean, Dates bigint milliseconds (as
// sqlstore keeps them), Objects, Arrays, GeoPoints, Polygons and Files
// jsonb. A unique violation (SQLSTATE 23505) is core.CodeDuplicateValue.
// Indexes from the schema are B-trees that keep NULLs where queries sort
// them; an index on one Array field is a GIN index (jsonb_path_ops) that
// serves $all, $in and equality through jsonb containment (@>); a text
// index key is a GIN index over to_tsvector('english', field).
//
// # Queries
//
//   - $regex runs as PostgreSQL's ~ on a translation of the Go (RE2)
//     expression into POSIX ARE that matches the same strings (see
//     TranslateRegex), \Q...\E included.
//   - $text is full-text search (tsvector @@ plainto_tsquery in the
//     english configuration, or $language's): words match after stemming,
//     not as substrings as SQLite's fallback does, and a search of stop
//     words only matches nothing. A case-sensitive search, or an unknown
//     $language, falls back to substring matching.
//   - Geo queries need no PostGIS: distances are haversine math in an SQL
//     function (sb_geo_dist), $polygon and $geoIntersects ray casting in
//     PL/pgSQL (sb_in_polygon), the same algorithm as SQLite's.
//
// # Migrations
//
// Opening the store runs its migrations (the functions above, then
// sqlstore's tables) under a PostgreSQL advisory lock, so that several
// nodes starting at once run each one exactly once; schema changes run in
// transactions.
//
// # Differences from SQLite
//
//   - $lt/$gt on an Object sub-key compare jsonb values: across JSON types
//     jsonb's order applies (strings before numbers before booleans),
//     where SQLite puts numbers before text.
//   - PostgreSQL truncates identifiers to 63 bytes: two classes (or two
//     relations) whose table names share their first 63 bytes clash.
//   - Text cannot hold the NUL character (U+0000); storing one fails.
//   - A statement cached before a field was dropped and added again with
//     another type fails once per connection, and then is prepared again.
package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/switchboardhq/switchboard/adapters/store/sqlstore"
	"github.com/switchboardhq/switchboard/core"
)

func init() {
	core.Stores.Register("postgres", Open)
}

// Options is the "postgres" section of the store config (see the package
// doc). Every option may be left out.
type Options struct {
	MaxConns               int      `json:"maxConns"`
	MinConns               int      `json:"minConns"`
	WriteConns             int      `json:"writeConns"`
	MaxConnLifetime        Duration `json:"maxConnLifetime"`
	MaxConnIdleTime        Duration `json:"maxConnIdleTime"`
	StatementCacheCapacity int      `json:"statementCacheCapacity"`
	ConnectTimeout         Duration `json:"connectTimeout"`
}

// Duration is the config's duration type.
type Duration = core.Duration

func (o *Options) defaults() error {
	if o.MaxConns <= 0 {
		o.MaxConns = max(8, 4*runtime.GOMAXPROCS(0))
	}
	if o.WriteConns <= 0 {
		o.WriteConns = max(2, o.MaxConns/4)
	}
	if o.WriteConns >= o.MaxConns {
		return fmt.Errorf("writeConns (%d) must be less than maxConns (%d): reads need connections too", o.WriteConns, o.MaxConns)
	}
	if o.MinConns < 0 || o.MinConns > o.MaxConns {
		return fmt.Errorf("minConns (%d) must be between 0 and maxConns (%d)", o.MinConns, o.MaxConns)
	}
	if o.MaxConnLifetime <= 0 {
		o.MaxConnLifetime = Duration(time.Hour)
	}
	if o.MaxConnIdleTime <= 0 {
		o.MaxConnIdleTime = Duration(30 * time.Minute)
	}
	if o.StatementCacheCapacity <= 0 {
		o.StatementCacheCapacity = 512
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = Duration(10 * time.Second)
	}
	return nil
}

// Store is the PostgreSQL store: sqlstore's engine, plus the pool for
// callers that need PostgreSQL itself (LISTEN/NOTIFY, job queues).
type Store struct {
	*sqlstore.Store
	pool *pgxpool.Pool
	// url is the databaseURL it was opened with (ConnString).
	url string
}

var (
	_ core.Store      = (*Store)(nil)
	_ core.StoreStats = (*Store)(nil)
)

// Pool returns the store's connection pool. It closes with the store.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// ConnString returns the databaseURL the store was opened with
// (core.ConnStringer), for the job queue's own pool.
func (s *Store) ConnString() string { return s.url }

var _ core.ConnStringer = (*Store)(nil)

// Open connects to the database cfg.URL names and runs the migrations.
func Open(ctx context.Context, cfg core.StoreConfig) (core.Store, error) {
	var opts Options
	if err := core.DecodeOptions(cfg.Options, &opts); err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	if err := opts.defaults(); err != nil {
		return nil, fmt.Errorf("postgres store: %w", err)
	}
	pcfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		// pgx's message never repeats the password.
		return nil, fmt.Errorf("postgres store: databaseURL: %w", err)
	}
	where := fmt.Sprintf("%s:%d/%s", pcfg.ConnConfig.Host, pcfg.ConnConfig.Port, pcfg.ConnConfig.Database)
	// One more than maxConns: the migration lock holds a connection while
	// the writers are taken.
	pcfg.MaxConns = int32(opts.MaxConns + 1)
	pcfg.MinConns = int32(opts.MinConns)
	pcfg.MaxConnLifetime = time.Duration(opts.MaxConnLifetime)
	pcfg.MaxConnIdleTime = time.Duration(opts.MaxConnIdleTime)
	pcfg.ConnConfig.ConnectTimeout = time.Duration(opts.ConnectTimeout)
	pcfg.ConnConfig.StatementCacheCapacity = opts.StatementCacheCapacity
	pcfg.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeCacheStatement
	// A call whose ctx ends (the query time limit, a client gone) has its
	// statement cancelled on the server, which stops working on it and
	// keeps the connection. pgx's default only closes the socket, and the
	// server runs a query it is busy with (a regular expression, a scan)
	// until it next writes to the client, holding a CPU and the
	// connection's slot meanwhile. The deadline is the fallback when the
	// cancel is not honoured in time.
	pcfg.ConnConfig.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: cancelDeadline}
	}
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, fmt.Errorf("postgres store: %s: %w", where, err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: cannot connect to %s (is PostgreSQL running, and are databaseURL's host, user and database right?): %w", where, err)
	}
	st, err := open(ctx, pool, opts)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres store: %s: %w", where, err)
	}
	st.url = cfg.URL
	return st, nil
}

// cancelDeadline is how long a cancelled statement may take to stop on the
// server before its connection is closed instead. PostgreSQL checks for a
// cancel often, though compiling a regular expression can take a second
// between checks.
const cancelDeadline = 5 * time.Second

func open(ctx context.Context, pool *pgxpool.Pool, opts Options) (*Store, error) {
	// database/sql keeps its connections (acquired from the pool) instead
	// of taking one from the pool for every call.
	db := stdlib.OpenDBFromPool(pool)
	db.SetMaxOpenConns(opts.MaxConns)
	db.SetMaxIdleConns(opts.MaxConns)
	db.SetConnMaxLifetime(time.Duration(opts.MaxConnLifetime))
	db.SetConnMaxIdleTime(time.Duration(opts.MaxConnIdleTime))

	lock, err := pool.Acquire(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	defer lock.Release()
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLock); err != nil {
		db.Close()
		return nil, fmt.Errorf("taking the migration lock: %w", err)
	}
	defer func() {
		// A cancelled ctx must not leave the lock held on a pooled connection.
		if _, err := lock.Exec(context.Background(), "SELECT pg_advisory_unlock($1)", migrationLock); err != nil {
			lock.Conn().Close(context.Background())
		}
	}()
	if err := migrate(ctx, lock.Conn()); err != nil {
		db.Close()
		return nil, err
	}
	writers := make([]*sql.Conn, 0, opts.WriteConns)
	for range opts.WriteConns {
		c, err := db.Conn(ctx)
		if err != nil {
			for _, w := range writers {
				w.Close()
			}
			db.Close()
			return nil, fmt.Errorf("opening write connections: %w", err)
		}
		writers = append(writers, c)
	}
	opened := false
	st, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect:                dialect{},
		Writers:                writers,
		Reader:                 db,
		Autocommit:             true,
		DriverCachesStatements: true,
		NewWriter:              db.Conn,
		OnClose: func() error {
			err := db.Close()
			if opened { // else Open closes the pool, once the lock is released
				pool.Close()
			}
			return err
		},
	})
	if err != nil {
		return nil, err // New closed the writers and db
	}
	opened = true
	return &Store{Store: st, pool: pool}, nil
}
