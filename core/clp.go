package core

import (
	"sort"
	"strings"
)

// Class-level permissions (CLP) and protected fields, as Parse Server
// defines them. Every App entry point checks them, so REST, batch and cloud
// code get the same rules.

// The CLP operations.
const (
	opFind     = "find"
	opGet      = "get"
	opCount    = "count"
	opCreate   = "create"
	opUpdate   = "update"
	opDelete   = "delete"
	opAddField = "addField"
)

// internalClasses are system classes only the server and the master key may
// touch through the data API.
var internalClasses = map[string]bool{"_Idempotency": true, "_SmsCode": true, "_GlobalConfig": true, "_File": true,
	"_JobSchedule": true, "_Hooks": true, "_CloudCode": true, "_PushStatus": true, "_PushQueue": true,
	"_Release": true, "_ReleasePatch": true}

// checkClassAccess refuses non-master access to internal classes.
func checkClassAccess(className string, auth *Auth) *Error {
	if internalClasses[className] && !auth.Master {
		return Errorf(CodeOperationForbidden, "Clients aren't allowed to perform the %s operation on the %s collection.", "requested", className)
	}
	return nil
}

// checkCLP decides whether auth may perform op on class c. It returns nil
// when allowed outright, or the pointer fields one of which must point at
// the caller (pointerFields, readUserFields, writeUserFields) when that is
// the only way in; the caller turns those into a query condition.
func checkCLP(c *Class, op string, auth *Auth) ([]string, *Error) {
	if auth.Master || c == nil || c.CLP == nil {
		return nil, nil
	}
	perms, ok := c.CLP[op].(map[string]any)
	if !ok {
		return nil, nil // an operation the CLP does not mention is open
	}
	if perms["*"] == true {
		return nil, nil
	}
	if auth.UserID != "" {
		if perms["requiresAuthentication"] == true || perms[auth.UserID] == true {
			return nil, nil
		}
		for _, r := range auth.Roles {
			if perms[r] == true {
				return nil, nil
			}
		}
	}
	var fields []string
	fields = appendStrings(fields, perms["pointerFields"])
	switch op {
	case opFind, opGet, opCount:
		fields = appendStrings(fields, c.CLP["readUserFields"])
	case opUpdate, opDelete, opAddField:
		fields = appendStrings(fields, c.CLP["writeUserFields"])
	}
	if len(fields) > 0 && op != opCreate {
		// Without a user no object can point at the caller: reads find
		// nothing and writes find no object (101), as on Parse Server.
		return fields, nil
	}
	if auth.UserID == "" && perms["requiresAuthentication"] == true {
		return nil, Errorf(CodeObjectNotFound, "Permission denied, user needs to be authenticated.")
	}
	return nil, Errorf(CodeOperationForbidden, "Permission denied for action %s on class %s.", op, c.Name)
}

func appendStrings(dst []string, v any) []string {
	list, _ := v.([]any)
	for _, e := range list {
		if s, ok := e.(string); ok {
			dst = append(dst, s)
		}
	}
	return dst
}

// pointerFieldsExpr is the condition "one of these fields points at the
// user": a Pointer field equal to the user, or an Array field holding a
// pointer to the user.
func pointerFieldsExpr(c *Class, fields []string, userID string) Expr {
	var or []Expr
	for _, f := range fields {
		def, ok := c.Fields[f]
		switch {
		case !ok:
		case def.Type == TypePointer:
			or = append(or, Cmp{Field: f, Op: OpEq, Value: userID})
		case def.Type == TypeArray:
			or = append(or, ArrayContains{Field: f, Values: []any{map[string]any{"__type": "Pointer", "className": userClass, "objectId": userID}}})
		}
	}
	switch len(or) {
	case 0:
		return Nothing{}
	case 1:
		return or[0]
	}
	return Or{Exprs: or}
}

