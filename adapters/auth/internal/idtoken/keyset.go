package idtoken

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/switchboardhq/switchboard/adapters/auth/internal/authkit"
)

// keySet caches a provider's JSON Web Key Set.
//
// The set is fetched on first use and again once it is older than ttl. A
// token whose kid is not in the set forces a fetch (providers publish a new
// key before they sign with it), but at most once per minRefresh, so tokens
// with made-up kids cannot make us hammer the provider. While the provider
// is down, a stale set keeps serving the kids it knows. Only one fetch runs
// at a time; callers that waited for it share its result.
type keySet struct {
	provider   string
	client     *http.Client
	endpoint   func(ctx context.Context) (string, error)
	now        func() time.Time
	ttl        time.Duration
	minRefresh time.Duration

	sem chan struct{} // held by the one fetch in flight

	mu        sync.Mutex
	set       *jose.JSONWebKeySet
	fetchedAt time.Time // when set was fetched
	forcedAt  time.Time // last fetch forced by an unknown kid
	attempts  uint64    // fetch attempts finished
	lastErr   error     // result of the last attempt
}

// keys returns the keys that may have signed a token with this kid (all
// keys when kid is empty). An empty result with a nil error means the kid
// is unknown to the provider.
func (k *keySet) keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	k.mu.Lock()
	set, fresh, seen := k.set, k.set != nil && k.now().Sub(k.fetchedAt) < k.ttl, k.attempts
	k.mu.Unlock()

	if fresh {
		if found := match(set, kid); len(found) > 0 || !k.mayForce() {
			return found, nil
		}
	}
	newSet, err := k.fetch(ctx, seen)
	if err != nil {
		if found := match(set, kid); len(found) > 0 {
			return found, nil // stale, but the provider is down
		}
		return nil, err
	}
	return match(newSet, kid), nil
}

// mayForce reports whether an unknown kid may trigger a fetch now, and if
// so records that it did.
func (k *keySet) mayForce() bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := k.now()
	if !k.forcedAt.IsZero() && now.Sub(k.forcedAt) < k.minRefresh {
		return false
	}
	k.forcedAt = now
	return true
}

// fetch downloads the set unless another fetch finished since the caller
// looked (seen attempts), in which case it returns that one's result.
func (k *keySet) fetch(ctx context.Context, seen uint64) (*jose.JSONWebKeySet, error) {
	select {
	case k.sem <- struct{}{}:
	case <-ctx.Done():
		return nil, authkit.Unavailable(k.provider, fmt.Errorf("waiting for the key set: %w", ctx.Err()))
	}
	defer func() { <-k.sem }()

	k.mu.Lock()
	if k.attempts != seen {
		set, err := k.set, k.lastErr
		k.mu.Unlock()
		if err != nil {
			return nil, err
		}
		return set, nil
	}
	k.mu.Unlock()

	set, err := k.download(ctx)

	k.mu.Lock()
	defer k.mu.Unlock()
	k.attempts++
	k.lastErr = err
	if err != nil {
		return nil, err
	}
	k.set, k.fetchedAt = set, k.now()
	return set, nil
}

func (k *keySet) download(ctx context.Context) (*jose.JSONWebKeySet, error) {
	endpoint, err := k.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	resp, err := authkit.Get(ctx, k.client, k.provider, endpoint, http.Header{"Accept": {"application/json"}})
	if err != nil {
		return nil, err
	}
	if resp.Status != http.StatusOK {
		return nil, authkit.Misconfigured(k.provider, "key set %s answered %d: %s (check jwksURL)", endpoint, resp.Status, authkit.Snippet(resp.Body))
	}
	set := &jose.JSONWebKeySet{}
	if err := decodeKeySet(resp.Body, set); err != nil {
		return nil, authkit.Unavailable(k.provider, fmt.Errorf("key set %s: %w", endpoint, err))
	}
	if len(set.Keys) == 0 {
		return nil, authkit.Unavailable(k.provider, errors.New("key set "+endpoint+" has no usable keys"))
	}
	return set, nil
}

// decodeKeySet reads a JWKS into set. Keys of a type we cannot read are
// skipped, not fatal: a provider may publish keys for other uses next to
// its signing keys.
func decodeKeySet(body []byte, set *jose.JSONWebKeySet) error {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return err
	}
	for _, r := range raw.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(r); err == nil {
			set.Keys = append(set.Keys, key)
		}
	}
	return nil
}

// match returns the verification keys in set with this kid.
func match(set *jose.JSONWebKeySet, kid string) []jose.JSONWebKey {
	if set == nil {
		return nil
	}
	var out []jose.JSONWebKey
	for _, key := range set.Keys {
		if kid != "" && key.KeyID != kid {
			continue
		}
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		if !key.IsPublic() || !key.Valid() {
			continue
		}
		out = append(out, key)
	}
	return out
}
