package core

import (
	"context"
	"net/http"
	"time"
)

// The operation pipeline. Every object operation, whichever entry point
// it comes from (REST, batch, a transactional batch, cloud code), runs one
// fixed sequence of stages, written out top to bottom in runSave, runDelete
// and runFind:
//
//	save (create, update)        delete                    query (find, get, count)
//	1 decode                     1 decode                  1 decode
//	2 authenticate (caller)      2 authenticate            2 authenticate
//	3 authorize: CLP, policy     3 authorize               3 authorize → filter
//	4 BeforeSave                 4 BeforeDelete            4 BeforeFind
//	5 schema: validate, infer    –                         5 parse where, keys, order
//	6 Save → store write (tx)    6 Delete → store (tx)     6 store query with the ACL
//	7 after commit: AfterSave,   7 after commit:           7 protected fields, include,
//	  change event                 AfterDelete, event        AfterFind
//
// Stage 2 happens before the App is called: the API resolves keys and the
// session into an *Auth. The hook chains (hook.go) are the seams: the
// built-in rules of _User, _Role, _Session and _Installation (rules_*.go)
// are their first handlers, cloud code and other features bind after them.
// Side effects (mail, cache invalidation, events) run in stage 7, after
// the write is durable, so a rolled-back transaction sends nothing.

// Hooks are the pipeline's chains. Bind handlers with BindClass (one
// class) or Bind (every class).
type Hooks struct {
	// SaveRequest wraps the whole save; its action is the pipeline. A
	// handler that answers without calling Next replaces the save (a
	// signup with authData that logs an existing user in).
	SaveRequest Hook[*SaveEvent]
	// BeforeSave runs after authorization and before schema validation.
	// Handlers may change the body with SetBody, or refuse the save.
	BeforeSave Hook[*SaveEvent]
	// Save wraps the store write, inside a transaction when it has a
	// handler for the class: what a handler writes after Next commits or
	// rolls back with the object.
	Save Hook[*SaveEvent]
	// AfterSave runs after the write committed. Its errors are logged: the
	// write has happened.
	AfterSave Hook[*SaveEvent]

	BeforeDelete Hook[*DeleteEvent]
	Delete       Hook[*DeleteEvent]
	AfterDelete  Hook[*DeleteEvent]

	// BeforeFind may change e.Options; AfterFind may replace e.Results.
	BeforeFind Hook[*FindEvent]
	AfterFind  Hook[*FindEvent]

	// BeforeLogin may refuse a login of e.User; AfterLogin and AfterLogout
	// run after the session was created or deleted.
	BeforeLogin Hook[*LoginEvent]
	AfterLogin  Hook[*LoginEvent]
	AfterLogout Hook[*LoginEvent]

	// File hooks (Parse.Cloud.beforeSave(Parse.File), ...), run by the
	// files API, tagged "" (every file). BeforeSaveFile may refuse an
	// upload or rename it (e.Name); the After hooks run once the file is
	// stored or gone.
	BeforeSaveFile   Hook[*FileEvent]
	AfterSaveFile    Hook[*FileEvent]
	BeforeDeleteFile Hook[*FileEvent]
	AfterDeleteFile  Hook[*FileEvent]
}

// FileEvent is one upload or delete of a file. Uploads stream, so a hook
// sees what is known of the bytes (type, size when declared), never the
// bytes themselves.
type FileEvent struct {
	Event
	Ctx  context.Context
	Auth *Auth
	// Name is the stored name; a BeforeSaveFile handler may change it.
	Name        string
	ContentType string
	// Size is the number of bytes, or -1 before an upload whose size was
	// not declared.
	Size int64
	// URL is where the file is served, once stored.
	URL string
	// Protected files are served only through short-lived signed URLs; a
	// BeforeSaveFile handler may set or clear it.
	Protected bool
	// Metadata and Tags are the file's Parse metadata and tags.
	Metadata map[string]any
	Tags     map[string]any
	Context  map[string]any
}

// Hooks returns the App's hook chains, for features to bind to.
func (a *App) Hooks() *Hooks { return &a.hooks }

// Changes returns the bus of committed changes.
func (a *App) Changes() *ChangeBus { return &a.changes }

