package app

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/switchboardhq/switchboard/policies"
)

// wirePolicies loads the policy folder into the policy engine and installs
// it as the App's Authorizer, after class-level permissions. A folder that
// does not compile stops the start with file:line; no folder means no
// policies (and no cost). Deployments reload it through f.reloadPolicies.
func wirePolicies(ctx context.Context, f *features) error {
	pc := f.cfg.Policies
	engine := policies.New(policies.Options{
		AllowUnsafeBuiltins: pc.AllowUnsafeBuiltins,
		Debug:               pc.Debug,
		ApplyToMaster:       pc.ApplyToMaster,
		DecisionLogSample:   pc.DecisionLog.Sample,
		Logger:              f.log,
	})
	dir := pc.Dir
	if dir == "" {
		dir = filepath.Join(f.cfg.Dir, "policies")
	}
	if _, err := os.Stat(dir); err == nil {
		if err := engine.LoadDir(ctx, dir); err != nil {
			return err
		}
		f.log.Info("policies loaded", "dir", dir, "revision", engine.Revision())
	} else if !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	f.app.SetAuthorizer(engine)
	f.reloadPolicies = engine.Load
	f.policies = engine
	return nil
}
