// Package plugins runs out-of-process providers over
// github.com/hashicorp/go-plugin (gRPC, AutoMTLS): the handshake and the
// contracts every plugin speaks, the Host that starts, watches and
// restarts plugin processes, and the host side of each contract, which
// implements the same core interface as an in-process adapter
// (core.FileDriver, core.PushSender, core.SMSSender, core.Mailer).
//
// Its seam with the core is the provider lifecycle of core/provider.go: a
// provider named "plugin:NAME" in config is opened through
// core.ProviderEnv.Plugins (a *Host), so the server cannot tell where a
// provider runs. Plugin authors in Go use package plugins/sdk; authors in
// other languages implement the .proto contracts under plugins/proto and
// print go-plugin's handshake line (see README, "Plugins").
package plugins
