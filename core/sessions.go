package core

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

const (
	sessionClass      = "_Session"
	userClass         = "_User"
	installationClass = "_Installation"
	roleClass         = "_Role"
)

// sessionCacheTTL bounds how long a node trusts a cached session or role set
// without asking the store. Logout and role changes clear the local cache at
// once; this TTL bounds how stale another node can be.
const sessionCacheTTL = 10 * time.Second

// cachedSession is what a session token resolves to.
type cachedSession struct {
	sessionID string
	userID    string
	expiresAt time.Time
}

// authCache holds session lookups and role sets. Both are bounded LRUs with
// expiry (hashicorp/golang-lru), so a flood of random tokens cannot grow
// memory without bound.
type authCache struct {
	sessions *expirable.LRU[string, cachedSession]
	roles    *expirable.LRU[string, []string]
}

func newAuthCache() *authCache {
	return &authCache{
		sessions: expirable.NewLRU[string, cachedSession](100_000, nil, sessionCacheTTL),
		roles:    expirable.NewLRU[string, []string](100_000, nil, sessionCacheTTL),
	}
}

// newSessionToken returns "r:" and 32 random hex characters, the form of
// Parse's revocable session tokens (128 bits of entropy).
func newSessionToken() string { return "r:" + randomHex(16) }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AuthForSession resolves a session token into the caller's Auth, with the
// user's roles. An unknown or expired token is 209.
func (a *App) AuthForSession(ctx context.Context, token string, base *Auth) (*Auth, error) {
	s, err := a.lookupSession(ctx, token)
	if err != nil {
		return nil, err
	}
	roles, err := a.rolesOf(ctx, s.userID)
	if err != nil {
		return nil, err
	}
	auth := *base
	auth.UserID, auth.Roles, auth.SessionToken = s.userID, roles, token
	return &auth, nil
}

func errInvalidSession() *Error { return Errorf(CodeInvalidSessionToken, "Invalid session token") }

func (a *App) lookupSession(ctx context.Context, token string) (cachedSession, error) {
	if s, ok := a.cache.sessions.Get(token); ok {
		if time.Now().Before(s.expiresAt) {
			return s, nil
		}
		a.cache.sessions.Remove(token)
		return cachedSession{}, errInvalidSession()
	}
	if len(token) > 200 {
		return cachedSession{}, errInvalidSession()
	}
	c := a.Class(sessionClass)
	if c == nil {
		return cachedSession{}, errInvalidSession()
	}
	objs, err := a.store.Find(ctx, c, &Query{Where: Cmp{Field: "sessionToken", Op: OpEq, Value: token}, Limit: 1})
	if err != nil {
		return cachedSession{}, err
	}
	if len(objs) == 0 {
		return cachedSession{}, errInvalidSession()
	}
	o := objs[0]
	user, _ := o["user"].(Pointer)
	expires, _ := o["expiresAt"].(time.Time)
	if user.ObjectID == "" || (!expires.IsZero() && time.Now().After(expires)) {
		return cachedSession{}, errInvalidSession()
	}
	if expires.IsZero() {
		expires = time.Now().Add(a.opts.Users.SessionLength)
	}
	s := cachedSession{sessionID: o.ID(), userID: user.ObjectID, expiresAt: expires}
	a.cache.sessions.Add(token, s)
	return s, nil
}

// createSession stores a new session for userID and returns its token.
func (a *App) createSession(ctx context.Context, auth *Auth, userID, action, provider string) (string, error) {
	c, err := a.systemClass(ctx, sessionClass)
	if err != nil {
		return "", err
	}
	now := Now()
	token := newSessionToken()
	createdWith := map[string]any{"action": action}
	if provider != "" {
		createdWith["authProvider"] = provider
	}
	obj := Object{
		FieldObjectID: NewObjectID(), FieldCreatedAt: now, FieldUpdatedAt: now,
		FieldACL:       ACL{userID: {Read: true, Write: true}},
		"sessionToken": token, "user": Pointer{ClassName: userClass, ObjectID: userID},
		"expiresAt": now.Add(a.opts.Users.SessionLength), "createdWith": createdWith, "restricted": false,
	}
	if auth != nil && auth.InstallationID != "" {
		obj["installationId"] = auth.InstallationID
		// One session per user and installation, as Parse Server keeps:
		// logging in again on a device replaces that device's session.
		if err := a.revokeSessionsWhere(ctx, And{Exprs: []Expr{
			Cmp{Field: "user", Op: OpEq, Value: userID},
			Cmp{Field: "installationId", Op: OpEq, Value: auth.InstallationID},
		}}); err != nil {
			return "", err
		}
	}
	if err := a.storeFor(ctx).Insert(ctx, c, obj); err != nil {
		return "", err
	}
	return token, nil
}

