package core

import (
	"context"
	"regexp"
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
	return w, nil
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
	return Errorf(CodeInvalidJSON, "The __op %q is not supported: use Delete, Increment, Add, AddUnique, Remove, AddRelation, RemoveRelation or Batch", op)
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

// Create saves a new object and returns {objectId, createdAt}. A _User is
// created by Signup, which also answers with a session token.
func (a *App) Create(ctx context.Context, auth *Auth, className string, body map[string]any) (map[string]any, error) {
	if className == userClass {
		reply, _, err := a.Signup(ctx, auth, body)
		return reply, err
	}
	if className == sessionClass && !auth.Master {
		// As on Parse Server, a client's POST /classes/_Session is POST
		// /sessions: a new session for the caller, nothing from the body.
		s, err := a.CreateRestrictedSession(ctx, auth)
		if err != nil {
			return nil, err
		}
		return map[string]any{FieldObjectID: s[FieldObjectID], FieldCreatedAt: s[FieldCreatedAt], "sessionToken": s["sessionToken"]}, nil
	}
	if err := a.checkCreate(auth, className); err != nil {
		return nil, err
	}
	w, derr := decodeWrite(body, true)
	if derr != nil {
		return nil, derr
	}
	if className == roleClass {
		if err := checkRole(w); err != nil {
			return nil, err
		}
	}
	obj, err := a.create(ctx, auth, className, NewObjectID(), w)
	if err != nil {
		return nil, err
	}
	if className == roleClass {
		a.afterCommit(ctx, a.rolesChanged)
	}
	return map[string]any{FieldObjectID: obj.ID(), FieldCreatedAt: FormatTime(obj[FieldCreatedAt].(time.Time))}, nil
}

// checkCreate applies the rules every create shares: no writes with the
// read-only master key, valid class names, internal classes closed, and
// the class's create permission.
func (a *App) checkCreate(auth *Auth, className string) error {
	if err := auth.checkWrite(); err != nil {
		return err
	}
	if !ValidClassName(className) {
		return Errorf(CodeInvalidClassName, "Invalid classname: %s, classnames can only have alphanumeric characters and _, and must start with an alpha character ", className)
	}
	if err := checkClassAccess(className, auth); err != nil {
		return err
	}
	if c := a.Class(className); c != nil {
		if _, err := checkCLP(c, opCreate, auth); err != nil {
			return err
		}
	}
	return nil
}

// create stores a decoded object with the given id after schema inference,
// defaults and required-field checks, with its relations in one transaction.
func (a *App) create(ctx context.Context, auth *Auth, className, id string, w *decodedWrite) (Object, error) {
	c, err := a.ensureFields(ctx, auth, className, w.fields)
	if err != nil {
		return nil, err
	}
	if err := w.checkAgainstSchema(c); err != nil {
		return nil, err
	}
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
		}
		if _, set := obj[name]; !set && f.Required {
			return nil, Errorf(CodeValidationError, "%s is required", name)
		}
	}
	rels := w.relationUpdates()
	if len(rels) == 0 {
		return obj, a.storeFor(ctx).Insert(ctx, c, obj)
	}
	err = a.InTransaction(ctx, func(ctx context.Context) error {
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

var roleNamePattern = regexp.MustCompile(`^[0-9A-Za-z_\- ]+$`)

// checkRole enforces Parse's rules for a new role: a valid name.
func checkRole(w *decodedWrite) *Error {
	set, _ := w.update["name"].(Set)
	name, _ := set.Value.(string)
	if name == "" || !roleNamePattern.MatchString(name) {
		return Errorf(CodeInvalidRoleName, "A role's name can only contain alphanumeric characters, _, - and spaces, and must not be empty.")
	}
	return nil
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

// Update changes an object and returns {updatedAt} plus the new values of
// fields changed by operators, which the SDKs merge into their copy.
func (a *App) Update(ctx context.Context, auth *Auth, className, id string, body map[string]any) (map[string]any, error) {
	if err := auth.checkWrite(); err != nil {
		return nil, err
	}
	if !ValidClassName(className) {
		return nil, Errorf(CodeInvalidClassName, "Invalid classname: %s", className)
	}
	if err := checkClassAccess(className, auth); err != nil {
		return nil, err
	}
	if a.Class(className) == nil {
		return nil, ErrNotFound()
	}
	w, derr := decodeWrite(body, false)
	if derr != nil {
		return nil, derr
	}
	var afterUser func(Object) error
	switch className {
	case sessionClass:
		if !auth.Master && auth.UserID == "" {
			return nil, Errorf(CodeInvalidSessionToken, "Session token required.")
		}
		if !auth.Master {
			return nil, Errorf(CodeOperationForbidden, "sessions cannot be changed by clients")
		}
		defer a.afterCommit(ctx, a.sessionsChanged)
	case roleClass:
		if _, renamed := w.update["name"]; renamed {
			return nil, Errorf(CodeChangedImmutableField, "A role's name can only be set before it has been saved.")
		}
		defer a.afterCommit(ctx, a.rolesChanged)
	case userClass:
		var err error
		if afterUser, err = a.prepareUserUpdate(ctx, auth, id, w); err != nil {
			return nil, err
		}
	}
	updated, err := a.update(ctx, auth, className, id, w)
	if err != nil {
		return nil, err
	}
	if afterUser != nil {
		if err := afterUser(updated); err != nil {
			return nil, err
		}
	}
	reply := map[string]any{FieldUpdatedAt: FormatTime(updated[FieldUpdatedAt].(time.Time))}
	for _, k := range w.opFields {
		switch w.update[k].(type) {
		case Increment, Add, AddUnique, Remove:
			if v, ok := updated[k]; ok {
				reply[k] = EncodeValue(v)
			}
		}
	}
	return reply, nil
}

// update applies a decoded change to one object the caller may write.
func (a *App) update(ctx context.Context, auth *Auth, className, id string, w *decodedWrite) (Object, error) {
	c, err := a.ensureFields(ctx, auth, className, w.fields)
	if err != nil {
		return nil, err
	}
	if err := w.checkAgainstSchema(c); err != nil {
		return nil, err
	}
	where, cerr := authorize(c, opUpdate, auth)
	if cerr != nil {
		return nil, cerr
	}
	now := Now()
	w.update[FieldUpdatedAt] = Set{Value: now}
	if w.hasACL {
		w.update[FieldACL] = Set{Value: w.acl}
	}
	writeACL := auth.Principals()
	if len(w.nested) > 0 {
		// Read the Object fields and write them back in one transaction.
		var updated Object
		err := a.InTransaction(ctx, func(ctx context.Context) error {
			cur, err := a.storeFor(ctx).Find(ctx, c, &Query{Where: Cmp{Field: FieldObjectID, Op: OpEq, Value: id}, Limit: 1})
			if err != nil {
				return err
			}
			if len(cur) == 0 {
				return ErrNotFound()
			}
			if err := w.applyNested(cur[0]); err != nil {
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

// Delete removes one object the caller may write, or answers 101.
func (a *App) Delete(ctx context.Context, auth *Auth, className, id string) error {
	if err := auth.checkWrite(); err != nil {
		return err
	}
	if !ValidClassName(className) {
		return Errorf(CodeInvalidClassName, "Invalid classname: %s", className)
	}
	if err := checkClassAccess(className, auth); err != nil {
		return err
	}
	c := a.Class(className)
	if c == nil {
		return ErrNotFound()
	}
	if className == userClass && !auth.Master && auth.UserID != id {
		return Errorf(CodeSessionMissing, "Cannot delete user %s.", id)
	}
	if className == sessionClass && !auth.Master && auth.UserID == "" {
		return Errorf(CodeInvalidSessionToken, "Session token required.")
	}
	clp, cerr := authorize(c, opDelete, auth)
	if cerr != nil {
		return cerr
	}
	where := andExpr(Cmp{Field: FieldObjectID, Op: OpEq, Value: id}, clp)
	n, err := a.storeFor(ctx).Delete(ctx, c, where, auth.Principals())
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound()
	}
	switch className {
	case userClass:
		return a.revokeSessions(ctx, id, "")
	case sessionClass:
		a.afterCommit(ctx, a.sessionsChanged)
	case roleClass:
		a.afterCommit(ctx, a.rolesChanged)
	}
	return nil
}
