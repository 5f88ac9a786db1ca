package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
	"golang.org/x/crypto/bcrypt"

	"github.com/switchboardhq/switchboard/core"
)

const (
	cookieName = "sb_console"
	// csrfHeader carries the session's CSRF token on every call. A cross-
	// site form cannot set a header, and a cross-site script cannot read
	// the token (it comes only in same-origin JSON answers).
	csrfHeader = "X-Switchboard-Csrf"
)

// sessions makes and checks the signed session cookies.
type sessions struct {
	key    []byte // HMAC key, derived from the master key
	length time.Duration
	// revoked holds the nonces of signed-out sessions until they would
	// have expired anyway. It is per node: on a cluster, sign-out ends the
	// session on the node that served it and the cookie is deleted.
	revoked *expirable.LRU[string, struct{}]
}

func newSessions(masterKey string, length time.Duration) *sessions {
	mac := hmac.New(sha256.New, []byte(masterKey))
	mac.Write([]byte("switchboard console session v1"))
	return &sessions{key: mac.Sum(nil), length: length, revoked: expirable.NewLRU[string, struct{}](100_000, nil, length)}
}

// claims are what a session cookie says.
type claims struct {
	User     string `json:"u,omitempty"` // "" for a master-key sign-in
	ReadOnly bool   `json:"ro,omitempty"`
	Expires  int64  `json:"exp"`
	Nonce    string `json:"n"`
	// Credential fingerprints what signed in (the admin's password hash or
	// the key), so that changing it ends the session.
	Credential string `json:"c"`
}

// identity is a checked session.
type identity struct {
	user     string
	readOnly bool
	nonce    string
	expires  time.Time
}

func (s *sessions) sign(c claims) string {
	payload, _ := json.Marshal(c)
	p := base64.RawURLEncoding.EncodeToString(payload)
	return p + "." + base64.RawURLEncoding.EncodeToString(s.mac("session:"+p))
}

