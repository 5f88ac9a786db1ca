// Package fileapi serves the Parse files API over a files provider
// (core.Files). It stands alone: the API mounts it for paths under
// "/files/" (relative to the mount path) and hands it, in Options, what it
// needs from the rest of the server as functions and small interfaces: who
// is calling (Authenticate), policy decisions (Authorize), file triggers
// (BeforeSave, AfterSave, BeforeDelete, AfterDelete) and a record of
// uploaded files (Registry).
//
// Routes (paths relative to the API mount):
//
//	POST   /files/:name                  upload: the raw body, or the JS SDK's JSON
//	                                     envelope ({"base64", "_ContentType", ...});
//	                                     201 {url, name} and Location
//	GET    /files/:appId/:name           download: ranges, ETag/Last-Modified,
//	HEAD                                 ?thumb=WxH&mode=fit|crop thumbnails; a
//	                                     protected file needs a signed URL
//	DELETE /files/:name                  master key; 153 when it fails
//	POST   /files/:name/direct           instructions to upload straight to the store
//	POST   /files/:name/confirm          register a direct upload: {ticket}
//	POST   /files/:appId/:name/callback  the store's own report of a direct upload (Qiniu)
//	PUT    /files/:appId/:name           the local provider's one-time upload URL
//
// Every failure is a Parse error body {"code": N, "error": "..."}.
package fileapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/fileapi/thumbnail"
)

// Action is what a caller wants to do with a file, for Authorize.
type Action string

// The actions.
const (
	ActionUpload   Action = "upload"
	ActionDownload Action = "download"
	ActionDelete   Action = "delete"
)

// Record is what the server remembers about an uploaded file.
type Record struct {
	Name        string         `json:"name"`
	ContentType string         `json:"contentType"`
	Size        int64          `json:"size"`
	ETag        string         `json:"etag,omitempty"`
	Protected   bool           `json:"protected,omitempty"`
	Owner       string         `json:"owner,omitempty"` // the uploader's user id
	Metadata    map[string]any `json:"metadata,omitempty"`
	Tags        map[string]any `json:"tags,omitempty"`
	CreatedAt   time.Time      `json:"createdAt"`
}

// Registry records uploaded files: which are protected (served only
// through signed URLs), who uploaded them, and which exist for `files gc`.
// Methods are safe for concurrent use.
type Registry interface {
	// Register stores a record, replacing one of the same name.
	Register(ctx context.Context, rec Record) error
	// Lookup returns the record of name, CodeObjectNotFound if there is
	// none.
	Lookup(ctx context.Context, name string) (Record, error)
	// Remove forgets name; no error if it was unknown.
	Remove(ctx context.Context, name string) error
}

// FileEvent is what the file triggers see. BeforeSave runs once the caller
// is allowed and before any byte is stored; it may change Name (to another
// name without "/"), Protected, Metadata and Tags, or refuse with an error. AfterSave runs once the file
// is stored and registered. Upload bodies stream, so the triggers see the
// file's description, never its bytes.
type FileEvent struct {
	Action Action
	Auth   *core.Auth
	// Name is the stored name; OriginalName the one the client sent.
	Name, OriginalName string
	ContentType        string
	// Size is the body's length, -1 when BeforeSave runs on an upload of
	// unknown length.
	Size      int64
	Protected bool
	Metadata  map[string]any
	Tags      map[string]any
	// Info describes the stored file (AfterSave, delete triggers).
	Info core.FileInfo
	// URL is where the file is served (AfterSave).
	URL string
}