// SaveEvent is one create or update going through the pipeline.
type SaveEvent struct {
	Event
	// Ctx is the operation's context: inside the Save stage it is the
	// transaction's.
	Ctx       context.Context
	Auth      *Auth
	ClassName string
	// ObjectID is the object's id. A create gets a new one before stage 1.
	ObjectID string
	// Created is true for a create.
	Created bool
	// Body is the write as the client sent it (Parse JSON, operators
	// included, no envelope keys). Change it with SetBody.
	Body map[string]any
	// Original is the object before an update, loaded before stage 3 when
	// a hook for the class or a change listener will read it.
	Original Object
	// Class is the class's schema once stage 5 ran.
	Class *Class
	// Object is the object as stored, once the store write ran.
	Object Object
	// Context is the request's cloud-code context, or nil.
	Context map[string]any
	// Reply is the answer, built by the store write; Save handlers may add
	// to it (a signup's sessionToken).
	Reply map[string]any

	app   *App
	write *decodedWrite
	// filter is the authorizers' condition the stored object must meet.
	filter Expr
	// server are values the server sets past the client rules (a verified
	// phone number, checked authData), applied by the class rules.
	server Update
	// signupVia names how a new user proves who they are ("password",
	// an authData provider, "mobilePhone"); "" for other saves.
	signupVia string
	// loggedIn is set when a signup with authData logged an existing user
	// in instead: the reply is a login's.
	loggedIn bool
	// opts are the call's WriteOptions (the LeanCloud dialect's), or nil.
	opts *WriteOptions
	// passwordChanged and verifyEmail record what the _User rules did,
	// for their later stages.
	passwordChanged bool
	verifyEmail     string
	verifyToken     string
}

// SetBody replaces the write's body (a BeforeSave trigger changed the
// object); it is checked again as in stage 1. When the new body changes
// only plain fields of the one already decoded, only those are decoded
// again (decodedWrite.planPatch): the rules that change the decoded write do so
// after the triggers, so it is still the decoding of e.Body here.
func (e *SaveEvent) SetBody(body map[string]any) error {
	if e.write != nil {
		changes, ok, err := e.write.planPatch(e.Body, body)
		if err != nil {
			return err
		}
		if ok {
			if e.app != nil {
				for _, c := range changes {
					if err := e.app.checkValueLimit(c.key, c.v); err != nil {
						return err
					}
				}
			}
			e.write.applyPatch(changes)
			e.Body = body
			return nil
		}
	}
	w, err := decodeWrite(body, e.Created)
	if err != nil {
		return err
	}
	if e.app != nil {
		if err := e.app.CheckValueLimits(w.update); err != nil {
			return err
		}
	}
	e.Body, e.write = body, w
	return nil
}

// Changed lists the fields the write changes.
func (e *SaveEvent) Changed() []string {
	out := make([]string, 0, len(e.Body))
	for k := range e.Body {
		out = append(out, k)
	}
	return out
}

// DeleteEvent is one delete going through the pipeline.
type DeleteEvent struct {
	Event
	Ctx       context.Context
	Auth      *Auth
	ClassName string
	ObjectID  string
	Class     *Class
	// Object is the object as deleted, after stage 6. Before it, Load
	// reads the object.
	Object  Object
	Context map[string]any
	filter  Expr
	load    func() (Object, error)
	opts    *WriteOptions
}

// Load returns the object to be deleted, read once, before the delete
// (stages 3 and 4); after it, the object as deleted. It reads with no
// permission check: a handler that acts on its own (more writes, calls
// out) checks MayWrite first, since the store refuses the delete itself
// only later.
func (e *DeleteEvent) Load() (Object, error) {
	if e.Object != nil || e.load == nil {
		return e.Object, nil
	}
	obj, err := e.load()
	if err != nil {
		return nil, err
	}
	e.Object = obj
	return obj, nil
}

// MayWrite reports whether the caller may write obj by its ACL (the master
// key may write anything).
func MayWrite(obj Object, auth *Auth) bool { return canWrite(obj, auth) }

// MayRead reports whether the caller may read obj by its ACL.
func MayRead(obj Object, auth *Auth) bool { return canRead(obj, auth) }

// FindEvent is one query (find, get or count) going through the pipeline.
type FindEvent struct {
	Event
	Ctx       context.Context
	Auth      *Auth
	ClassName string
	// Op is "find", "get" or "count" (a find that asks only for a count).
	Op string
	// Options are the query's parameters; BeforeFind may change them.
	Options FindOptions
	Class   *Class
	// Results and Count are the answer after stage 6; AfterFind may
	// replace Results.
	Results []map[string]any
	Count   *int64
	Context map[string]any
	filter  Expr
	// json holds the objects instead of Results when the store wrote them
	// as JSON (FindOptions.JSON).
	json []byte
}

