// Package leancloud serves LeanCloud's REST dialect (/1.1) over the Parse
// API, so apps built on LeanCloud's SDKs keep working with only their
// server URL changed. It authenticates LeanCloud's headers (X-LC-Id,
// X-LC-Key, X-LC-Sign, X-LC-Session and the legacy X-AVOSCloud-* ones),
// translates each request into an in-process call of the Parse API
// (api.Handler.Call: the same route table, permissions and pipeline), and
// translates the reply back, with LeanCloud's differences: a GET of a
// missing object answers {}, conditional updates answer 305, logins tell
// 210, 211 and 219 apart, files are referred to by id, and so on.
//
// What Parse lacks and the pipeline must know lives in the core
// (core.WriteOptions, core.Bitwise, the login failure causes).
package leancloud

import (
	"context"
	"crypto/md5"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
)

// Prefix is where LeanCloud's SDKs look for the API: serverURL + "/1.1".
const Prefix = "/1.1"

// Headers are the request headers LeanCloud's SDKs send, for CORS.
var Headers = []string{"X-LC-Id", "X-LC-Key", "X-LC-Sign", "X-LC-Session", "X-LC-Prod", "X-LC-UA", "X-LC-Hook-Key",
	"X-LC-Installation-Id", "X-AVOSCloud-Application-Id", "X-AVOSCloud-Application-Key", "X-AVOSCloud-Request-Sign",
	"X-AVOSCloud-Session-Token", "X-AVOSCloud-Installation-Id", "X-AVOSCloud-Application-Production"}

// Options configure the dialect.
type Options struct {
	// AppID is the app id X-LC-Id must carry (the server's appId).
	AppID string
	// ClientKeys are the keys X-LC-Key (or the key in X-LC-Sign) may be:
	// the server's javascriptKey, restAPIKey, clientKey. Set one of them
	// to the app's LeanCloud App Key so apps in the field keep working.
	// With none, any key is accepted, as the Parse API needs none then.
	ClientKeys []string
	// MasterKey and ReadOnlyMasterKey are accepted with ",master".
	MasterKey         string
	ReadOnlyMasterKey string
	// MasterKeyIPs limits where the master key is accepted from (CIDRs or
	// addresses), as on the Parse API.
	MasterKeyIPs []string
	// SignatureWindow is how far the timestamp of X-LC-Sign may be from
	// the server's clock, either way.
	SignatureWindow time.Duration
	// MaxBatch bounds one /batch call.
	MaxBatch int
	// Files is the files API, for uploads (fileTokens, fileCallback,
	// /files/:name) and the deletion of files' bytes; nil: files can be
	// registered by URL only.
	Files FileService
	// BaseURL is the server's public root ("https://api.example.com"),
	// for the URLs of the dialect's own upload route; default: the
	// request's host.
	BaseURL string
}

// Handler serves the dialect. Mount it at the server's root for Prefix.
type Handler struct {
	api        *api.Handler
	app        *core.App
	opts       Options
	masterNets []netip.Prefix
	now        func() time.Time
}

var _ http.Handler = (*Handler)(nil)

