package sqlstore

import (
	"strings"

	"github.com/switchboardhq/switchboard/core"
)

// Dialect is what differs between the SQL engines sqlstore runs on. It is
// kept to what actually differs: placeholders, column types, JSON and array
// predicates, regular expressions, geo math and error classification. All
// other SQL (tables, joins, subqueries, ordering, paging) is standard and
// lives in sqlstore.
//
// Methods that take a *Builder write an SQL fragment into it and add their
// values with b.Arg, never by pasting a value into the SQL text. col and
// expr arguments are SQL expressions sqlstore built (quoted identifiers or
// JSON extractions), safe to paste.
type Dialect interface {
	// Placeholder returns the bind placeholder of the n-th argument (1-based):
	// "?" for SQLite, "$n" for PostgreSQL.
	Placeholder(n int) string
	// ColumnType returns the column type that stores a field of type t
	// (never called for Relation, which has no column).
	ColumnType(t core.Type) string
	// RowIDColumn is the definition of the "_rid" column: an integer key the
	// engine assigns on insert and never changes ("INTEGER PRIMARY KEY" for
	// SQLite, an identity column for PostgreSQL). Side tables refer to rows
	// by it: an integer is a cheaper key than the objectId text.
	RowIDColumn() string
	// KeyTableSuffix is appended to CREATE TABLE of the narrow key-only side
	// tables (relations, readers), e.g. " WITHOUT ROWID".
	KeyTableSuffix() string
	// IsUniqueViolation reports whether err is a unique or primary key
	// constraint violation.
	IsUniqueViolation(err error) bool
	// BeginSQL is the statement that opens a write transaction, e.g.
	// "BEGIN IMMEDIATE" so that SQLite takes the write lock at once.
	BeginSQL() string
	// NullsOrder returns what follows ASC or DESC so that nulls sort first
	// ascending and last descending (MongoDB's order), "" if that is the
	// engine's default.
	NullsOrder(desc bool) string

	// JSONValue writes an expression reading path inside the JSON column
	// col as an SQL scalar (text, number, boolean as 1/0, or JSON text for
	// an object or array); SQL NULL when missing or JSON null.
	JSONValue(b *Builder, col string, path []string)

	// ArrayAny writes a predicate: the JSON array in col holds at least one
	// of vals. vals are JSON values (string, float64, bool, nil, map, slice).
	ArrayAny(b *Builder, col string, vals []any)
	// ArrayAll writes a predicate: the JSON array in col holds every one of vals.
	ArrayAll(b *Builder, col string, vals []any)
	// ArrayOnly writes a predicate: every element of the JSON array in col
	// is one of vals.
	ArrayOnly(b *Builder, col string, vals []any)
	// ArrayElements returns a FROM-clause item that unwinds the JSON array
	// in col (of the row aliased alias) and an expression for one element,
	// rendered as JSON text.
	ArrayElements(col, alias string) (from, elem string)
	// StringsHasAny writes a predicate: the JSON array of strings in col
	// holds one of vals. Used for the writers list of the ACL.
	StringsHasAny(b *Builder, col string, vals []string)

	// Regex writes a predicate: the expression lhs writes matches the Go
	// (RE2) regular expression re, whose flags are already inline ("(?i)").
	Regex(b *Builder, lhs func(), re string)

	// GeoDistance writes an expression: the distance in radians along the
	// sphere between the GeoPoint column col and p.
	GeoDistance(b *Builder, col string, p core.GeoPoint)
	// GeoLatLng returns expressions for the latitude and longitude of the
	// GeoPoint column col.
	GeoLatLng(col string) (lat, lng string)
	// GeoInPolygon writes a predicate: the GeoPoint column col is inside poly.
	GeoInPolygon(b *Builder, col string, poly []core.GeoPoint)
	// PolygonContains writes a predicate: the Polygon column col contains p.
	PolygonContains(b *Builder, col string, p core.GeoPoint)
}

// TextSearcher is an optional Dialect ability: native full-text search for
// core.Text. Without it, every term becomes a regular expression match.
type TextSearcher interface {
	// TextSearch writes a predicate for t on the String column col, or
	// writes nothing and reports false if it cannot serve t (the fallback
	// is then used).
	TextSearch(b *Builder, col string, t core.Text) bool
}

// Builder accumulates an SQL statement and its bind arguments.
type Builder struct {
	strings.Builder
	Args []any
	d    Dialect
}

// NewBuilder returns an empty Builder for d.
func NewBuilder(d Dialect) *Builder { return &Builder{d: d} }

// Arg adds v as the next bind argument and writes its placeholder.
func (b *Builder) Arg(v any) {
	b.Args = append(b.Args, v)
	b.WriteString(b.d.Placeholder(len(b.Args)))
}

// ArgList writes "(p1, p2, ...)" for the values.
func (b *Builder) ArgList(vals []any) {
	b.WriteByte('(')
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.Arg(v)
	}
	b.WriteByte(')')
}

// Quote returns name as a quoted SQL identifier. Names reach the store
// already checked by the core (letters, digits, underscores); internal
// table names add ':' only. A double quote is doubled all the same.
func Quote(name string) string {
	if strings.IndexByte(name, '"') < 0 {
		return `"` + name + `"`
	}
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