// LoginEvent is a login or logout.
type LoginEvent struct {
	Event
	Ctx  context.Context
	Auth *Auth
	// User is the user logging in or out.
	User Object
	// Provider is how they proved it: "password", an authData provider,
	// "mobilePhone".
	Provider string
	// SessionToken is the new session's (AfterLogin) or the ended one's.
	SessionToken string
	Context      map[string]any
}

// CallInfo is what the API knows about a call besides the caller: the
// cloud-code context (_context, X-Parse-Cloud-Context) and the headers,
// for triggers and authorizers.
type CallInfo struct {
	Context map[string]any
	Header  http.Header
}

type callInfoKey struct{}

// WithCallInfo returns ctx carrying info.
func WithCallInfo(ctx context.Context, info *CallInfo) context.Context {
	return context.WithValue(ctx, callInfoKey{}, info)
}

// CallInfoFrom returns the call's info, or nil.
func CallInfoFrom(ctx context.Context) *CallInfo {
	info, _ := ctx.Value(callInfoKey{}).(*CallInfo)
	return info
}

func cloudContext(ctx context.Context) map[string]any {
	if info := CallInfoFrom(ctx); info != nil {
		return info.Context
	}
	return nil
}

// ---- save ----

// Create saves a new object and returns {objectId, createdAt} (a _User's
// reply also carries its sessionToken).
func (a *App) Create(ctx context.Context, auth *Auth, className string, body map[string]any) (map[string]any, error) {
	return a.save(ctx, &SaveEvent{Auth: auth, ClassName: className, Created: true, Body: body})
}

// Update changes an object and returns {updatedAt} plus the new values of
// fields changed by operators, which the SDKs merge into their copy.
func (a *App) Update(ctx context.Context, auth *Auth, className, id string, body map[string]any) (map[string]any, error) {
	return a.save(ctx, &SaveEvent{Auth: auth, ClassName: className, ObjectID: id, Body: body})
}

func (a *App) save(ctx context.Context, e *SaveEvent) (map[string]any, error) {
	ctx, e.opts = takeWriteOptions(ctx)
	e.Ctx, e.Context, e.app = ctx, cloudContext(ctx), a
	if e.Created && e.ObjectID == "" {
		e.ObjectID = NewObjectID()
	}
	if e.Body == nil {
		e.Body = map[string]any{}
	}
	if err := a.hooks.SaveRequest.Trigger(e.ClassName, e, a.runSave); err != nil {
		return nil, err
	}
	return e.Reply, nil
}

// runSave is the save pipeline.
func (a *App) runSave(e *SaveEvent) error {
	ctx, auth, name := e.Ctx, e.Auth, e.ClassName

	// 1. Decode: the target and the body, checked against nothing but
	// themselves.
	if err := checkTarget(auth, name); err != nil {
		return err
	}
	c := a.Class(name)
	if !e.Created && c == nil {
		return ErrNotFound()
	}
	if err := e.SetBody(e.Body); err != nil {
		return err
	}

	// 3. Authorize.
	if !e.Created && c != nil && a.saveNeedsOriginal(name) {
		orig, err := a.loadObject(ctx, c, e.ObjectID)
		if err != nil {
			return err
		}
		e.Original = orig
	}
	filter, err := a.authorizeSave(e, c)
	if err != nil {
		return err
	}
	if !e.Created {
		cond, err := a.writeCondition(ctx, auth, c, e.opts)
		if err != nil {
			return err
		}
		filter = andExpr(filter, cond)
	}
	e.filter = filter

	// 4. Before-triggers, with the class's own rules first.
	if err := a.hooks.BeforeSave.Trigger(name, e, nil); err != nil {
		return err
	}

	// 5. Schema validation and inference.
	w := e.write
	c, err = a.ensureFields(ctx, auth, name, w.fields)
	if err != nil {
		return err
	}
	if err := w.checkAgainstSchema(c); err != nil {
		return err
	}
	e.Class = c

	// 6. The store write, in a transaction when a Save handler adds writes
	// of its own.
	if a.hooks.Save.Has(name) {
		err = a.InTransaction(ctx, func(txCtx context.Context) error {
			e.Ctx = txCtx
			defer func() { e.Ctx = ctx }()
			return a.hooks.Save.Trigger(name, e, a.storeSave)
		})
	} else {
		err = a.storeSave(e)
	}
	if err != nil {
		return err
	}

	// 7. After commit.
	a.afterCommit(ctx, func() { a.afterSave(e) })
	return nil
}

