// Package api serves the Parse REST API over an App. It decodes requests
// (both the plain REST form and the JS SDK's POST envelope), authenticates
// the keys, routes to the App and writes Parse-shaped replies and errors.
package api

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/internal/jsonenc"
)

// Handler serves the API. Paths are relative to the mount path.
type Handler struct {
	app        *core.App
	opts       core.Options
	masterNets []netip.Prefix
	router     *router
	// mounts serve whole subtrees of the API with handlers of their own
	// (the files API streams bodies the JSON decoder must not read), by
	// their first path segment; see Mount.
	mounts map[string]mount
	// cloud serves the cloud-code routes (SetCloudCode); nil: none deployed.
	cloud CloudCode
	// analytics serves the analytics routes (SetAnalytics); nil: events
	// are dropped.
	analytics Analytics
	// releases serves app versions (SetReleases); nil: the feature is off.
	releases Releases
}

type mount struct {
	label   string
	handler http.Handler
}

// Mount serves every path under /<segment>/ (and /<segment>) with h
// before the API decodes anything: h gets the request with the path
// relative to the mount path, and authenticates it itself (Authenticate).
// Requests are labelled label in logs and /metrics. Call Mount before the
// handler serves.
func (h *Handler) Mount(segment, label string, handler http.Handler) {
	if h.mounts == nil {
		h.mounts = map[string]mount{}
	}
	h.mounts[segment] = mount{label: label, handler: handler}
}

var _ http.Handler = (*Handler)(nil)

