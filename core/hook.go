package core

import (
	"sync"
	"sync/atomic"
)

// Hook chains: the seams of the request pipeline (pipeline.go).
//
// A Hook[T] is an ordered chain of handlers for one stage, each tagged with
// the class it is for ("" = every class). Triggering the chain for a class
// runs its handlers in the order they were bound; each handler decides
// whether the rest runs by calling e.Next(). The stage's own action, when it
// has one (the store write of the Save stage, say), is the last link, so a
// handler can work before the action, after it, around it, or stop it by
// returning an error or simply not calling Next.
//
// The shape follows PocketBase's Hook[T]. Handlers are bound at start (the
// built-in class rules of rules_*.go, then cloud code and other features);
// binding is safe at any time, and a trigger sees the chain as it was when
// the trigger began. A stage with no handler for the class costs one map
// lookup: Trigger calls the action directly.

// Event is embedded in every hook event. Handlers call Next to run the rest
// of the chain; what Next returns is what the rest of the chain returned.
type Event struct {
	next func() error
}

// Next runs the rest of the chain (the next handler, or the stage's action
// after the last one). A handler calls it at most once.
func (e *Event) Next() error {
	if e.next == nil {
		return nil
	}
	return e.next()
}

func (e *Event) setNext(fn func() error) { e.next = fn }

// hookEvent is what a Hook's events have: Event embedded.
type hookEvent interface {
	Next() error
	setNext(func() error)
}

// HandlerID identifies a bound handler, for Unbind.
type HandlerID uint64

// Hook is one stage's chain of handlers.
type Hook[T hookEvent] struct {
	mu      sync.Mutex
	nextID  HandlerID
	entries []hookEntry[T]
	// chains is derived from entries on every bind and unbind: the handlers
	// that run for each class that has a tagged handler, and, under "", the
	// ones that run for every other class. Triggers read it without locks.
	chains atomic.Pointer[map[string][]func(T) error]
}

type hookEntry[T any] struct {
	id    HandlerID
	class string
	fn    func(T) error
}

// Bind adds a handler that runs for every class, after those bound before it.
func (h *Hook[T]) Bind(fn func(e T) error) HandlerID { return h.BindClass("", fn) }

// BindClass adds a handler that runs only for className ("" = every class).
func (h *Hook[T]) BindClass(className string, fn func(e T) error) HandlerID {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextID++
	h.entries = append(h.entries, hookEntry[T]{id: h.nextID, class: className, fn: fn})
	h.rebuild()
	return h.nextID
}

// Unbind removes a handler; an unknown id is ignored.
func (h *Hook[T]) Unbind(id HandlerID) {
	h.mu.Lock()
	defer h.mu.Unlock()
	kept := h.entries[:0:0]
	for _, e := range h.entries {
		if e.id != id {
			kept = append(kept, e)
		}
	}
	h.entries = kept
	h.rebuild()
}

func (h *Hook[T]) rebuild() {
	chains := map[string][]func(T) error{}
	for _, e := range h.entries {
		if e.class != "" {
			chains[e.class] = nil
		}
	}
	for _, e := range h.entries {
		if e.class == "" {
			chains[""] = append(chains[""], e.fn)
			for class := range chains {
				if class != "" {
					chains[class] = append(chains[class], e.fn)
				}
			}
			continue
		}
		chains[e.class] = append(chains[e.class], e.fn)
	}
	h.chains.Store(&chains)
}

// handlers returns the chain for a class, nil when it has none.
func (h *Hook[T]) handlers(className string) []func(T) error {
	p := h.chains.Load()
	if p == nil {
		return nil
	}
	if list, ok := (*p)[className]; ok {
		return list
	}
	return (*p)[""]
}

// Has reports whether any handler runs for className, so the pipeline can
// skip work (loading an original object) that only handlers would read.
func (h *Hook[T]) Has(className string) bool { return len(h.handlers(className)) > 0 }

// Trigger runs the chain for className on e, ending with action (nil: the
// chain just ends). With no handler for the class it calls action directly.
func (h *Hook[T]) Trigger(className string, e T, action func(T) error) error {
	list := h.handlers(className)
	if len(list) == 0 {
		if action == nil {
			return nil
		}
		return action(e)
	}
	i := 0
	next := func() error {
		if i < len(list) {
			fn := list[i]
			i++
			return fn(e)
		}
		if i > len(list) || action == nil {
			return nil // the action already ran
		}
		i++
		return action(e)
	}
	e.setNext(next)
	return next()
}
