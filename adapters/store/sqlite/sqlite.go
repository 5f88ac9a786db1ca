// Package sqlite is the embedded data store: SQLite through sqlstore's SQL
// engine. It registers itself as the "sqlite" store provider:
//
//	import _ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
//
// # Driver
//
// It uses modernc.org/sqlite, SQLite translated to pure Go, chosen by
// benchmark against github.com/mattn/go-sqlite3 (cgo) with the same
// pragmas and schema, from concurrent goroutines on 2 cores: a single-row
// insert transaction took 31–34µs with either, a primary-key select 3.7µs
// with either, a tie within noise. (Queries that walk many rows inside
// SQLite, such as a sorted page of 100 or an ACL filter over 1,000 rows,
// run about 1.6× faster in C; that did not outweigh the rest.) Without cgo
// the binary builds with no C toolchain, cross-compiles, and starts no
// cgo threads, which the single-binary promise wants, so pure Go wins the
// tie. Everything driver-specific is in this package (error codes, the Go
// SQL functions, the DSN); switching drivers would not touch sqlstore.
//
// # Connections and durability
//
// The database runs in WAL mode with synchronous=NORMAL: a commit is in the
// WAL file when Insert returns, so it survives a crash of the process
// (kill -9); only a power loss can drop the last commits before a
// checkpoint. All writes go through one connection, one transaction at a
// time, which is SQLite's own limit, and never fail with SQLITE_BUSY inside
// the process. Reads run on a pool of read-only connections and never wait
// for writes.
//
// Case: SQLite compares identifiers without regard to case, so two fields
// (or classes) whose names differ only in case cannot both exist.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/switchboardhq/switchboard/adapters/store/sqlstore"
	"github.com/switchboardhq/switchboard/core"
)

func init() {
	registerFuncs()
	core.Stores.Register("sqlite", Open)
}

// Options is the "sqlite" section of the config. Every option may be left
// out.
type Options struct {
	// BusyTimeout is how long, in milliseconds, a connection waits for a
	// lock held by another process on the same file. Default 5000.
	BusyTimeout int `json:"busyTimeout"`
	// CacheSize is the page cache of each connection in KiB. Default 16384
	// (16 MiB).
	CacheSize int `json:"cacheSize"`
	// MaxReadConns is the number of read connections. Default
	// max(4, 2×GOMAXPROCS).
	MaxReadConns int `json:"maxReadConns"`
	// MmapSize is how many bytes of the file SQLite maps into memory, which
	// saves a system call per page read. Default 1 GiB; -1 turns it off.
	MmapSize int64 `json:"mmapSize"`
}

func (o *Options) defaults() {
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = 5000
	}
	if o.CacheSize <= 0 {
		o.CacheSize = 16384
	}
	if o.MmapSize == 0 {
		o.MmapSize = 1 << 30
	} else if o.MmapSize < 0 {
		o.MmapSize = 0
	}
	if o.MaxReadConns <= 0 {
		o.MaxReadConns = max(4, 2*runtime.GOMAXPROCS(0))
	}
}

// Path returns the database file for cfg: URL as a path (a "file:" or
// "sqlite:" prefix is dropped), relative paths under DataDir, and
// DataDir/data.db when URL is empty.
func Path(cfg core.StoreConfig) string {
	p := cfg.URL
	for _, prefix := range []string{"sqlite://", "sqlite:", "file:"} {
		p = strings.TrimPrefix(p, prefix)
	}
	if p == "" {
		p = "data.db"
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(cfg.DataDir, p)
	}
	return p
}

// Open opens (and creates when missing) the SQLite store cfg describes.
func Open(ctx context.Context, cfg core.StoreConfig) (core.Store, error) {
	var opts Options
	if err := core.DecodeOptions(cfg.Options, &opts); err != nil {
		return nil, fmt.Errorf("sqlite store: %w", err)
	}
	opts.defaults()
	path := Path(cfg)
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("sqlite store: database path %q must not contain '?' or '#'", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("sqlite store: creating the data folder: %w", err)
	}
	common := "?_pragma=busy_timeout(" + strconv.Itoa(opts.BusyTimeout) + ")&_pragma=cache_size(-" + strconv.Itoa(opts.CacheSize) + ")&_pragma=temp_store(memory)&_pragma=mmap_size(" + strconv.FormatInt(opts.MmapSize, 10) + ")"
	wdb, err := sql.Open("sqlite", path+common+"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		return nil, fmt.Errorf("sqlite store: opening %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wconn, err := wdb.Conn(ctx)
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("sqlite store: opening %s: %w", path, err)
	}
	rdb, err := sql.Open("sqlite", path+common+"&_pragma=query_only(1)")
	if err != nil {
		wconn.Close()
		wdb.Close()
		return nil, fmt.Errorf("sqlite store: opening %s: %w", path, err)
	}
	rdb.SetMaxOpenConns(opts.MaxReadConns)
	rdb.SetMaxIdleConns(opts.MaxReadConns)
	rdb.SetConnMaxIdleTime(0)
	st, err := sqlstore.New(ctx, sqlstore.Config{
		Dialect:   dialect{},
		Writers:   []*sql.Conn{wconn},
		Reader:    rdb,
		OnClose:   func() error { return errors.Join(rdb.Close(), wdb.Close()) },
		InProcess: true,
	})
	if err != nil {
		return nil, fmt.Errorf("sqlite store: %s: %w", path, err)
	}
	return &Store{Store: st, dsn: path + common}, nil
}

// Store is the SQLite store: sqlstore's engine, plus a way for components
// that keep tables in the same file (the job queue) to open it.
type Store struct {
	*sqlstore.Store
	dsn string // the file and the pragmas every connection gets
}

var _ core.SideDBOpener = (*Store)(nil)

// OpenSideDB opens a new pool on the store's file for a component that
// writes its own tables beside the store's (the River job queue). It has
// one connection, whose transactions take the write lock when they begin
// (_txlock=immediate) and wait up to busyTimeout for it, as the store's
// writer does: the two writers then queue for SQLite's single write lock
// instead of failing with SQLITE_BUSY, and neither can deadlock the other
// since neither holds the lock while waiting for something else. Its
// commits are as durable as the store's (WAL, synchronous=NORMAL). The
// caller closes it; never begin a side transaction while holding a store
// transaction, or each waits for the other until busyTimeout.
func (s *Store) OpenSideDB() (*sql.DB, error) {
	db, err := sql.Open("sqlite", s.dsn+"&_pragma=synchronous(NORMAL)&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}
