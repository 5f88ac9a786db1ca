package postgres

import (
	"strings"

	"github.com/switchboardhq/switchboard/adapters/store/sqlstore"
	"github.com/switchboardhq/switchboard/core"
)

// PostgreSQL's aggregate pipeline functions (sqlstore.AggregateDialect):
// JSON values are jsonb; other columns become jsonb with to_jsonb.

var _ sqlstore.AggregateDialect = dialect{}

func isJSONB(t core.Type) bool {
	switch t {
	case core.TypeObject, core.TypeArray, core.TypeGeoPoint, core.TypePolygon, core.TypeFile:
		return true
	}
	return false
}

func (dialect) AggJSON(expr string, t core.Type, isJSON bool) string {
	if isJSON || isJSONB(t) {
		return expr
	}
	return "to_jsonb(" + expr + ")"
}

// AggJSONPath binds the path: "$n" placeholders may be placed and repeated
// anywhere.
func (dialect) AggJSONPath(b *sqlstore.Builder, col string, path []string) string {
	return "nullif(" + col + " #> " + b.Bind(path) + "::text[], 'null'::jsonb)"
}

func (dialect) AggScalar(expr string) string { return expr }

func (dialect) AggNumber(expr string) string {
	return "CASE WHEN jsonb_typeof(" + expr + ") = 'number' THEN (" + expr + ")::float8 END"
}

func (dialect) AggObject(keys, exprs []string) string {
	var sb strings.Builder
	sb.WriteString("jsonb_build_object(")
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
		return "coalesce(jsonb_agg(DISTINCT " + expr + ") FILTER (WHERE " + expr + " IS NOT NULL), '[]'::jsonb)"
	}
	if order != "" {
		order = " ORDER BY " + order
	}
	return "coalesce(jsonb_agg(" + expr + order + ") FILTER (WHERE " + expr + " IS NOT NULL), '[]'::jsonb)"
}

func (dialect) AggPick(expr string, last bool, order string) string {
	if order != "" {
		order = " ORDER BY " + order
	}
	at := "1"
	if last {
		at = "count(*)::int"
	}
	return "(array_agg(" + expr + order + "))[" + at + "]"
}

// AggMinMax: booleans have bool_and/bool_or, and jsonb has an order but
// no min or max, so it takes the first of the sorted values.
func (dialect) AggMinMax(expr string, t core.Type, isJSON, max bool) string {
	switch {
	case isJSON:
		dir := " ASC"
		if max {
			dir = " DESC"
		}
		return "(array_agg(" + expr + " ORDER BY " + expr + dir + ") FILTER (WHERE " + expr + " IS NOT NULL))[1]"
	case t == core.TypeBoolean && max:
		return "bool_or(" + expr + ")"
	case t == core.TypeBoolean:
		return "bool_and(" + expr + ")"
	case max:
		return "max(" + expr + ")"
	}
	return "min(" + expr + ")"
}

func (dialect) AggUnwind(col, alias string) (from, elem, index string) {
	return "jsonb_array_elements(" + col + ") WITH ORDINALITY AS " + alias + "(v, n)", alias + ".v", "(" + alias + ".n - 1)"
}