// saveNeedsOriginal reports whether anyone will read an update's original.
func (a *App) saveNeedsOriginal(className string) bool {
	return a.hooks.BeforeSave.Has(className) || a.hooks.AfterSave.Has(className) || a.changes.HasListeners() ||
		a.authorizerCovers("objects", className)
}

// storeSave is the Save stage's action: the store write itself.
func (a *App) storeSave(e *SaveEvent) error {
	if e.Created {
		obj, err := a.create(e.Ctx, e.Class, e.ObjectID, e.write)
		if err != nil {
			return err
		}
		e.Object = obj
		e.Reply = map[string]any{FieldObjectID: obj.ID(), FieldCreatedAt: FormatTime(obj[FieldCreatedAt].(time.Time))}
		// Fields the schema's defaults filled are news to the client, as
		// on Parse Server (the SDKs merge them into their copy): the ones
		// the caller could read back.
		if len(e.write.defaulted) > 0 && canRead(obj, e.Auth) {
			hidden := protectedFields(e.Class, e.Auth)
			for _, k := range e.write.defaulted {
				if !hidden[k] {
					e.Reply[k] = EncodeValue(obj[k])
				}
			}
		}
		return nil
	}
	updated, err := a.update(e.Ctx, e.Auth, e.Class, e.ObjectID, e.write, e.filter)
	if err != nil {
		return err
	}
	e.Object = updated
	e.Reply = a.updateReply(e.Class, e.Auth, e.write, updated, e.opts != nil && e.opts.ReturnObject)
	return nil
}

// updateReply is {updatedAt} plus the new values of fields changed by
// operators, which the SDKs merge into their copy; only values the caller
// could read back, so that an Increment of 0 reads nothing it should not.
func (a *App) updateReply(c *Class, auth *Auth, w *decodedWrite, updated Object, returnObject bool) map[string]any {
	reply := map[string]any{FieldUpdatedAt: FormatTime(updated[FieldUpdatedAt].(time.Time))}
	if (len(w.opFields) == 0 && len(w.incremented) == 0 && !returnObject) || !canRead(updated, auth) {
		return reply
	}
	hidden := protectedFields(c, auth)
	visible := func(k string) bool { return !hidden[k] || (c.Name == userClass && updated.ID() == auth.UserID) }
	if returnObject {
		// fetchWhenSave: the object as stored, by this very write.
		for k, v := range EncodeObject(c, updated) {
			if visible(k) {
				reply[k] = v
			}
		}
		return reply
	}
	for _, k := range w.opFields {
		if !visible(k) {
			continue
		}
		switch w.update[k].(type) {
		case Increment, Bitwise, Add, AddUnique, Remove:
			if v, ok := updated[k]; ok {
				reply[k] = EncodeValue(v)
			}
		}
	}
	// An Increment of a key inside an Object answers the new value on its
	// path, {"stats": {"level": {"xp": 5}}}, as Parse Server does.
	for _, ch := range w.incremented {
		if !visible(ch.field) {
			continue
		}
		v, ok := valueAt(updated[ch.field], ch.path)
		if !ok {
			continue
		}
		m, _ := reply[ch.field].(map[string]any)
		if m == nil {
			m = map[string]any{}
			reply[ch.field] = m
		}
		for _, seg := range ch.path[:len(ch.path)-1] {
			next, _ := m[seg].(map[string]any)
			if next == nil {
				next = map[string]any{}
				m[seg] = next
			}
			m = next
		}
		m[ch.path[len(ch.path)-1]] = v
	}
	return reply
}

// valueAt reads the value at path inside an Object value.
func valueAt(v any, path []string) (any, bool) {
	for _, seg := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[seg]; !ok {
			return nil, false
		}
	}
	return v, true
}

// afterSave is stage 7 of a save: after-triggers, then the change event.
func (a *App) afterSave(e *SaveEvent) {
	ctx := outsideTx(e.Ctx)
	e.Ctx = ctx
	if err := a.hooks.AfterSave.Trigger(e.ClassName, e, nil); err != nil {
		LoggerFrom(ctx).Error("afterSave failed; the save itself committed", "class", e.ClassName, "objectId", e.ObjectID, "err", err)
	}
	if a.changes.HasListeners() {
		kind := Updated
		if e.Created {
			kind = Created
		}
		a.changes.Publish(ctx, &ChangeEvent{Kind: kind, ClassName: e.ClassName, Object: e.Object, Original: e.Original,
			Auth: e.Auth, Context: e.Context, At: Now()})
	}
}

