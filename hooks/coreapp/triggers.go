package coreapp

import (
	"context"
	"errors"
	"maps"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

// The chains of the App's pipeline that cloud code binds to.
const (
	chainSaveRequest      = "SaveRequest"
	chainBeforeSave       = "BeforeSave"
	chainAfterSave        = "AfterSave"
	chainBeforeDelete     = "BeforeDelete"
	chainAfterDelete      = "AfterDelete"
	chainBeforeFind       = "BeforeFind"
	chainAfterFind        = "AfterFind"
	chainBeforeLogin      = "BeforeLogin"
	chainAfterLogin       = "AfterLogin"
	chainAfterLogout      = "AfterLogout"
	chainBeforeSaveFile   = "BeforeSaveFile"
	chainAfterSaveFile    = "AfterSaveFile"
	chainBeforeDeleteFile = "BeforeDeleteFile"
	chainAfterDeleteFile  = "AfterDeleteFile"
)

// binding is one handler bound to one chain for one class ("" for the file
// chains, which serve every file).
type binding struct{ chain, class string }

// bindingsFor lists the chains a trigger needs. A beforeSave also wraps the
// whole save (SaveRequest) to put the fields it changed in the reply; a
// beforeFind may answer with objects, which its AfterFind handler puts in
// place of the results. afterLogout is registered on _Session, as on Parse
// Server, but the core's logout chain is tagged _User.
func bindingsFor(kind hooks.Kind, class string) []binding {
	if class == hooks.FileClass {
		switch kind {
		case hooks.BeforeSave:
			return []binding{{chainBeforeSaveFile, ""}}
		case hooks.AfterSave:
			return []binding{{chainAfterSaveFile, ""}}
		case hooks.BeforeDelete:
			return []binding{{chainBeforeDeleteFile, ""}}
		case hooks.AfterDelete:
			return []binding{{chainAfterDeleteFile, ""}}
		}
		return nil
	}
	switch kind {
	case hooks.BeforeSave:
		return []binding{{chainSaveRequest, class}, {chainBeforeSave, class}}
	case hooks.AfterSave:
		return []binding{{chainAfterSave, class}}
	case hooks.BeforeDelete:
		return []binding{{chainBeforeDelete, class}}
	case hooks.AfterDelete:
		return []binding{{chainAfterDelete, class}}
	case hooks.BeforeFind:
		return []binding{{chainBeforeFind, class}, {chainAfterFind, class}}
	case hooks.AfterFind:
		return []binding{{chainAfterFind, class}}
	case hooks.BeforeLogin:
		return []binding{{chainBeforeLogin, hooks.UserClass}}
	case hooks.AfterLogin:
		return []binding{{chainAfterLogin, hooks.UserClass}}
	case hooks.AfterLogout:
		return []binding{{chainAfterLogout, hooks.UserClass}}
	}
	// beforePasswordResetRequest has no chain in the core yet; the LiveQuery
	// triggers are run by the LiveQuery server itself (Cloud.Manager).
	return nil
}

// binder keeps the App's hook chains bound to what the deployments and
// webhooks need: a chain of a class without any trigger has no handler of
// ours, so the pipeline skips it at no cost (the Has checks of the core,
// such as loading the original object of an update only for classes with
// triggers).
type binder struct {
	c     *Cloud
	mu    sync.Mutex
	bound map[binding]core.HandlerID
}

func newBinder(c *Cloud) *binder { return &binder{c: c, bound: map[binding]core.HandlerID{}} }

// sync binds what the active deployment, next (when not nil) and the
// webhooks need, and unbinds the rest. Before a swap it is called with the
// version about to serve, so that both versions are covered during the
// swap; after it, with nil, to drop what only the old version needed.
// Handlers dispatch to whichever version is active when they run.
func (b *binder) sync(next *hooks.Deployment) {
	need := map[binding]bool{}
	add := func(key string) {
		kind, class, ok := strings.Cut(key, ".")
		if !ok {
			return
		}
		for _, bd := range bindingsFor(hooks.Kind(kind), class) {
			need[bd] = true
		}
	}
	for _, d := range []*hooks.Deployment{b.c.m.Active(), next} {
		if d != nil {
			for _, key := range d.Triggers() {
				add(key)
			}
		}
	}
	for _, key := range b.c.webhooks.triggerKeys() {
		add(key)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for bd := range need {
		if _, ok := b.bound[bd]; !ok {
			b.bound[bd] = b.bind(bd)
		}
	}
	for bd, id := range b.bound {
		if !need[bd] {
			b.unbind(bd, id)
			delete(b.bound, bd)
		}
	}
}

func (b *binder) bind(bd binding) core.HandlerID {
	h, c := b.c.app.Hooks(), b.c
	switch bd.chain {
	case chainSaveRequest:
		return h.SaveRequest.BindClass(bd.class, c.saveRequest)
	case chainBeforeSave:
		return h.BeforeSave.BindClass(bd.class, c.beforeSave)
	case chainAfterSave:
		return h.AfterSave.BindClass(bd.class, c.afterSave)
	case chainBeforeDelete:
		return h.BeforeDelete.BindClass(bd.class, c.beforeDelete)
	case chainAfterDelete:
		return h.AfterDelete.BindClass(bd.class, c.afterDelete)
	case chainBeforeFind:
		return h.BeforeFind.BindClass(bd.class, c.beforeFind)
	case chainAfterFind:
		return h.AfterFind.BindClass(bd.class, c.afterFind)
	case chainBeforeLogin:
		return h.BeforeLogin.BindClass(bd.class, c.beforeLogin)
	case chainAfterLogin:
		return h.AfterLogin.BindClass(bd.class, c.afterLogin)
	case chainAfterLogout:
		return h.AfterLogout.BindClass(bd.class, c.afterLogout)
	case chainBeforeSaveFile:
		return h.BeforeSaveFile.BindClass(bd.class, c.fileTrigger(hooks.BeforeSave))
	case chainAfterSaveFile:
		return h.AfterSaveFile.BindClass(bd.class, c.fileTrigger(hooks.AfterSave))
	case chainBeforeDeleteFile:
		return h.BeforeDeleteFile.BindClass(bd.class, c.fileTrigger(hooks.BeforeDelete))
	case chainAfterDeleteFile:
		return h.AfterDeleteFile.BindClass(bd.class, c.fileTrigger(hooks.AfterDelete))
	}
	panic("coreapp: unknown chain " + bd.chain)
}

func (b *binder) unbind(bd binding, id core.HandlerID) {
	h := b.c.app.Hooks()
	switch bd.chain {
	case chainSaveRequest:
		h.SaveRequest.Unbind(id)
	case chainBeforeSave:
		h.BeforeSave.Unbind(id)
	case chainAfterSave:
		h.AfterSave.Unbind(id)
	case chainBeforeDelete:
		h.BeforeDelete.Unbind(id)
	case chainAfterDelete:
		h.AfterDelete.Unbind(id)
	case chainBeforeFind:
		h.BeforeFind.Unbind(id)
	case chainAfterFind:
		h.AfterFind.Unbind(id)
	case chainBeforeLogin:
		h.BeforeLogin.Unbind(id)
	case chainAfterLogin:
		h.AfterLogin.Unbind(id)
	case chainAfterLogout:
		h.AfterLogout.Unbind(id)
	case chainBeforeSaveFile:
		h.BeforeSaveFile.Unbind(id)
	case chainAfterSaveFile:
		h.AfterSaveFile.Unbind(id)
	case chainBeforeDeleteFile:
		h.BeforeDeleteFile.Unbind(id)
	case chainAfterDeleteFile:
		h.AfterDeleteFile.Unbind(id)
	}
}

// target is what runs a trigger: a webhook, or the active deployment.
type target struct {
	d   *hooks.Deployment
	url string
}

// targetFor finds the trigger of kind for class: a webhook registered for
// it wins over the deployment's, as on Parse Server. ok is false when
// there is none: the handler then only calls Next.
func (c *Cloud) targetFor(kind hooks.Kind, class string) (target, bool) {
	if url := c.webhooks.triggerURL(kind, class); url != "" {
		return target{url: url}, true
	}
	d := c.m.Active()
	if d == nil || !d.HasTrigger(kind, class) {
		return target{}, false
	}
	return target{d: d}, true
}

func (c *Cloud) run(ctx context.Context, t target, kind hooks.Kind, class string, req *hooks.Request) (*hooks.Response, error) {
	if t.url != "" {
		return c.webhooks.callTrigger(ctx, t.url, kind, class, req)
	}
	resp, err := t.d.RunTrigger(ctx, kind, class, req)
	if resp == nil && err == nil {
		resp = &hooks.Response{}
	}
	return resp, err
}

// request starts a trigger's or function's request object: who calls, from
// where, with which headers and cloud-code context.
func (c *Cloud) request(ctx context.Context, auth *core.Auth, cloudCtx map[string]any) *hooks.Request {
	r := &hooks.Request{Context: cloudCtx}
	if auth != nil {
		r.Master, r.InstallationID, r.IP = auth.Master, auth.InstallationID, auth.IP
		if auth.UserID != "" {
			r.User = c.userJSON(ctx, auth.UserID, auth.SessionToken)
		}
	}
	if info := core.CallInfoFrom(ctx); info != nil && len(info.Header) > 0 {
		r.Headers = make(map[string]string, len(info.Header))
		for k, v := range info.Header {
			if len(v) == 0 || strings.EqualFold(k, "X-Parse-Master-Key") {
				continue // scripts that log request.headers must not log the key
			}
			r.Headers[lowerHeader(k)] = v[0]
		}
	}
	return r
}

// lowerNames keeps the lower-case forms of the header names requests
// carry, the same few again and again, so that a trigger does not make
// them anew; bounded, since clients choose the names.
var (
	lowerNames     sync.Map
	lowerNameCount atomic.Int32
)

func lowerHeader(k string) string {
	if l, ok := lowerNames.Load(k); ok {
		return l.(string)
	}
	l := strings.ToLower(k)
	if lowerNameCount.Load() < 256 {
		lowerNameCount.Add(1)
		lowerNames.Store(k, l)
	}
	return l
}

// userJSON reads a user for request.user, straight from the store: going
// through the pipeline would run the _User find triggers for every
// trigger a logged-in user causes.
func (c *Cloud) userJSON(ctx context.Context, id, token string) map[string]any {
	cls := c.app.Class(hooks.UserClass)
	if cls == nil {
		return nil
	}
	objs, err := c.app.Store().Find(ctx, cls, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id}, Limit: 1})
	if err != nil || len(objs) == 0 {
		if err != nil {
			c.log.Warn("cloud code: reading request.user failed; the script sees no user", "user", id, "err", err)
		}
		return nil
	}
	u := core.EncodeObject(cls, objs[0])
	if token != "" {
		u["sessionToken"] = token
	}
	return u
}

