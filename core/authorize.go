package core

import (
	"context"
	"strings"
	"time"
)

// Stage 3 of the pipeline: the authorizer chain. Class-level permissions
// come first (clp.go), then the configured Authorizer (the policy engine),
// which can only narrow what the CLP allows. Each returns an optional
// filter; the filters are ANDed and go into the store call, so a page, a
// count or a conditional update sees only what both allow.

// AuthorizerScope is an optional Authorizer ability: telling the pipeline
// which points and classes it has a say in, so that an operation it does
// not cover pays nothing (no input document is built, no original loaded).
type AuthorizerScope interface {
	Covers(point, className string) bool
}

// SetAuthorizer installs the extra authorization stage (nil removes it).
// It may be called while the App serves; the authorizer itself may swap
// its rules at any time (policy reloads).
func (a *App) SetAuthorizer(z Authorizer) {
	if z == nil {
		a.authz.Store(nil)
		return
	}
	a.authz.Store(&z)
}

func (a *App) authorizer() Authorizer {
	if p := a.authz.Load(); p != nil {
		return *p
	}
	return nil
}

// authorizerCovers reports whether the Authorizer has a say in point and
// class, so the pipeline knows whether to build its input.
func (a *App) authorizerCovers(point, className string) bool {
	z := a.authorizer()
	if z == nil {
		return false
	}
	if s, ok := z.(AuthorizerScope); ok {
		return s.Covers(point, className)
	}
	return true
}

// PointOf is the decision point of an operation on className's objects:
// users and sessions have their own, every other class is "objects".
func PointOf(className string) string { return pointOf(className) }

func pointOf(className string) string {
	switch className {
	case userClass:
		return PointUsers
	case sessionClass:
		return PointSessions
	}
	return PointObjects
}

// Authorize asks the Authorizer about an operation outside the object
// pipeline (files, push, functions, jobs, schemas, config, ...): nil, nil
// when it allows or none covers the point, a *Error (119) when it denies,
// or a filter for reads. The caller fills Point, Action, Class, Auth and
// what else the point's input document documents.
func (a *App) Authorize(ctx context.Context, in *AuthzInput) (Expr, error) {
	return a.ask(ctx, in)
}

// ask runs the Authorizer for one operation, when one covers it.
func (a *App) ask(ctx context.Context, in *AuthzInput) (Expr, error) {
	if !a.authorizerCovers(in.Point, in.Class) {
		return nil, nil
	}
	in.Request.IP, in.Request.Time = in.Auth.IP, time.Now()
	if info := CallInfoFrom(ctx); info != nil {
		in.Request.Headers = make(map[string]string, len(info.Header))
		for k, v := range info.Header {
			in.Request.Headers[strings.ToLower(k)] = strings.Join(v, ", ")
		}
	}
	return a.authorizer().Authorize(ctx, in)
}

// authorizeSave is stage 3 of a save: the CLP of create or update (whose
// pointer permissions become a condition on the updated object), then the
// Authorizer.
func (a *App) authorizeSave(e *SaveEvent, c *Class) (Expr, error) {
	var filter Expr
	action := opUpdate
	if e.Created {
		action = opCreate
		if c != nil {
			if _, err := checkCLP(c, opCreate, e.Auth); err != nil {
				return nil, err
			}
		}
	} else {
		clp, err := authorize(c, opUpdate, e.Auth)
		if err != nil {
			return nil, err
		}
		filter = clp
	}
	point := pointOf(e.ClassName)
	if !a.authorizerCovers(point, e.ClassName) {
		return filter, nil
	}
	in := &AuthzInput{Point: point, Action: action, Class: e.ClassName, Schema: c, Auth: e.Auth, Changed: e.Changed(),
		Object: mergedObject(c, e.Original, e.Body)}
	if e.Original != nil {
		in.Original = EncodeObject(c, e.Original)
	}
	extra, err := a.ask(e.Ctx, in)
	if err != nil {
		return nil, err
	}
	return andExpr(filter, extra), nil
}