// revokeSessions deletes a user's sessions, except the one with token keep.
func (a *App) revokeSessions(ctx context.Context, userID, keep string) error {
	where := Expr(Cmp{Field: "user", Op: OpEq, Value: userID})
	if keep != "" {
		where = And{Exprs: []Expr{where, Cmp{Field: "sessionToken", Op: OpNe, Value: keep}}}
	}
	return a.revokeSessionsWhere(ctx, where)
}

// revokeSessionsWhere deletes the sessions matching where and drops their
// tokens from every node's cache; once the deletion commits, each session
// goes out as a delete event, so that open LiveQuery subscriptions made
// with it end at once.
func (a *App) revokeSessionsWhere(ctx context.Context, where Expr) error {
	c := a.Class(sessionClass)
	if c == nil {
		return nil
	}
	// Find first so the local cache can drop each revoked token.
	objs, err := a.storeFor(ctx).Find(ctx, c, &Query{Where: where, Limit: -1, Keys: []string{"sessionToken", "user", "installationId"}})
	if err != nil {
		return err
	}
	if _, err := a.storeFor(ctx).Delete(ctx, c, where, nil); err != nil {
		return err
	}
	if len(objs) == 0 {
		return nil
	}
	a.afterCommit(ctx, func() {
		for _, o := range objs {
			if t, ok := o["sessionToken"].(string); ok {
				a.cache.sessions.Remove(t)
			}
		}
		a.publish(syncSessions)
		if a.changes.HasListeners() {
			for _, o := range objs {
				a.changes.Publish(ctx, &ChangeEvent{Kind: Deleted, ClassName: sessionClass, Object: o, Auth: MasterAuth(), At: Now()})
			}
		}
	})
	return nil
}

// Logout deletes the caller's session.
func (a *App) Logout(ctx context.Context, auth *Auth) error {
	if auth.SessionToken == "" {
		return errInvalidSession()
	}
	if err := a.askUser(ctx, auth, "logout", Object{FieldObjectID: auth.UserID}); err != nil {
		return err
	}
	if err := a.revokeSessionsWhere(ctx, Cmp{Field: "sessionToken", Op: OpEq, Value: auth.SessionToken}); err != nil {
		return err
	}
	// The caller's own token goes from this node's cache even when the
	// session row was already gone.
	a.cache.sessions.Remove(auth.SessionToken)
	if a.hooks.AfterLogout.Has(userClass) {
		e := &LoginEvent{Ctx: ctx, Auth: auth, User: Object{FieldObjectID: auth.UserID}, SessionToken: auth.SessionToken, Context: cloudContext(ctx)}
		a.afterCommit(ctx, func() {
			e.Ctx = outsideTx(ctx)
			if err := a.hooks.AfterLogout.Trigger(userClass, e, nil); err != nil {
				LoggerFrom(ctx).Error("afterLogout failed; the logout itself succeeded", "err", err)
			}
		})
	}
	return nil
}

// CurrentSession returns the caller's session object (GET /sessions/me).
func (a *App) CurrentSession(ctx context.Context, auth *Auth) (map[string]any, error) {
	if auth.SessionToken == "" {
		return nil, errInvalidSession()
	}
	c := a.Class(sessionClass)
	if c == nil {
		return nil, errInvalidSession()
	}
	objs, err := a.storeFor(ctx).Find(ctx, c, &Query{Where: Cmp{Field: "sessionToken", Op: OpEq, Value: auth.SessionToken}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, errInvalidSession()
	}
	return EncodeObject(c, objs[0]), nil
}

// CreateRestrictedSession makes an extra session for the logged-in caller
// (POST /sessions), as Parse does for devices that share a login.
func (a *App) CreateRestrictedSession(ctx context.Context, auth *Auth) (map[string]any, error) {
	if err := auth.checkWrite(); err != nil {
		return nil, err
	}
	if auth.UserID == "" {
		return nil, Errorf(CodeInvalidSessionToken, "Session token required.")
	}
	token, err := a.createSession(ctx, auth, auth.UserID, "create", "")
	if err != nil {
		return nil, err
	}
	a2 := *auth
	a2.SessionToken = token
	return a.CurrentSession(ctx, &a2)
}
