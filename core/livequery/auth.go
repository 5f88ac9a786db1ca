package livequery

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

const (
	sessionClass = "_Session"
	roleClass    = "_Role"
)

func equalKeys(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// authenticate checks the keys of a connect message as the REST API checks
// its headers: the application id, the master key (and masterKeyIps), the
// client keys when any is configured. It returns the Auth without a user.
func (s *Server) authenticate(msg *clientMessage, remoteAddr string) (*core.Auth, error) {
	opts := s.app.Options()
	if !equalKeys(msg.ApplicationID, opts.AppID) {
		return nil, core.Errorf(codeBadKeys, "applicationId is not valid")
	}
	auth := &core.Auth{InstallationID: msg.InstallationID, IP: hostOf(remoteAddr)}
	if msg.MasterKey != "" {
		switch {
		case equalKeys(msg.MasterKey, opts.MasterKey):
			auth.Master = true
		case equalKeys(msg.MasterKey, opts.ReadOnlyMasterKey):
			auth.Master, auth.ReadOnly = true, true
		}
		if auth.Master && !s.masterAllowedFrom(auth.IP) {
			return nil, core.Errorf(core.CodeOperationForbidden, "unauthorized: master key is not allowed from this IP")
		}
	}
	if !auth.Master && len(opts.ClientKeys) > 0 {
		ok := false
		for _, presented := range []string{msg.ClientKey, msg.JavascriptKey, msg.RestAPIKey, msg.WindowsKey} {
			for _, k := range opts.ClientKeys {
				ok = ok || equalKeys(presented, k)
			}
		}
		if !ok {
			return nil, core.Errorf(codeBadKeys, "a valid clientKey (or javascriptKey, restAPIKey, windowsKey) is required")
		}
	}
	return auth, nil
}

// resolve adds the user of a session token to base: 209 for a token that
// is unknown, expired or revoked. The master key stays master, as in the
// REST API.
func (s *Server) resolve(ctx context.Context, base *core.Auth, token string) (*core.Auth, error) {
	withUser, err := s.app.AuthForSession(ctx, token, base)
	if err != nil {
		return nil, err
	}
	if base.Master {
		a := *base
		a.UserID, a.SessionToken = withUser.UserID, token
		return &a, nil
	}
	return withUser, nil
}

func parsePrefixes(list []string) []netip.Prefix {
	var out []netip.Prefix
	for _, s := range list {
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p)
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func (s *Server) masterAllowedFrom(ip string) bool {
	if len(s.masters) == 0 {
		return true
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		return false
	}
	addr = addr.Unmap()
	for _, p := range s.masters {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

func hostOf(remoteAddr string) string {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		return remoteAddr
	}
	return host
}

func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for _, part := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(part), token) {
				return true
			}
		}
	}
	return false
}

func randomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Revocations and role changes.
//
// A subscription keeps the Auth it was made with. It is checked again:
//   - at once when the change bus reports a deleted _Session (logout,
//     revocation, password change on this node): subscriptions made with
//     that token are dropped with 209;
//   - shortly after a _Role change, and every AuthRecheckInterval, for
//     every session token in use: a token that no longer resolves drops
//     its subscriptions with 209, changed roles replace the Auth (and the
//     permissions are worked out again at the next event);
//   - when InvalidateAuth is called (the binary calls it on the cluster's
//     session and role invalidations and on policy reloads).

// InvalidateAuth asks for every subscriber's session and roles to be
// checked again now (debounced). Call it after another node revoked
// sessions or changed roles, and after the policies were reloaded.
func (s *Server) InvalidateAuth() {
	select {
	case s.recheck <- struct{}{}:
	default:
	}
}

// RecheckAuth checks every subscriber's session and roles now and returns
// when done: subscriptions of revoked sessions are dropped with 209, new
// roles apply from the next event.
func (s *Server) RecheckAuth() { s.recheckAuth() }

// sessionChanged handles a committed change to _Session.
func (s *Server) sessionChanged(ev *core.ChangeEvent) {
	switch ev.Kind {
	case core.Created:
		return // a login: no subscription uses the new token yet
	case core.Updated:
		// An update may shorten expiresAt: check every token soon.
		s.InvalidateAuth()
		return
	}
	token, _ := ev.Object["sessionToken"].(string)
	if token == "" {
		return
	}
	if s.relay != nil {
		s.relay.revoked(token)
	}
	s.revokeSessions(func(t string) bool { return t == token })
}

// revokeSessions ends the subscriptions whose session token is revoked.
func (s *Server) revokeSessions(revoked func(token string) bool) {
	err := core.Errorf(core.CodeInvalidSessionToken, "Invalid session token: the session was revoked")
	for _, sub := range s.reg.all() {
		if a := sub.auth.Load(); a.SessionToken != "" && revoked(a.SessionToken) {
			sub.conn.drop(sub, err)
		}
	}
}

func (s *Server) recheckLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(s.opts.AuthRecheckInterval)
	defer tick.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-tick.C:
		case <-s.recheck:
			// Let the App drop its own caches first (it does so after the
			// same commit) and fold bursts of changes into one pass.
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		s.recheckAuth()
	}
}

// recheckAuth resolves every session token in use once.
func (s *Server) recheckAuth() {
	byToken := map[string][]*subscription{}
	for _, sub := range s.reg.all() {
		if a := sub.auth.Load(); a.SessionToken != "" {
			byToken[a.SessionToken] = append(byToken[a.SessionToken], sub)
		}
	}
	for token, subs := range byToken {
		if s.ctx.Err() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		cur := subs[0].auth.Load()
		base := *cur
		base.UserID, base.Roles, base.SessionToken = "", nil, ""
		fresh, err := s.resolve(ctx, &base, token)
		cancel()
		switch {
		case core.IsCode(err, core.CodeInvalidSessionToken):
			for _, sub := range subs {
				sub.conn.drop(sub, err)
			}
		case err != nil:
			// The store is unreachable: keep the subscriptions, try again
			// at the next pass rather than drop everyone.
			s.log.Warn("livequery: checking a session again failed", "err", err)
		default:
			for _, sub := range subs {
				a := sub.auth.Load()
				if a.UserID != fresh.UserID || !slices.Equal(a.Roles, fresh.Roles) {
					updated := *a
					updated.UserID, updated.Roles = fresh.UserID, fresh.Roles
					sub.auth.Store(&updated)
				}
			}
		}
	}
}
