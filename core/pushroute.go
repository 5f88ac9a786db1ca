package core

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// PushRoute sends the devices it matches to one provider. Empty fields
// match anything; DeviceType and PushType compare without case.
type PushRoute struct {
	DeviceType string `json:"deviceType,omitempty" yaml:"deviceType"`
	PushType   string `json:"pushType,omitempty" yaml:"pushType"`
	Provider   string `json:"provider" yaml:"provider"`
}

func (r PushRoute) matches(d *PushDevice) bool {
	return (r.DeviceType == "" || strings.EqualFold(r.DeviceType, d.DeviceType)) &&
		(r.PushType == "" || strings.EqualFold(r.PushType, d.PushType))
}

func (r PushRoute) String() string {
	var conds []string
	if r.DeviceType != "" {
		conds = append(conds, "deviceType "+r.DeviceType)
	}
	if r.PushType != "" {
		conds = append(conds, "pushType "+r.PushType)
	}
	if len(conds) == 0 {
		conds = append(conds, "any device")
	}
	return strings.Join(conds, " and ") + " -> " + r.Provider
}

// PushConfig is the push config section: the providers to open, each with
// its own options, and the routes between them.
//
//	push:
//	  routes:                       # optional; first match wins
//	    - {pushType: jpush, provider: jpush}
//	    - {deviceType: ios, provider: apns}
//	    - {provider: fcm}
//	  jpush: {appKey: ..., masterSecret: ...}
//	  apns: {...}
//	  fcm: {...}
type PushConfig struct {
	// Routes, in order; empty means DefaultPushRoutes of the providers.
	Routes []PushRoute
	// Providers holds each provider's options by its registered name.
	Providers map[string]map[string]any
	// Env is what every provider is opened with besides its section (the
	// data folder, the store for the built-in channel, the logger).
	Env ProviderEnv
}

// BuiltinPushProvider is the name of the built-in channel, the provider
// used when no other one is configured.
const BuiltinPushProvider = "builtin"

// DefaultPushRoutes are the routes used when the config gives none, for the
// configured provider names:
//   - pushType jpush to jpush (Android in China registers with JPush);
//   - pushType fcm or gcm to fcm;
//   - deviceType ios, osx, tvos and watchos to apns;
//   - deviceType web to webpush;
//   - everything else to fcm, or else to the built-in channel.
//
// Each route is kept only if its provider is configured; with nothing
// configured every device goes to the built-in channel.
func DefaultPushRoutes(providers []string) []PushRoute {
	has := map[string]bool{}
	for _, p := range providers {
		has[p] = true
	}
	var routes []PushRoute
	add := func(r PushRoute) {
		if has[r.Provider] {
			routes = append(routes, r)
		}
	}
	add(PushRoute{PushType: "jpush", Provider: "jpush"})
	add(PushRoute{PushType: "fcm", Provider: "fcm"})
	add(PushRoute{PushType: "gcm", Provider: "fcm"})
	for _, t := range []string{"ios", "osx", "tvos", "watchos"} {
		add(PushRoute{DeviceType: t, Provider: "apns"})
	}
	add(PushRoute{DeviceType: "web", Provider: "webpush"})
	switch {
	case has["fcm"]:
		routes = append(routes, PushRoute{Provider: "fcm"})
	case has[BuiltinPushProvider] || len(providers) == 0:
		routes = append(routes, PushRoute{Provider: BuiltinPushProvider})
	}
	return routes
}

// PushRouter picks the sender for each device. It is immutable once made
// and safe for concurrent use.
type PushRouter struct {
	routes  []PushRoute
	senders map[string]PushSender
}

// NewPushRouter checks that every route names one of senders and that
// every sender is used by some route, and returns the router. It takes
// ownership of the senders (Close closes them).
func NewPushRouter(routes []PushRoute, senders map[string]PushSender) (*PushRouter, error) {
	if len(routes) == 0 {
		return nil, errors.New("push: no routes: add at least one (the last one usually has no condition)")
	}
	used := map[string]bool{}
	for i, r := range routes {
		if r.Provider == "" {
			return nil, fmt.Errorf("push.routes[%d]: provider is required", i)
		}
		if _, ok := senders[r.Provider]; !ok {
			return nil, fmt.Errorf("push.routes[%d] (%s): provider %q is not configured (configured: %s); add a push.%s section", i, r, r.Provider, strings.Join(slices.Sorted(maps.Keys(senders)), ", "), r.Provider)
		}
		used[r.Provider] = true
	}
	for name := range senders {
		if !used[name] {
			return nil, fmt.Errorf("push.%s is configured but no route sends to it; add a route or remove the section", name)
		}
	}
	for name, s := range senders {
		if s.MaxBatch() < 1 {
			return nil, fmt.Errorf("push.%s: MaxBatch is %d; a sender must accept at least one device", name, s.MaxBatch())
		}
	}
	return &PushRouter{routes: slices.Clone(routes), senders: maps.Clone(senders)}, nil
}

// Route returns the provider name and sender for d, or false when no route
// matches.
func (r *PushRouter) Route(d *PushDevice) (string, PushSender, bool) {
	for _, route := range r.routes {
		if route.matches(d) {
			return route.Provider, r.senders[route.Provider], true
		}
	}
	return "", nil, false
}

// Sender returns the sender registered under name.
func (r *PushRouter) Sender(name string) (PushSender, bool) {
	s, ok := r.senders[name]
	return s, ok
}

// Routes returns the routes in order.
func (r *PushRouter) Routes() []PushRoute { return slices.Clone(r.routes) }

// Close closes every sender.
func (r *PushRouter) Close() error {
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(r.senders)) {
		if err := r.senders[name].Close(); err != nil {
			errs = append(errs, fmt.Errorf("push.%s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// OpenPush opens every provider of cfg from the PushProviders registry and
// routes between them. With no provider configured it opens the built-in
// channel alone. A provider that fails to open closes the ones already
// open.
func OpenPush(ctx context.Context, cfg PushConfig) (*PushRouter, error) {
	sections := cfg.Providers
	if len(sections) == 0 {
		sections = map[string]map[string]any{BuiltinPushProvider: nil}
	}
	senders := map[string]PushSender{}
	closeAll := func() {
		for _, s := range senders {
			_ = s.Close()
		}
	}
	for _, name := range slices.Sorted(maps.Keys(sections)) {
		env := cfg.Env
		env.Options = sections[name]
		s, err := OpenProvider(ctx, PushProviders, name, env)
		if err != nil {
			closeAll()
			return nil, fmt.Errorf("push.%s: %w", name, err)
		}
		senders[name] = s
	}
	routes := cfg.Routes
	if len(routes) == 0 {
		routes = DefaultPushRoutes(slices.Collect(maps.Keys(senders)))
	}
	r, err := NewPushRouter(routes, senders)
	if err != nil {
		closeAll()
		return nil, err
	}
	return r, nil
}