func (s *sessions) mac(msg string) []byte {
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func (s *sessions) csrfToken(nonce string) string {
	return base64.RawURLEncoding.EncodeToString(s.mac("csrf:" + nonce))
}

func (s *sessions) parse(cookie string) (claims, bool) {
	var c claims
	p, sig, found := strings.Cut(cookie, ".")
	if !found {
		return c, false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac("session:"+p)) {
		return c, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(p)
	if err != nil || json.Unmarshal(payload, &c) != nil {
		return c, false
	}
	if time.Now().Unix() >= c.Expires {
		return c, false
	}
	if _, gone := s.revoked.Get(c.Nonce); gone {
		return c, false
	}
	return c, true
}

func fingerprint(secret string) string {
	sum := sha256.Sum256([]byte("switchboard console credential:" + secret))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

// current checks the request's session cookie against today's
// configuration: the admin must still exist with the same password, a
// key sign-in must match the key in use.
func (h *Handler) current(r *http.Request) (identity, bool) {
	ck, err := r.Cookie(cookieName)
	if err != nil {
		return identity{}, false
	}
	c, ok := h.sessions.parse(ck.Value)
	if !ok {
		return identity{}, false
	}
	want := ""
	readOnly := c.ReadOnly
	if c.User == "" {
		if c.ReadOnly {
			if h.opts.ReadOnlyMasterKey != "" {
				want = fingerprint(h.opts.ReadOnlyMasterKey)
			}
		} else {
			want = fingerprint(h.opts.MasterKey)
		}
	} else if a, found := h.admin(c.User); found {
		want, readOnly = fingerprint(a.PasswordHash), a.ReadOnly
	}
	if want == "" || subtle.ConstantTimeCompare([]byte(want), []byte(c.Credential)) != 1 {
		return identity{}, false
	}
	return identity{user: c.User, readOnly: readOnly, nonce: c.Nonce, expires: time.Unix(c.Expires, 0)}, true
}

func (h *Handler) admin(name string) (Admin, bool) {
	for _, a := range h.opts.Admins {
		if a.Username == name {
			return a, true
		}
	}
	return Admin{}, false
}

// authorize accepts a call from a signed-in admin that carries the
// session's CSRF token and, when the browser says where it comes from,
// comes from this origin.
func (h *Handler) authorize(r *http.Request) (identity, error) {
	who, ok := h.current(r)
	if !ok {
		return who, core.Errorf(core.CodeInvalidSessionToken, "sign in to the console first")
	}
	if !sameOrigin(r) {
		return who, core.Errorf(core.CodeOperationForbidden, "cross-site request refused")
	}
	got := r.Header.Get(csrfHeader)
	if subtle.ConstantTimeCompare([]byte(got), []byte(h.sessions.csrfToken(who.nonce))) != 1 {
		return who, core.Errorf(core.CodeOperationForbidden, "missing or wrong CSRF token: reload the console")
	}
	return who, nil
}

// sameOrigin refuses requests a browser marks as coming from another site.
// Browsers send Sec-Fetch-Site (or at least Origin) on the requests that
// matter; a request with neither is not from a browser page, and still
// needs the cookie and the CSRF token.
func sameOrigin(r *http.Request) bool {
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
		return false
	}
	if o := r.Header.Get("Origin"); o != "" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// secureTransport reports whether the browser reached us over HTTPS
// (directly, or through a proxy that says so).
func secureTransport(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func loopback(r *http.Request) bool {
	ip := net.ParseIP(clientIP(r))
	return ip != nil && ip.IsLoopback()
}

// dummyHash is compared against when the account does not exist, so that
// a wrong name takes as long as a wrong password.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("switchboard console: no such admin"), bcrypt.DefaultCost)

type loginBody struct {
	MasterKey string `json:"masterKey"`
	Username  string `json:"username"`
	Password  string `json:"password"`
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeError(w, core.Errorf(core.CodeInvalidJSON, "sign in with POST"))
		return
	}
	if !sameOrigin(r) {
		writeError(w, core.Errorf(core.CodeOperationForbidden, "cross-site request refused"))
		return
	}
	// The cookie is Secure; over plain HTTP a browser would drop it, and
	// the master key would have crossed the network in the clear.
	if !secureTransport(r) && !loopback(r) {
		writeError(w, core.Errorf(core.CodeOperationForbidden,
			"the console signs in over HTTPS only (or over HTTP from this machine): put the server behind TLS"))
		return
	}
	var body loginBody
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		writeError(w, core.Errorf(core.CodeInvalidJSON, "sign in with {\"masterKey\"} or {\"username\", \"password\"}"))
		return
	}
	limit, window := h.opts.LoginAttempts, h.opts.LoginWindow
	if !h.opts.AllowRate("console:ip:"+clientIP(r), limit, window) ||
		(body.Username != "" && !h.opts.AllowRate("console:user:"+body.Username, limit, window)) {
		writeError(w, core.Errorf(core.CodeRequestLimitExceeded, "too many sign-in attempts: wait %s and try again", window))
		return
	}
	c, err := h.check(body)
	if err != nil {
		h.opts.Logger.Warn("console sign-in refused", "ip", clientIP(r), "user", body.Username)
		writeError(w, err)
		return
	}
	var nonce [18]byte
	_, _ = rand.Read(nonce[:])
	c.Nonce = base64.RawURLEncoding.EncodeToString(nonce[:])
	c.Expires = time.Now().Add(h.opts.SessionLength).Unix()
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: h.sessions.sign(c), Path: h.opts.Prefix,
		Expires: time.Unix(c.Expires, 0), MaxAge: int(h.opts.SessionLength / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode,
		// Secure everywhere but plain HTTP from this machine, where
		// browsers may refuse a Secure cookie.
		Secure: secureTransport(r) || !loopback(r),
	})
	h.opts.Logger.Info("console sign-in", "ip", clientIP(r), "user", c.User, "readOnly", c.ReadOnly)
	writeJSON(w, http.StatusOK, h.sessionInfo(identity{user: c.User, readOnly: c.ReadOnly, nonce: c.Nonce, expires: time.Unix(c.Expires, 0)}))
}

// check verifies the credentials and returns the claims to sign.
func (h *Handler) check(b loginBody) (claims, error) {
	wrong := core.Errorf(core.CodeOperationForbidden, "wrong master key, or wrong name or password")
	switch {
	case b.MasterKey != "" && b.Username == "":
		if subtle.ConstantTimeCompare([]byte(b.MasterKey), []byte(h.opts.MasterKey)) == 1 {
			return claims{Credential: fingerprint(h.opts.MasterKey)}, nil
		}
		if ro := h.opts.ReadOnlyMasterKey; ro != "" && subtle.ConstantTimeCompare([]byte(b.MasterKey), []byte(ro)) == 1 {
			return claims{ReadOnly: true, Credential: fingerprint(ro)}, nil
		}
		return claims{}, wrong
	case b.Username != "" && b.MasterKey == "":
		a, found := h.admin(b.Username)
		hash := []byte(a.PasswordHash)
		if !found {
			hash = dummyHash
		}
		if err := bcrypt.CompareHashAndPassword(hash, []byte(b.Password)); err != nil || !found {
			return claims{}, wrong
		}
		return claims{User: a.Username, ReadOnly: a.ReadOnly, Credential: fingerprint(a.PasswordHash)}, nil
	}
	return claims{}, core.Errorf(core.CodeInvalidJSON, "sign in with {\"masterKey\"} or {\"username\", \"password\"}")
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	who, err := h.authorize(r)
	if err == nil {
		h.sessions.revoked.Add(who.nonce, struct{}{})
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: h.opts.Prefix, MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: secureTransport(r) || !loopback(r)})
	writeJSON(w, http.StatusOK, map[string]any{})
}

// session tells the page who is signed in and the CSRF token to send; it
// answers 209 when nobody is.
func (h *Handler) session(w http.ResponseWriter, r *http.Request) {
	who, ok := h.current(r)
	if !ok {
		writeError(w, core.Errorf(core.CodeInvalidSessionToken, "not signed in"))
		return
	}
	if !sameOrigin(r) {
		writeError(w, core.Errorf(core.CodeOperationForbidden, "cross-site request refused"))
		return
	}
	writeJSON(w, http.StatusOK, h.sessionInfo(who))
}

func (h *Handler) sessionInfo(who identity) map[string]any {
	name := who.user
	if name == "" {
		name = "master key"
		if who.readOnly {
			name = "read-only master key"
		}
	}
	return map[string]any{
		"user": name, "readOnly": who.readOnly, "csrf": h.sessions.csrfToken(who.nonce),
		"expiresAt": who.expires.UTC().Format(time.RFC3339), "appId": h.opts.AppID, "mountPath": h.opts.MountPath,
		"routes": h.opts.Routes,
	}
}