// authorize combines the CLP check and the pointer-field condition into one
// extra condition for a read or write: nil when there is none.
func authorize(c *Class, op string, auth *Auth) (Expr, *Error) {
	fields, err := checkCLP(c, op, auth)
	if err != nil || fields == nil {
		return nil, err
	}
	if auth.UserID == "" {
		return Nothing{}, nil
	}
	return pointerFieldsExpr(c, fields, auth.UserID), nil
}

// andExpr joins two conditions, either of which may be nil.
func andExpr(a, b Expr) Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return simplifyAnd([]Expr{a, b})
}

// protectedFields returns the fields of c hidden from auth: the intersection
// of the protectedFields lists of every entry that applies to the caller
// ("*", "authenticated", the user id, the user's roles). "userField:f"
// entries apply per object and are handled by stripProtected.
func protectedFields(c *Class, auth *Auth) map[string]bool {
	if auth.Master || c == nil {
		return nil
	}
	pf, _ := c.CLP["protectedFields"].(map[string]any)
	if emptyList(pf["*"]) {
		// "*" applies to every caller, so the intersection is empty: the
		// default CLP, and every read of a class without protected fields.
		if c.Name == userClass {
			return map[string]bool{"authData": true}
		}
		return nil
	}
	var sets [][]string
	add := func(key string) {
		if list, ok := pf[key]; ok {
			sets = append(sets, appendStrings(nil, list))
		}
	}
	add("*")
	if auth.UserID != "" {
		add("authenticated")
		add(auth.UserID)
		for _, r := range auth.Roles {
			add(r)
		}
	}
	out := intersect(sets)
	if c.Name == userClass {
		// authData is the owner's business; stripProtected shows it to them.
		if out == nil {
			out = map[string]bool{}
		}
		out["authData"] = true
	}
	return out
}

// emptyList reports whether v is a list with nothing in it.
func emptyList(v any) bool {
	switch l := v.(type) {
	case []any:
		return l != nil && len(l) == 0
	case []string:
		return l != nil && len(l) == 0
	}
	return false
}

func intersect(sets [][]string) map[string]bool {
	if len(sets) == 0 {
		return nil
	}
	out := map[string]bool{}
	for _, f := range sets[0] {
		out[f] = true
	}
	for _, s := range sets[1:] {
		keep := map[string]bool{}
		for _, f := range s {
			if out[f] {
				keep[f] = true
			}
		}
		out = keep
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// stripProtected removes the fields hidden from auth from encoded objects of
// class c. A user always sees their own _User object whole, and a
// "userField:f" entry lifts protection on objects whose f points at the caller.
func stripProtected(c *Class, auth *Auth, objs []map[string]any) {
	hidden := protectedFields(c, auth)
	if len(hidden) == 0 {
		return
	}
	pf, _ := c.CLP["protectedFields"].(map[string]any)
	var userFields []string
	for k := range pf {
		if f, ok := strings.CutPrefix(k, "userField:"); ok {
			userFields = append(userFields, f)
		}
	}
	sort.Strings(userFields)
	for _, o := range objs {
		if c.Name == userClass && auth.UserID != "" && o[FieldObjectID] == auth.UserID {
			continue
		}
		h := hidden
		for _, f := range userFields {
			if pointsAt(o[f], auth.UserID) {
				h = intersect([][]string{keys(h), appendStrings(nil, pf["userField:"+f])})
			}
		}
		for f := range h {
			delete(o, f)
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func pointsAt(v any, userID string) bool {
	if userID == "" {
		return false
	}
	found := false
	forEachPointer(v, func(p map[string]any) {
		if p["className"] == userClass && p["objectId"] == userID {
			found = true
		}
	})
	return found
}

// checkProbe refuses a query that names a protected field (in where, order
// or keys): otherwise a caller could learn a hidden value by filtering or
// sorting on it, one guess at a time.
func checkProbe(c *Class, auth *Auth, field string) *Error {
	if hidden := protectedFields(c, auth); hidden[field] {
		return Errorf(CodeOperationForbidden, "This user is not allowed to query %s on class %s", field, c.Name)
	}
	return nil
}
