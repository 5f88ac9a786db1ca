package app

import (
	"context"
	"net/http"
	"strings"

	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/leancloud"
)

// wireLeanCloud serves LeanCloud's REST dialect at /1.1 beside the Parse
// API, with the server's app id and keys (leancloud: in the config), and
// its file uploads through the files API. File values of LeanCloud files
// whose bytes are elsewhere resolve to their own URL on the Parse API too.
func wireLeanCloud(ctx context.Context, f *features) error {
	cfg := f.cfg
	if cfg.LeanCloud.Disabled {
		return nil
	}
	opts := leancloud.Options{
		AppID:             cfg.AppID,
		ClientKeys:        cfg.ClientKeys(),
		MasterKey:         cfg.MasterKey,
		ReadOnlyMasterKey: cfg.ReadOnlyMasterKey,
		MasterKeyIPs:      cfg.MasterKeyIPs,
		SignatureWindow:   cfg.LeanCloud.Window(),
		BaseURL:           publicRoot(cfg, f.app.Options().ServerURL),
	}
	if f.fileAPI != nil {
		opts.Files = f.fileAPI
		f.app.SetFileURLResolver(leancloud.FileURLResolver(f.app, f.fileAPI))
	}
	h := leancloud.New(f.app, f.api, opts)
	if f.server.Extra == nil {
		f.server.Extra = map[string]http.Handler{}
	}
	f.server.Extra[leancloud.Prefix] = h
	f.server.AllowHeaders = append(f.server.AllowHeaders, leancloud.Headers...)
	return nil
}

// publicRoot is the server's public root URL: publicServerURL (else
// serverURL) without the mount path.
func publicRoot(cfg *config.Config, serverURL string) string {
	if cfg.PublicServerURL != "" {
		serverURL = cfg.PublicServerURL
	}
	serverURL = strings.TrimRight(serverURL, "/")
	return strings.TrimSuffix(serverURL, strings.TrimRight(cfg.MountPath, "/"))
}
