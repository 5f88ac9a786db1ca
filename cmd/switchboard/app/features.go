package app

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/fileapi"
	"github.com/switchboardhq/switchboard/core/server"
	"github.com/switchboardhq/switchboard/hooks"
	"github.com/switchboardhq/switchboard/hooks/coreapp"
	"github.com/switchboardhq/switchboard/policies"
)

// featureList is the table of the server's features beyond the data API,
// wired in order once the App exists and before the server starts. Each
// lives in its own file of this package (policies.go, files.go, ...) and
// may mount handlers, bind hooks, start background work and register what
// to close. Policies come first: cloud-code deployments reload them.
var featureList = []struct {
	name string
	wire func(ctx context.Context, f *features) error
}{
	{"policies", wirePolicies},
	{"files", wireFiles},
	{"push", wirePush},
	{"cloud", wireCloud},
	{"livequery", wireLiveQuery},
	{"leancloud", wireLeanCloud},
	{"releases", wireReleases},
	{"analytics", wireAnalytics},
	// The console comes last: it shows what the others wired.
	{"console", wireConsole},
}

// features is what the features are wired into.
type features struct {
	cfg    *config.Config
	log    *slog.Logger
	app    *core.App
	api    *api.Handler
	server *server.Options
	store  core.Store
	// reloadPolicies loads a new policy set on this node (set by the
	// policies feature; nil without it), for deployments that carry one.
	reloadPolicies func(ctx context.Context, fsys fs.FS) error
	// cloud is the cloud-code runtime (set by the cloud feature), for
	// LiveQuery's beforeConnect, beforeSubscribe and afterLiveQueryEvent.
	cloud *hooks.Manager
	// cloudCode is the cloud-code runtime bound to the App (nil without
	// it), whose LiveQuery triggers the LiveQuery feature binds.
	cloudCode *coreapp.Cloud
	// fileAPI is the files API (set by the files feature), for features
	// that take uploads in their own protocol (the LeanCloud dialect).
	fileAPI *fileapi.Handler
	// policies is the policy engine (set by the policies feature), for the
	// console's policies page.
	policies *policies.Engine
	// onServer runs once the HTTP server exists (the console reads its
	// metrics registry).
	onServer []func(*server.Server)
	// plugins runs the config's plugins (nil without any), for the
	// providers features open themselves (files: plugin:NAME).
	plugins core.PluginHost
	// files is the files provider (set by the files feature), for features
	// that read stored files themselves (releases measure and diff builds).
	files   *core.Files
	closers []func(ctx context.Context) error
}

// reloadPoliciesLater returns a reload that calls whatever reloadPolicies
// is when it runs, so that features wired later can wrap it (LiveQuery
// re-authorizes its subscriptions); nil without a policy engine.
func (f *features) reloadPoliciesLater() func(ctx context.Context, fsys fs.FS) error {
	if f.reloadPolicies == nil {
		return nil
	}
	return func(ctx context.Context, fsys fs.FS) error { return f.reloadPolicies(ctx, fsys) }
}

// onClose registers what to close at shutdown; closers run in reverse.
func (f *features) onClose(fn func(ctx context.Context) error) { f.closers = append(f.closers, fn) }

func (f *features) wire(ctx context.Context) error {
	for _, feat := range featureList {
		if err := feat.wire(ctx, f); err != nil {
			return fmt.Errorf("%s: %w", feat.name, err)
		}
	}
	return nil
}

func (f *features) close(ctx context.Context) error {
	var errs []error
	for i := len(f.closers) - 1; i >= 0; i-- {
		errs = append(errs, f.closers[i](ctx))
	}
	return errors.Join(errs...)
}
