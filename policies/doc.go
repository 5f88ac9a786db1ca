// Package policies runs Rego permission policies with an embedded OPA
// (github.com/open-policy-agent/opa/v1) and implements core.Authorizer.
//
// An Engine loads a policy folder (.rego files and data.json files, from
// any fs.FS: the data folder's policies/, a configured path, a deployment
// bundle), compiles and checks it, and swaps it in atomically; a folder
// with a problem is refused with file:line and the previous set keeps
// serving. Each decision point asks data.switchboard.<point>.allow and
// data.switchboard.<point>.<Class>.allow, through queries prepared once per
// set.
//
// Writes are yes/no decisions on the object. Reads through a query are
// answered with a filter: the rule is partially evaluated with input.object
// unknown and what is left is translated to a core.Expr (filter.go, kind.go),
// which the stores compile to parameterised SQL. Every rule is checked when
// it loads, with the object and the caller unknown, so that a construct
// that cannot become a filter is reported then, never at request time.
//
// `switchboard policy test` and `policy eval` are built on RunTests and
// Engine. README.md ("Permission policies") is the guide for policy authors.
package policies
