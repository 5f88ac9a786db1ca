package core

import (
	"context"
	"math"
	"reflect"
	"strings"
	"time"
)

// decodedWrite is a create or update body, checked and converted.
type decodedWrite struct {
	update   Update // every change but relation ops
	relAdd   map[string][]string
	relDel   map[string][]string
	fields   map[string]Field // the types the body implies, for inference
	acl      ACL
	hasACL   bool
	opFields []string // fields changed by an operator, echoed in the reply
	// nested are changes to keys inside Object fields ({"meta.a.b": 1}),
	// applied by reading the object in the write's transaction.
	nested []nestedChange
	// incremented are the Increments among them, whose new values the
	// reply carries, as for a whole field's.
	incremented []nestedChange
	// defaulted are the fields a create set from their schema default,
	// which the reply carries.
	defaulted []string
}

// nestedChange sets, deletes (Value nil, Delete) or increments one key path
// inside an Object field.
type nestedChange struct {
	field     string
	path      []string
	value     any
	delete    bool
	increment *float64
}

// decodeWrite checks a create or update body against nothing but itself: it
// validates names and values and works out the field types they imply.
// Envelope keys (_method, _ApplicationId, ...) are removed by the API first.
func decodeWrite(body map[string]any, creating bool) (*decodedWrite, *Error) {
	w := &decodedWrite{update: Update{}, fields: map[string]Field{}}
	for key, raw := range body {
		switch key {
		case FieldCreatedAt, FieldUpdatedAt:
			continue // set by the server, as on Parse Server
		case FieldObjectID:
			if creating {
				return nil, Errorf(CodeInvalidKeyName, "objectId is an invalid field name.")
			}
			continue
		case FieldACL:
			if raw == nil {
				w.hasACL, w.acl = true, nil
				continue
			}
			if m, ok := raw.(map[string]any); ok && m["__op"] == "Delete" {
				w.hasACL, w.acl = true, nil
				continue
			}
			acl, err := DecodeACL(raw)
			if err != nil {
				return nil, err
			}
			w.hasACL, w.acl = true, acl
			continue
		}
		if top, rest, dotted := strings.Cut(key, "."); dotted && ValidFieldName(top) && !strings.HasPrefix(top, "_") {
			if err := w.decodeNested(key, top, rest, raw); err != nil {
				return nil, err
			}
			continue
		}
		if !ValidFieldName(key) || strings.HasPrefix(key, "_") {
			return nil, Errorf(CodeInvalidKeyName, "Invalid field name: %s.", key)
		}
		if m, ok := raw.(map[string]any); ok {
			if op, ok := m["__op"].(string); ok {
				if err := w.decodeOp(key, op, m); err != nil {
					return nil, err
				}
				continue
			}
		}
		t, v, err := DecodeValue(raw)
		if err != nil {
			return nil, err
		}
		w.setValue(key, t, v)
	}
	return w, nil
}

// setValue records a field's plain (operator-free) value, decoded.
func (w *decodedWrite) setValue(key string, t Type, v any) {
	switch t {
	case "":
		w.update[key] = Unset{}
	case TypeRelation:
		// {"__type":"Relation"} declares the field; it holds no value.
		w.fields[key] = Field{Type: TypeRelation, TargetClass: v.(string)}
	case TypePointer:
		w.fields[key] = Field{Type: TypePointer, TargetClass: v.(Pointer).ClassName}
		w.update[key] = Set{Value: v}
	default:
		w.fields[key] = Field{Type: t}
		w.update[key] = Set{Value: v}
	}
}

// fieldChange is one field a patch decodes again (del: drops).
type fieldChange struct {
	key string
	t   Type
	v   any
	del bool
}

