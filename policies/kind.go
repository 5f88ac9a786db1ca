package policies

import (
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"

	"github.com/switchboardhq/switchboard/core"
)

// part is which part of a field's Parse JSON a ref reads.
type part int

const (
	partValue        part = iota // the field itself: String, Number, Boolean, objectId (or no schema)
	partDateString               // createdAt, updatedAt, or the "iso" of a Date field
	partDateWhole                // a Date field: {"__type":"Date","iso":...}
	partPointerWhole             // a Pointer field: {"__type":"Pointer","className":...,"objectId":...}
	partPointerID                // the "objectId" of a Pointer field
	partPointerClass             // the "className" of a Pointer field
	partTypeTag                  // the "__type" of a Pointer or Date field
	partObjectPath               // a key path inside an Object field
	partElement                  // any element of an Array field (input.object.f[_])
	partArray                    // an Array field itself (x in input.object.f)
	partMissing                  // never defined: a field the class does not have, or a key a type does not have
)

// kind is a field ref resolved against the schema.
type kind struct {
	f      field
	typ    core.Type // "" without a schema
	part   part
	target string // a Pointer's target class, or the tag of partTypeTag; "" unknown
}

// kind resolves f against the translator's schema, or infers its part from
// the ref's shape when there is none.
func (t *translator) kind(f field, loc *ast.Location) (kind, error) {
	k := kind{f: f}
	if f.name == core.FieldACL {
		return k, failf(loc, "the ACL field is enforced by the store, not by policies: it cannot be filtered on")
	}
	if f.elem {
		if len(f.keys) > 0 {
			return k, failf(loc, "%v: only the elements of a top-level Array field can become a filter", f)
		}
		if t.class != nil {
			typ, ok := fieldType(t.class, f.name)
			switch {
			case !ok:
				k.part = partMissing
				return k, nil
			case typ == core.TypeObject:
				return k, failf(loc, "%v: iterating over the values of an Object field cannot become a filter", f)
			case typ != core.TypeArray:
				k.part = partMissing // iterating a scalar: undefined
				return k, nil
			}
			k.typ = typ
		}
		k.part = partElement
		return k, nil
	}
	if t.class == nil {
		return t.inferKind(k, loc)
	}
	typ, ok := fieldType(t.class, f.name)
	if !ok {
		k.part = partMissing
		return k, nil
	}
	k.typ = typ
	switch typ {
	case core.TypeObject:
		if len(f.keys) == 0 {
			return k, failf(loc, "%v is an Object field: compare its keys (%v.<key>), not the whole object", f, f)
		}
		k.part = partObjectPath
		return k, nil
	case core.TypePointer:
		if k.target = t.class.Fields[f.name].TargetClass; k.target == "" {
			return k, failf(loc, "%v: the Pointer field has no target class in the schema", f)
		}
	}
	parts, ok := encodedParts[typ]
	if f.name == core.FieldCreatedAt || f.name == core.FieldUpdatedAt {
		parts, ok = map[string]part{"": partDateString}, true
	}
	if !ok {
		return k, failf(loc, "%v is a %s field: filters compare String, Number, Boolean, Date, Pointer, Object and Array fields", f, typ)
	}
	key := ""
	switch len(f.keys) {
	case 0:
	case 1:
		key = f.keys[0]
	default:
		key = "\x00" // no type has nested keys: never defined
	}
	if k.part, ok = parts[key]; !ok {
		k.part = partMissing
	}
	if k.part == partTypeTag {
		k.target = string(typ) // {"__type": "Pointer"} or {"__type": "Date"}
	}
	return k, nil
}

// encodedParts says, for each field type, which parts its Parse JSON has:
// "" is the field itself, other keys one level into it. A key not listed is
// never defined.
var encodedParts = map[core.Type]map[string]part{
	core.TypeString:  {"": partValue},
	core.TypeNumber:  {"": partValue},
	core.TypeBoolean: {"": partValue},
	core.TypeArray:   {"": partArray},
	core.TypeDate:    {"": partDateWhole, "iso": partDateString, "__type": partTypeTag},
	core.TypePointer: {"": partPointerWhole, "objectId": partPointerID, "className": partPointerClass, "__type": partTypeTag},
}

