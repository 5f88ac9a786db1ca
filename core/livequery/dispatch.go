package livequery

import (
	"context"
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

func (s *Server) dispatchLoop() {
	defer s.wg.Done()
	for {
		select {
		case <-s.ctx.Done():
			return
		case ev := <-s.events:
			s.dispatch(ev)
		}
	}
}

// dispatch delivers one committed change to every subscriber who may see
// it. The event chosen follows Parse Server: with M(x) = "x matches the
// query and the subscriber may read x",
//
//	create  M(object) for a new object
//	update  M(original) and M(object)
//	enter   M(object) but not M(original)
//	leave   M(original) but not M(object)
//	delete  M(object) for a deleted object
func (s *Server) dispatch(ev *core.ChangeEvent) {
	switch ev.ClassName {
	case sessionClass:
		s.sessionChanged(ev)
	case roleClass:
		s.InvalidateAuth()
	}
	if !s.watches(ev.ClassName) || ev.Object == nil {
		return
	}
	class := s.app.Class(ev.ClassName)
	if class == nil {
		if class = s.storedClass(ev.ClassName); class == nil {
			return
		}
	}
	s.stats.events.Add(1)
	d := &delivery{s: s, ev: ev, class: class, ctx: s.ctx}
	s.reg.mu.RLock()
	for _, g := range s.reg.classes[ev.ClassName] {
		m, err := g.matcher(s.app, class)
		if err != nil {
			for sub := range g.subs {
				d.dropLater(sub, err)
			}
			continue
		}
		origMatch := ev.Kind == core.Updated && ev.Original != nil && m.Match(ev.Original)
		curMatch := m.Match(ev.Object)
		if !origMatch && !curMatch {
			continue
		}
		for sub := range g.subs {
			d.deliver(sub, origMatch, curMatch)
		}
	}
	s.reg.mu.RUnlock()
	for _, x := range d.drops {
		x.sub.conn.drop(x.sub, x.err)
	}
}

// storedClass reads the schema of a class this node does not know yet: an
// event from another node may arrive before the App's own cluster sync
// tells this node about the class it created. The class-level permissions
// must be known before anything is delivered, so it is read from the store
// (only while someone subscribes to that class name).
func (s *Server) storedClass(name string) *core.Class {
	s.reg.mu.RLock()
	wanted := len(s.reg.classes[name]) > 0
	s.reg.mu.RUnlock()
	if !wanted {
		return nil
	}
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	classes, err := s.app.Store().Schemas(ctx)
	if err != nil {
		s.log.Error("livequery: reading the schema of a class another node created failed; its event is not delivered", "class", name, "err", err)
		return nil
	}
	for _, c := range classes {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// delivery is the work on one event: encodings are cached across
// subscribers who see the object the same way.
type delivery struct {
	s     *Server
	ev    *core.ChangeEvent
	class *core.Class
	ctx   context.Context

	encoded map[bool]map[string]any // current (true) / original (false), Parse JSON
	views   map[viewKey][]byte
	drops   []pendingDrop
}

type pendingDrop struct {
	sub *subscription
	err error
}

// dropLater ends a subscription once the registry is unlocked.
func (d *delivery) dropLater(sub *subscription, err error) {
	d.drops = append(d.drops, pendingDrop{sub, err})
}

// viewKey identifies one rendering of an object: which object, whether
// the subscriber may read it (else only its identity is sent), how
// protected fields apply to the subscriber, and which keys it asked for.
type viewKey struct {
	current  bool
	readable bool
	who      string
	keys     string
}

func (d *delivery) deliver(sub *subscription, origMatch, curMatch bool) {
	auth := sub.auth.Load()
	p := sub.permissions(d.ctx, d.s, d.class, auth)
	if p.err != nil {
		d.dropLater(sub, p.err)
		return
	}
	visible := func(o core.Object) bool { return o != nil && core.CanRead(o, auth) && p.filter.Match(o) }
	origOK := origMatch && visible(d.ev.Original)
	curOK := curMatch && visible(d.ev.Object)
	var op string
	switch d.ev.Kind {
	case core.Created:
		if curOK {
			op = "create"
		}
	case core.Deleted:
		if curOK {
			op = "delete"
		}
	case core.Updated:
		switch {
		case origOK && curOK:
			op = "update"
		case origOK:
			op = "leave"
		case curOK:
			op = "enter"
		}
	}
	if op == "" || ((op == "update" || op == "create") && !sub.watchFired(d.ev)) {
		return
	}
	// An object is sent whole only to a subscriber who may read it: the
	// object of a leave may now be hidden from them, the original of an
	// enter may have been; they get its identity only.
	withOriginal := d.ev.Kind == core.Updated
	objReadable := curOK || visible(d.ev.Object)
	origReadable := withOriginal && (origOK || visible(d.ev.Original))
	if hook := d.s.opts.AfterEvent; hook != nil {
		d.deliverThroughHook(hook, sub, auth, op, objReadable, withOriginal, origReadable)
		return
	}
	msg := eventPrefix(make([]byte, 0, 512), op, sub.conn.id, sub.requestID, sub.conn.installationID)
	msg = append(msg, `,"object":`...)
	msg = append(msg, d.view(sub, auth, true, objReadable)...)
	if withOriginal {
		msg = append(msg, `,"original":`...)
		msg = append(msg, d.view(sub, auth, false, origReadable)...)
	}
	msg = append(msg, '}')
	if sub.conn.send(msg) {
		d.s.stats.sent.Add(1)
	}
}

func (d *delivery) deliverThroughHook(hook func(context.Context, *EventInfo) error, sub *subscription, auth *core.Auth, op string, objReadable, withOriginal, origReadable bool) {
	// The hook gets its own deep copies: what it changes reaches this
	// subscriber only.
	in := &EventInfo{Event: op, Class: d.ev.ClassName, Auth: auth, Object: deepCopy(d.render(sub, auth, true, objReadable)), Send: true}
	if withOriginal {
		in.Original = deepCopy(d.render(sub, auth, false, origReadable))
	}
	if err := hook(d.ctx, in); err != nil {
		d.s.log.Warn("livequery: afterLiveQueryEvent failed; the event is not sent", "class", d.ev.ClassName, "event", op, "err", err)
		return
	}
	if !in.Send || in.Object == nil {
		return
	}
	body := map[string]any{"object": in.Object}
	if in.Original != nil {
		body["original"] = in.Original
	}
	b, err := json.Marshal(body)
	if err != nil {
		d.s.log.Warn("livequery: afterLiveQueryEvent left an object that cannot be encoded", "err", err)
		return
	}
	msg := eventPrefix(make([]byte, 0, 512+len(b)), in.Event, sub.conn.id, sub.requestID, sub.conn.installationID)
	msg = append(msg, ',')
	msg = append(msg, b[1:]...)
	if sub.conn.send(msg) {
		d.s.stats.sent.Add(1)
	}
}

// view returns the JSON of the current or original object as sub sees it.
func (d *delivery) view(sub *subscription, auth *core.Auth, current, readable bool) []byte {
	key := viewKey{current: current, readable: readable, keys: sub.keysSig}
	if readable {
		key.who = d.viewer(auth)
	}
	if b, ok := d.views[key]; ok {
		return b
	}
	b, err := json.Marshal(d.render(sub, auth, current, readable))
	if err != nil {
		// Stored values always encode; this would be a bug, not input.
		d.s.log.Error("livequery: encoding an object failed", "class", d.ev.ClassName, "err", err)
		b = []byte("{}")
	}
	if d.views == nil {
		d.views = map[viewKey][]byte{}
	}
	d.views[key] = b
	return b
}

// viewer says how protected fields apply to auth on this class: the same
// for everyone when the class protects nothing (the common case, where
// 10,000 subscribers share one encoding).
func (d *delivery) viewer(auth *core.Auth) string {
	if auth.Master {
		return "master"
	}
	pf, _ := d.class.CLP["protectedFields"].(map[string]any)
	if len(pf) == 0 && d.class.Name != "_User" {
		return ""
	}
	return auth.UserID + "\x00" + strings.Join(auth.Roles, "\x00")
}

// render builds a fresh Parse JSON map of the object for sub: protected
// fields stripped, keys applied; only the identity when not readable.
func (d *delivery) render(sub *subscription, auth *core.Auth, current, readable bool) map[string]any {
	if d.encoded == nil {
		d.encoded = map[bool]map[string]any{}
	}
	base, ok := d.encoded[current]
	if !ok {
		o := d.ev.Object
		if !current {
			o = d.ev.Original
		}
		base = core.EncodeObject(d.class, o)
		base["className"] = d.ev.ClassName
		d.encoded[current] = base
	}
	if !readable {
		out := map[string]any{"className": d.ev.ClassName}
		for _, k := range []string{core.FieldObjectID, core.FieldCreatedAt, core.FieldUpdatedAt} {
			if v, ok := base[k]; ok {
				out[k] = v
			}
		}
		return out
	}
	out := maps.Clone(base)
	core.StripProtected(d.class, auth, []map[string]any{out})
	if sub.keys != nil {
		for k := range out {
			if !sub.keys[k] {
				delete(out, k)
			}
		}
	}
	// File fields carry the URL this subscriber may use (a signed one for
	// a protected file), as a find's results do. The nested File maps are
	// shared with the other subscribers' views: rewrite a copy.
	if d.s.app.HasFileValues(out) {
		out = deepCopy(out)
		if err := d.s.app.ResolveFileURLs(d.ctx, auth, out); err != nil {
			d.s.log.Warn("livequery: resolving file URLs", "class", d.ev.ClassName, "err", err)
		}
	}
	return out
}

// watchFired reports whether an update (or create) changed one of the
// watched fields; without watch every change counts.
func (sub *subscription) watchFired(ev *core.ChangeEvent) bool {
	if len(sub.query.Watch) == 0 {
		return true
	}
	for _, f := range sub.query.Watch {
		var before any
		if ev.Original != nil {
			before = ev.Original[f]
		}
		if !reflect.DeepEqual(core.EncodeValue(ev.Object[f]), core.EncodeValue(before)) {
			return true
		}
	}
	return false
}

func deepCopy(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var out map[string]any
	if json.Unmarshal(b, &out) != nil {
		return m
	}
	return out
}