// planPatch works out how to make w, decoded from old, the decoding of
// body by decoding again only the fields whose values differ (a beforeSave
// trigger that sets one field of a write of many): applied (applyPatch),
// the same result as decodeWrite(body), at a fraction of its cost. It takes
// only changes to plain top-level fields (no ACL, dotted key or operator,
// before or after, and no dotted key in the write), between two different
// maps whose unchanged values are the very same (sameRaw); for anything
// else it answers false, and the caller decodes the whole body.
func (w *decodedWrite) planPatch(old, body map[string]any) ([]fieldChange, bool, *Error) {
	if len(w.nested) > 0 || sameRaw(old, body) {
		// The same map may have been changed in place: decode it all.
		return nil, false, nil
	}
	plain := func(key string, raw any) bool {
		switch key {
		case FieldACL, FieldObjectID, FieldCreatedAt, FieldUpdatedAt:
			return false
		}
		if strings.Contains(key, ".") {
			return false
		}
		if m, ok := raw.(map[string]any); ok {
			if _, isOp := m["__op"].(string); isOp {
				return false
			}
		}
		return true
	}
	var changes []fieldChange
	for key, raw := range body {
		was, had := old[key]
		if had && sameRaw(was, raw) {
			continue
		}
		if !plain(key, raw) || (had && !plain(key, was)) {
			return nil, false, nil
		}
		if !ValidFieldName(key) || strings.HasPrefix(key, "_") {
			return nil, false, Errorf(CodeInvalidKeyName, "Invalid field name: %s.", key)
		}
		t, v, err := DecodeValue(raw)
		if err != nil {
			return nil, false, err
		}
		changes = append(changes, fieldChange{key: key, t: t, v: v})
	}
	for key, was := range old {
		if _, kept := body[key]; !kept {
			if !plain(key, was) {
				return nil, false, nil
			}
			changes = append(changes, fieldChange{key: key, del: true})
		}
	}
	return changes, true, nil
}

func (w *decodedWrite) applyPatch(changes []fieldChange) {
	for _, c := range changes {
		delete(w.update, c.key)
		delete(w.fields, c.key)
		if !c.del {
			w.setValue(c.key, c.t, c.v)
		}
	}
}

// sameRaw reports whether two values of a write are the very same: equal
// scalars, or the same map or slice (not merely equal contents).
func sameRaw(a, b any) bool {
	switch x := a.(type) {
	case nil:
		return b == nil
	case string, float64, bool:
		return a == b
	case map[string]any:
		y, ok := b.(map[string]any)
		return ok && reflect.ValueOf(x).UnsafePointer() == reflect.ValueOf(y).UnsafePointer()
	case []any:
		y, ok := b.([]any)
		return ok && len(x) == len(y) && (len(x) == 0 || &x[0] == &y[0])
	}
	return false
}

// decodeNested reads a change to a key inside an Object field.
func (w *decodedWrite) decodeNested(key, top, rest string, raw any) *Error {
	path := strings.Split(rest, ".")
	for _, seg := range path {
		if seg == "" || strings.ContainsAny(seg, "$") {
			return Errorf(CodeInvalidKeyName, "Invalid field name: %s.", key)
		}
	}
	if _, whole := w.update[top]; whole {
		return Errorf(CodeInvalidKeyName, "%s is changed both whole and by key", top)
	}
	ch := nestedChange{field: top, path: path}
	if m, ok := raw.(map[string]any); ok {
		switch m["__op"] {
		case nil:
		case "Delete":
			ch.delete = true
		case "Increment":
			amount, ok := m["amount"].(float64)
			if !ok {
				return Errorf(CodeInvalidJSON, "Increment needs a numeric \"amount\"")
			}
			ch.increment = &amount
		default:
			return Errorf(CodeInvalidJSON, "only Delete and Increment can change a key inside an Object, not %v", m["__op"])
		}
	}
	if !ch.delete && ch.increment == nil {
		if err := checkNestedJSON(raw, 1); err != nil {
			return err
		}
		ch.value = raw
	}
	w.fields[top] = Field{Type: TypeObject}
	w.nested = append(w.nested, ch)
	if ch.increment != nil {
		w.incremented = append(w.incremented, ch)
	}
	return nil
}

