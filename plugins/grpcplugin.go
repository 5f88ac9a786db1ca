package plugins

import (
	"context"
	"errors"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// GRPCPlugin is one kind in go-plugin's plugin set. On the plugin side
// Register adds the kind's service to the plugin's gRPC server; on the
// host side the kind needs nothing but the connection, so GRPCClient
// returns it as is (the host builds the contract's client stub per call,
// since a restart replaces the connection).
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Register func(*grpc.Server)
}

var _ plugin.GRPCPlugin = (*GRPCPlugin)(nil)

// GRPCServer implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	if p.Register == nil {
		return errors.New("plugins: GRPCPlugin without Register on the plugin side")
	}
	p.Register(s)
	return nil
}

// GRPCClient implements plugin.GRPCPlugin.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return c, nil
}

// hostPluginSet is the plugin set the host offers: every kind of protocol
// version 1. Which kinds a plugin really serves shows when a provider of
// that kind is opened (its Check call).
func hostPluginSet() plugin.PluginSet {
	set := plugin.PluginSet{}
	for kind := range Services {
		set[kind] = &GRPCPlugin{}
	}
	return set
}
