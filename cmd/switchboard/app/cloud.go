package app

import (
	"context"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
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
		ReloadPolicies: f.reloadPolicies,
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

// masterOnly accepts the requests that carry the app id and the master key
// (from an allowed address when masterKeyIps is set), for the deployment
// routes, which read their own bodies.
func masterOnly(f *features) func(*http.Request) error {
	opts := f.app.Options()
	var nets []netip.Prefix
	for _, s := range opts.MasterKeyIPs {
		if p, err := netip.ParsePrefix(s); err == nil {
			nets = append(nets, p)
		} else if a, err := netip.ParseAddr(s); err == nil {
			nets = append(nets, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	same := func(a, b string) bool { return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }
	return func(r *http.Request) error {
		if !same(r.Header.Get("X-Parse-Application-Id"), opts.AppID) || !same(r.Header.Get("X-Parse-Master-Key"), opts.MasterKey) {
			return core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is required")
		}
		if len(nets) == 0 {
			return nil
		}
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			host = r.RemoteAddr
		}
		if a, err := netip.ParseAddr(host); err == nil {
			for _, p := range nets {
				if p.Contains(a.Unmap()) {
					return nil
				}
			}
		}
		return core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is not allowed from this IP")
	}
}