// New returns the dialect's handler over the Parse API handler of app.
func New(app *core.App, apiHandler *api.Handler, opts Options) *Handler {
	if opts.SignatureWindow <= 0 {
		opts.SignatureWindow = 15 * time.Minute
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 1000
	}
	h := &Handler{api: apiHandler, app: app, opts: opts, now: time.Now}
	for _, s := range opts.MasterKeyIPs {
		if p, err := netip.ParsePrefix(s); err == nil {
			h.masterNets = append(h.masterNets, p)
		} else if a, err := netip.ParseAddr(s); err == nil {
			h.masterNets = append(h.masterNets, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return h
}

// lcError is an error in LeanCloud's terms: its code, message and HTTP
// status.
type lcError struct {
	status  int
	code    int
	message string
}

func (e *lcError) Error() string { return e.message }

// errUnauthorized is LeanCloud's answer to a wrong app id, key or
// signature, and to a stale signature.
var errUnauthorized = &lcError{http.StatusUnauthorized, 401, "Unauthorized."}

// call is one decoded dialect request.
type call struct {
	ctx    context.Context
	method string
	path   []string // segments after /1.1
	query  map[string]string
	body   map[string]any
	auth   *core.Auth
	http   *http.Request
}

func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := core.RequestInfoFrom(r.Context())
	if id, ok := uploadRoute(r); ok {
		// The bytes of an upload: the token in the URL authorizes it,
		// as the SDK sends no LeanCloud headers there.
		if info != nil {
			info.Route = "leancloud.fileUploads"
		}
		if err := h.filesAvailable(); err != nil {
			writeError(w, r, err)
			return
		}
		h.receiveUpload(w, r, id)
		return
	}
	c, err := h.decode(r)
	if err != nil {
		if info != nil {
			info.Route = "leancloud.rejected"
		}
		writeError(w, r, err)
		return
	}
	if info != nil {
		info.Route = "leancloud." + routeLabel(c.path)
	}
	status, body, err := h.serve(c)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, status, body)
}

// routeLabel is the first segment of a path, or "root", for metrics.
func routeLabel(path []string) string {
	if len(path) == 0 {
		return "root"
	}
	return path[0]
}

func (h *Handler) decode(r *http.Request) (*call, error) {
	rest := strings.TrimPrefix(r.URL.Path, Prefix)
	c := &call{method: r.Method, http: r, query: map[string]string{}}
	if p := strings.Trim(rest, "/"); p != "" {
		c.path = strings.Split(p, "/")
	}
	for k, v := range r.URL.Query() {
		c.query[k] = v[0]
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead && r.Body != nil && !bytesRoute(c) {
		raw, err := io.ReadAll(r.Body)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				return nil, core.Errorf(core.CodeObjectTooLarge, "request body is larger than the limit of %d bytes", tooLarge.Limit)
			}
			return nil, core.Errorf(core.CodeInvalidJSON, "reading the request body: %v", err)
		}
		// The SDK sends "null" as the body of a DELETE (file.destroy()).
		if trimmed := strings.TrimSpace(string(raw)); trimmed != "" && trimmed != "null" {
			if err := json.Unmarshal(raw, &c.body); err != nil || c.body == nil {
				return nil, core.Errorf(core.CodeInvalidJSON, "Malformed json object. A json dictionary is expected.")
			}
		}
	}
	auth, err := h.authenticate(r)
	if err != nil {
		return nil, err
	}
	c.auth = auth
	c.ctx = core.WithCallInfo(r.Context(), &core.CallInfo{Header: r.Header})
	return c, nil
}

// uploadRoute recognizes PUT /1.1/fileUploads/:id.
func uploadRoute(r *http.Request) (string, bool) {
	rest, ok := strings.CutPrefix(r.URL.Path, Prefix+"/fileUploads/")
	if !ok || r.Method != http.MethodPut || rest == "" || strings.Contains(rest, "/") {
		return "", false
	}
	return rest, true
}

// bytesRoute tells the routes whose body is a file's bytes, which stream
// to the files API rather than being read as JSON: POST /files/:name.
func bytesRoute(c *call) bool {
	return c.method == http.MethodPost && len(c.path) == 2 && c.path[0] == "files"
}

// header reads a LeanCloud header or its legacy X-AVOSCloud-* name.
func header(r *http.Request, name, legacy string) string {
	if v := r.Header.Get(name); v != "" {
		return v
	}
	return r.Header.Get(legacy)
}

