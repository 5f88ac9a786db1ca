package core

import (
	"context"
	"time"
)

// AuthzInput is what the pipeline knows about one operation when it asks
// the authorizers (authorize.go) whether it may run.
type AuthzInput struct {
	// Point is the decision point: "objects", "users", "sessions", "files",
	// "push", "functions", "jobs", "schemas", "config", ...
	Point string
	// Action is get, find, count, create, update, delete, aggregate, upload,
	// download, send, run, ...
	Action string
	Class  string
	Auth   *Auth
	// Object is the new (create) or changed (update: original with the
	// body's plain values applied) object, Parse-JSON encoded; nil for reads.
	Object map[string]any
	// Original is the object before an update or delete, Parse-JSON encoded,
	// when the pipeline loaded it; nil otherwise.
	Original map[string]any
	// Changed lists the fields a write changes.
	Changed []string
	// Query is the where document of a read.
	Query   map[string]any
	Request AuthzRequest
	// Extra carries point-specific facts (the audience size of a push, ...).
	Extra map[string]any
}

// AuthzRequest describes the HTTP request behind an operation.
type AuthzRequest struct {
	IP      string
	Headers map[string]string
	Time    time.Time
}

// Authorizer is an extra authorization stage after class-level permissions
// (the policy engine is one). Authorizers add to ACL and CLP; they can never
// widen them.
//
// Authorize returns nil, nil to allow; a *Error with CodeOperationForbidden
// to deny; or, for reads (get, find, count, aggregate), a filter on the
// class's objects that the pipeline ANDs into the store query, so that
// pages and counts stay right. It is called concurrently.
type Authorizer interface {
	Authorize(ctx context.Context, in *AuthzInput) (Expr, error)
}