// inferKind guesses the part from the ref alone (no schema: policy eval,
// and the load-time check).
func (t *translator) inferKind(k kind, loc *ast.Location) (kind, error) {
	f := k.f
	switch f.name {
	case core.FieldObjectID:
		k.typ, k.part = core.TypeString, partValue
	case core.FieldCreatedAt, core.FieldUpdatedAt:
		k.typ, k.part = core.TypeDate, partDateString
	}
	if k.typ != "" {
		if len(f.keys) > 0 {
			return k, failf(loc, "%v: %s has no keys", f, f.name)
		}
		return k, nil
	}
	switch {
	case len(f.keys) == 0:
		k.part = partValue
	case len(f.keys) == 1 && f.keys[0] == "objectId":
		k.part = partPointerID
	case len(f.keys) == 1 && f.keys[0] == "className":
		k.part = partPointerClass
	case len(f.keys) == 1 && f.keys[0] == "iso":
		k.part = partDateString
	case len(f.keys) == 1 && f.keys[0] == "__type":
		k.part = partTypeTag
	default:
		k.part = partObjectPath
	}
	return k, nil
}

func fieldType(c *core.Class, name string) (core.Type, bool) {
	if f, ok := core.DefaultFields[name]; ok {
		return f.Type, true
	}
	f, ok := c.Fields[name]
	return f.Type, ok
}

// path is the Object sub-key path of k, if any.
func (k kind) path() []string {
	if k.part == partObjectPath {
		return k.f.keys
	}
	return nil
}

func (k kind) exists() core.Expr {
	return core.Exists{Field: k.f.name, Path: k.path(), Exists: true}
}

// cmp is "field op v" with Rego's meaning: != also requires the field.
func (k kind) cmp(op core.CmpOp, v any) core.Expr {
	c := core.Cmp{Field: k.f.name, Path: k.path(), Op: op, Value: v}
	if op == core.OpNe {
		return core.And{Exprs: []core.Expr{k.exists(), c}}
	}
	return c
}

// mismatch answers a comparison with a value that can never equal the
// field: == is false, != is true when the field is set, and an ordering is
// refused since it is surely a mistake in the policy.
func (k kind) mismatch(op core.CmpOp, v any, loc *ast.Location, want string) (core.Expr, error) {
	switch op {
	case core.OpEq:
		return core.Nothing{}, nil
	case core.OpNe:
		return k.exists(), nil
	}
	return nil, failf(loc, "%v is compared with %s by %s; it needs %s", k.f, quote(v), op, want)
}

func isOrdering(op core.CmpOp) bool { return op != core.OpEq && op != core.OpNe }

func (k kind) compare(t *translator, op core.CmpOp, v operand, loc *ast.Location) (core.Expr, error) {
	switch k.part {
	case partElement:
		if op != core.OpEq {
			return nil, failf(loc, "%v: an element of an Array field can only be tested for equality (the array holds a value)", k.f)
		}
	case partArray:
		return nil, failf(loc, "%v is an Array field: test what it holds with `x in %v`, not %s", k.f, k.f, op)
	case partPointerClass, partTypeTag, partDateWhole, partPointerWhole:
		if isOrdering(op) {
			return nil, failf(loc, "%v cannot be ordered with %s", k.f, op)
		}
	}
	if t.check {
		return nil, nil
	}
	val := v.value
	if val == nil && k.part != partMissing {
		switch op {
		case core.OpEq:
			return core.Nothing{}, nil // Parse JSON never holds a null field
		case core.OpNe:
			return k.exists(), nil
		}
		return nil, failf(loc, "%v is ordered against null", k.f)
	}
	switch k.part {
	case partMissing:
		return core.Nothing{}, nil
	case partValue:
		want, ok := scalarMatches(k.typ, val)
		if !ok {
			return k.mismatch(op, val, loc, want)
		}
		return k.cmp(op, val), nil
	case partDateString:
		d, ok := parseDate(val)
		if !ok {
			return k.mismatch(op, val, loc, "an ISO date string in Parse's form, 2006-01-02T15:04:05.000Z (time.format([ns, \"UTC\", \"2006-01-02T15:04:05.000Z07:00\"]))")
		}
		return k.cmp(op, d), nil
	case partDateWhole:
		m, _ := val.(map[string]any)
		d, ok := parseDate(m["iso"])
		if !ok || len(m) != 2 || m["__type"] != "Date" {
			return k.mismatch(op, val, loc, "a Date")
		}
		return k.cmp(op, d), nil
	case partPointerWhole:
		m, _ := val.(map[string]any)
		id, ok := m["objectId"].(string)
		if !ok || len(m) != 3 || m["__type"] != "Pointer" || m["className"] != k.target {
			return k.mismatch(op, val, loc, "a Pointer to "+k.target)
		}
		return k.cmp(op, id), nil
	case partPointerID:
		if _, ok := val.(string); !ok {
			return k.mismatch(op, val, loc, "a string")
		}
		return k.cmp(op, val), nil
	case partPointerClass, partTypeTag:
		if k.target == "" {
			return nil, failf(loc, "%v needs the class's schema to become a filter", k.f)
		}
		if (val == k.target) == (op == core.OpEq) {
			return k.exists(), nil
		}
		return core.Nothing{}, nil
	case partObjectPath:
		switch val.(type) {
		case string, float64, bool:
			return k.cmp(op, val), nil
		}
		return nil, failf(loc, "%v is compared with %s; inside an Object field filters compare strings, numbers and booleans", k.f, quote(val))
	case partElement:
		return core.ArrayContains{Field: k.f.name, Values: []any{val}}, nil
	}
	return nil, failf(loc, "%v cannot become a filter", k.f)
}

