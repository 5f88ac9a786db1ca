package livequery

import (
	"context"
	"strings"
	"sync/atomic"

	"github.com/switchboardhq/switchboard/core"
)

// subscription is one client's subscription (one requestId).
type subscription struct {
	conn      *conn
	requestID int64
	query     Query
	// op is the CLP operation its reads are checked against: get for a
	// query on one objectId (as Parse decides), find otherwise.
	op    string
	group *queryGroup
	// keys is the set of fields sent (nil: all); keysSig identifies it in
	// the per-event encoding cache.
	keys    map[string]bool
	keysSig string

	// auth is the subscriber's Auth, replaced when a recheck finds other
	// roles; perm caches the permission state for one (schema, auth).
	auth atomic.Pointer[core.Auth]
	perm atomic.Pointer[permState]
}

// permState is what the class-level permissions and the policy allow one
// subscriber on one schema of the class.
type permState struct {
	class *core.Class
	auth  *core.Auth
	// err, when set, ends the subscription (permission withdrawn, a field
	// of the query now protected).
	err error
	// filter is the extra condition objects must meet (pointer
	// permissions, the policy's filter); nil matches every object.
	filter *core.Matcher
}

// baseKeys are always sent when keys is given, as on Parse Server.
var baseKeys = []string{"className", core.FieldObjectID, core.FieldCreatedAt, core.FieldUpdatedAt, core.FieldACL}

// newSubscription checks a subscribe request and builds the subscription;
// it is not registered yet.
func (s *Server) newSubscription(ctx context.Context, c *conn, requestID int64, token string, q Query) (*subscription, error) {
	if !core.ValidClassName(q.ClassName) {
		return nil, core.Errorf(core.CodeInvalidClassName, "Invalid classname: %s", q.ClassName)
	}
	if !s.watches(q.ClassName) {
		return nil, core.Errorf(core.CodeOperationForbidden, "LiveQuery is not enabled for class %s: add it to liveQuery.classNames in the server config", q.ClassName)
	}
	auth := c.base
	if token != "" {
		var err error
		if auth, err = s.resolve(ctx, c.base, token); err != nil {
			return nil, err
		}
	}
	if hook := s.opts.BeforeSubscribe; hook != nil {
		if err := hook(ctx, &SubscribeInfo{Auth: auth, RequestID: requestID, Query: &q}); err != nil {
			return nil, hookError(err)
		}
		if !core.ValidClassName(q.ClassName) || !s.watches(q.ClassName) {
			return nil, core.Errorf(core.CodeInvalidClassName, "beforeSubscribe changed the class to one LiveQuery does not serve: %s", q.ClassName)
		}
	}
	if q.Where == nil {
		q.Where = map[string]any{}
	}
	for _, k := range append(append([]string(nil), q.Keys...), q.Watch...) {
		if k == "" || strings.HasPrefix(k, "_") {
			return nil, core.Errorf(core.CodeInvalidKeyName, "Invalid key name: %q", k)
		}
	}
	// The query must be valid for this caller and decidable in memory.
	e, class, err := s.app.ParseWhere(ctx, auth, q.ClassName, q.Where)
	if err != nil {
		return nil, err
	}
	if _, err := core.CompileMatcher(class, e); err != nil {
		return nil, err
	}
	sub := &subscription{conn: c, requestID: requestID, query: q, op: core.CLPFind}
	if id, ok := q.Where[core.FieldObjectID].(string); ok && id != "" && len(q.Where) == 1 {
		sub.op = core.CLPGet
	}
	if len(q.Keys) > 0 {
		sub.keys = map[string]bool{}
		for _, k := range baseKeys {
			sub.keys[k] = true
		}
		for _, k := range q.Keys {
			top, _, _ := strings.Cut(k, ".")
			sub.keys[top] = true
		}
		sub.keysSig = strings.Join(q.Keys, ",")
	}
	sub.auth.Store(auth)
	if p := sub.permissions(ctx, s, class, auth); p.err != nil {
		return nil, p.err
	}
	return sub, nil
}

// permissions returns the subscriber's permission state for the current
// schema and auth, working it out again when either changed.
func (sub *subscription) permissions(ctx context.Context, s *Server, class *core.Class, auth *core.Auth) *permState {
	if p := sub.perm.Load(); p != nil && p.class == class && p.auth == auth {
		return p
	}
	p := &permState{class: class, auth: auth}
	p.filter, p.err = s.authorize(ctx, sub, class, auth)
	sub.perm.Store(p)
	return p
}

// authorize applies the read rules of a find to a subscription: internal
// classes, protected fields named by the query or by watch, the CLP of
// find or get (and its pointer permissions), then the policy stage.
func (s *Server) authorize(ctx context.Context, sub *subscription, class *core.Class, auth *core.Auth) (*core.Matcher, error) {
	q := sub.query
	if err := core.CheckClassAccess(q.ClassName, auth); err != nil {
		return nil, err
	}
	if class != nil {
		// The schema may have changed since the subscription was made: a
		// field of its where may have become protected from this caller.
		if _, err := s.app.ParseWhereIn(ctx, auth, q.ClassName, class, q.Where); err != nil {
			return nil, err
		}
		// Watching a field reveals when it changes: only visible fields.
		for _, f := range q.Watch {
			if err := core.CheckProbe(class, auth, f); err != nil {
				return nil, err
			}
		}
	}
	filter, err := core.AuthorizeRead(class, sub.op, auth)
	if err != nil {
		return nil, err
	}
	if s.opts.Authorize != nil {
		extra, err := s.opts.Authorize(ctx, &AuthorizeInput{Action: sub.op, Class: q.ClassName, Auth: auth, Query: q.Where})
		if err != nil {
			return nil, hookError(err)
		}
		filter = and(filter, extra)
	}
	if filter == nil {
		return nil, nil
	}
	m, err := core.CompileMatcher(class, filter)
	if err != nil {
		return nil, core.Errorf(core.CodeOperationForbidden, "the permissions on class %s cannot be checked for LiveQuery: %s", q.ClassName, core.AsError(err).Message)
	}
	return m, nil
}

func and(a, b core.Expr) core.Expr {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	}
	return core.And{Exprs: []core.Expr{a, b}}
}
