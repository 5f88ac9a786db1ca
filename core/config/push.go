package config

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/switchboardhq/switchboard/core"
)

// Push configures push notifications: the providers to use, each with its
// own section of options (decoded strictly by the provider), the routes
// that send each device to one of them, and how pushes run.
//
//	push:
//	  routes:
//	    - {pushType: jpush, provider: jpush}
//	    - {deviceType: ios, provider: apns}
//	    - {provider: fcm}
//	  jpush: {appKey: ..., masterSecret: ...}
//	  apns: {...}
//	  fcm: {...}
//
// With no provider section, devices use the built-in channel.
type Push struct {
	// Routes send each device to the first route it matches; empty: the
	// defaults of the configured providers (core.DefaultPushRoutes).
	Routes []PushRoute `yaml:"routes"`
	// Concurrency bounds the batches of one push in flight (0: 8).
	Concurrency int `yaml:"concurrency"`
	// ResumeAfter is how long a push whose node stopped reporting waits
	// before another node resumes it (0: 30s).
	ResumeAfter Duration `yaml:"resumeAfter"`
	// Providers holds each provider's section by its name: jpush, fcm,
	// apns, webpush, builtin.
	Providers map[string]map[string]any `yaml:",inline"`
}

// PushRoute is one routing rule, written in YAML as a mapping
// {deviceType: ios, pushType: apns, provider: apns} or, in YAML and in the
// environment (SWITCHBOARD_PUSH__ROUTES, comma-separated), as a line
// "deviceType=ios pushType=apns provider=apns". Conditions left out match
// any device.
type PushRoute string

// UnmarshalYAML accepts the mapping and the line forms.
func (r *PushRoute) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*r = PushRoute(n.Value)
		return nil
	}
	var m map[string]string
	if err := n.Decode(&m); err != nil {
		return fmt.Errorf("a push route is {deviceType: ..., pushType: ..., provider: ...}: %w", err)
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	*r = PushRoute(strings.Join(parts, " "))
	return nil
}

// Parse reads the rule.
func (r PushRoute) Parse() (core.PushRoute, error) {
	var out core.PushRoute
	for _, part := range strings.Fields(string(r)) {
		k, v, ok := strings.Cut(part, "=")
		if !ok || v == "" {
			return out, fmt.Errorf("%q: want key=value pairs such as \"deviceType=ios provider=apns\"", string(r))
		}
		switch k {
		case "deviceType":
			out.DeviceType = v
		case "pushType":
			out.PushType = v
		case "provider":
			out.Provider = v
		default:
			return out, fmt.Errorf("%q: unknown key %q; a route has deviceType, pushType and provider", string(r), k)
		}
	}
	if out.Provider == "" {
		return out, fmt.Errorf("%q: provider is required", string(r))
	}
	return out, nil
}

// validate checks the section; c is the whole configuration.
func (s *Push) validate(c *Config) []error {
	var errs []error
	for i, r := range s.Routes {
		if _, err := r.Parse(); err != nil {
			errs = append(errs, fmt.Errorf("push.routes[%d]: %w", i, err))
		}
	}
	if s.Concurrency < 0 || s.Concurrency > 256 {
		errs = append(errs, fmt.Errorf("push.concurrency: must be 1 to 256 (0: the default, 8), got %d", s.Concurrency))
	}
	if s.ResumeAfter != 0 && time.Duration(s.ResumeAfter) < 3*time.Second {
		errs = append(errs, fmt.Errorf("push.resumeAfter: must be at least 3s, got %s", time.Duration(s.ResumeAfter)))
	}
	return errs
}

// PushConfig returns what core.OpenPush takes: the routes and each
// provider's section, opened with env.
func (s *Push) PushConfig(env core.ProviderEnv) (core.PushConfig, error) {
	cfg := core.PushConfig{Providers: s.Providers, Env: env}
	for i, r := range s.Routes {
		route, err := r.Parse()
		if err != nil {
			return cfg, fmt.Errorf("push.routes[%d]: %w", i, err)
		}
		cfg.Routes = append(cfg.Routes, route)
	}
	return cfg, nil
}