// ---- delete ----

// Delete removes one object the caller may write, or answers 101.
func (a *App) Delete(ctx context.Context, auth *Auth, className, id string) error {
	ctx, opts := takeWriteOptions(ctx)
	e := &DeleteEvent{Ctx: ctx, Auth: auth, ClassName: className, ObjectID: id, Context: cloudContext(ctx), opts: opts}
	return a.runDelete(e)
}

// runDelete is the delete pipeline.
func (a *App) runDelete(e *DeleteEvent) error {
	ctx, auth, name := e.Ctx, e.Auth, e.ClassName

	// 1. Decode.
	if err := checkTarget(auth, name); err != nil {
		return err
	}
	c := a.Class(name)
	if c == nil {
		return ErrNotFound()
	}
	e.Class = c

	// 3. Authorize.
	e.load = func() (Object, error) { return a.loadObject(ctx, c, e.ObjectID) }
	filter, err := a.authorizeDelete(e)
	if err != nil {
		return err
	}
	cond, err := a.writeCondition(ctx, auth, c, e.opts)
	if err != nil {
		return err
	}
	e.filter = andExpr(filter, cond)

	// 4. Before-triggers.
	if err := a.hooks.BeforeDelete.Trigger(name, e, nil); err != nil {
		return err
	}

	// 6. The store delete.
	if a.hooks.Delete.Has(name) {
		err = a.InTransaction(ctx, func(txCtx context.Context) error {
			e.Ctx = txCtx
			defer func() { e.Ctx = ctx }()
			return a.hooks.Delete.Trigger(name, e, a.storeDelete)
		})
	} else {
		err = a.storeDelete(e)
	}
	if err != nil {
		return err
	}

	// 7. After commit.
	a.afterCommit(ctx, func() { a.afterDelete(e) })
	return nil
}

func (a *App) storeDelete(e *DeleteEvent) error {
	e.load = nil
	obj, err := a.storeFor(e.Ctx).DeleteObject(e.Ctx, e.Class, e.ObjectID, e.filter, e.Auth.Principals())
	if err != nil {
		return err
	}
	e.Object = obj
	return nil
}

func (a *App) afterDelete(e *DeleteEvent) {
	ctx := outsideTx(e.Ctx)
	e.Ctx = ctx
	if err := a.hooks.AfterDelete.Trigger(e.ClassName, e, nil); err != nil {
		LoggerFrom(ctx).Error("afterDelete failed; the delete itself committed", "class", e.ClassName, "objectId", e.ObjectID, "err", err)
	}
	if a.changes.HasListeners() {
		a.changes.Publish(ctx, &ChangeEvent{Kind: Deleted, ClassName: e.ClassName, Object: e.Object, Auth: e.Auth,
			Context: e.Context, At: Now()})
	}
}

// ---- query ----

// Find runs a query on a class for auth.
func (a *App) Find(ctx context.Context, auth *Auth, className string, opts FindOptions) (*FindResult, error) {
	op := opFind
	if _, ok := opts.Where[FieldObjectID].(string); ok && len(opts.Where) == 1 {
		// A query on one objectId is a get, as Parse Server decides: the
		// SDKs' Query#get sends exactly that, and must work where the class
		// allows get but not find.
		op = opGet
	}
	return a.find(ctx, auth, className, opts, op)
}

// Get returns one object by id, or 101.
func (a *App) Get(ctx context.Context, auth *Auth, className, id string, opts FindOptions) (map[string]any, error) {
	opts.JSON = false
	obj, _, err := a.GetJSON(ctx, auth, className, id, opts)
	return obj, err
}

// GetJSON is Get for a caller that writes the object as JSON: with
// opts.JSON, the object may come as its JSON (see FindOptions.JSON)
// instead of as a map; exactly one of the two is set.
func (a *App) GetJSON(ctx context.Context, auth *Auth, className, id string, opts FindOptions) (map[string]any, []byte, error) {
	one := 1
	opts.Where = map[string]any{FieldObjectID: id}
	opts.Limit, opts.Skip, opts.Count, opts.Order = &one, 0, false, ""
	res, err := a.find(ctx, auth, className, opts, opGet)
	if err != nil {
		return nil, nil, err
	}
	if res.JSON != nil {
		// The array of at most one object: "[]" or "[{...}]".
		if len(res.JSON) <= 2 {
			return nil, nil, ErrNotFound()
		}
		return nil, res.JSON[1 : len(res.JSON)-1], nil
	}
	if len(res.Results) == 0 {
		return nil, nil, ErrNotFound()
	}
	return res.Results[0], nil, nil
}

