package sqlstore

import (
	"context"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Optional Dialect abilities of server engines (PostgreSQL), found by type
// assertion. Each has a fallback, the behaviour SQLite needs.

// RowInserter is an optional Dialect ability: one statement that inserts a
// row and its readers, so that an Insert is one round trip. Without it the
// row is inserted, its "_rid" read back (LastInsertId) and each reader
// inserted on its own.
type RowInserter interface {
	// InsertWithReaders wraps insert, an INSERT of one row into a class
	// table whose placeholders are numbered 1 to n, into one statement that
	// also inserts the row's readers into the readers table readers, as
	// ("principal", "rid") pairs; placeholder n+1 is bound to the
	// principals as a []string. Each readers row also gets a copy of the
	// new row's columns from (quoted) in the readers columns to (quoted,
	// as many): the sort fields (see sortFields).
	InsertWithReaders(insert, readers string, n int, from, to []string) string
}

// BatchInserter is an optional Dialect ability, used with Config.Autocommit:
// one statement that inserts many rows of a class with their readers, so
// that concurrent Inserts, queued together, cost one round trip and one
// commit between them. The batch runs without a transaction, so a row that
// breaks a unique constraint must be skipped, not fail the statement.
type BatchInserter interface {
	// InsertBatch returns a statement that inserts rows into table.
	// Placeholder i (1 ≤ i ≤ len(cols)) is bound to a []any of the values
	// of column cols[i-1], one per row; placeholders len(cols)+1 and
	// len(cols)+2 to two []string of equal length, objectIds and
	// principals: the readers of each row. A row that would violate a
	// unique constraint is skipped without error (with its readers); the
	// statement returns the objectId of each row it inserted. As in
	// InsertWithReaders, each readers row gets a copy of its row's columns
	// from in the readers columns to.
	InsertBatch(table, readers string, cols []BatchColumn, from, to []string) string
}

// BatchColumn is one column of a BatchInserter's statement.
type BatchColumn struct {
	Quoted string    // the quoted column
	Type   core.Type // its type, for ColumnType
}

// JSONArger is an optional Dialect ability of engines whose JSONValue is a
// JSON-typed expression (PostgreSQL's jsonb), so that the values compared
// with it must be bound as JSON too. Without it, scalars are bound as they
// are and objects and arrays as JSON text.
type JSONArger interface {
	// JSONArg returns the bind argument for v, a JSON value (nil, string,
	// float64, bool, map[string]any or []any) compared with a JSONValue
	// expression.
	JSONArg(v any) any
}

// Indexer is an optional Dialect ability: the engine's own CREATE INDEX,
// for keys a plain B-tree does not serve (arrays, full text) or to store
// NULLs in the order queries sort them. Without it, an index is a B-tree
// over its non-text keys.
type Indexer interface {
	// IndexSQL returns the statements that create index name (quoted) on
	// table (quoted); DROP INDEX name must remove everything they create.
	IndexSQL(table, name string, unique bool, keys []IndexColumn) []string
}

// IndexColumn is one key of an index, as an Indexer sees it.
type IndexColumn struct {
	Quoted string    // the quoted column
	Type   core.Type // the field's type
	Desc   bool      // descending
	Text   bool      // a full-text key
}

// RowLocker is an optional Dialect ability of engines that run several
// write transactions at once: an Update that rewrites a row from what it
// read (array operators, a new ACL and its readers) locks the row first,
// so that two such Updates cannot interleave. SQLite writes one
// transaction at a time and needs no lock.
type RowLocker interface {
	// LockSuffix follows a SELECT of the row to lock, e.g. " FOR UPDATE".
	LockSuffix() string
}

// StatsEstimator is an optional Dialect ability: the row counts that steer
// the ACL plan (see aclstats.go) estimated from the engine's statistics,
// where a COUNT reads every row (PostgreSQL). Without it they are counted.
type StatsEstimator interface {
	// EstimateSQL returns a query of one row of two integers: about how
	// many rows table has, and how many rows of readers have the principal
	// bound to placeholder 1 ("*").
	EstimateSQL(table, readers string) string
}

// jsonArg converts a value compared with a JSONValue expression to its bind
// argument.
func (s *Store) jsonArg(v any) any {
	ja, ok := s.d.(JSONArger)
	if !ok {
		return jsonArg(v)
	}
	switch x := v.(type) {
	case time.Time:
		v = core.FormatTime(x)
	case core.Pointer:
		v = x.ObjectID
	case *core.Pointer:
		v = x.ObjectID
	default:
		if f, ok := toFloat(v); ok {
			v = f
		}
	}
	return ja.JSONArg(v)
}

// lockRow locks the row of object id until the transaction ends, when the
// dialect asks for it.
func (s *Store) lockRow(ctx context.Context, ss session, p *plan, id string) error {
	rl, ok := s.d.(RowLocker)
	if !ok {
		return nil
	}
	rows, err := ss.query(ctx, `SELECT 1 FROM `+p.table+` WHERE "objectId" = `+s.d.Placeholder(1)+rl.LockSuffix(), id)
	if err != nil {
		return wrap("lock row of "+p.name, err)
	}
	rows.Close()
	return wrap("lock row of "+p.name, rows.Err())
}