func (c *Cloud) encode(className string, obj core.Object) map[string]any {
	if obj == nil {
		return nil
	}
	return core.EncodeObject(c.app.Class(className), obj)
}

// ---- save ----

// saveRequest wraps the save of a class with a beforeSave trigger: once the
// save is done it adds to the reply the fields the trigger changed, as
// Parse Server does, so that the SDKs merge them into their copy.
func (c *Cloud) saveRequest(e *core.SaveEvent) error {
	if _, ok := c.targetFor(hooks.BeforeSave, e.ClassName); !ok {
		return e.Next()
	}
	before := maps.Clone(e.Body)
	if err := e.Next(); err != nil {
		return err
	}
	if e.Reply == nil {
		return nil
	}
	for k, v := range e.Body {
		if k == "password" || reflect.DeepEqual(before[k], v) {
			continue
		}
		if _, answered := e.Reply[k]; answered {
			continue
		}
		e.Reply[k] = replyValue(v, e.Object[k])
	}
	for k := range before {
		if _, kept := e.Body[k]; !kept && k != "password" {
			if _, answered := e.Reply[k]; !answered {
				if stored, ok := e.Object[k]; ok {
					e.Reply[k] = core.EncodeValue(stored) // the trigger dropped the client's change
				}
			}
		}
	}
	return nil
}

