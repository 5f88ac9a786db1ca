package app

import (
	"context"
	"net/http"

	"github.com/switchboardhq/switchboard/core/leancloud"
)

// wireLeanCloud serves LeanCloud's REST dialect at /1.1 beside the Parse
// API, with the server's app id and keys (leancloud: in the config).
func wireLeanCloud(ctx context.Context, f *features) error {
	cfg := f.cfg
	if cfg.LeanCloud.Disabled {
		return nil
	}
	h := leancloud.New(f.app, f.api, leancloud.Options{
		AppID:             cfg.AppID,
		ClientKeys:        cfg.ClientKeys(),
		MasterKey:         cfg.MasterKey,
		ReadOnlyMasterKey: cfg.ReadOnlyMasterKey,
		MasterKeyIPs:      cfg.MasterKeyIPs,
		SignatureWindow:   cfg.LeanCloud.Window(),
	})
	if f.server.Extra == nil {
		f.server.Extra = map[string]http.Handler{}
	}
	f.server.Extra[leancloud.Prefix] = h
	f.server.AllowHeaders = append(f.server.AllowHeaders, leancloud.Headers...)
	return nil
}
