package core

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// DefaultCLP is the class-level permission set of a new class: open to all,
// as on Parse Server.
func DefaultCLP() map[string]any {
	open := func() map[string]any { return map[string]any{"*": true} }
	return map[string]any{
		"find": open(), "count": open(), "get": open(), "create": open(),
		"update": open(), "delete": open(), "addField": open(),
		"protectedFields": map[string]any{"*": []any{}},
	}
}

var clpOperations = map[string]bool{
	"find": true, "count": true, "get": true, "create": true, "update": true,
	"delete": true, "addField": true, "readUserFields": true, "writeUserFields": true,
	"protectedFields": true,
}

// validateCLP checks a classLevelPermissions document's shape. Enforcement is
// the permission layer's job; this only keeps nonsense out of the schema.
func validateCLP(v any) (map[string]any, *Error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, Errorf(CodeInvalidJSON, "classLevelPermissions must be an object")
	}
	for op, perms := range m {
		if !clpOperations[op] {
			return nil, Errorf(CodeInvalidJSON, "%s is not a valid operation for class level permissions", op)
		}
		switch op {
		case "readUserFields", "writeUserFields":
			if _, ok := perms.([]any); !ok {
				return nil, Errorf(CodeInvalidJSON, "'%s' must be an array of field names", op)
			}
			continue
		}
		pm, ok := perms.(map[string]any)
		if !ok {
			return nil, Errorf(CodeInvalidJSON, "'%s' must be an object", op)
		}
		for k, val := range pm {
			switch {
			case op == "protectedFields":
				if _, ok := val.([]any); !ok {
					return nil, Errorf(CodeInvalidJSON, "protectedFields[%q] must be an array of field names", k)
				}
			case k == "pointerFields":
				if _, ok := val.([]any); !ok {
					return nil, Errorf(CodeInvalidJSON, "'pointerFields' must be an array of field names")
				}
			default:
				if b, ok := val.(bool); !ok || !b {
					return nil, Errorf(CodeInvalidJSON, "'%v' is not a valid value for class level permissions %s:%s:%v", val, op, k, val)
				}
			}
		}
	}
	return m, nil
}

// SchemaJSON renders a class's schema as the /schemas API does.
func SchemaJSON(c *Class) map[string]any {
	fields := make(map[string]any, len(c.Fields)+len(DefaultFields))
	for name, f := range DefaultFields {
		fields[name] = fieldJSON(f)
	}
	for name, f := range c.Fields {
		fields[name] = fieldJSON(f)
	}
	clp := c.CLP
	if clp == nil {
		clp = DefaultCLP()
	}
	indexes := map[string]any{"_id_": map[string]any{"_id": 1}}
	for name, idx := range c.Indexes {
		keys := make(map[string]any, len(idx.Keys))
		for _, k := range idx.Keys {
			switch {
			case k.Text:
				keys[k.Field] = "text"
			case k.Desc:
				keys[k.Field] = -1
			default:
				keys[k.Field] = 1
			}
		}
		indexes[name] = keys
	}
	return map[string]any{"className": c.Name, "fields": fields, "classLevelPermissions": clp, "indexes": indexes}
}

func fieldJSON(f Field) map[string]any {
	m := map[string]any{"type": string(f.Type)}
	if f.TargetClass != "" {
		m["targetClass"] = f.TargetClass
	}
	if f.Required {
		m["required"] = true
	}
	if f.DefaultValue != nil {
		m["defaultValue"] = EncodeValue(f.DefaultValue)
	}
	return m
}

