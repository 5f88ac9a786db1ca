package core

import (
	"context"
	"time"
)

// The authorization stage of the request pipeline. After class-level
// permissions, the pipeline asks an Authorizer (the policies package: Rego
// policies run by embedded OPA) whether one operation may go ahead. An
// Authorizer only ever narrows what ACLs and CLPs allow: it is asked after
// them, and its answer is a refusal or an extra condition, never a grant.

// Decision points: the API families an Authorizer is asked about. A policy
// for a point is written for these names (data.switchboard.<point>.allow).
const (
	PointObjects     = "objects"     // /classes: get, find, count, create, update, delete, aggregate
	PointUsers       = "users"       // _User objects and /users, /login, /logout, /requestPasswordReset, ...
	PointSessions    = "sessions"    // _Session objects and /sessions
	PointFiles       = "files"       // upload, download, delete
	PointPush        = "push"        // send
	PointFunctions   = "functions"   // run (Class holds the function's name)
	PointJobs        = "jobs"        // run (Class holds the job's name)
	PointSchemas     = "schemas"     // get, find, create, update, delete (Class holds the class changed)
	PointConfig      = "config"      // get, update
	PointAppVersions = "appVersions" // releases: list, get, publish, update (Class holds the platform)
)

// Actions the pipeline names. A point uses the ones that apply to it.
const (
	ActionGet       = "get"
	ActionFind      = "find"
	ActionCount     = "count"
	ActionAggregate = "aggregate"
	ActionCreate    = "create"
	ActionUpdate    = "update"
	ActionDelete    = "delete"
	ActionUpload    = "upload"
	ActionDownload  = "download"
	ActionSend      = "send"
	ActionRun       = "run"
)

// IsReadAction reports whether action reads objects through a query, so that
// an Authorizer may answer it with a filter instead of yes or no.
func IsReadAction(action string) bool {
	switch action {
	case ActionGet, ActionFind, ActionCount, ActionAggregate:
		return true
	}
	return false
}

// AuthzInput is what the pipeline knows about one operation when it asks an
// Authorizer. The Authorizer must not modify it.
type AuthzInput struct {
	Point  string // decision point, one of the Point constants
	Action string // one of the Action constants (or a point's own)
	Class  string // the class; the function or job name for PointFunctions and PointJobs; "" when none
	// Schema is the class's current schema when the operation is on objects
	// of a class (nil otherwise). A filter's values are converted to its
	// field types, as the query parser does for a client's where.
	Schema *Class
	Auth   *Auth // nil is an anonymous caller
	// AuthProvider names how the caller's session was made: "password",
	// "anonymous", an authData provider ("facebook", "apple", ...), or "".
	AuthProvider string
	// Object is the object being written (Parse JSON, as EncodeObject
	// renders it): the new object for create and update, the current one for
	// delete and for reads of one known object (LiveQuery). nil for reads that
	// go through a query: those are answered with a filter.
	Object   map[string]any
	Original map[string]any // the object before an update, Parse JSON
	Changed  []string       // the fields an update changes
	Query    map[string]any // the client's where document, for reads
	Request  AuthzRequest
	Extra    map[string]any // point-specific facts, e.g. push: {"audienceSize": n}
}

// AuthzRequest is the HTTP side of an operation. Headers have lower-case
// names; the Authorizer never sees secrets (master key, session token,
// Authorization, cookies) even if the pipeline passes them.
type AuthzRequest struct {
	IP      string
	Headers map[string]string
	Time    time.Time // when the request arrived; zero means now
}

// Authorizer decides whether an operation may go ahead.
//
// Promises the pipeline makes: in is not nil, in.Point and in.Action are
// set, and ACLs and class-level permissions have already allowed the
// operation. in.Auth may be nil (anonymous). Authorize is called from many
// goroutines at once.
//
// Promises every Authorizer makes:
//   - nil, nil allows the operation;
//   - a *Error with CodeOperationForbidden (119) refuses it;
//   - for a read through a query (IsReadAction(in.Action) and in.Object is
//     nil) it may instead return a filter: the operation goes ahead with the
//     filter ANDed into the query, so pages and counts stay right. The filter
//     is checked like a parsed where (fields of in.Schema, values of the
//     field's Go type) and Nothing{} means "no object may be read";
//   - any other error is a failure to decide (a broken policy, a cancelled
//     ctx) and the pipeline must refuse the operation, never allow it;
//   - it never widens: there is no answer that lets through what ACLs or
//     CLPs refused.
type Authorizer interface {
	Authorize(ctx context.Context, in *AuthzInput) (Expr, error)
}

// AuthorizeSubqueries applies an Authorizer to the other classes a where
// tree reads: every $inQuery, $notInQuery, $select and $dontSelect gets the
// filter of its class ANDed into its subquery, so a policy cannot be
// bypassed by asking about objects through another class's query. base
// gives the caller and request; each subquery is authorized as a "find" of
// its class. It returns a new tree and leaves e unchanged; a refusal of a
// subquery's class refuses the whole query.
func AuthorizeSubqueries(ctx context.Context, a Authorizer, base *AuthzInput, e Expr) (Expr, error) {
	sub := func(class *Class, q *Query) (*Query, error) {
		if class == nil || q == nil {
			return nil, Errorf(CodeInvalidQuery, "a subquery without its class cannot be authorized")
		}
		in := *base
		in.Action, in.Class, in.Schema = ActionFind, class.Name, class
		in.Object, in.Original, in.Changed, in.Query = nil, nil, nil, nil
		filter, err := a.Authorize(ctx, &in)
		if err != nil {
			return nil, err
		}
		where, err := AuthorizeSubqueries(ctx, a, base, q.Where)
		if err != nil {
			return nil, err
		}
		copied := *q
		copied.Where = andExpr(filter, where)
		return &copied, nil
	}
	list := func(exprs []Expr) ([]Expr, error) {
		out := make([]Expr, len(exprs))
		for i, x := range exprs {
			y, err := AuthorizeSubqueries(ctx, a, base, x)
			if err != nil {
				return nil, err
			}
			out[i] = y
		}
		return out, nil
	}
	switch x := e.(type) {
	case And:
		exprs, err := list(x.Exprs)
		if err != nil {
			return nil, err
		}
		return And{Exprs: exprs}, nil
	case Or:
		exprs, err := list(x.Exprs)
		if err != nil {
			return nil, err
		}
		return Or{Exprs: exprs}, nil
	case Nor:
		exprs, err := list(x.Exprs)
		if err != nil {
			return nil, err
		}
		return Nor{Exprs: exprs}, nil
	case InQuery:
		q, err := sub(x.Class, x.Sub)
		if err != nil {
			return nil, err
		}
		x.Sub = q
		return x, nil
	case Select:
		q, err := sub(x.Class, x.Sub)
		if err != nil {
			return nil, err
		}
		x.Sub = q
		return x, nil
	}
	return e, nil
}
