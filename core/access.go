package core

import "context"

// Exported access to the query parser and the permission checks, for
// features outside the request pipeline that must apply the same rules to
// objects they already hold: LiveQuery checks every event, for every
// subscriber, without asking the store.

// The class-level permission operations a read is checked against.
const (
	CLPFind = opFind
	CLPGet  = opGet
)

// ParseWhere checks and converts a Parse where document for className as
// auth would send it in a find: fields resolved against the current
// schema, values converted to their Go types, protected fields refused
// (119), internal classes refused to non-master callers. It returns the
// tree and the schema it was parsed against (nil for a class that does not
// exist yet, where every constraint is evaluated against null).
func (a *App) ParseWhere(ctx context.Context, auth *Auth, className string, where map[string]any) (Expr, *Class, error) {
	if !ValidClassName(className) {
		return nil, nil, Errorf(CodeInvalidClassName, "Invalid classname: %s", className)
	}
	if err := checkClassAccess(className, auth); err != nil {
		return nil, nil, err
	}
	c := a.Class(className)
	e, err := a.ParseWhereIn(ctx, auth, className, c, where)
	if err != nil {
		return nil, nil, err
	}
	return e, c, nil
}

// ParseWhereIn is ParseWhere against a given schema c of className (nil
// for a class that does not exist), for a caller that holds a schema the
// App has not loaded yet, such as one read from the store for a change
// another node made.
func (a *App) ParseWhereIn(ctx context.Context, auth *Auth, className string, c *Class, where map[string]any) (Expr, error) {
	if !ValidClassName(className) {
		return nil, Errorf(CodeInvalidClassName, "Invalid classname: %s", className)
	}
	if c != nil && c.Name != className {
		return nil, Errorf(CodeInvalidClassName, "ParseWhereIn: the schema of %s was given for class %s", c.Name, className)
	}
	if err := checkClassAccess(className, auth); err != nil {
		return nil, err
	}
	p := &queryParser{app: a, ctx: ctx, auth: auth}
	e, err := p.parse(c, where, 0)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// AuthorizeRead applies the class-level permission op (CLPFind or CLPGet)
// of class c to auth. It fails with 119 (or 101 when requiresAuthentication
// refuses an anonymous caller) when the class refuses the read outright;
// otherwise it returns nil, or the condition an object must also meet
// (pointerFields/readUserFields: a field pointing at the caller).
func AuthorizeRead(c *Class, op string, auth *Auth) (Expr, error) {
	if op != opFind && op != opGet {
		return nil, Errorf(CodeInvalidQuery, "AuthorizeRead: unknown operation %q", op)
	}
	e, err := authorize(c, op, auth)
	if err != nil {
		return nil, err
	}
	return e, nil
}

// CheckClassAccess refuses non-master access to the server's internal
// classes (_Idempotency, _SmsCode, _GlobalConfig).
func CheckClassAccess(className string, auth *Auth) error {
	if err := checkClassAccess(className, auth); err != nil {
		return err
	}
	return nil
}

// CheckProbe refuses (119) a caller who names a field that is protected
// from them, in a where, an order, or anything else whose effect depends on
// the field's value: matching on it would reveal it one guess at a time.
func CheckProbe(c *Class, auth *Auth, field string) error {
	if c == nil {
		return nil
	}
	if err := checkProbe(c, auth, field); err != nil {
		return err
	}
	return nil
}

// CanRead reports whether the ACL of o lets auth read it: the master key
// always, an object without an ACL is public, otherwise one of the
// caller's principals ("*", the user id, its roles) needs read access.
func CanRead(o Object, auth *Auth) bool {
	if auth == nil {
		auth = &Auth{}
	}
	if auth.Master {
		return true
	}
	acl, ok := o[FieldACL].(ACL)
	if !ok || acl == nil {
		return o[FieldACL] == nil
	}
	for _, p := range auth.Principals() {
		if acl[p].Read {
			return true
		}
	}
	return false
}

// StripProtected removes from encoded objects of class c the fields that
// are protected from auth (protectedFields of the CLP, authData of other
// users, the userField: exceptions), as every read does.
func StripProtected(c *Class, auth *Auth, objs []map[string]any) {
	if c == nil {
		return
	}
	stripProtected(c, auth, objs)
}
