package sqlite

import (
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/switchboardhq/switchboard/adapters/store/sqlstore"
	"github.com/switchboardhq/switchboard/core"
)

// dialect is SQLite's sqlstore.Dialect: JSON through json_extract and
// json_each, regular expressions and geo math through Go functions (see
// funcs.go).
type dialect struct{}

var _ sqlstore.Dialect = dialect{}

func (dialect) Placeholder(int) string { return "?" }

func (dialect) ColumnType(t core.Type) string {
	switch t {
	case core.TypeNumber:
		return "REAL"
	case core.TypeBoolean, core.TypeDate:
		return "INTEGER"
	}
	return "TEXT"
}

// RowIDColumn aliases SQLite's rowid, which makes it stable (VACUUM keeps it).
func (dialect) RowIDColumn() string { return `"_rid" INTEGER PRIMARY KEY` }

func (dialect) KeyTableSuffix() string { return " WITHOUT ROWID" }

// BeginSQL takes the write lock at once, so a transaction never fails
// half-way with SQLITE_BUSY when it first writes.
func (dialect) BeginSQL() string { return "BEGIN IMMEDIATE" }

// NullsOrder: SQLite already sorts NULL first ascending and last descending.
func (dialect) NullsOrder(bool) string { return "" }

func (dialect) IsUniqueViolation(err error) bool {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || e.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// jsonPath renders a path as SQLite JSON path text: $."a"."b". A quoted
// label ends at the first '"' whatever precedes it, and SQLite reads JSON
// escapes in a label that holds a backslash, so '"', '\' and control
// characters are written as \uXXXX escapes: any key, including one a
// client chose to break the path, addresses exactly that key.
func jsonPath(path []string) string {
	var sb strings.Builder
	sb.WriteByte('$')
	for _, p := range path {
		sb.WriteString(`."`)
		for i := 0; i < len(p); i++ {
			if c := p[i]; c == '"' || c == '\\' || c < 0x20 {
				fmt.Fprintf(&sb, `\u%04x`, c)
			} else {
				sb.WriteByte(c)
			}
		}
		sb.WriteByte('"')
	}
	return sb.String()
}

func (dialect) JSONValue(b *sqlstore.Builder, col string, path []string) {
	b.WriteString("json_extract(" + col + ", ")
	b.Arg(jsonPath(path))
	b.WriteString(")")
}

// elemMatch writes a predicate on a json_each row: its element equals one
// of vals, comparing JSON types as well as values.
func elemMatch(b *sqlstore.Builder, vals []any) {
	var strs, nums, composite []any
	var hasTrue, hasFalse, hasNull bool
	for _, v := range vals {
		switch x := v.(type) {
		case nil:
			hasNull = true
		case bool:
			if x {
				hasTrue = true
			} else {
				hasFalse = true
			}
		case string:
			strs = append(strs, x)
		case float64, int, int64, float32:
			nums = append(nums, x)
		default:
			composite = append(composite, sqlstore.JSONText(x))
		}
	}
	b.WriteString("(")
	first := true
	or := func() {
		if !first {
			b.WriteString(" OR ")
		}
		first = false
	}
	if len(strs) > 0 {
		or()
		b.WriteString("(type = 'text' AND value IN ")
		b.ArgList(strs)
		b.WriteString(")")
	}
	if len(nums) > 0 {
		or()
		b.WriteString("(type IN ('integer', 'real') AND value IN ")
		b.ArgList(nums)
		b.WriteString(")")
	}
	if len(composite) > 0 {
		or()
		b.WriteString("(type IN ('object', 'array') AND value IN ")
		b.ArgList(composite)
		b.WriteString(")")
	}
	if hasTrue {
		or()
		b.WriteString("type = 'true'")
	}
	if hasFalse {
		or()
		b.WriteString("type = 'false'")
	}
	if hasNull {
		or()
		b.WriteString("type = 'null'")
	}
	if first {
		b.WriteString("1=0")
	}
	b.WriteString(")")
}

func (dialect) ArrayAny(b *sqlstore.Builder, col string, vals []any) {
	b.WriteString("EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE ")
	elemMatch(b, vals)
	b.WriteString(")")
}

func (d dialect) ArrayAll(b *sqlstore.Builder, col string, vals []any) {
	b.WriteString("(")
	for i, v := range vals {
		if i > 0 {
			b.WriteString(" AND ")
		}
		d.ArrayAny(b, col, []any{v})
	}
	b.WriteString(")")
}

func (dialect) ArrayOnly(b *sqlstore.Builder, col string, vals []any) {
	b.WriteString("NOT EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE NOT ")
	elemMatch(b, vals)
	b.WriteString(")")
}

func (dialect) ArrayElements(col, alias string) (from, elem string) {
	return "json_each(" + col + ") AS " + alias, "json_quote(" + alias + ".value)"
}

func (dialect) StringsHasAny(b *sqlstore.Builder, col string, vals []string) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	b.WriteString("EXISTS (SELECT 1 FROM json_each(" + col + ") WHERE value IN ")
	b.ArgList(args)
	b.WriteString(")")
}

func (dialect) Regex(b *sqlstore.Builder, lhs func(), re string) {
	b.WriteString("sb_regexp(")
	b.Arg(re)
	b.WriteString(", ")
	lhs()
	b.WriteString(")")
}

// call writes fn(col, args...) with args bound.
func call(b *sqlstore.Builder, fn, col string, args ...any) {
	b.WriteString(fn + "(" + col)
	for _, a := range args {
		b.WriteString(", ")
		b.Arg(a)
	}
	b.WriteString(")")
}

func (dialect) GeoDistance(b *sqlstore.Builder, col string, p core.GeoPoint) {
	call(b, "sb_geo_dist", col, p.Latitude, p.Longitude)
}

func (dialect) GeoLatLng(col string) (lat, lng string) {
	return "json_extract(" + col + ", '$[0]')", "json_extract(" + col + ", '$[1]')"
}

func (dialect) GeoInPolygon(b *sqlstore.Builder, col string, poly []core.GeoPoint) {
	pts := make([][2]float64, len(poly))
	for i, p := range poly {
		pts[i] = [2]float64{p.Latitude, p.Longitude}
	}
	call(b, "sb_geo_in_polygon", col, sqlstore.JSONText(pts))
}

func (dialect) PolygonContains(b *sqlstore.Builder, col string, p core.GeoPoint) {
	call(b, "sb_polygon_contains", col, p.Latitude, p.Longitude)
}
