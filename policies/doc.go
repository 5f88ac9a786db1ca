// Package policies will run Rego permission policies with embedded OPA
// (github.com/open-policy-agent/opa): loading policies, deciding, and
// compiling decisions into query filters the store runs in SQL.
//
// Nothing is implemented yet; the foundation issue only reserves the place.
package policies
