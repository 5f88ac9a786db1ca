package core

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"slices"
	"strings"
)

// The provider lifecycle every kind shares (store, jobs, sms, mail, auth,
// files, push, ...), after Caddy's modules:
//
//  1. the config names a provider of the kind; Registry.Lookup finds it,
//     or lists the available ones;
//  2. its OpenFunc decodes its own config section strictly (DecodeOptions:
//     an unknown key is an error) and provisions what it needs;
//  3. if it implements Validator, Validate checks it can work, and a
//     failure closes it at once;
//  4. if it implements io.Closer, the server closes it at shutdown, after
//     everything that uses it stopped.
//
// OpenProvider runs steps 1 to 3. Provider contracts stay small and depend
// on nothing but core, so that an out-of-process plugin can implement them.

// ProviderEnv is what a provider is opened with.
type ProviderEnv struct {
	// Options is the provider's own config section, to be decoded strictly
	// with DecodeOptions.
	Options map[string]any
	// DataDir is the server's data folder, for providers that keep files.
	DataDir string
	// URL is databaseURL from the config, for the store: a file path for
	// SQLite (relative paths are under DataDir), or a postgres:// URL.
	URL string
	// PublicURL is where the API serves this provider's own content, for
	// providers that hand out URLs to our server (the files API's URL of
	// this app's files, "https://api.example.com/parse/files/myAppId").
	PublicURL string
	// Store is the data store, for providers that keep their state beside
	// it (the job queue); nil when the store itself is opened.
	Store Store
	// Logger is the server's logger (nil: slog.Default()).
	Logger *slog.Logger
	// Plugins runs the out-of-process providers of the config's plugins
	// list; nil when there are none. Providers named "plugin:NAME" are
	// opened through it.
	Plugins PluginHost
}

// PluginPrefix starts the name of a provider served by an out-of-process
// plugin: "plugin:NAME" names the entry NAME of the config's plugins list,
// for any provider kind.
const PluginPrefix = "plugin:"

// PluginHost runs out-of-process providers (package plugins implements it).
// OpenPlugin returns the provider of kind ("files", "push", "sms", ...)
// that the plugin name serves; it implements that kind's interface
// (FileDriver, PushSender, ...) and is closed like any other provider.
// Errors name the plugin and say what to fix (an unknown name lists the
// configured ones; a plugin that does not serve kind says so).
type PluginHost interface {
	OpenPlugin(ctx context.Context, kind, name string, env ProviderEnv) (any, error)
}

// StoreConfig is what a store is opened with: a ProviderEnv.
type StoreConfig = ProviderEnv

// OpenFunc opens one provider of a kind.
type OpenFunc[T any] func(ctx context.Context, env ProviderEnv) (T, error)

// Validator is an optional provider ability: checking, once opened, that
// it can work (credentials accepted, a bucket reachable, ...).
type Validator interface {
	Validate(ctx context.Context) error
}

// OpenProvider opens the provider name of reg's kind with env, and
// validates it when it can validate itself; on failure nothing stays open.
// Errors name the kind and the provider.
func OpenProvider[T any](ctx context.Context, reg *Registry[OpenFunc[T]], name string, env ProviderEnv) (T, error) {
	var zero T
	open, err := lookupProvider(reg, name)
	if err != nil {
		return zero, err
	}
	p, err := open(ctx, env)
	if err != nil {
		return zero, fmt.Errorf("%s: opening %s: %w", reg.kind, name, err)
	}
	if v, ok := any(p).(Validator); ok {
		if err := v.Validate(ctx); err != nil {
			_ = CloseProvider(p)
			return zero, fmt.Errorf("%s: %s: %w", reg.kind, name, err)
		}
	}
	return p, nil
}

// lookupProvider finds name in reg, or, for "plugin:NAME", an OpenFunc that
// asks env.Plugins for the plugin's provider of reg's kind.
func lookupProvider[T any](reg *Registry[OpenFunc[T]], name string) (OpenFunc[T], error) {
	plugin, isPlugin := strings.CutPrefix(name, PluginPrefix)
	if !isPlugin {
		return reg.Lookup(name)
	}
	return func(ctx context.Context, env ProviderEnv) (T, error) {
		var zero T
		if env.Plugins == nil {
			return zero, fmt.Errorf("no plugins are configured: add an entry named %q to plugins (name, path, sha256)", plugin)
		}
		if len(env.Options) > 0 {
			return zero, fmt.Errorf("a plugin provider takes no options section (got %s): configure the plugin with args and env in its plugins entry", strings.Join(slices.Sorted(maps.Keys(env.Options)), ", "))
		}
		p, err := env.Plugins.OpenPlugin(ctx, reg.kind, plugin, env)
		if err != nil {
			return zero, err
		}
		t, ok := p.(T)
		if !ok {
			_ = CloseProvider(p)
			return zero, fmt.Errorf("plugin %q gave a %T, not a %s provider", plugin, p, reg.kind)
		}
		return t, nil
	}, nil
}

// CloseProvider closes a provider that holds resources (io.Closer); others
// need nothing.
func CloseProvider(p any) error {
	if c, ok := p.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

// Kind returns the registry's provider kind ("store", "sms", ...).
func (r *Registry[T]) Kind() string { return r.kind }
