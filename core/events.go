package core

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// ChangeKind says what happened to an object.
type ChangeKind uint8

// The kinds of change.
const (
	Created ChangeKind = iota + 1
	Updated
	Deleted
)

func (k ChangeKind) String() string {
	switch k {
	case Created:
		return "create"
	case Updated:
		return "update"
	case Deleted:
		return "delete"
	}
	return "unknown"
}

// ChangeEvent is one committed change to one object. The pipeline emits it
// after the write is durable (after the transaction commits, never for a
// write that rolled back), so a subscriber never sees a change that did not
// happen.
type ChangeEvent struct {
	Kind      ChangeKind
	ClassName string
	// Object is the object after the change, as stored (every field, with
	// the Go value types of values.go, ACL included). For Deleted it is the
	// object as it was when deleted.
	Object Object
	// Original is the object before an update; nil for Created and Deleted.
	Original Object
	// Auth is who made the change (never nil; MasterAuth for internal writes).
	Auth *Auth
	// Context is the request's cloud-code context (_context /
	// X-Parse-Cloud-Context), or nil.
	Context map[string]any
	// At is when the change committed.
	At time.Time
}

// ChangeListener receives committed changes. It is called synchronously on
// the goroutine that committed, once per change and in commit order for
// that goroutine, so it must return quickly: anything slow (network, disk)
// belongs on the listener's own queue. It must not modify the event.
type ChangeListener func(ctx context.Context, ev *ChangeEvent)

// ChangeBus is the in-process bus of committed changes that LiveQuery,
// analytics, webhooks and push subscribe to. Publishing to a bus with no
// listener costs one atomic load.
type ChangeBus struct {
	mu        sync.Mutex
	next      int
	listeners atomic.Pointer[[]busEntry]
}

type busEntry struct {
	id int
	fn ChangeListener
}

// Subscribe adds a listener and returns the function that removes it.
func (b *ChangeBus) Subscribe(fn ChangeListener) (unsubscribe func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.next++
	id := b.next
	var cur []busEntry
	if p := b.listeners.Load(); p != nil {
		cur = *p
	}
	list := append(append(make([]busEntry, 0, len(cur)+1), cur...), busEntry{id: id, fn: fn})
	b.listeners.Store(&list)
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		cur := *b.listeners.Load()
		list := make([]busEntry, 0, len(cur))
		for _, e := range cur {
			if e.id != id {
				list = append(list, e)
			}
		}
		b.listeners.Store(&list)
	}
}

// HasListeners reports whether anyone listens, so that the pipeline can skip
// loading an original object nobody will read.
func (b *ChangeBus) HasListeners() bool {
	p := b.listeners.Load()
	return p != nil && len(*p) > 0
}

// Publish delivers ev to every listener. A listener that panics is logged
// and does not stop the others.
func (b *ChangeBus) Publish(ctx context.Context, ev *ChangeEvent) {
	p := b.listeners.Load()
	if p == nil {
		return
	}
	for _, e := range *p {
		func() {
			defer func() {
				if r := recover(); r != nil {
					LoggerFrom(ctx).Error("change listener panicked", "class", ev.ClassName, "kind", ev.Kind.String(), "panic", r)
				}
			}()
			e.fn(ctx, ev)
		}()
	}
}
