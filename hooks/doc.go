// Package hooks runs JavaScript cloud code in goja (github.com/dop251/goja):
// the Parse.Cloud API (functions, jobs, triggers, validators), the Parse JS
// SDK inside scripts, a sandbox with per-invocation limits, a bounded pool of
// prewarmed runtimes, and versioned deployments that are swapped atomically
// while the server runs.
//
// Dependencies point inward: hooks imports core for its types only. The core
// gives hooks a Backend (an in-process Parse REST dispatcher) through which
// scripts read and write data, and calls cloud code back through the typed
// entry points of Manager (RunFunction, RunTrigger, HasTrigger, RunJob).
// Deployments are kept in a DeploymentStore that the core provides, so every
// node serves the same version.
//
// Package hooks/coreapp connects it to a server: the Backend over the API's
// route table, the triggers bound into the App's hook chains, the
// cloud-code routes, and the DeploymentStore on the App's store.
//
// Inside a script, Parse is the real `parse` npm SDK (Node build, vendored in
// hooks/parsesdk) with its RESTController replaced by one that calls the
// Backend directly: cloud code written for Parse Server runs unmodified.
package hooks
