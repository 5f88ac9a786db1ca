package core

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Registry holds the providers of one kind ("store", "files", "push", ...)
// by name. Providers register from init(), the way database/sql drivers do,
// and the config picks one by name. Registries are the only global state.
type Registry[T any] struct {
	kind      string
	mu        sync.RWMutex
	providers map[string]T
}

// NewRegistry returns an empty registry for one provider kind.
func NewRegistry[T any](kind string) *Registry[T] {
	return &Registry[T]{kind: kind, providers: map[string]T{}}
}

// Register adds a provider. An empty or duplicate name is a programming error
// and panics, so it shows up the first time the binary starts.
func (r *Registry[T]) Register(name string, provider T) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if name == "" {
		panic(fmt.Sprintf("%s: Register called with an empty name", r.kind))
	}
	if _, dup := r.providers[name]; dup {
		panic(fmt.Sprintf("%s: Register called twice for provider %q", r.kind, name))
	}
	r.providers[name] = provider
}

// Lookup returns the provider registered under name. An unknown name is an
// ordinary error that lists what is available.
func (r *Registry[T]) Lookup(name string) (T, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	p, ok := r.providers[name]
	if !ok {
		var zero T
		return zero, fmt.Errorf("unknown %s provider %q (available: %s; forgotten import?)", r.kind, name, strings.Join(r.namesLocked(), ", "))
	}
	return p, nil
}

// Names returns the registered provider names, sorted.
func (r *Registry[T]) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.namesLocked()
}

func (r *Registry[T]) namesLocked() []string {
	names := make([]string, 0, len(r.providers))
	for n := range r.providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DecodeOptions decodes a provider's config section into dst strictly: an
// unknown key is an error naming the key, so a typo never passes silently.
func DecodeOptions(section map[string]any, dst any) error {
	if len(section) == 0 {
		return nil
	}
	raw, err := json.Marshal(section)
	if err != nil {
		return fmt.Errorf("encoding options: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("decoding options: %w", err)
	}
	return nil
}
