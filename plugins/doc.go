// Package plugins hosts out-of-process providers over
// github.com/hashicorp/go-plugin (gRPC): the handshake, the contracts, a small
// SDK for plugin authors and an example plugin.
//
// Its seam with the core is the provider lifecycle of core/provider.go: a
// provider named "plugin:NAME" in config is opened through the same
// core.OpenFunc of its kind and returns the same interface (core.SMSSender,
// core.Mailer, ...) as an in-process provider, so that the server cannot
// tell where it runs.
//
// Nothing is implemented yet.
package plugins
