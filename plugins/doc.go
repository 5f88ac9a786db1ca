// Package plugins will host out-of-process providers over
// github.com/hashicorp/go-plugin (gRPC): the handshake, the contracts, a small
// SDK for plugin authors and an example plugin. A provider named
// "plugin:NAME" in config is served from here and implements the same core
// interface as an in-process one.
//
// Nothing is implemented yet; the foundation issue only reserves the place so
// that the layout in DESIGN.md holds from the start.
package plugins
