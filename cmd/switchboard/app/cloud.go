package app

import (
	"context"
	"errors"
	"net/http"
	"path/filepath"
	"runtime/debug"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
	"github.com/switchboardhq/switchboard/hooks/coreapp"
)

// wireCloud starts cloud code: the runtime with its limits from cloudCode:,
// the folder of cloud: deployed at start when it changed, the triggers in
// the App's hook chains, the cloud-code routes (functions, jobs, job
// schedules, webhooks) and the deployment routes with /scriptlog behind
// the master key. It runs before the job queue starts: cloud jobs are a
// route of the queue.
func wireCloud(ctx context.Context, f *features) error {
	cc := f.cfg.CloudCode
	rt := hooks.Options{
		AppID:         f.cfg.AppID,
		MountPath:     f.cfg.MountPath,
		Timeout:       time.Duration(cc.Timeout),
		JobTimeout:    time.Duration(cc.JobTimeout),
		PoolSize:      cc.PoolSize,
		QueueTimeout:  time.Duration(cc.QueueTimeout),
		QueueLength:   cc.QueueLength,
		MaxStackDepth: cc.MaxStackDepth,
		MemoryLimit:   cc.MemoryLimitBytes(),
		LogSize:       cc.LogSize,
		HTTPAllowList: cc.HTTPAllowList,
		Logger:        f.log,
	}
	setSoftMemoryLimit(f, rt.MemoryLimit)
	dir := f.cfg.Cloud
	if dir != "" && !filepath.IsAbs(dir) {
		dir, _ = filepath.Abs(dir)
	}
	c, err := coreapp.New(f.app, f.api, coreapp.Options{
		Runtime:        rt,
		Dir:            dir,
		WebhookKey:     f.cfg.WebhookKey,
		ReloadPolicies: f.reloadPoliciesLater(),
		Logger:         f.log,
	})
	if err != nil {
		return err
	}
	if err := c.Start(ctx); err != nil {
		c.Close()
		return err
	}
	f.onClose(func(context.Context) error { return c.Close() })
	f.cloud = c.Manager()
	f.cloudCode = c
	f.api.SetCloudCode(c)
	h := c.Handler(masterOnly(f))
	f.api.Mount("deployments", "deployments", h)
	f.api.Mount("scriptlog", "scriptlog", h)
	return nil
}

// setSoftMemoryLimit sets the process's soft memory limit a little above
// the cloud-code memory guard's limit, so that the collector works harder
// before the guard has to stop a script, unless GOMEMLIMIT set one.
func setSoftMemoryLimit(f *features, guard int64) {
	if guard < 0 {
		return
	}
	if guard == 0 {
		guard = 1 << 30 // the runtime's default
	}
	if cur := debug.SetMemoryLimit(-1); cur != 1<<63-1 {
		return // GOMEMLIMIT (or an embedding program) chose already
	}
	limit := guard + guard/4
	debug.SetMemoryLimit(limit)
	f.log.Debug("cloud code: process soft memory limit set", "bytes", limit)
}

// masterOnly accepts the requests that carry the master key, checked as
// every API route checks keys (app id, masterKeyIps), for the deployment
// routes, which read their own bodies. The read-only master key may list
// versions and read logs.
func masterOnly(f *features) func(*http.Request) error {
	return func(r *http.Request) error {
		auth, err := f.api.Authenticate(r, nil)
		if err != nil {
			var ce *core.Error
			if errors.As(err, &ce) {
				return ce
			}
			return core.Errorf(core.CodeOperationForbidden, "unauthorized")
		}
		if !auth.Master {
			return core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
		}
		if auth.ReadOnly && r.Method != http.MethodGet {
			return core.Errorf(core.CodeOperationForbidden, "read-only masterKey isn't allowed to perform the write operation")
		}
		return nil
	}
}
