// Package console serves the admin console at /dashboard: a small
// single-page app embedded in the binary, its sign-in, and a proxy that
// lets the signed-in admin call the Parse REST API with the master key.
//
// Why it is built this way:
//   - The front end is plain JavaScript modules with no build step
//     (web/), embedded with go:embed: `go run ./cmd/switchboard serve` on a
//     fresh machine serves it, with no npm, no CDN and no network at run
//     time, and what is reviewed is what runs.
//   - The master key never reaches the browser. The browser holds a signed
//     session cookie (HttpOnly, SameSite=Strict, Secure); the console
//     checks it and a CSRF token on every call, then forwards the call to
//     the API in process with the master key (or the read-only master key
//     for read-only admins) added server-side. The API then applies its own
//     rules, so a read-only admin is refused writes by the same code that
//     refuses the read-only key anywhere.
//   - Sessions are stateless signed cookies (HMAC with a key derived from
//     the master key), so any node of a cluster accepts them and a restart
//     keeps admins signed in; changing the master key, or an admin's
//     password, ends the sessions made with the old one.
package console

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

//go:embed web
var webFS embed.FS

// Admin is a console account that signs in with a password.
type Admin struct {
	Username     string
	PasswordHash string // bcrypt
	ReadOnly     bool
}

// PanelRequest is one call of a panel: GET reads it, POST acts.
type PanelRequest struct {
	Method   string
	Body     []byte
	ReadOnly bool // the admin is read-only
}

// Panel serves one console endpoint that is not part of the Parse API
// (server metrics, policies, providers) under <prefix>/x/<name>. The
// console has authenticated the admin and checked CSRF; the panel returns
// a JSON value, or a *core.Error for a Parse-style error.
type Panel func(ctx context.Context, req PanelRequest) (any, error)

// Options configure the console.
type Options struct {
	// Prefix is where the console is served (default "/dashboard").
	Prefix string
	// API serves the Parse REST API with paths relative to MountPath.
	API http.Handler
	// MountPath is the API's mount path, shown to admins.
	MountPath         string
	AppID             string
	MasterKey         string
	ReadOnlyMasterKey string
	Admins            []Admin
	// SessionLength bounds a sign-in (default 12h).
	SessionLength time.Duration
	// LoginAttempts per client IP and per account in LoginWindow (default
	// 10 per 5 minutes; -1: no limit).
	LoginAttempts int
	LoginWindow   time.Duration
	// AllowRate counts sign-in attempts: it records one event for key and
	// reports whether it is within limit events per period (the App's
	// limiter, App.AllowRate, so that every login limit counts alike).
	AllowRate func(key string, limit int, period time.Duration) bool
	// Panels are the console's own endpoints by name.
	Panels map[string]Panel
	// Routes are the labels of the API's routes (api.Routes): the page
	// shows the pages of the features this server has (analytics.report,
	// releases.list, ...) and hides the others.
	Routes []string
	Logger *slog.Logger
}

// Handler serves the console. It is an http.Handler for the full path
// (Prefix included).
type Handler struct {
	opts     Options
	sessions *sessions
	static   http.Handler
	index    []byte
}

var _ http.Handler = (*Handler)(nil)

// New returns the console handler.
func New(opts Options) (*Handler, error) {
	if opts.API == nil {
		return nil, errors.New("console: Options.API is nil")
	}
	if opts.MasterKey == "" {
		return nil, errors.New("console: no master key")
	}
	if opts.AllowRate == nil {
		return nil, errors.New("console: Options.AllowRate is nil")
	}
	if opts.Prefix == "" {
		opts.Prefix = "/dashboard"
	}
	if opts.SessionLength <= 0 {
		opts.SessionLength = 12 * time.Hour
	}
	if opts.LoginAttempts == 0 {
		opts.LoginAttempts = 10
	}
	if opts.LoginWindow <= 0 {
		opts.LoginWindow = 5 * time.Minute
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	sub, err := fs.Sub(webFS, "web")
	if err != nil {
		return nil, err
	}
	index, err := fs.ReadFile(sub, "index.html")
	if err != nil {
		return nil, err
	}
	return &Handler{
		opts:     opts,
		sessions: newSessions(opts.MasterKey, opts.SessionLength),
		static:   http.StripPrefix(opts.Prefix, http.FileServerFS(sub)),
		index:    index,
	}, nil
}

// contentSecurityPolicy allows only the console's own files and calls to
// its own origin: no inline script, no third party, no framing.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", contentSecurityPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	rest := strings.TrimPrefix(r.URL.Path, h.opts.Prefix)
	// The request's label in logs and /metrics; a call through the API
	// proxy is relabelled by the API with its route.
	if info := core.RequestInfoFrom(r.Context()); info != nil {
		info.Route = "console"
	}
	switch {
	case rest == "":
		http.Redirect(w, r, h.opts.Prefix+"/", http.StatusMovedPermanently)
	case rest == "/" || rest == "/index.html":
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Cache-Control", "no-cache")
		_, _ = w.Write(h.index)
	case rest == "/auth/login":
		h.login(w, r)
	case rest == "/auth/logout":
		h.logout(w, r)
	case rest == "/auth/session":
		h.session(w, r)
	case strings.HasPrefix(rest, "/api/"):
		h.proxy(w, r, strings.TrimPrefix(rest, "/api"))
	case strings.HasPrefix(rest, "/x/"):
		h.panel(w, r, strings.TrimPrefix(rest, "/x/"))
	case strings.HasPrefix(rest, "/static/"):
		hdr.Set("Cache-Control", "no-cache")
		h.static.ServeHTTP(w, r)
	default:
		writeError(w, core.Errorf(core.CodeObjectNotFound, "no console page %s", r.URL.Path))
	}
}

// panel serves one of Options.Panels to a signed-in admin.
func (h *Handler) panel(w http.ResponseWriter, r *http.Request, name string) {
	who, err := h.authorize(r)
	if err != nil {
		writeError(w, err)
		return
	}
	p, ok := h.opts.Panels[name]
	if !ok {
		writeError(w, core.Errorf(core.CodeObjectNotFound, "no console panel %q", name))
		return
	}
	var body []byte
	if r.Method != http.MethodGet {
		if body, err = io.ReadAll(io.LimitReader(r.Body, 1<<20)); err != nil {
			writeError(w, core.Errorf(core.CodeInvalidJSON, "reading the body: %v", err))
			return
		}
	}
	out, err := p(r.Context(), PanelRequest{Method: r.Method, Body: body, ReadOnly: who.readOnly})
	if err != nil {
		writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// writeError answers Parse-style: {"code":N,"error":"..."}. Errors that are
// not *core.Error are internal and are not shown.
func writeError(w http.ResponseWriter, err error) {
	var ce *core.Error
	if !errors.As(err, &ce) {
		ce = core.Errorf(core.CodeInternalServerError, "internal server error")
	}
	status := http.StatusBadRequest
	switch ce.Code {
	case core.CodeObjectNotFound:
		status = http.StatusNotFound
	case core.CodeRequestLimitExceeded:
		status = http.StatusTooManyRequests
	case core.CodeOperationForbidden, core.CodeInvalidSessionToken:
		status = http.StatusForbidden
	case core.CodeInternalServerError:
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, map[string]any{"code": ce.Code, "error": ce.Message})
}