// find runs the query pipeline, checked against the CLP operation op.
func (a *App) find(ctx context.Context, auth *Auth, className string, opts FindOptions, op string) (*FindResult, error) {
	e := &FindEvent{Ctx: ctx, Auth: auth, ClassName: className, Op: op, Options: opts, Context: cloudContext(ctx)}
	if err := a.runFind(e); err != nil {
		return nil, err
	}
	res := &FindResult{Results: e.Results, JSON: e.json, Count: e.Count}
	if e.ClassName != className {
		res.ClassName = e.ClassName
	}
	return res, nil
}

// runFind is the query pipeline.
func (a *App) runFind(e *FindEvent) error {
	auth := e.Auth

	// 1. Decode.
	if !ValidClassName(e.ClassName) {
		return Errorf(CodeInvalidClassName, "Invalid classname: %s", e.ClassName)
	}
	// Redirect first: the class whose objects come back is the one the
	// checks below must see.
	if key := e.Options.RedirectClassNameForKey; key != "" {
		if c := a.Class(e.ClassName); c != nil {
			if f, ok := c.Fields[key]; ok && f.Type == TypeRelation {
				e.ClassName = f.TargetClass
			}
		}
	}
	if err := checkClassAccess(e.ClassName, auth); err != nil {
		return err
	}
	if err := a.checkInclude(e.Options.Include); err != nil {
		return err
	}
	e.Class = a.Class(e.ClassName)
	if e.Class == nil {
		e.Class = a.classAfterMiss(e.Ctx, e.ClassName)
	}

	// 3. Authorize.
	filter, err := a.authorizeFind(e)
	if err != nil {
		return err
	}
	e.filter = filter

	// 4. Before-triggers.
	if err := a.hooks.BeforeFind.Trigger(e.ClassName, e, nil); err != nil {
		return err
	}

	// 5 and 6. The query, parsed against the schema, and the store.
	if err := a.query(e); err != nil {
		return err
	}
	if err := a.ResolveFileURLs(e.Ctx, auth, e.Results...); err != nil {
		return err
	}

	// 7. After-triggers.
	return a.hooks.AfterFind.Trigger(e.ClassName, e, nil)
}

// ---- shared pieces ----

// checkTarget applies what every write shares: no writes with the
// read-only master key, a valid class name, internal classes closed.
func checkTarget(auth *Auth, className string) error {
	if err := auth.checkWrite(); err != nil {
		return err
	}
	if !ValidClassName(className) {
		return Errorf(CodeInvalidClassName, "Invalid classname: %s, classnames can only have alphanumeric characters and _, and must start with an alpha character ", className)
	}
	if err := checkClassAccess(className, auth); err != nil {
		return err
	}
	return nil
}

// loadObject reads one object whole, with no permission check: the
// pipeline's view of an original, for triggers, events and authorizers.
func (a *App) loadObject(ctx context.Context, c *Class, id string) (Object, error) {
	objs, err := a.storeFor(ctx).Find(ctx, c, &Query{Where: Cmp{Field: FieldObjectID, Op: OpEq, Value: id}, Limit: 1})
	if err != nil {
		return nil, err
	}
	if len(objs) == 0 {
		return nil, ErrNotFound()
	}
	return objs[0], nil
}

// canRead reports whether auth may read obj by its ACL.
func canRead(obj Object, auth *Auth) bool {
	return aclAllows(obj, auth, func(p Permission) bool { return p.Read })
}

// canWrite reports whether auth may write obj by its ACL.
func canWrite(obj Object, auth *Auth) bool {
	return aclAllows(obj, auth, func(p Permission) bool { return p.Write })
}

func aclAllows(obj Object, auth *Auth, want func(Permission) bool) bool {
	if auth.Master {
		return true
	}
	acl, ok := obj[FieldACL].(ACL)
	if !ok || acl == nil {
		return true // no ACL: public
	}
	for _, p := range auth.Principals() {
		if perm, ok := acl[p]; ok && want(perm) {
			return true
		}
	}
	return false
}