// parseFieldDef reads one field definition of the schema API.
func parseFieldDef(name string, v any) (Field, *Error) {
	if !ValidFieldName(name) {
		return Field{}, Errorf(CodeInvalidKeyName, "invalid field name: %s", name)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return Field{}, Errorf(CodeIncorrectType, "field %s: expected {\"type\": ...}", name)
	}
	t, _ := m["type"].(string)
	f := Field{Type: Type(t)}
	if !f.Type.Valid() || f.Type == TypeACL {
		return Field{}, Errorf(CodeIncorrectType, "invalid field type: %s", t)
	}
	if f.Type == TypePointer || f.Type == TypeRelation {
		target, _ := m["targetClass"].(string)
		if target == "" {
			return Field{}, Errorf(CodeMissingRequiredField, "type %s needs a class name", t)
		}
		if !ValidClassName(target) {
			return Field{}, Errorf(CodeInvalidClassName, "Invalid classname: %s", target)
		}
		f.TargetClass = target
	}
	if r, ok := m["required"]; ok && r != nil {
		b, isBool := r.(bool)
		if !isBool {
			return Field{}, Errorf(CodeIncorrectType, "field %s: the 'required' option must be true or false", name)
		}
		f.Required = b
	}
	if dv, ok := m["defaultValue"]; ok && dv != nil && f.Type == TypeRelation {
		return Field{}, Errorf(CodeIncorrectType, "field %s: the 'default value' option is not applicable for Relation<%s>", name, f.TargetClass)
	}
	if f.Required && f.Type == TypeRelation {
		return Field{}, Errorf(CodeIncorrectType, "field %s: the 'required' option is not applicable for Relation<%s>", name, f.TargetClass)
	}
	if dv, ok := m["defaultValue"]; ok && dv != nil {
		dt, val, err := DecodeValue(dv)
		if err != nil {
			return Field{}, err
		}
		if dt != f.Type {
			return Field{}, Errorf(CodeIncorrectType, "schema mismatch for %s default value; expected %s but got %s", name, f.Type, dt)
		}
		f.DefaultValue = val
	}
	return f, nil
}