// applyNested applies the nested changes to the current Object values of
// obj and records the results as whole-field Sets.
func (w *decodedWrite) applyNested(current Object) *Error {
	values := map[string]map[string]any{}
	for _, ch := range w.nested {
		m, ok := values[ch.field]
		if !ok {
			m = deepCopyMap(current[ch.field])
			values[ch.field] = m
		}
		parent := m
		for _, seg := range ch.path[:len(ch.path)-1] {
			next, ok := parent[seg].(map[string]any)
			if !ok {
				next = map[string]any{}
				parent[seg] = next
			}
			parent = next
		}
		last := ch.path[len(ch.path)-1]
		switch {
		case ch.delete:
			delete(parent, last)
		case ch.increment != nil:
			n, isNum := parent[last].(float64)
			if parent[last] != nil && !isNum {
				return Errorf(CodeIncorrectType, "cannot increment %s.%s: it is not a number", ch.field, strings.Join(ch.path, "."))
			}
			parent[last] = n + *ch.increment
		default:
			parent[last] = ch.value
		}
	}
	for field, m := range values {
		w.update[field] = Set{Value: m}
	}
	return nil
}

func deepCopyMap(v any) map[string]any {
	m, _ := v.(map[string]any)
	out := make(map[string]any, len(m))
	for k, e := range m {
		if sub, ok := e.(map[string]any); ok {
			out[k] = deepCopyMap(sub)
		} else {
			out[k] = e
		}
	}
	return out
}

func (w *decodedWrite) decodeOp(key, op string, m map[string]any) *Error {
	w.opFields = append(w.opFields, key)
	switch op {
	case "Delete":
		w.update[key] = Unset{}
		return nil
	case "Increment":
		amount, ok := m["amount"].(float64)
		if !ok {
			return Errorf(CodeInvalidJSON, "Increment needs a numeric \"amount\"")
		}
		w.fields[key] = Field{Type: TypeNumber}
		w.update[key] = Increment{Amount: amount}
		return nil
	case "BitAnd", "BitOr", "BitXor":
		// LeanCloud's bit operators: {"__op": "BitOr", "value": 4}.
		v, ok := m["value"].(float64)
		if !ok || v != math.Trunc(v) || math.Abs(v) > 1<<53 {
			return Errorf(CodeInvalidJSON, "%s needs an integer \"value\" (at most 2^53 in size)", op)
		}
		w.fields[key] = Field{Type: TypeNumber}
		w.update[key] = Bitwise{Op: map[string]BitOp{"BitAnd": BitAnd, "BitOr": BitOr, "BitXor": BitXor}[op], Value: int64(v)}
		return nil
	case "Add", "AddUnique", "Remove":
		objects, ok := m["objects"].([]any)
		if !ok {
			return Errorf(CodeInvalidJSON, "%s needs an \"objects\" array", op)
		}
		if err := checkNestedJSON(objects, 1); err != nil {
			return err
		}
		w.fields[key] = Field{Type: TypeArray}
		switch op {
		case "Add":
			w.update[key] = Add{Values: objects}
		case "AddUnique":
			w.update[key] = AddUnique{Values: objects}
		default:
			w.update[key] = Remove{Values: objects}
		}
		return nil
	case "AddRelation", "RemoveRelation":
		return w.decodeRelationOp(key, op, m)
	case "Batch":
		ops, ok := m["ops"].([]any)
		if !ok || len(ops) == 0 {
			return Errorf(CodeInvalidJSON, "Batch needs an \"ops\" array")
		}
		for _, raw := range ops {
			sub, ok := raw.(map[string]any)
			subOp, _ := sub["__op"].(string)
			if !ok || (subOp != "AddRelation" && subOp != "RemoveRelation") {
				return Errorf(CodeInvalidJSON, "Batch ops may only be AddRelation and RemoveRelation")
			}
			if err := w.decodeRelationOp(key, subOp, sub); err != nil {
				return err
			}
		}
		return nil
	}
	return Errorf(CodeInvalidJSON, "The __op %q is not supported: use Delete, Increment, Add, AddUnique, Remove, AddRelation, RemoveRelation, Batch, BitAnd, BitOr or BitXor", op)
}

