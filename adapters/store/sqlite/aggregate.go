package sqlite

import (
	"strings"

	"github.com/switchboardhq/switchboard/adapters/store/sqlstore"
	"github.com/switchboardhq/switchboard/core"
)

// SQLite's aggregate pipeline functions (sqlstore.AggregateDialect): JSON
// values are text made by SQLite's JSON functions, which json_object and
// json_group_array embed as JSON. A scalar column is given to them as it
// is: they render text as a JSON string, numbers as numbers, NULL as null.

var _ sqlstore.AggregateDialect = dialect{}

// jsonStored are the types whose column already holds JSON text.
var jsonStored = map[core.Type]bool{
	core.TypeObject: true, core.TypeArray: true, core.TypeGeoPoint: true, core.TypePolygon: true, core.TypeFile: true,
}

func (dialect) AggJSON(expr string, t core.Type, isJSON bool) string {
	if isJSON || jsonStored[t] {
		return "json(" + expr + ")"
	}
	return expr
}

// AggJSONPath inlines the path as a string literal (SQLite string
// literals have no escapes but ”) rather than binding it: SQLite's "?"
// placeholders are positional, and the expression may be placed or
// repeated anywhere.
func (dialect) AggJSONPath(_ *sqlstore.Builder, col string, path []string) string {
	return "nullif(" + col + " -> '" + strings.ReplaceAll(jsonPath(path), "'", "''") + "', 'null')"
}

func (dialect) AggScalar(expr string) string { return "json_extract(" + expr + ", '$')" }

func (dialect) AggNumber(expr string) string {
	return "iif(json_type(" + expr + ") IN ('integer', 'real'), json_extract(" + expr + ", '$'), NULL)"
}

func (dialect) AggObject(keys, exprs []string) string {
	var sb strings.Builder
	sb.WriteString("json_object(")
	for i, k := range keys {
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString("'" + k + "', " + exprs[i])
	}
	sb.WriteString(")")
	return sb.String()
}

func (dialect) AggArray(expr string, distinct bool, order string) string {
	if distinct {
		return "json_group_array(DISTINCT " + expr + ") FILTER (WHERE " + expr + " IS NOT NULL)"
	}
	if order != "" {
		order = " ORDER BY " + order
	}
	return "json_group_array(" + expr + order + ") FILTER (WHERE " + expr + " IS NOT NULL)"
}

func (dialect) AggPick(expr string, last bool, order string) string {
	if order != "" {
		order = " ORDER BY " + order
	}
	at := "'$[0]'"
	if last {
		at = "'$[#-1]'"
	}
	return "(json_group_array(" + expr + order + ") -> " + at + ")"
}

func (dialect) AggMinMax(expr string, _ core.Type, isJSON, max bool) string {
	fn := "min("
	if max {
		fn = "max("
	}
	if isJSON {
		return "json_quote(" + fn + "json_extract(" + expr + ", '$')))"
	}
	return fn + expr + ")"
}

func (dialect) AggUnwind(col, alias string) (from, elem, index string) {
	return "json_each(" + col + ") AS " + alias, "json_quote(" + alias + ".value)", alias + ".key"
}
