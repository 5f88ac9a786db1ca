// Package policies runs Rego permission policies with embedded OPA
// (github.com/open-policy-agent/opa): loading policies, deciding, and
// compiling decisions into query filters the store runs in SQL.
//
// Its seam with the core is one interface, core.Authorizer, installed with
// App.SetAuthorizer: the pipeline asks it after class-level permissions, at
// stage 3 of every operation, with a core.AuthzInput; it allows, denies
// (119), or for reads returns a core.Expr filter ANDed into the store query.
// core.AuthorizerScope lets it say which points and classes it covers, so
// that the rest pay nothing.
//
// Nothing is implemented yet.
package policies