// authorizeDelete is stage 3 of a delete.
func (a *App) authorizeDelete(e *DeleteEvent) (Expr, error) {
	filter, err := authorize(e.Class, opDelete, e.Auth)
	if err != nil {
		return nil, err
	}
	point := pointOf(e.ClassName)
	if !a.authorizerCovers(point, e.ClassName) {
		return filter, nil
	}
	in := &AuthzInput{Point: point, Action: opDelete, Class: e.ClassName, Schema: e.Class, Auth: e.Auth}
	obj, lerr := e.Load()
	if lerr != nil {
		return nil, lerr
	}
	in.Object = EncodeObject(e.Class, obj)
	extra, aerr := a.ask(e.Ctx, in)
	if aerr != nil {
		return nil, aerr
	}
	return andExpr(filter, extra), nil
}

// authorizeFind is stage 3 of a query: the CLP of the operation (and of
// count when a count is asked for), then the Authorizer's filter.
func (a *App) authorizeFind(e *FindEvent) (Expr, error) {
	var filter Expr
	if e.Class != nil {
		clp, err := authorize(e.Class, e.Op, e.Auth)
		if err != nil {
			return nil, err
		}
		filter = clp
		if e.Options.Count {
			countCLP, err := authorize(e.Class, opCount, e.Auth)
			if err != nil {
				return nil, err
			}
			filter = andExpr(filter, countCLP)
		}
	}
	point := pointOf(e.ClassName)
	if !a.authorizerCovers(point, e.ClassName) {
		return filter, nil
	}
	action := e.Op
	if e.Options.Count && e.Options.Limit != nil && *e.Options.Limit == 0 {
		action = opCount
	}
	extra, err := a.ask(e.Ctx, a.findInput(e.ClassName, e.Class, action, e.Auth, e.Options.Where))
	if err != nil {
		return nil, err
	}
	return andExpr(filter, extra), nil
}

// findInput is the Authorizer's input for a read of class through a query.
func (a *App) findInput(className string, c *Class, action string, auth *Auth, where map[string]any) *AuthzInput {
	return &AuthzInput{Point: pointOf(className), Action: action, Class: className, Schema: c, Auth: auth, Query: where}
}

// authorizeSubqueries gives the Authorizer its say on every other class a
// where tree reads ($inQuery, $select, ...), so that no policy can be
// stepped around through another class's query.
func (a *App) authorizeSubqueries(ctx context.Context, in *AuthzInput, where Expr) (Expr, error) {
	z := a.authorizer()
	if z == nil || where == nil {
		return where, nil
	}
	in.Request.IP, in.Request.Time = in.Auth.IP, time.Now()
	return AuthorizeSubqueries(ctx, z, in, where)
}

// askUser asks the Authorizer about a user route outside the object
// pipeline (login, logout, me, ...), with the user when known.
func (a *App) askUser(ctx context.Context, auth *Auth, action string, user Object) error {
	if !a.authorizerCovers(PointUsers, userClass) {
		return nil
	}
	in := &AuthzInput{Point: PointUsers, Action: action, Class: userClass, Schema: a.Class(userClass), Auth: auth}
	if user != nil {
		in.Object = EncodeObject(in.Schema, user)
	}
	_, err := a.ask(ctx, in)
	return err
}

// mergedObject is the object a save would leave, in Parse JSON, for an
// authorizer's input: the original with the body's plain values applied
// (operators are applied by the store, so their fields keep the original
// value here; Changed names them).
func mergedObject(c *Class, orig Object, body map[string]any) map[string]any {
	out := map[string]any{}
	if orig != nil {
		out = EncodeObject(c, orig)
	}
	for k, v := range body {
		if m, ok := v.(map[string]any); ok {
			if _, isOp := m["__op"]; isOp {
				continue
			}
		}
		out[k] = v
	}
	return out
}

// AuthorizerCovers reports whether the installed Authorizer (the policy
// engine) has a say in point and className. Features whose routes are
// master-key-only unless a policy is written for them (releases, analytics
// reports) use it to tell "no policy" from "a policy allowed".
func (a *App) AuthorizerCovers(point, className string) bool {
	return a.authorizerCovers(point, className)
}