// replyValue is what the reply says of a field a trigger wrote: the value
// it set, or for an operator the stored result ("Delete" stays an
// operator, which the SDKs read as unset).
func replyValue(written, stored any) any {
	if m, ok := written.(map[string]any); ok {
		if op, _ := m["__op"].(string); op != "" {
			if op == "Delete" || stored == nil {
				return map[string]any{"__op": "Delete"}
			}
			return core.EncodeValue(stored)
		}
	}
	return written
}

func (c *Cloud) beforeSave(e *core.SaveEvent) error {
	t, ok := c.targetFor(hooks.BeforeSave, e.ClassName)
	if !ok {
		return e.Next()
	}
	if !e.Created && e.Original != nil && !core.MayWrite(e.Original, e.Auth) {
		// The store refuses this update (101): a trigger must not act
		// for a caller who cannot write the object.
		return e.Next()
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.Object = c.encode(e.ClassName, e.Original)
	req.Update = e.Body
	resp, err := c.run(e.Ctx, t, hooks.BeforeSave, e.ClassName, req)
	if err != nil {
		return err
	}
	if resp.Update != nil && !reflect.DeepEqual(resp.Update, e.Body) {
		if err := e.SetBody(resp.Update); err != nil {
			return err
		}
	}
	if resp.Context != nil {
		e.Context = resp.Context
	}
	return e.Next()
}

func (c *Cloud) afterSave(e *core.SaveEvent) error {
	t, ok := c.targetFor(hooks.AfterSave, e.ClassName)
	if !ok {
		return e.Next()
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.Object = c.encode(e.ClassName, e.Object)
	if !e.Created {
		req.Original = c.encode(e.ClassName, e.Original)
	}
	_, err := c.run(e.Ctx, t, hooks.AfterSave, e.ClassName, req)
	// The write committed: the rest of the chain runs whatever the
	// trigger did; the core logs the error.
	return errors.Join(err, e.Next())
}

// ---- delete ----

func (c *Cloud) beforeDelete(e *core.DeleteEvent) error {
	t, ok := c.targetFor(hooks.BeforeDelete, e.ClassName)
	if !ok {
		return e.Next()
	}
	obj, err := e.Load()
	if err != nil {
		return err
	}
	if !core.MayWrite(obj, e.Auth) {
		return e.Next() // the store refuses the delete (101); no trigger for it
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.Object = c.encode(e.ClassName, obj)
	resp, err := c.run(e.Ctx, t, hooks.BeforeDelete, e.ClassName, req)
	if err != nil {
		return err
	}
	if resp.Context != nil {
		e.Context = resp.Context
	}
	return e.Next()
}

func (c *Cloud) afterDelete(e *core.DeleteEvent) error {
	t, ok := c.targetFor(hooks.AfterDelete, e.ClassName)
	if !ok {
		return e.Next()
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.Object = c.encode(e.ClassName, e.Object)
	_, err := c.run(e.Ctx, t, hooks.AfterDelete, e.ClassName, req)
	return errors.Join(err, e.Next())
}

// ---- find ----

// foundObjects are the objects a beforeFind answered with, waiting for the
// AfterFind stage of the same query.
type foundObjects struct {
	objects []map[string]any
	at      time.Time
}

func (c *Cloud) beforeFind(e *core.FindEvent) error {
	t, ok := c.targetFor(hooks.BeforeFind, e.ClassName)
	if !ok {
		return e.Next()
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.Query = queryJSON(e.Options)
	req.IsGet = e.Op == "get"
	req.Count = e.Op == "count" || e.Options.Count
	resp, err := c.run(e.Ctx, t, hooks.BeforeFind, e.ClassName, req)
	if err != nil {
		return err
	}
	if resp.Query != nil {
		opts, err := core.ParseFindOptions(resp.Query)
		if err != nil {
			return core.Errorf(core.CodeScriptFailed, "beforeFind %s returned a query the server cannot run: %s", e.ClassName, core.AsError(err).Message)
		}
		opts.RedirectClassNameForKey = e.Options.RedirectClassNameForKey
		e.Options = opts
	}
	if resp.Objects != nil {
		// Objects instead of a query: the query runs for nothing and
		// AfterFind puts these in place of its (empty) results.
		zero := 0
		e.Options.Limit = &zero
		c.found.Store(e, foundObjects{objects: resp.Objects, at: time.Now()})
	}
	if resp.Context != nil {
		e.Context = resp.Context
	}
	return e.Next()
}

// queryJSON renders find options in the REST form a script's request.query
// is built from.
func queryJSON(o core.FindOptions) map[string]any {
	q := map[string]any{}
	if o.Where != nil {
		q["where"] = o.Where
	}
	if o.Order != "" {
		q["order"] = o.Order
	}
	if o.Limit != nil {
		q["limit"] = float64(*o.Limit)
	}
	if o.Skip > 0 {
		q["skip"] = float64(o.Skip)
	}
	if len(o.Keys) > 0 {
		q["keys"] = strings.Join(o.Keys, ",")
	}
	if len(o.ExcludeKeys) > 0 {
		q["excludeKeys"] = strings.Join(o.ExcludeKeys, ",")
	}
	if len(o.Include) > 0 {
		q["include"] = strings.Join(o.Include, ",")
	}
	if o.Count {
		q["count"] = float64(1)
	}
	return q
}

func (c *Cloud) afterFind(e *core.FindEvent) error {
	if v, ok := c.found.LoadAndDelete(e); ok {
		e.Results = v.(foundObjects).objects
		c.sweepFound()
	}
	t, ok := c.targetFor(hooks.AfterFind, e.ClassName)
	if !ok || e.Results == nil {
		return e.Next()
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.Objects = e.Results
	req.Query = queryJSON(e.Options)
	req.IsGet = e.Op == "get"
	resp, err := c.run(e.Ctx, t, hooks.AfterFind, e.ClassName, req)
	if err != nil {
		return err
	}
	if resp.Objects != nil {
		for _, o := range resp.Objects {
			if o["className"] == e.ClassName {
				delete(o, "className") // results do not name their class
			}
		}
		e.Results = resp.Objects
	}
	return e.Next()
}

// sweepFound drops objects whose query failed before its AfterFind stage.
func (c *Cloud) sweepFound() {
	old := time.Now().Add(-time.Minute)
	c.found.Range(func(k, v any) bool {
		if v.(foundObjects).at.Before(old) {
			c.found.Delete(k)
		}
		return true
	})
}

// ---- login, logout ----

func (c *Cloud) beforeLogin(e *core.LoginEvent) error {
	t, ok := c.targetFor(hooks.BeforeLogin, hooks.UserClass)
	if !ok {
		return e.Next()
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.Object = c.encode(hooks.UserClass, e.User)
	if _, err := c.run(e.Ctx, t, hooks.BeforeLogin, hooks.UserClass, req); err != nil {
		return err
	}
	return e.Next()
}

func (c *Cloud) afterLogin(e *core.LoginEvent) error {
	t, ok := c.targetFor(hooks.AfterLogin, hooks.UserClass)
	if !ok {
		return e.Next()
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.Object = c.encode(hooks.UserClass, e.User)
	req.Object["sessionToken"] = e.SessionToken
	req.User = req.Object
	_, err := c.run(e.Ctx, t, hooks.AfterLogin, hooks.UserClass, req)
	return errors.Join(err, e.Next())
}

func (c *Cloud) afterLogout(e *core.LoginEvent) error {
	t, ok := c.targetFor(hooks.AfterLogout, hooks.SessionClass)
	if !ok {
		return e.Next()
	}
	req := c.request(e.Ctx, e.Auth, e.Context)
	req.User = nil // the session is gone
	req.Object = map[string]any{"sessionToken": e.SessionToken}
	if id := e.User.ID(); id != "" {
		req.Object["user"] = map[string]any{"__type": "Pointer", "className": hooks.UserClass, "objectId": id}
	}
	_, err := c.run(e.Ctx, t, hooks.AfterLogout, hooks.SessionClass, req)
	return errors.Join(err, e.Next())
}

// ---- files ----

// fileTrigger runs Parse.Cloud.beforeSave(Parse.File) and the other file
// triggers. A beforeSave may rename the file or change its metadata and
// tags; its bytes stream past and cannot be replaced.
func (c *Cloud) fileTrigger(kind hooks.Kind) func(e *core.FileEvent) error {
	return func(e *core.FileEvent) error {
		t, ok := c.targetFor(kind, hooks.FileClass)
		if !ok {
			return e.Next()
		}
		req := c.request(e.Ctx, e.Auth, e.Context)
		req.File = map[string]any{"__type": "File", "name": e.Name}
		if e.URL != "" {
			req.File["url"] = e.URL
		}
		if e.Metadata != nil {
			req.File["metadata"] = e.Metadata
		}
		if e.Tags != nil {
			req.File["tags"] = e.Tags
		}
		req.FileSize = e.Size
		resp, err := c.run(e.Ctx, t, kind, hooks.FileClass, req)
		if err != nil {
			if kind == hooks.AfterSave || kind == hooks.AfterDelete {
				return errors.Join(err, e.Next())
			}
			return err
		}
		if kind == hooks.BeforeSave && resp.File != nil {
			if name, _ := resp.File["name"].(string); name != "" && name != e.Name {
				e.Name = name
			}
			if md, ok := resp.File["metadata"].(map[string]any); ok {
				e.Metadata = md
			}
			if tags, ok := resp.File["tags"].(map[string]any); ok {
				e.Tags = tags
			}
		}
		return e.Next()
	}
}