// Options configure a Handler.
type Options struct {
	// AppID is the application id, the first segment of download URLs.
	AppID string
	// ServerURL is the public URL of the API mount
	// ("https://api.example.com/parse"); file URLs are
	// ServerURL/files/AppID/name.
	ServerURL string
	// Files is the files provider.
	Files *core.Files
	// Upload are the fileUpload rules.
	Upload UploadRules
	// MaxUploadSize caps an upload through the API in bytes (Parse's
	// maxUploadSize; default 20 MiB).
	MaxUploadSize int64
	// MaxDirectUploadSize caps a direct upload (default 5 GiB).
	MaxDirectUploadSize int64
	// PreserveFileName stores files under the client's name instead of a
	// unique one (a new upload then replaces a file of the same name).
	PreserveFileName bool
	// ProtectByDefault makes every upload protected unless BeforeSave
	// says otherwise.
	ProtectByDefault bool

	// Authenticate tells who is calling from the request's headers, or
	// from the JS SDK's envelope fields (_ApplicationId, _SessionToken,
	// _MasterKey, ...) when env is not nil. A wrong app id or key is an
	// error; a *core.Error is answered as is, any other error as 403
	// unauthorized. Required.
	Authenticate func(r *http.Request, env map[string]string) (*core.Auth, error)
	// IsAnonymous reports whether the caller is an anonymous user, for
	// fileUpload.enableForAnonymousUser. Nil: nobody is.
	IsAnonymous func(ctx context.Context, auth *core.Auth) bool
	// Authorize, if set, is the policy decision for each action; rec is the
	// file's record (only Name and what the request tells for an upload).
	// An error refuses.
	Authorize func(ctx context.Context, action Action, auth *core.Auth, rec Record) error
	// File triggers; nil ones are skipped.
	BeforeSave, BeforeDelete func(ctx context.Context, e *FileEvent) error
	AfterSave, AfterDelete   func(ctx context.Context, e *FileEvent) error
	// Registry records uploads. Without one there are no protected files.
	Registry Registry

	// Secret signs direct-upload tickets (at least 32 bytes). Without it
	// the direct-upload routes answer "not configured".
	Secret []byte
	// SignedURLTTL is how long a signed URL of a protected file works
	// (default 15 minutes).
	SignedURLTTL time.Duration
	// DirectUploadTTL is how long direct-upload instructions work (default
	// one hour).
	DirectUploadTTL time.Duration
	// CacheControl is sent with public files (default
	// "public, max-age=86400"; unique names never change content).
	CacheControl string
	// Thumbnails bound server-side rendering; Disabled turns ?thumb= off.
	Thumbnails ThumbnailOptions
	// RedirectDownloads answers downloads from a store with signed URLs
	// (s3, qiniu) with a redirect to the store instead of streaming them
	// through the server.
	RedirectDownloads bool
	// TempDir holds the decoded bodies of JSON-envelope uploads (default
	// os.TempDir()).
	TempDir string
	// Now is the clock (tests).
	Now func() time.Time
}

// ThumbnailOptions bound thumbnails rendered by the server.
type ThumbnailOptions struct {
	Disabled bool
	thumbnail.Limits
}

// Handler serves the files API.
type Handler struct {
	opts     Options
	files    *core.Files
	extRules []*regexp.Regexp
}

var _ http.Handler = (*Handler)(nil)

// New checks opts and returns the handler.
func New(opts Options) (*Handler, error) {
	if opts.Files == nil || opts.Authenticate == nil || opts.AppID == "" {
		return nil, errors.New("fileapi: Files, Authenticate and AppID are required")
	}
	if opts.Secret != nil && len(opts.Secret) < 32 {
		return nil, errors.New("fileapi: Secret must be at least 32 bytes")
	}
	rules, err := compileExtensions(opts.Upload.FileExtensions)
	if err != nil {
		return nil, fmt.Errorf("fileapi: fileUpload.fileExtensions: %w", err)
	}
	if opts.MaxUploadSize <= 0 {
		opts.MaxUploadSize = 20 << 20
	}
	if opts.MaxDirectUploadSize <= 0 {
		opts.MaxDirectUploadSize = 5 << 30
	}
	if opts.SignedURLTTL <= 0 {
		opts.SignedURLTTL = 15 * time.Minute
	}
	if opts.DirectUploadTTL <= 0 {
		opts.DirectUploadTTL = time.Hour
	}
	if opts.CacheControl == "" {
		opts.CacheControl = "public, max-age=86400"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	opts.ServerURL = strings.TrimRight(opts.ServerURL, "/")
	return &Handler{opts: opts, files: opts.Files, extRules: rules}, nil
}

// PublicURL is where this handler serves the app's files:
// ServerURL/files/AppID. The local provider signs its URLs on it
// (core.FilesConfig.PublicURL).
func PublicURL(serverURL, appID string) string {
	return strings.TrimRight(serverURL, "/") + "/files/" + url.PathEscape(appID)
}

func (h *Handler) fileURL(name string) string {
	return PublicURL(h.opts.ServerURL, h.opts.AppID) + "/" + url.PathEscape(name)
}

// ServeHTTP routes a request whose path is relative to the API mount.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/files/")
	if !ok {
		writeError(w, r, core.ErrNotFound())
		return
	}
	segs := strings.Split(rest, "/")
	var err error
	switch {
	case len(segs) == 1 && r.Method == http.MethodPost:
		err = h.upload(w, r, segs[0])
	case len(segs) == 1 && r.Method == http.MethodDelete:
		err = h.delete(w, r, segs[0])
	case len(segs) == 2 && (r.Method == http.MethodGet || r.Method == http.MethodHead):
		err = h.download(w, r, segs[0], segs[1])
	case len(segs) == 2 && r.Method == http.MethodPut:
		err = h.receiveDirect(w, r, segs[0], segs[1])
	case len(segs) == 2 && r.Method == http.MethodPost && segs[1] == "direct":
		err = h.prepareDirect(w, r, segs[0])
	case len(segs) == 2 && r.Method == http.MethodPost && segs[1] == "confirm":
		err = h.confirmDirect(w, r, segs[0])
	case len(segs) == 3 && r.Method == http.MethodPost && segs[2] == "callback":
		err = h.callback(w, r, segs[0], segs[1])
	case len(segs) <= 3:
		w.Header().Set("Allow", "GET, HEAD, POST, PUT, DELETE")
		err = &core.Error{Code: core.CodeInvalidJSON, Message: "method not allowed on this files route"}
	default:
		err = core.ErrNotFound()
	}
	if err != nil {
		writeError(w, r, err)
	}
}

