package core

import (
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/expirable"
)

// rateLimiter counts events per key in fixed windows. It is per node: with N
// nodes behind a balancer a client gets at most N times the limit, which
// still bounds guessing. (Phone codes keep their own counts in the store,
// so those limits hold across nodes exactly.)
type rateLimiter struct {
	mu      sync.Mutex
	windows *expirable.LRU[string, *window]
}

type window struct {
	start time.Time
	count int
}

func newRateLimiter() *rateLimiter {
	// Entries expire after the longest window we use (an hour); the LRU
	// bound keeps a flood of distinct keys from growing memory.
	return &rateLimiter{windows: expirable.NewLRU[string, *window](200_000, nil, time.Hour)}
}

// allow records one event for key and reports whether it is within limit
// events per period.
func (l *rateLimiter) allow(key string, limit int, period time.Duration) bool {
	if limit < 0 {
		return true
	}
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows.Get(key)
	if !ok || now.Sub(w.start) >= period {
		w = &window{start: now}
		l.windows.Add(key, w)
	}
	w.count++
	return w.count <= limit
}

// AllowRate records one event for key (namespaced by the caller, e.g.
// "updates:"+ip) and reports whether it is within limit events per period
// on this node (limit < 0: unlimited). Features with public routes use it
// to bound abuse the way the App bounds logins and SMS codes.
func (a *App) AllowRate(key string, limit int, period time.Duration) bool {
	return a.limiter.allow(key, limit, period)
}
