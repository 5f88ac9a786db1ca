package policies

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Where renders a filter as a Parse where document, for people: the
// decision log, `switchboard policy eval` and debug messages. Stores never
// see this form; they compile the Expr itself. Dates become Parse Date
// objects; a condition that matches nothing is {"$nothing": true}.
func Where(e core.Expr) map[string]any {
	switch x := e.(type) {
	case nil:
		return map[string]any{}
	case core.And:
		return map[string]any{"$and": whereList(x.Exprs)}
	case core.Or:
		return map[string]any{"$or": whereList(x.Exprs)}
	case core.Nor:
		return map[string]any{"$nor": whereList(x.Exprs)}
	case core.Nothing:
		return map[string]any{"$nothing": true}
	case core.Cmp:
		ops := map[core.CmpOp]string{core.OpEq: "$eq", core.OpNe: "$ne", core.OpLt: "$lt", core.OpLte: "$lte", core.OpGt: "$gt", core.OpGte: "$gte"}
		return map[string]any{key(x.Field, x.Path): map[string]any{ops[x.Op]: wireValue(x.Value)}}
	case core.In:
		op := "$in"
		if x.Not {
			op = "$nin"
		}
		return map[string]any{key(x.Field, x.Path): map[string]any{op: wireValues(x.Values)}}
	case core.Exists:
		return map[string]any{key(x.Field, x.Path): map[string]any{"$exists": x.Exists}}
	case core.ArrayContains:
		return map[string]any{x.Field: map[string]any{"$all": wireValues(x.Values)}}
	case core.ArrayContainedBy:
		return map[string]any{x.Field: map[string]any{"$containedBy": wireValues(x.Values)}}
	case core.Regex:
		m := map[string]any{"$regex": x.Pattern}
		if x.Options != "" {
			m["$options"] = x.Options
		}
		return map[string]any{key(x.Field, x.Path): m}
	}
	return map[string]any{"$unsupported": true}
}

// WhereString is Where as compact JSON.
func WhereString(e core.Expr) string {
	b, err := json.Marshal(Where(e))
	if err != nil {
		return err.Error()
	}
	return string(b)
}

func whereList(exprs []core.Expr) []any {
	out := make([]any, len(exprs))
	for i, e := range exprs {
		out[i] = Where(e)
	}
	return out
}

func wireValues(vs []any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = wireValue(v)
	}
	return out
}

func wireValue(v any) any {
	if t, ok := v.(time.Time); ok {
		return map[string]any{"__type": "Date", "iso": core.FormatTime(t)}
	}
	return v
}

func key(field string, path []string) string {
	if len(path) == 0 {
		return field
	}
	return field + "." + strings.Join(path, ".")
}
