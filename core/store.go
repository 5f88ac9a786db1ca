package core

import (
	"context"
	"database/sql"
)

// Store is the data provider contract: SQLite and PostgreSQL implement it, and
// so can a plugin. The core does all Parse logic (parsing, validation, ACL
// principals, hooks); a store only persists and queries.
//
// Promises the core makes to every store:
//   - class and field names match ^[A-Za-z_][A-Za-z0-9_]{0,99}$, so a store may
//     quote them as identifiers; values always travel as bind parameters;
//   - every value has the Go type listed in values.go for its field's type;
//   - a *Class passed in is the current schema of that class and is not
//     modified by the store;
//   - ctx is never nil.
//
// Promises every store makes:
//   - methods are safe for concurrent use;
//   - errors are *Error with a Parse code where one applies (CodeObjectNotFound,
//     CodeDuplicateValue for a unique-index violation, CodeInvalidQuery for a
//     query the store cannot run), anything else is an internal error;
//   - an error leaves no partial write behind: each call is atomic;
//   - a write that returned nil survives a crash of the process;
//   - a call whose ctx ends stops its work on the database itself, not
//     only in the client (PostgreSQL: a cancel request; SQLite: an
//     interrupt), and returns CodeTimeout, carrying context.Cause(ctx)
//     when that is an *Error. The core bounds each request's reads with
//     the query time limit this way (App.QueryContext, queryLimits.
//     queryTimeout); a read that runs away ends there and gives its
//     connection back;
//   - reads whose cost the client's input decides (regular expressions,
//     text search, polygons, aggregate pipelines) cannot take every
//     connection: other reads are still served while they run.
//
// Stores are found by name in the "store" registry (see Register).
type Store interface {
	// Schemas returns every class's stored schema. The core calls it at start
	// and after a change announced by another node.
	Schemas(ctx context.Context) ([]*Class, error)
	// CreateClass creates storage for a class; CodeDuplicateValue if it exists.
	CreateClass(ctx context.Context, class *Class) error
	// UpdateClass moves a class's storage from old to new: added and dropped
	// fields, changed CLP, added and dropped indexes. Dropping a field drops
	// its data. new.Name equals old.Name.
	UpdateClass(ctx context.Context, old, new *Class) error
	// DeleteClass drops a class, its rows and its relation tables.
	DeleteClass(ctx context.Context, name string) error

	// Insert stores a new object. obj holds objectId, createdAt, updatedAt,
	// maybe ACL, and values for non-relation fields only.
	Insert(ctx context.Context, class *Class, obj Object) error
	// Update applies upd to the object with objectId id if it also matches
	// where (nil: no extra condition), and returns the whole updated object.
	// No match is CodeObjectNotFound. writeACL, when not nil, also requires
	// that one of those principals may write the object.
	Update(ctx context.Context, class *Class, id string, where Expr, writeACL []string, upd Update) (Object, error)
	// Delete removes the objects that match where (and writeACL, when not
	// nil), with their relation rows, and returns how many went. It is the
	// bulk form (purge, cleanup), so it returns no objects.
	Delete(ctx context.Context, class *Class, where Expr, writeACL []string) (int64, error)
	// DeleteObject removes the object with objectId id if it also matches
	// where (nil: no extra condition) and writeACL (when not nil), with its
	// relation rows, and returns it whole as it was: triggers and change
	// events need what was deleted. No match is CodeObjectNotFound.
	DeleteObject(ctx context.Context, class *Class, id string, where Expr, writeACL []string) (Object, error)

	// Find returns the objects that match q, in q's order and page. They
	// are the caller's: the core turns them into its reply in place, so a
	// store must not keep or share them (no cache of Objects).
	Find(ctx context.Context, class *Class, q *Query) ([]Object, error)
	// Count returns how many objects match q's Where and ReadACL (ignoring
	// order, limit and skip).
	Count(ctx context.Context, class *Class, q *Query) (int64, error)
	// Distinct returns the distinct values of field among objects matching q.
	// For Array fields the array elements are the values, as in MongoDB.
	Distinct(ctx context.Context, class *Class, field string, q *Query) ([]any, error)

	// Tx runs fn in one transaction: fn's Store sees its own writes and all
	// of them commit together, or none do if fn returns an error.
	Tx(ctx context.Context, fn func(ctx context.Context, tx Store) error) error

	// Close releases the store's resources.
	Close() error
}

// Optional Store abilities for providers that keep their own tables in the
// store's database (the job queue), found by type assertion. A store with
// neither serves no such provider: its Open says so.

// SideDBOpener is the ability of a store kept in one database file
// (SQLite): another handle on the same database, whose writes queue for
// the file's write lock with the store's own.
type SideDBOpener interface {
	OpenSideDB() (*sql.DB, error)
}

// ConnStringer is the ability of a store on a database server
// (PostgreSQL): the connection string it was opened with, so that another
// provider can open connections of its own to the same database and schema.
type ConnStringer interface {
	ConnString() string
}

// Aggregator is an optional interface: a store that runs aggregate
// pipelines (see aggregate.go). Without it, aggregate requests answer
// CodeInvalidQuery.
type Aggregator interface {
	// Aggregate runs p over class's objects (those p.ReadACL may read,
	// when not nil) and returns the resulting documents, each a map from
	// the names of the final stage's fields (AggregateShape) to values of
	// their types: Go values as in values.go for typed fields, decoded
	// JSON for fields of type "". Null fields are left out, except in
	// documents made by $group or $count. It returns CodeInvalidQuery
	// when the result would hold more than p.MaxResults documents, and
	// honours ctx as every read does.
	Aggregate(ctx context.Context, class *Class, p *Pipeline) ([]Object, error)
}

// JSONFinder is a Store that can also answer a find with the Parse JSON of
// its objects, written straight from its rows: no Object per row, no
// EncodeObject, no encoder walking maps. The core asks for it only when
// nothing would change the objects between the store and the reply (no
// afterFind trigger, include, keys, protected fields or File fields; see
// App.findJSON) and the caller wants JSON.
type JSONFinder interface {
	// FindJSON appends to dst the JSON array of the objects q matches,
	// each byte for byte what encoding/json writes for EncodeObject of
	// the object Find would return, and returns how many there are. ok is
	// false, with dst returned unchanged, when a row holds what only the
	// core may write (a File inside an Object or Array, whose URL depends
	// on the caller): the caller then uses Find.
	FindJSON(ctx context.Context, class *Class, q *Query, dst []byte) (out []byte, n int, ok bool, err error)
}

// StoreStats is an optional interface: a store that has a connection pool
// reports it for the /metrics endpoint.
type StoreStats interface {
	PoolStats() PoolStats
}

// PoolStats describes a store's connection pool.
type PoolStats struct {
	Open, InUse, Idle int
	WaitCount         int64
	WaitDurationSecs  float64
}

// OpenStoreFunc opens a store: env.URL is databaseURL, env.DataDir the
// data folder, env.Options the store's own section.
type OpenStoreFunc = OpenFunc[Store]

// Stores is the registry of store providers.
var Stores = NewRegistry[OpenStoreFunc]("store")