// scalarMatches reports whether v has the JSON type of a field of type typ
// (any scalar when typ is unknown), and what it should be otherwise.
func scalarMatches(typ core.Type, v any) (string, bool) {
	switch typ {
	case core.TypeString:
		_, ok := v.(string)
		return "a string", ok
	case core.TypeNumber:
		_, ok := v.(float64)
		return "a number", ok
	case core.TypeBoolean:
		_, ok := v.(bool)
		return "a boolean", ok
	}
	switch v.(type) {
	case string, float64, bool:
		return "", true
	}
	return "a string, a number or a boolean", false
}

// in is "field in vals".
func (k kind) in(t *translator, vals []any, loc *ast.Location) (core.Expr, error) {
	switch k.part {
	case partArray:
		return nil, failf(loc, "%v is an Array field: test its elements with `some x in %v`", k.f, k.f)
	case partElement:
		for _, v := range vals {
			if v == nil {
				return nil, failf(loc, "%v: null cannot be looked for in an Array field", k.f)
			}
		}
		if len(vals) == 0 {
			return core.Nothing{}, nil
		}
		return core.In{Field: k.f.name, Values: vals}, nil
	}
	ors := make([]core.Expr, 0, len(vals))
	for _, v := range vals {
		x, err := k.compare(t, core.OpEq, operand{value: v}, loc)
		if err != nil {
			return nil, err
		}
		ors = append(ors, x)
	}
	return simplifyOr(ors), nil
}

// holds is "v in field": the Array field holds v.
func (k kind) holds(t *translator, v operand, loc *ast.Location) (core.Expr, error) {
	switch k.part {
	case partArray, partValue:
		if k.part == partValue && k.typ != "" {
			return core.Nothing{}, nil // `x in "a string"` is undefined
		}
	case partMissing:
		return core.Nothing{}, nil
	default:
		return nil, failf(loc, "`x in %v` becomes a filter only for an Array field", k.f)
	}
	if t.check {
		return nil, nil
	}
	if v.value == nil {
		return nil, failf(loc, "null cannot be looked for in %v", k.f)
	}
	return core.ArrayContains{Field: k.f.name, Values: []any{v.value}}, nil
}

func (k kind) regex(t *translator, pattern string, loc *ast.Location) (core.Expr, error) {
	switch k.part {
	case partMissing:
		return core.Nothing{}, nil
	case partValue:
		if k.typ != "" && k.typ != core.TypeString {
			return core.Nothing{}, nil // a string builtin on a non-string is undefined
		}
	case partObjectPath:
	default:
		return nil, failf(loc, "%v: string matching becomes a filter only on String fields and keys of Object fields", k.f)
	}
	if t.check {
		return nil, nil
	}
	return core.Regex{Field: k.f.name, Path: k.path(), Pattern: pattern}, nil
}

// truthy is a bare `input.object.f`: defined and not false.
func (k kind) truthy(t *translator, loc *ast.Location) (core.Expr, error) {
	switch k.part {
	case partElement:
		return nil, failf(loc, "%v: a bare element of an Array field cannot become a filter; compare it", k.f)
	case partMissing:
		return core.Nothing{}, nil
	}
	if t.check {
		return nil, nil
	}
	switch {
	case k.part == partValue && k.typ == core.TypeBoolean:
		return core.Cmp{Field: k.f.name, Op: core.OpEq, Value: true}, nil
	case (k.part == partValue && k.typ == "") || k.part == partObjectPath:
		return core.And{Exprs: []core.Expr{k.exists(), core.Cmp{Field: k.f.name, Path: k.path(), Op: core.OpNe, Value: false}}}, nil
	}
	return k.exists(), nil // a string, number, date or pointer is never false
}

// mergeKey names the field+path an equality tests, for simplifyOr.
func mergeKey(field string, path []string) string {
	return field + "\x00" + strings.Join(path, "\x00")
}