func equal(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authenticate checks the app id and the key or signature, and resolves
// the session.
func (h *Handler) authenticate(r *http.Request) (*core.Auth, error) {
	if !equal(header(r, "X-LC-Id", "X-AVOSCloud-Application-Id"), h.opts.AppID) {
		return nil, errUnauthorized
	}
	auth := &core.Auth{IP: clientIP(r)}
	var master, readOnly bool
	var err error
	if sign := header(r, "X-LC-Sign", "X-AVOSCloud-Request-Sign"); sign != "" {
		master, readOnly, err = h.checkSign(sign)
	} else {
		master, readOnly, err = h.checkKey(header(r, "X-LC-Key", "X-AVOSCloud-Application-Key"))
	}
	if err != nil {
		return nil, err
	}
	if master {
		if !h.masterAllowedFrom(auth.IP) {
			return nil, &lcError{http.StatusUnauthorized, 401, "Unauthorized: the master key is not allowed from this address."}
		}
		auth.Master, auth.ReadOnly = true, readOnly
	}
	auth.InstallationID = header(r, "X-LC-Installation-Id", "X-AVOSCloud-Installation-Id")
	if token := header(r, "X-LC-Session", "X-AVOSCloud-Session-Token"); token != "" {
		withUser, err := h.app.AuthForSession(r.Context(), token, auth)
		if err != nil {
			return nil, err
		}
		if !auth.Master {
			return withUser, nil
		}
		auth.UserID, auth.SessionToken = withUser.UserID, token
	}
	return auth, nil
}

// checkKey checks X-LC-Key: "key" or "masterKey,master".
func (h *Handler) checkKey(key string) (master, readOnly bool, err error) {
	if key == "" {
		return false, false, errUnauthorized
	}
	if k, ok := strings.CutSuffix(key, ",master"); ok {
		switch {
		case equal(k, h.opts.MasterKey):
			return true, false, nil
		case equal(k, h.opts.ReadOnlyMasterKey):
			return true, true, nil
		}
		return false, false, errUnauthorized
	}
	if len(h.opts.ClientKeys) == 0 {
		return false, false, nil
	}
	for _, k := range h.opts.ClientKeys {
		if equal(key, k) {
			return false, false, nil
		}
	}
	return false, false, errUnauthorized
}

// checkSign checks X-LC-Sign: md5(timestamp + key) in hex, the timestamp
// in milliseconds, and ",master" when the key is the master key. The
// timestamp must be within the signature window of the server's clock.
func (h *Handler) checkSign(sign string) (master, readOnly bool, err error) {
	parts := strings.Split(sign, ",")
	if len(parts) < 2 || len(parts) > 3 || (len(parts) == 3 && parts[2] != "master") {
		return false, false, errUnauthorized
	}
	ms, perr := strconv.ParseInt(parts[1], 10, 64)
	if perr != nil || len(parts[0]) != 32 {
		return false, false, errUnauthorized
	}
	at := time.UnixMilli(ms)
	if d := h.now().Sub(at); d > h.opts.SignatureWindow || d < -h.opts.SignatureWindow {
		return false, false, errUnauthorized
	}
	signed := func(key string) bool {
		sum := md5.Sum([]byte(parts[1] + key))
		return key != "" && subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(strings.ToLower(parts[0]))) == 1
	}
	if len(parts) == 3 {
		switch {
		case signed(h.opts.MasterKey):
			return true, false, nil
		case signed(h.opts.ReadOnlyMasterKey):
			return true, true, nil
		}
		return false, false, errUnauthorized
	}
	if len(h.opts.ClientKeys) == 0 {
		// No key is configured, so none can be checked: the timestamp
		// still has to be fresh.
		return false, false, nil
	}
	for _, k := range h.opts.ClientKeys {
		if signed(k) {
			return false, false, nil
		}
	}
	return false, false, errUnauthorized
}

// clientIP is the peer address; X-Forwarded-For is not trusted, as on the
// Parse API.
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (h *Handler) masterAllowedFrom(ip string) bool {
	if len(h.masterNets) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
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

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"code":1,"error":"Internal server error. No information available."}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError renders an error the LeanCloud way: {code, error}.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	var lc *lcError
	if errors.As(err, &lc) {
		writeJSON(w, lc.status, map[string]any{"code": lc.code, "error": lc.message})
		return
	}
	e := core.AsError(err)
	if e.Code == core.CodeInternalServerError {
		core.LoggerFrom(r.Context()).Error("leancloud request failed", "err", err)
	}
	writeJSON(w, e.HTTPStatus(), map[string]any{"code": int(e.Code), "error": e.Message})
}
