package livequery

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"

	"github.com/switchboardhq/switchboard/core"
)

// registry holds the open subscriptions, grouped by class and by distinct
// query, so that an event is matched once per distinct query however many
// clients share it (10,000 clients watching one feed cost one match).
type registry struct {
	mu      sync.RWMutex
	classes map[string]map[string]*queryGroup // class → query key → group
	nSubs   int
}

func newRegistry() *registry {
	return &registry{classes: map[string]map[string]*queryGroup{}}
}

// queryGroup is every subscription to one (class, where).
type queryGroup struct {
	className string
	key       string
	where     map[string]any
	subs      map[*subscription]struct{}
	// compiled is the matcher for the schema it was compiled against;
	// a schema change (a new *core.Class) recompiles it.
	compiled atomic.Pointer[compiledQuery]
}

type compiledQuery struct {
	class *core.Class
	m     *core.Matcher
	err   error
}

// queryKey identifies a where document: its JSON (encoding/json sorts map
// keys, so equal documents give equal keys).
func queryKey(className string, where map[string]any) string {
	b, _ := json.Marshal(where)
	return className + "\x00" + string(b)
}

// add registers s in its group and returns the group.
func (r *registry) add(s *subscription) *queryGroup {
	key := queryKey(s.query.ClassName, s.query.Where)
	r.mu.Lock()
	defer r.mu.Unlock()
	groups := r.classes[s.query.ClassName]
	if groups == nil {
		groups = map[string]*queryGroup{}
		r.classes[s.query.ClassName] = groups
	}
	g := groups[key]
	if g == nil {
		g = &queryGroup{className: s.query.ClassName, key: key, where: s.query.Where, subs: map[*subscription]struct{}{}}
		groups[key] = g
	}
	g.subs[s] = struct{}{}
	r.nSubs++
	s.group = g
	return g
}

// remove unregisters s; it is a no-op for a subscription already removed.
func (r *registry) remove(s *subscription) {
	r.mu.Lock()
	defer r.mu.Unlock()
	g := s.group
	if g == nil {
		return
	}
	if _, ok := g.subs[s]; !ok {
		return
	}
	delete(g.subs, s)
	r.nSubs--
	if len(g.subs) == 0 {
		groups := r.classes[g.className]
		delete(groups, g.key)
		if len(groups) == 0 {
			delete(r.classes, g.className)
		}
	}
}

func (r *registry) counts() (subs, queries int) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, groups := range r.classes {
		queries += len(groups)
	}
	return r.nSubs, queries
}

// matcher returns the group's matcher for the current schema of its class,
// compiling it again after a schema change. The where document was checked
// for each subscriber at subscribe time; here it is parsed with the master
// key, which yields the same tree (only the protected-field check depends
// on the caller, and each subscription repeats it, see permissions).
func (g *queryGroup) matcher(app *core.App, class *core.Class) (*core.Matcher, error) {
	if cq := g.compiled.Load(); cq != nil && cq.class == class {
		return cq.m, cq.err
	}
	cq := &compiledQuery{class: class}
	e, err := app.ParseWhereIn(context.Background(), core.MasterAuth(), g.className, class, g.where)
	if err != nil {
		cq.err = err
	} else {
		cq.m, cq.err = core.CompileMatcher(class, e)
	}
	g.compiled.Store(cq)
	return cq.m, cq.err
}

// all returns every open subscription.
func (r *registry) all() []*subscription {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]*subscription, 0, r.nSubs)
	for _, groups := range r.classes {
		for _, g := range groups {
			for s := range g.subs {
				out = append(out, s)
			}
		}
	}
	return out
}
