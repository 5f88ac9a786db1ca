package hookstest

import (
	"context"
	"sort"
	"sync"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/hooks"
)

// Store is an in-memory hooks.DeploymentStore. Several Managers sharing one
// Store behave like nodes sharing a database: SetActive notifies every
// Watch.
type Store struct {
	mu       sync.Mutex
	versions []stored
	active   int
	watchers map[int]chan int
	nextW    int
}

type stored struct {
	bundle *hooks.Bundle
	info   hooks.VersionInfo
}

// NewStore returns an empty store.
func NewStore() *Store { return &Store{watchers: map[int]chan int{}} }

// Save implements hooks.DeploymentStore.
func (s *Store) Save(_ context.Context, b *hooks.Bundle, note string) (hooks.VersionInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	info := hooks.VersionInfo{Version: len(s.versions) + 1, Hash: b.Hash(), CreatedAt: core.Now(), Note: note, Files: len(b.Files)}
	for _, f := range b.Files {
		info.Bytes += len(f)
	}
	files := make(map[string][]byte, len(b.Files))
	for k, v := range b.Files {
		files[k] = append([]byte(nil), v...)
	}
	s.versions = append(s.versions, stored{bundle: &hooks.Bundle{Files: files}, info: info})
	return info, nil
}

// Get implements hooks.DeploymentStore.
func (s *Store) Get(_ context.Context, version int) (*hooks.Bundle, hooks.VersionInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if version < 1 || version > len(s.versions) {
		return nil, hooks.VersionInfo{}, core.Errorf(core.CodeObjectNotFound, "cloud code version %d does not exist", version)
	}
	v := s.versions[version-1]
	v.info.Active = version == s.active
	return v.bundle, v.info, nil
}

// List implements hooks.DeploymentStore.
func (s *Store) List(context.Context) ([]hooks.VersionInfo, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]hooks.VersionInfo, 0, len(s.versions))
	for _, v := range s.versions {
		v.info.Active = v.info.Version == s.active
		out = append(out, v.info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version > out[j].Version })
	return out, nil
}

// SetActive implements hooks.DeploymentStore.
func (s *Store) SetActive(_ context.Context, version int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if version < 1 || version > len(s.versions) {
		return core.Errorf(core.CodeObjectNotFound, "cloud code version %d does not exist", version)
	}
	s.active = version
	for _, ch := range s.watchers {
		select {
		case <-ch: // coalesce: only the latest matters
		default:
		}
		ch <- version
	}
	return nil
}

// Active implements hooks.DeploymentStore.
func (s *Store) Active(context.Context) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.active, nil
}

// Watch implements hooks.DeploymentStore.
func (s *Store) Watch(ctx context.Context, fn func(version int)) error {
	ch := make(chan int, 1)
	s.mu.Lock()
	id := s.nextW
	s.nextW++
	s.watchers[id] = ch
	s.mu.Unlock()
	go func() {
		defer func() {
			s.mu.Lock()
			delete(s.watchers, id)
			s.mu.Unlock()
		}()
		for {
			select {
			case v := <-ch:
				fn(v)
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}