// errUnauthorized is Parse Server's answer to a wrong app id or key.
var errUnauthorized = errors.New("unauthorized")

func (h *Handler) authenticate(r *http.Request, env map[string]string) (*core.Auth, error) {
	auth, err := h.opts.Authenticate(r, env)
	if err != nil {
		var ce *core.Error
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, errUnauthorized
	}
	if auth == nil {
		auth = &core.Auth{}
	}
	return auth, nil
}

func (h *Handler) authorize(ctx context.Context, action Action, auth *core.Auth, rec Record) error {
	if h.opts.Authorize == nil {
		return nil
	}
	return h.opts.Authorize(ctx, action, auth, rec)
}

// lookup returns name's record; a file uploaded before the registry, or
// without one, is public.
func (h *Handler) lookup(ctx context.Context, name string) (Record, bool, error) {
	if h.opts.Registry == nil {
		return Record{Name: name}, false, nil
	}
	rec, err := h.opts.Registry.Lookup(ctx, name)
	if core.IsCode(err, core.CodeObjectNotFound) {
		return Record{Name: name}, false, nil
	}
	if err != nil {
		return Record{}, false, err
	}
	return rec, true, nil
}

// FileURL is the URL to give a caller for a file field: the plain URL of a
// public file; for a protected one, after Authorize allows the download, a
// signed URL that works for SignedURLTTL. The API calls it when it encodes
// File values.
func (h *Handler) FileURL(ctx context.Context, auth *core.Auth, name string) (string, error) {
	rec, _, err := h.lookup(ctx, name)
	if err != nil {
		return "", err
	}
	if !rec.Protected {
		return h.fileURL(name), nil
	}
	if err := h.authorize(ctx, ActionDownload, auth, rec); err != nil {
		return "", err
	}
	return h.files.SignedURL(ctx, name, h.opts.SignedURLTTL)
}

// FileURLs implements core.FileURLResolver: the URL of each name for auth,
// as FileURL gives it, with the records of all names read at once when the
// Registry can (BatchLookup). A protected file the caller may not download
// keeps its plain URL, which answers 119: the object is readable, its file
// is not.
func (h *Handler) FileURLs(ctx context.Context, auth *core.Auth, names []string) (map[string]string, error) {
	var recs map[string]Record
	if b, ok := h.opts.Registry.(BatchLookup); ok {
		var err error
		if recs, err = b.LookupMany(ctx, names); err != nil {
			return nil, err
		}
	}
	out := make(map[string]string, len(names))
	for _, name := range names {
		rec, found := recs[name]
		if recs == nil {
			r, _, err := h.lookup(ctx, name)
			if err != nil {
				return nil, err
			}
			rec, found = r, true
		}
		out[name] = h.fileURL(name)
		if !found || !rec.Protected {
			continue
		}
		if err := h.authorize(ctx, ActionDownload, auth, rec); err != nil {
			continue
		}
		signed, err := h.files.SignedURL(ctx, name, h.opts.SignedURLTTL)
		if err != nil {
			return nil, err
		}
		out[name] = signed
	}
	return out, nil
}

var _ core.FileURLResolver = (*Handler)(nil)

func (h *Handler) logger(ctx context.Context) *slog.Logger { return core.LoggerFrom(ctx) }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":1,"error":"internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError renders an error the Parse way and logs our own faults.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUnauthorized) {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": "unauthorized"})
		return
	}
	e := core.AsError(err)
	status := e.HTTPStatus()
	switch e.Code {
	case core.CodeInternalServerError:
		core.LoggerFrom(r.Context()).Error("files request failed", "err", err)
	case core.CodeFileTooLarge:
		status = http.StatusRequestEntityTooLarge
	case core.CodeOperationForbidden:
		status = http.StatusForbidden
	case core.CodeConnectionFailed:
		core.LoggerFrom(r.Context()).Warn("files request failed", "err", err)
		status = http.StatusServiceUnavailable
	}
	// A client still sending a body it was refused would otherwise see its
	// connection reset before it reads the answer.
	w.Header().Set("Connection", "close")
	writeJSON(w, status, map[string]any{"code": int(e.Code), "error": e.Message})
}
