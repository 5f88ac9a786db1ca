package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/klauspost/compress/gzhttp"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/fileapi"
	"github.com/switchboardhq/switchboard/core/fileapi/thumbnail"
)

// wireFiles wires the files feature: it opens the files provider of the
// config (closed at shutdown), serves the Parse files API under /files
// with the core's authentication, policy decisions, file triggers and the
// _File registry, and makes File fields of objects come back with URLs
// that work for the caller (signed ones for protected files).
func wireFiles(ctx context.Context, f *features) error {
	files, err := openFiles(ctx, f.cfg, f.store, f.plugins, f.log)
	if err != nil {
		return err
	}
	f.onClose(func(context.Context) error { return files.Close() })
	h, err := fileapi.New(filesOptions(f.cfg, f.app, f.api, files))
	if err != nil {
		return err
	}
	f.app.SetFileURLResolver(h)
	f.fileAPI = h
	f.files = files
	f.api.Mount("files", "files", filesMount{h})
	return nil
}

// filesServerURL is the base of file URLs: publicServerURL when set (the
// address clients see), else serverURL.
func filesServerURL(cfg *config.Config) string {
	if cfg.PublicServerURL != "" {
		return cfg.PublicServerURL
	}
	return cfg.ServerURL
}

// openFiles opens the configured files provider through the provider
// lifecycle.
func openFiles(ctx context.Context, cfg *config.Config, store core.Store, plugins core.PluginHost, log *slog.Logger) (*core.Files, error) {
	name := cfg.Files.Provider
	files, err := core.OpenFiles(ctx, name, core.FilesConfig{
		Options:   cfg.Files.Section(name),
		DataDir:   cfg.Dir,
		PublicURL: fileapi.PublicURL(filesServerURL(cfg), cfg.AppID),
		Store:     store,
		Logger:    log,
		Plugins:   plugins,
	})
	if err != nil {
		return nil, err
	}
	log.Info("files provider opened", "provider", name)
	return files, nil
}

// filesOptions fills the files API's options from the config and the core.
func filesOptions(cfg *config.Config, app *core.App, apiHandler *api.Handler, files *core.Files) fileapi.Options {
	up := cfg.FileUpload
	maxDirect := cfg.Files.MaxDirectUploadBytes()
	if _, viaUs := files.Driver().(core.FileUploadReceiver); viaUs {
		// The local provider's direct uploads come through this server,
		// whose body limit is maxUploadSize: say so before the upload.
		maxDirect = min(maxDirect, cfg.MaxUploadBytes())
	}
	hooks := app.Hooks()
	return fileapi.Options{
		AppID:     cfg.AppID,
		ServerURL: filesServerURL(cfg),
		Files:     files,
		Upload: fileapi.UploadRules{
			EnableForPublic:            &up.EnableForPublic,
			EnableForAnonymousUser:     &up.EnableForAnonymousUser,
			EnableForAuthenticatedUser: &up.EnableForAuthenticatedUser,
			FileExtensions:             up.FileExtensions,
		},
		MaxUploadSize:       cfg.MaxUploadBytes(),
		MaxDirectUploadSize: maxDirect,
		PreserveFileName:    cfg.PreserveFileName,
		ProtectByDefault:    cfg.Files.ProtectByDefault,
		Authenticate:        apiHandler.Authenticate,
		IsAnonymous: func(ctx context.Context, auth *core.Auth) bool {
			// When the user cannot be read, the rule that refuses applies.
			return isAnonymousUser(ctx, app, auth, !up.EnableForAnonymousUser)
		},
		Authorize: func(ctx context.Context, action fileapi.Action, auth *core.Auth, rec fileapi.Record) error {
			_, err := app.Authorize(ctx, &core.AuthzInput{
				Point: core.PointFiles, Action: string(action), Auth: auth,
				Extra: map[string]any{"name": rec.Name, "contentType": rec.ContentType, "size": rec.Size,
					"protected": rec.Protected, "owner": rec.Owner},
			})
			return err
		},
		BeforeSave:        fileTrigger(&hooks.BeforeSaveFile, true),
		AfterSave:         fileTrigger(&hooks.AfterSaveFile, false),
		BeforeDelete:      fileTrigger(&hooks.BeforeDeleteFile, false),
		AfterDelete:       fileTrigger(&hooks.AfterDeleteFile, false),
		Registry:          fileapi.NewStoreRegistry(app),
		Secret:            filesSecret(cfg.MasterKey),
		SignedURLTTL:      time.Duration(cfg.Files.SignedURLExpiry),
		DirectUploadTTL:   time.Duration(cfg.Files.DirectUploadExpiry),
		CacheControl:      cfg.Files.CacheControl,
		RedirectDownloads: cfg.Files.RedirectDownloads,
		Thumbnails: fileapi.ThumbnailOptions{
			Disabled: !cfg.Files.Thumbnails.Enabled,
			Limits:   thumbnail.Limits{MaxSourceBytes: cfg.Files.Thumbnails.MaxSourceBytes(), MaxPixels: cfg.Files.Thumbnails.MaxSourcePixels},
		},
		TempDir: uploadsTempDir(cfg.Dir),
	}
}