// New returns the API handler for app. Mount it under the mount path with
// the prefix stripped (the server package does this).
func New(app *core.App) *Handler {
	h := &Handler{app: app, opts: app.Options(), router: newRouter()}
	for _, s := range h.opts.MasterKeyIPs {
		if p, err := netip.ParsePrefix(s); err == nil {
			h.masterNets = append(h.masterNets, p)
		} else if a, err := netip.ParseAddr(s); err == nil {
			h.masterNets = append(h.masterNets, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return h
}

// request is one decoded API call, from HTTP or from a /batch entry.
type request struct {
	method string
	path   []string       // segments after the mount path
	params map[string]any // query parameters (GET) or body (JS SDK envelope)
	body   map[string]any // JSON body without envelope keys
	auth   *core.Auth
	reqID  string // X-Parse-Request-Id
	http   *http.Request
	route  routeRef // the route it matched
	ctx    context.Context
	// direct is an HTTP request the handler answers itself, as opposed to
	// a /batch entry or an in-process Call, whose replies are values: only
	// its reads may come back as JSON written by the store (reply.raw).
	direct bool
}

// reply is what a route returns: a status and a JSON value.
type reply struct {
	status int
	body   any
	// raw, when not nil, is the body's JSON, written by the store (see
	// request.direct); body is nil then.
	raw      []byte
	location string
	headers  map[string]string
}

// envelopeKeys are the JS SDK's per-request fields in a POST body. They are
// request metadata, never object fields.
var envelopeKeys = []string{"_method", "_ApplicationId", "_JavaScriptKey", "_ClientKey", "_RestAPIKey", "_WindowsKey",
	"_MasterKey", "_SessionToken", "_InstallationId", "_ClientVersion", "_RevocableSession", "_ContentType", "_context", "_RequestId"}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := core.RequestInfoFrom(r.Context())
	// Work the App does after the answer (a mail that only an account's
	// address gets) waits until the client has it.
	ctx, answer := core.WithAnswer(r.Context())
	if ctx != r.Context() {
		r = r.WithContext(ctx)
	}
	defer answer.Done()
	if len(h.mounts) > 0 {
		seg, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if m, ok := h.mounts[seg]; ok {
			if info != nil {
				info.Route = m.label
			}
			m.handler.ServeHTTP(w, r)
			return
		}
	}
	if strings.HasPrefix(r.URL.Path, "/apps/") {
		// The e-mail flow pages are opened from a mail client: no keys.
		if info != nil {
			info.Route = "pages"
		}
		h.servePages(w, r)
		return
	}
	req, err := h.decode(r)
	if err != nil {
		if info != nil {
			info.Route = "rejected"
		}
		writeError(w, r, err)
		return
	}
	ref, found := h.router.match(req.method, req.path)
	if !found {
		if info != nil {
			info.Route = "no_route"
		}
		writeError(w, r, errNoRoute(req.method, req.path))
		return
	}
	req.route = ref
	req.direct = true
	if info != nil {
		info.Route = ref.label
	}
	rep, err := h.route(req)
	if err != nil {
		writeError(w, r, err)
		return
	}
	if rep.location != "" {
		w.Header().Set("Location", rep.location)
	}
	for k, v := range rep.headers {
		w.Header().Set(k, v)
	}
	if rep.raw != nil && !answer.Pending() {
		writeRaw(w, rep.status, rep.raw)
		return
	}
	if !answer.Pending() {
		writeJSON(w, rep.status, rep.body)
		return
	}
	// The reply goes out whole (a Content-Length, flushed) before the work
	// waiting for it starts, so the client's wait does not include it.
	status, b := rep.status, rep.raw
	if b == nil {
		status, b = marshalReply(rep.status, rep.body)
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	writeRaw(w, status, b)
	_ = http.NewResponseController(w).Flush()
	answer.Done()
}

// errUnauthorized is Parse Server's answer to a wrong app id or client key:
// 403 with only an "error" field, which the SDKs expect.
var errUnauthorized = errors.New("unauthorized")

func (h *Handler) decode(r *http.Request) (*request, error) {
	req := &request{method: r.Method, http: r}
	path := strings.Trim(r.URL.Path, "/")
	if path != "" {
		req.path = strings.Split(path, "/")
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodDelete || r.Method == http.MethodPatch {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, core.Errorf(core.CodeObjectTooLarge, "request body is larger than the limit of %d bytes", tooLarge.Limit)
			}
			var pe *core.Error
			if errors.As(err, &pe) {
				return nil, pe // the server's own answer (a body that arrived too slowly)
			}
			return nil, core.Errorf(core.CodeInvalidJSON, "reading the request body: %v", err)
		}
		if len(raw) > 0 {
			var body map[string]any
			if err := json.Unmarshal(raw, &body); err != nil {
				return nil, core.Errorf(core.CodeInvalidJSON, "invalid JSON")
			}
			if body == nil {
				return nil, core.Errorf(core.CodeInvalidJSON, "invalid JSON: the body must be an object")
			}
			req.body = body
		}
	}
	if m, ok := req.body["_method"].(string); ok && r.Method == http.MethodPost {
		req.method = strings.ToUpper(m)
	}
	if req.method == http.MethodGet {
		if req.body != nil {
			req.params = req.body
		} else if r.URL.RawQuery == "" {
			req.params = map[string]any{}
		} else {
			q := r.URL.Query()
			req.params = make(map[string]any, len(q))
			for k, v := range q {
				req.params[k] = v[0]
			}
		}
	}
	auth, err := h.authenticate(r, req.body)
	if err != nil {
		return nil, err
	}
	req.auth = auth
	req.reqID = r.Header.Get("X-Parse-Request-Id")
	if req.reqID == "" {
		req.reqID, _ = req.body["_RequestId"].(string)
	}
	call, err := callInfo(r, req.body)
	if err != nil {
		return nil, err
	}
	req.ctx = core.WithCallInfo(r.Context(), call)
	for _, k := range envelopeKeys {
		delete(req.body, k)
	}
	return req, nil
}

// callInfo reads what a call carries for cloud code and authorizers: the
// cloud-code context (the JS SDK's _context, or the X-Parse-Cloud-Context
// header holding a JSON object) and the headers.
func callInfo(r *http.Request, body map[string]any) (*core.CallInfo, error) {
	info := &core.CallInfo{Header: r.Header}
	switch c := body["_context"].(type) {
	case map[string]any:
		info.Context = c
	case nil:
	default:
		return nil, core.Errorf(core.CodeInvalidJSON, "_context must be a JSON object")
	}
	if raw := r.Header.Get("X-Parse-Cloud-Context"); raw != "" && info.Context == nil {
		if err := json.Unmarshal([]byte(raw), &info.Context); err != nil || info.Context == nil {
			return nil, core.Errorf(core.CodeInvalidJSON, "X-Parse-Cloud-Context must be a JSON object")
		}
	}
	return info, nil
}

// credential reads a key from its header or from the envelope field.
func credential(r *http.Request, body map[string]any, header, field string) string {
	if v := r.Header.Get(header); v != "" {
		return v
	}
	s, _ := body[field].(string)
	return s
}

func equalKeys(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

func (h *Handler) authenticate(r *http.Request, body map[string]any) (*core.Auth, error) {
	appID := credential(r, body, "X-Parse-Application-Id", "_ApplicationId")
	if !equalKeys(appID, h.opts.AppID) {
		return nil, errUnauthorized
	}
	auth := &core.Auth{InstallationID: credential(r, body, "X-Parse-Installation-Id", "_InstallationId")}
	if mk := credential(r, body, "X-Parse-Master-Key", "_MasterKey"); mk != "" {
		switch {
		case equalKeys(mk, h.opts.MasterKey):
			auth.Master = true
		case equalKeys(mk, h.opts.ReadOnlyMasterKey):
			auth.Master, auth.ReadOnly = true, true
		}
		if auth.Master && !h.masterAllowedFrom(r) {
			return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is not allowed from this IP")
		}
	}
	if !auth.Master && len(h.opts.ClientKeys) > 0 && !h.clientKeyOK(r, body) {
		return nil, errUnauthorized
	}
	auth.IP = clientIP(r)
	if token := credential(r, body, "X-Parse-Session-Token", "_SessionToken"); token != "" {
		// A token is never ignored, not even with the master key: a client
		// must learn that its session is gone.
		withUser, err := h.app.AuthForSession(r.Context(), token, auth)
		if err != nil {
			return nil, err
		}
		if !auth.Master {
			auth = withUser
		} else {
			auth.UserID, auth.SessionToken = withUser.UserID, token
		}
	}
	return auth, nil
}

// clientIP is the peer address. X-Forwarded-For is not trusted: behind a
// proxy, rate limits then apply per proxy, which errs on the safe side.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) clientKeyOK(r *http.Request, body map[string]any) bool {
	presented := []string{
		r.Header.Get("X-Parse-REST-API-Key"), r.Header.Get("X-Parse-Javascript-Key"),
		r.Header.Get("X-Parse-Client-Key"), r.Header.Get("X-Parse-Windows-Key"),
	}
	for _, f := range []string{"_JavaScriptKey", "_ClientKey", "_RestAPIKey", "_WindowsKey"} {
		s, _ := body[f].(string)
		presented = append(presented, s)
	}
	for _, p := range presented {
		for _, k := range h.opts.ClientKeys {
			if equalKeys(p, k) {
				return true
			}
		}
	}
	return false
}

func (h *Handler) masterAllowedFrom(r *http.Request) bool {
	if len(h.masterNets) == 0 {
		return true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range h.masterNets {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// locationFor builds the Location of a new object from the configured
// serverURL or, failing that, from the request itself.
// route is the collection path: "classes/Foo", or "users" as Parse Server
// answers for signups.
func (h *Handler) locationFor(r *http.Request, route, id string) string {
	base := h.opts.ServerURL
	if base == "" && r != nil {
		scheme := "http"
		if r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https" {
			scheme = "https"
		}
		mount := strings.TrimSuffix(requestPath(r), r.URL.Path)
		base = scheme + "://" + r.Host + mount
	}
	return strings.TrimSuffix(base, "/") + "/" + route + "/" + url.PathEscape(id)
}

// requestPath is the path as the client sent it, before any prefix stripping.
func requestPath(r *http.Request) string {
	p := r.RequestURI
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	status, b := marshalReply(status, v)
	writeRaw(w, status, b)
}

// marshalReply is a reply's JSON, or the internal error if it has none.
// Replies are maps and slices of JSON values. encoding/json spends most of
// its time on them in reflection and key sorting, a quarter of the CPU of
// a 20-row page; goccy/go-json writes the same bytes (sorted keys, the
// same escaping and number forms: TestReplyJSONLikeEncodingJSON) in about
// half the time with one allocation instead of one per value.
func marshalReply(status int, v any) (int, []byte) {
	b, err := MarshalJSON(v)
	if err != nil {
		return http.StatusInternalServerError, []byte(`{"code":1,"error":"internal server error"}`)
	}
	return status, b
}

// MarshalJSON is the encoder of the API's replies (see marshalReply): the
// same bytes as encoding/json's Marshal.
func MarshalJSON(v any) ([]byte, error) { return jsonenc.Marshal(v) }

// jsonContentType is every reply's Content-Type, one slice for all: the
// header map takes it as is (nothing appends to it), instead of a new one
// a reply.
var jsonContentType = []string{"application/json; charset=utf-8"}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError renders any error the Parse way and logs the ones that are ours.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errUnauthorized) {
		writeJSON(w, http.StatusForbidden, map[string]any{"error": "unauthorized"})
		return
	}
	e := core.AsError(err)
	status := e.HTTPStatus()
	if e.Code == core.CodeInternalServerError {
		core.LoggerFrom(r.Context()).Error("request failed", "err", err)
	}
	writeJSON(w, status, map[string]any{"code": int(e.Code), "error": e.Message})
}

// Authenticate tells who is calling, as every route of the API does: the
// app id, the client or master key and the session token, from the
// X-Parse-* headers or, when env is not nil, from the JS SDK's envelope
// fields (_ApplicationId, _JavaScriptKey, _MasterKey, _SessionToken,
// _InstallationId, ...). It is for handlers mounted with Mount, which read
// the body themselves. A wrong app id or client key is an error that is
// not a *core.Error (answer it 403 "unauthorized", as Parse does); a
// refused master key or session is a *core.Error.
func (h *Handler) Authenticate(r *http.Request, env map[string]string) (*core.Auth, error) {
	body := make(map[string]any, len(env))
	for k, v := range env {
		body[k] = v
	}
	return h.authenticate(r, body)
}