// parseIndex reads one index definition: {"field": 1 | -1 | "text", ...}.
func parseIndex(c *Class, name string, v any) (Index, *Error) {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 {
		return Index{}, Errorf(CodeInvalidQuery, "index %s: expected {\"field\": 1}", name)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	// JSON objects are unordered once decoded; sort for a stable definition.
	sort.Strings(keys)
	var idx Index
	for _, field := range keys {
		if _, ok := c.Fields[field]; !ok {
			if _, builtin := DefaultFields[field]; !builtin {
				return Index{}, Errorf(CodeInvalidQuery, "Field %s does not exist, cannot add index.", field)
			}
		}
		k := IndexKey{Field: field}
		switch d := m[field].(type) {
		case float64:
			if d != 1 && d != -1 {
				return Index{}, Errorf(CodeInvalidQuery, "index %s: direction must be 1 or -1", name)
			}
			k.Desc = d == -1
		case string:
			if d != "text" {
				return Index{}, Errorf(CodeInvalidQuery, "index %s: only \"text\" is allowed as a string", name)
			}
			k.Text = true
		default:
			return Index{}, Errorf(CodeInvalidQuery, "index %s: direction must be 1, -1 or \"text\"", name)
		}
		idx.Keys = append(idx.Keys, k)
	}
	return idx, nil
}

// GetSchema returns one class's schema (master key only).
func (a *App) GetSchema(ctx context.Context, auth *Auth, name string) (map[string]any, error) {
	if err := auth.requireMaster("read schemas"); err != nil {
		return nil, err
	}
	c := a.Class(name)
	if c == nil {
		return nil, Errorf(CodeInvalidClassName, "Class %s does not exist.", name)
	}
	return SchemaJSON(c), nil
}

// ListSchemas returns every class's schema (master key only).
func (a *App) ListSchemas(ctx context.Context, auth *Auth) ([]any, error) {
	if err := auth.requireMaster("read schemas"); err != nil {
		return nil, err
	}
	classes := a.Classes()
	sort.Slice(classes, func(i, j int) bool { return classes[i].Name < classes[j].Name })
	out := make([]any, len(classes))
	for i, c := range classes {
		out[i] = SchemaJSON(c)
	}
	return out, nil
}

// CreateSchema creates a class from a schema document (master key only).
func (a *App) CreateSchema(ctx context.Context, auth *Auth, name string, body map[string]any) (map[string]any, error) {
	if err := auth.requireMaster("create schemas"); err != nil {
		return nil, err
	}
	if err := auth.checkWrite(); err != nil {
		return nil, err
	}
	if bodyName, ok := body["className"].(string); ok && bodyName != name {
		if name == "" {
			name = bodyName
		} else {
			return nil, Errorf(CodeInvalidClassName, "Class name mismatch between %s and %s.", bodyName, name)
		}
	}
	if name == "" {
		return nil, Errorf(CodeMissingObjectID, "POST /schemas needs a class name.")
	}
	if !ValidClassName(name) {
		return nil, Errorf(CodeInvalidClassName, "Invalid classname: %s, classnames can only have alphanumeric characters and _, and must start with an alpha character ", name)
	}
	a.schemaMu.Lock()
	defer a.schemaMu.Unlock()
	if a.Class(name) != nil {
		return nil, Errorf(CodeInvalidClassName, "Class %s already exists.", name)
	}
	if err := a.checkClassNameCase(name); err != nil {
		return nil, err
	}
	c := newClass(name)
	before := c.Clone()
	if err := applySchemaBody(c, body, true); err != nil {
		return nil, err
	}
	if err := checkNewFields(before, newFieldsOf(before, c)); err != nil {
		return nil, err
	}
	if err := a.storeFor(ctx).CreateClass(ctx, c); err != nil {
		return nil, err
	}
	a.setClass(ctx, name, c)
	return SchemaJSON(c), nil
}

// newClass returns an empty class with the built-in fields of a system class.
func newClass(name string) *Class {
	c := &Class{Name: name, Fields: map[string]Field{}, CLP: DefaultCLP(), Indexes: map[string]Index{}}
	for k, f := range SystemClasses[name] {
		c.Fields[k] = f
	}
	for k, idx := range systemIndexes[name] {
		c.Indexes[k] = idx
	}
	if name == "_User" {
		// E-mail addresses are private by default, as on Parse Server.
		// E-mail addresses and phone numbers are private by default (Parse
		// protects email; phone numbers are as personal).
		c.CLP["protectedFields"] = map[string]any{"*": []any{"email", "mobilePhoneNumber"}}
	}
	return c
}

// systemClass returns a system class, creating it or adding the built-in
// fields and indexes it lacks (a database made by an older version).
func (a *App) systemClass(ctx context.Context, name string) (*Class, error) {
	if c := a.Class(name); c != nil && hasSystemShape(c) {
		return c, nil
	}
	a.schemaMu.Lock()
	defer a.schemaMu.Unlock()
	old := a.Class(name)
	st := a.storeFor(ctx)
	if old == nil {
		c := newClass(name)
		if err := st.CreateClass(ctx, c); err != nil {
			if !IsCode(err, CodeDuplicateValue) {
				return nil, fmt.Errorf("creating %s: %w", name, err)
			}
			if err := a.ReloadSchemas(ctx); err != nil {
				return nil, err
			}
			return a.Class(name), nil
		}
		a.setClass(ctx, name, c)
		return c, nil
	}
	if hasSystemShape(old) {
		return old, nil
	}
	c := old.Clone()
	for k, f := range SystemClasses[name] {
		if _, ok := c.Fields[k]; !ok {
			c.Fields[k] = f
		}
	}
	for k, idx := range systemIndexes[name] {
		if _, ok := c.Indexes[k]; !ok {
			c.Indexes[k] = idx
		}
	}
	if err := st.UpdateClass(ctx, old, c); err != nil {
		relaxed, names := withoutNewUniqueness(old, c)
		if len(names) == 0 {
			return nil, fmt.Errorf("upgrading %s: %w", name, err)
		}
		// Rows already break a unique rule (data imported from a server
		// that did not enforce it, say two installations with one
		// installationId): the fields are indexed without uniqueness, so
		// the class keeps working, and the rules still deduplicate on
		// write. Removing the duplicates and re-creating the index
		// restores it.
		if rerr := st.UpdateClass(ctx, old, relaxed); rerr != nil {
			return nil, fmt.Errorf("upgrading %s: %w", name, err)
		}
		LoggerFrom(ctx).Warn("existing rows break a unique index the server adds; indexed without uniqueness until the duplicates are removed",
			"class", name, "indexes", names, "err", err)
		c = relaxed
	}
	a.setClass(ctx, name, c)
	return c, nil
}

// withoutNewUniqueness returns c with the unique indexes that old lacks
// made non-unique, and their names; none when c adds no unique index.
func withoutNewUniqueness(old, c *Class) (*Class, []string) {
	var names []string
	relaxed := c.Clone()
	for k, idx := range c.Indexes {
		if _, had := old.Indexes[k]; had || !idx.Unique {
			continue
		}
		idx.Unique = false
		relaxed.Indexes[k] = idx
		names = append(names, k)
	}
	slices.Sort(names)
	return relaxed, names
}

func hasSystemShape(c *Class) bool {
	for k := range SystemClasses[c.Name] {
		if _, ok := c.Fields[k]; !ok {
			return false
		}
	}
	for k := range systemIndexes[c.Name] {
		if _, ok := c.Indexes[k]; !ok {
			return false
		}
	}
	return true
}

// applySchemaBody applies "fields", "classLevelPermissions" and "indexes" of
// a schema document to c. On create, "__op": "Delete" entries are errors.
func applySchemaBody(c *Class, body map[string]any, creating bool) *Error {
	for key := range body {
		switch key {
		case "className", "fields", "classLevelPermissions", "indexes":
		default:
			return Errorf(CodeInvalidJSON, "unknown schema key %q: expected className, fields, classLevelPermissions or indexes", key)
		}
	}
	if raw, ok := body["fields"]; ok && raw != nil {
		fields, ok := raw.(map[string]any)
		if !ok {
			return Errorf(CodeInvalidJSON, "\"fields\" must be an object")
		}
		for name, def := range fields {
			if _, builtin := DefaultFields[name]; builtin {
				return Errorf(CodeChangedImmutableField, "field %s cannot be changed", name)
			}
			if isDeleteOp(def) {
				if creating {
					return Errorf(CodeInvalidJSON, "cannot delete field %s while creating the class", name)
				}
				if _, ok := c.Fields[name]; !ok {
					return Errorf(CodeInvalidSchemaOperation, "Field %s does not exist, cannot delete.", name)
				}
				delete(c.Fields, name)
				for iname, idx := range c.Indexes {
					for _, k := range idx.Keys {
						if k.Field == name {
							delete(c.Indexes, iname)
							break
						}
					}
				}
				continue
			}
			if _, exists := c.Fields[name]; exists {
				return Errorf(CodeInvalidSchemaOperation, "Field %s exists, cannot update.", name)
			}
			f, err := parseFieldDef(name, def)
			if err != nil {
				return err
			}
			c.Fields[name] = f
		}
	}
	if raw, ok := body["classLevelPermissions"]; ok && raw != nil {
		clp, err := validateCLP(raw)
		if err != nil {
			return err
		}
		c.CLP = clp
	}
	if raw, ok := body["indexes"]; ok && raw != nil {
		indexes, ok := raw.(map[string]any)
		if !ok {
			return Errorf(CodeInvalidJSON, "\"indexes\" must be an object")
		}
		for name, def := range indexes {
			if !ValidFieldName(name) {
				return Errorf(CodeInvalidQuery, "invalid index name %q", name)
			}
			if isDeleteOp(def) {
				if _, ok := c.Indexes[name]; !ok {
					return Errorf(CodeInvalidQuery, "Index %s does not exist, cannot delete.", name)
				}
				delete(c.Indexes, name)
				continue
			}
			if _, ok := c.Indexes[name]; ok || name == "_id_" {
				return Errorf(CodeInvalidQuery, "Index %s exists, cannot update.", name)
			}
			idx, err := parseIndex(c, name, def)
			if err != nil {
				return err
			}
			c.Indexes[name] = idx
		}
	}
	return nil
}

func isDeleteOp(v any) bool {
	m, ok := v.(map[string]any)
	return ok && m["__op"] == "Delete"
}

// UpdateSchema adds and deletes fields and indexes and replaces the CLP.
func (a *App) UpdateSchema(ctx context.Context, auth *Auth, name string, body map[string]any) (map[string]any, error) {
	if err := auth.requireMaster("update schemas"); err != nil {
		return nil, err
	}
	if err := auth.checkWrite(); err != nil {
		return nil, err
	}
	if bodyName, ok := body["className"].(string); ok && bodyName != name {
		return nil, Errorf(CodeInvalidClassName, "Class name mismatch between %s and %s.", bodyName, name)
	}
	a.schemaMu.Lock()
	defer a.schemaMu.Unlock()
	old := a.Class(name)
	if old == nil {
		return nil, Errorf(CodeInvalidClassName, "Class %s does not exist.", name)
	}
	c := old.Clone()
	if err := applySchemaBody(c, body, false); err != nil {
		return nil, err
	}
	if err := checkNewFields(old, newFieldsOf(old, c)); err != nil {
		return nil, err
	}
	if err := a.storeFor(ctx).UpdateClass(ctx, old, c); err != nil {
		return nil, err
	}
	a.setClass(ctx, name, c)
	return SchemaJSON(c), nil
}

// DeleteSchema drops an empty class.
func (a *App) DeleteSchema(ctx context.Context, auth *Auth, name string) error {
	if err := auth.requireMaster("delete schemas"); err != nil {
		return err
	}
	if err := auth.checkWrite(); err != nil {
		return err
	}
	if !ValidClassName(name) {
		return Errorf(CodeInvalidClassName, "Invalid classname: %s", name)
	}
	a.schemaMu.Lock()
	defer a.schemaMu.Unlock()
	c := a.Class(name)
	if c == nil {
		return nil // Parse answers {} for a class that is already gone
	}
	n, err := a.storeFor(ctx).Count(ctx, c, &Query{Limit: -1})
	if err != nil {
		return err
	}
	if n > 0 {
		return Errorf(CodeInvalidSchemaOperation, "Class %s is not empty, contains %d objects, cannot drop schema.", name, n)
	}
	if err := a.storeFor(ctx).DeleteClass(ctx, name); err != nil {
		return err
	}
	a.setClass(ctx, name, nil)
	return nil
}

// Purge deletes every object of a class, keeping the schema.
func (a *App) Purge(ctx context.Context, auth *Auth, name string) error {
	if err := auth.requireMaster("purge a class"); err != nil {
		return err
	}
	if err := auth.checkWrite(); err != nil {
		return err
	}
	c := a.Class(name)
	if c == nil {
		return nil
	}
	if _, err := a.storeFor(ctx).Delete(ctx, c, nil, nil); err != nil {
		return err
	}
	// Cached sessions and role sets must not outlive the rows they came
	// from, on this node or any other.
	switch name {
	case sessionClass:
		a.afterCommit(ctx, a.sessionsChanged)
	case roleClass:
		a.afterCommit(ctx, a.rolesChanged)
	}
	return nil
}

// ensureFields makes sure class exists with fields; it creates the class and
// adds fields as needed (schema inference on write). A field that exists with
// another type is a 111.
func (a *App) ensureFields(ctx context.Context, auth *Auth, name string, fields map[string]Field) (*Class, error) {
	c := a.Class(name)
	// Types are checked on every write, not only when fields are added.
	if err := a.checkFieldTypes(existingOrNew(c, name), fields); err != nil {
		return nil, err
	}
	if c != nil && !needsChange(c, fields) {
		return c, nil
	}
	if !auth.Master {
		if c == nil && !a.opts.AllowClientClassCreation {
			return nil, Errorf(CodeOperationForbidden, "This user is not allowed to access non-existent class: %s", name)
		}
		if c != nil {
			if fields, err := checkCLP(c, opAddField, auth); err != nil || fields != nil {
				return nil, Errorf(CodeOperationForbidden, "Permission denied for action addField on class %s.", name)
			}
		}
	}
	if err := auth.checkWrite(); err != nil {
		return nil, err
	}
	a.schemaMu.Lock()
	defer a.schemaMu.Unlock()
	old := a.Class(name)
	if old != nil && !needsChange(old, fields) {
		return old, nil
	}
	if err := a.checkFieldTypes(existingOrNew(old, name), fields); err != nil {
		return nil, err
	}
	st := a.storeFor(ctx)
	if old == nil {
		if err := a.checkClassNameCase(name); err != nil {
			return nil, err
		}
		c = newClass(name)
		for k, f := range fields {
			if _, builtin := DefaultFields[k]; !builtin {
				c.Fields[k] = f
			}
		}
		if err := st.CreateClass(ctx, c); err != nil {
			if IsCode(err, CodeDuplicateValue) {
				// Another node created it first: take its schema and retry.
				if rerr := a.ReloadSchemas(ctx); rerr != nil {
					return nil, rerr
				}
				return a.Class(name), nil
			}
			return nil, fmt.Errorf("creating class %s: %w", name, err)
		}
	} else {
		c = old.Clone()
		for k, f := range fields {
			if _, ok := c.Fields[k]; !ok {
				if _, builtin := DefaultFields[k]; !builtin {
					c.Fields[k] = f
				}
			}
		}
		if err := st.UpdateClass(ctx, old, c); err != nil {
			return nil, fmt.Errorf("adding fields to %s: %w", name, err)
		}
	}
	a.setClass(ctx, name, c)
	return c, nil
}

// existingOrNew is the class a write's fields are checked against: the
// stored one or, for a class the write creates, a new one with its built-in
// fields, so that the first write to _Role or _Installation cannot retype
// their system fields.
func existingOrNew(c *Class, name string) *Class {
	if c != nil {
		return c
	}
	return newClass(name)
}

// newFieldsOf returns the fields in c that old lacks.
func newFieldsOf(old, c *Class) map[string]Field {
	out := map[string]Field{}
	for k, f := range c.Fields {
		if _, ok := old.Fields[k]; !ok {
			out[k] = f
		}
	}
	return out
}

func needsChange(c *Class, fields map[string]Field) bool {
	for k := range fields {
		if _, ok := c.Fields[k]; ok {
			continue
		}
		if _, ok := DefaultFields[k]; ok {
			continue
		}
		return true
	}
	return false
}

// checkNameCase refuses a class or field name that differs from another
// only in letter case. Some engines (SQLite) fold identifiers, and a schema
// with "score" and "Score" confuses people on any engine.
func checkNameCase(existing map[string]bool, name string, code Code, what string) *Error {
	for e := range existing {
		if e != name && strings.EqualFold(e, name) {
			return Errorf(code, "%s %s differs from the existing %s %s only in letter case", what, name, what, e)
		}
	}
	return nil
}

// checkNewFields applies checkNameCase to the fields a write would add.
func checkNewFields(c *Class, fields map[string]Field) *Error {
	existing := map[string]bool{}
	for k := range DefaultFields {
		existing[k] = true
	}
	if c != nil {
		for k := range c.Fields {
			existing[k] = true
		}
	}
	for k := range fields {
		if err := checkNameCase(existing, k, CodeInvalidKeyName, "field"); err != nil {
			return err
		}
		existing[k] = true
	}
	return checkOneGeoPoint(c, fields)
}

// checkOneGeoPoint refuses a second GeoPoint field in a class, as Parse
// Server does (its MongoDB geo index covers one field per class).
func checkOneGeoPoint(c *Class, fields map[string]Field) *Error {
	var have []string
	if c != nil {
		for k, f := range c.Fields {
			if f.Type == TypeGeoPoint {
				have = append(have, k)
			}
		}
	}
	added := make([]string, 0, len(fields))
	for k, f := range fields {
		if _, exists := fieldOf(c, k); !exists && f.Type == TypeGeoPoint {
			added = append(added, k)
		}
	}
	sort.Strings(have)
	sort.Strings(added)
	all := append(have, added...)
	if len(all) > 1 && len(added) > 0 {
		return Errorf(CodeIncorrectType, "currently, only one GeoPoint field may exist in an object. Adding %s when %s already exists.", all[1], all[0])
	}
	return nil
}

func (a *App) checkClassNameCase(name string) *Error {
	existing := map[string]bool{}
	for _, c := range a.Classes() {
		existing[c.Name] = true
	}
	return checkNameCase(existing, name, CodeInvalidClassName, "class")
}

func (a *App) checkFieldTypes(c *Class, fields map[string]Field) *Error {
	if err := checkNewFields(c, fields); err != nil {
		return err
	}
	for k, f := range fields {
		var have Field
		var ok bool
		if c != nil {
			have, ok = c.Fields[k]
		}
		if !ok {
			have, ok = DefaultFields[k]
		}
		if ok && (have.Type != f.Type || (f.TargetClass != "" && have.TargetClass != f.TargetClass)) {
			return Errorf(CodeIncorrectType, "schema mismatch for %s.%s; expected %s but got %s", classNameOf(c), k, typeName(have.Type, have.TargetClass), typeName(f.Type, f.TargetClass))
		}
	}
	return nil
}

func classNameOf(c *Class) string {
	if c == nil {
		return ""
	}
	return c.Name
}