func (w *decodedWrite) decodeRelationOp(key, op string, m map[string]any) *Error {
	objects, ok := m["objects"].([]any)
	if !ok {
		return Errorf(CodeInvalidJSON, "%s needs an \"objects\" array of pointers", op)
	}
	ids := make([]string, 0, len(objects))
	target := ""
	for _, o := range objects {
		pm, _ := o.(map[string]any)
		p, err := decodePointer(pm)
		if err != nil {
			return err
		}
		if target != "" && p.ClassName != target {
			return Errorf(CodeIncorrectType, "all objects of a relation must be of one class")
		}
		target = p.ClassName
		ids = append(ids, p.ObjectID)
	}
	if target != "" {
		if have, ok := w.fields[key]; ok && have.TargetClass != target {
			return Errorf(CodeIncorrectType, "all objects of a relation must be of one class")
		}
		w.fields[key] = Field{Type: TypeRelation, TargetClass: target}
	}
	if op == "AddRelation" {
		if w.relAdd == nil {
			w.relAdd = map[string][]string{}
		}
		w.relAdd[key] = append(w.relAdd[key], ids...)
	} else {
		if w.relDel == nil {
			w.relDel = map[string][]string{}
		}
		w.relDel[key] = append(w.relDel[key], ids...)
	}
	return nil
}

// relationUpdates returns the relation changes as store updates: additions
// and removals on one field cannot share one Update map, so they are two.
func (w *decodedWrite) relationUpdates() []Update {
	var out []Update
	if len(w.relAdd) > 0 {
		u := Update{}
		for k, ids := range w.relAdd {
			u[k] = AddRelation{IDs: ids}
		}
		out = append(out, u)
	}
	if len(w.relDel) > 0 {
		u := Update{}
		for k, ids := range w.relDel {
			u[k] = RemoveRelation{IDs: ids}
		}
		out = append(out, u)
	}
	return out
}

// checkAgainstSchema rejects values whose class does not fit the schema after
// inference (a Pointer to the wrong class, an op on a field of another type).
func (w *decodedWrite) checkAgainstSchema(c *Class) *Error {
	for k, op := range w.update {
		f, ok := fieldOf(c, k)
		if !ok {
			if _, unset := op.(Unset); unset {
				delete(w.update, k) // deleting a field that never existed is a no-op
				continue
			}
			return Errorf(CodeIncorrectType, "field %s is not in the schema of %s", k, c.Name)
		}
		if f.Type == TypeRelation {
			if _, unset := op.(Unset); !unset {
				return Errorf(CodeIncorrectType, "schema mismatch for %s.%s; expected Relation<%s>", c.Name, k, f.TargetClass)
			}
			delete(w.update, k) // relation rows stay; Parse ignores this
		}
	}
	return nil
}

// create stores a decoded object with the given id in class c (the schema
// after inference), with defaults and required-field checks, and its
// relations in one transaction.
func (a *App) create(ctx context.Context, c *Class, id string, w *decodedWrite) (Object, error) {
	if err := w.applyNested(Object{}); err != nil {
		return nil, err
	}
	now := Now()
	obj := Object{FieldObjectID: id, FieldCreatedAt: now, FieldUpdatedAt: now}
	if w.hasACL && w.acl != nil {
		obj[FieldACL] = w.acl
	}
	for k, op := range w.update {
		switch o := op.(type) {
		case Set:
			obj[k] = o.Value
		case Increment:
			obj[k] = o.Amount
		case Bitwise:
			obj[k] = float64(o.Apply(0))
		case Add:
			obj[k] = o.Values
		case AddUnique:
			obj[k] = uniqueValues(o.Values)
		case Remove:
			obj[k] = []any{}
		}
	}
	for name, f := range c.Fields {
		if _, set := obj[name]; !set && f.DefaultValue != nil {
			obj[name] = f.DefaultValue
			w.defaulted = append(w.defaulted, name)
		}
		if f.Required && isMissing(obj[name]) {
			return nil, errRequired(name)
		}
	}
	rels := w.relationUpdates()
	if len(rels) == 0 {
		return obj, a.storeFor(ctx).Insert(ctx, c, obj)
	}
	err := a.InTransaction(ctx, func(ctx context.Context) error {
		st := a.storeFor(ctx)
		if err := st.Insert(ctx, c, obj); err != nil {
			return err
		}
		for _, u := range rels {
			if _, err := st.Update(ctx, c, obj.ID(), nil, nil, u); err != nil {
				return err
			}
		}
		return nil
	})
	return obj, err
}