// fileTrigger runs one of the core's file hook chains (cloud code's
// beforeSave(Parse.File), ...) for an event of the files API. Before an
// upload (mayChange) the chain may rename the file, protect it and change
// its metadata and tags.
func fileTrigger(hook *core.Hook[*core.FileEvent], mayChange bool) func(ctx context.Context, e *fileapi.FileEvent) error {
	return func(ctx context.Context, e *fileapi.FileEvent) error {
		if !hook.Has("") {
			return nil
		}
		ce := &core.FileEvent{
			Ctx: ctx, Auth: e.Auth, Name: e.Name, ContentType: e.ContentType, Size: e.Size, URL: e.URL,
			Protected: e.Protected, Metadata: e.Metadata, Tags: e.Tags,
		}
		if info := core.CallInfoFrom(ctx); info != nil {
			ce.Context = info.Context
		}
		if err := hook.Trigger("", ce, nil); err != nil {
			return err
		}
		if mayChange {
			e.Name, e.Protected, e.Metadata, e.Tags = ce.Name, ce.Protected, ce.Metadata, ce.Tags
		}
		return nil
	}
}

// isAnonymousUser reports whether the caller's user logged in with
// authData.anonymous, for fileUpload.enableForAnonymousUser; unknown when
// the user cannot be read (logged).
func isAnonymousUser(ctx context.Context, app *core.App, auth *core.Auth, unknown bool) bool {
	c := app.Class("_User")
	if auth == nil || auth.UserID == "" || c == nil {
		return false
	}
	users, err := app.Store().Find(ctx, c, &core.Query{
		Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: auth.UserID}, Limit: 1, Keys: []string{"authData"},
	})
	if err != nil {
		core.LoggerFrom(ctx).Warn("files: reading the uploader's authData", "err", err)
		return unknown
	}
	if len(users) == 0 {
		return unknown
	}
	authData, _ := users[0]["authData"].(map[string]any)
	return authData["anonymous"] != nil
}

// filesSecret derives the key that signs direct-upload tickets from the
// master key, so that every node of a cluster checks the others' tickets.
func filesSecret(masterKey string) []byte {
	m := hmac.New(sha256.New, []byte(masterKey))
	m.Write([]byte("switchboard files: direct-upload tickets"))
	return m.Sum(nil)
}

// uploadsTempDir is where JSON-envelope uploads are decoded before they go
// to the store: in the data folder, on disk, rather than a /tmp that may be
// memory.
func uploadsTempDir(dataDir string) string {
	dir := filepath.Join(dataDir, "tmp")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "" // os.TempDir()
	}
	return dir
}

// filesMount serves the files API under the API's mount path. Files are
// served as stored: the gzip layer of the server leaves them alone (a
// compressed body would lose range requests and burn CPU on media). The
// request's headers go to policies as for other routes.
type filesMount struct{ h http.Handler }

func (m filesMount) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Accept-Encoding") != "" {
		w.Header().Set(gzhttp.HeaderNoCompression, "1")
	}
	r = r.WithContext(core.WithCallInfo(r.Context(), &core.CallInfo{Header: r.Header}))
	m.h.ServeHTTP(w, r)
}
