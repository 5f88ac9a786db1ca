// Package hooks will run JavaScript cloud code in goja
// (github.com/dop251/goja): the Parse.Cloud API, a VM pool, the sandbox and
// deployments uploaded while the server runs. It reaches data through the
// core's App service and is called back through a trigger interface, so
// there is no import cycle.
//
// Nothing is implemented yet; the foundation issue only reserves the place.
package hooks