// uniqueValues drops repeated values (compared as JSON) from a new array.
func uniqueValues(values []any) []any {
	out := make([]any, 0, len(values))
	seen := map[string]bool{}
	for _, v := range values {
		k := jsonKey(v)
		if !seen[k] {
			seen[k] = true
			out = append(out, v)
		}
	}
	return out
}

// isMissing reports whether a required field counts as not given: absent,
// null or "", as Parse Server counts it.
func isMissing(v any) bool { return v == nil || v == "" }

func errRequired(field string) *Error { return Errorf(CodeValidationError, "%s is required", field) }

// checkRequired refuses an update that removes a required field or sets it
// to null or "" (142), as Parse Server does.
func (w *decodedWrite) checkRequired(c *Class) *Error {
	for k, op := range w.update {
		f, ok := c.Fields[k]
		if !ok || !f.Required {
			continue
		}
		switch o := op.(type) {
		case Unset:
			return errRequired(k)
		case Set:
			if isMissing(o.Value) {
				return errRequired(k)
			}
		}
	}
	return nil
}

// update applies a decoded change to one object the caller may write and
// that meets where (the authorizers' condition).
func (a *App) update(ctx context.Context, auth *Auth, c *Class, id string, w *decodedWrite, where Expr) (Object, error) {
	if err := w.checkRequired(c); err != nil {
		return nil, err
	}
	now := Now()
	w.update[FieldUpdatedAt] = Set{Value: now}
	if w.hasACL {
		w.update[FieldACL] = Set{Value: w.acl}
	}
	writeACL := auth.Principals()
	if len(w.nested) > 0 {
		// Read the Object fields and write them back in one transaction.
		// The read is an update of updatedAt: it locks the row until
		// commit, so two dotted Increments of one object cannot both read
		// the old value (PostgreSQL's READ COMMITTED would let a plain
		// read), and it answers 101 for an object the caller may not
		// write before its values can tell anything by a type error.
		var updated Object
		err := a.InTransaction(ctx, func(ctx context.Context) error {
			cur, err := a.storeFor(ctx).Update(ctx, c, id, where, writeACL, Update{FieldUpdatedAt: Set{Value: now}})
			if err != nil {
				return err
			}
			if err := w.applyNested(cur); err != nil {
				return err
			}
			w.nested = nil
			updated, err = a.writeUpdate(ctx, c, id, where, writeACL, w, now)
			return err
		})
		return updated, err
	}
	return a.writeUpdate(ctx, c, id, where, writeACL, w, now)
}

// writeUpdate stores an update and its relation changes.
func (a *App) writeUpdate(ctx context.Context, c *Class, id string, where Expr, writeACL []string, w *decodedWrite, now time.Time) (Object, error) {
	rels := w.relationUpdates()
	if len(rels) == 0 {
		return a.storeFor(ctx).Update(ctx, c, id, where, writeACL, w.update)
	}
	var updated Object
	err := a.InTransaction(ctx, func(ctx context.Context) error {
		st := a.storeFor(ctx)
		var err error
		if updated, err = st.Update(ctx, c, id, where, writeACL, w.update); err != nil {
			return err
		}
		for _, u := range rels {
			u[FieldUpdatedAt] = Set{Value: now}
			if updated, err = st.Update(ctx, c, id, where, writeACL, u); err != nil {
				return err
			}
		}
		return nil
	})
	return updated, err
}
