package sqlstore

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// aclStats estimates, per class, how many rows there are and how many the
// public may read. SQLite's planner keeps no statistics of column values,
// so it cannot tell whether "principal IN (...)" picks 1% of the rows or
// all of them; the store decides instead (readPlanFor). The counts are
// loaded with two cheap COUNTs, kept up to date by this process's writes,
// and reloaded after a minute or after a rollback, since they only steer
// the plan, never the result.
type aclStats struct {
	m sync.Map // class name → *classStats
}

type classStats struct {
	loadedAt      atomic.Int64 // unix ns; 0: not loaded
	total, public atomic.Int64
}

const statsTTL = time.Minute

func (a *aclStats) get(class string) *classStats {
	if v, ok := a.m.Load(class); ok {
		return v.(*classStats)
	}
	v, _ := a.m.LoadOrStore(class, &classStats{})
	return v.(*classStats)
}

func (a *aclStats) inserted(class string, public bool) {
	cs := a.get(class)
	cs.total.Add(1)
	if public {
		cs.public.Add(1)
	}
}

func (a *aclStats) deleted(class string, n int64) {
	if n == 0 {
		return
	}
	cs := a.get(class)
	if t := cs.total.Load(); t > 0 {
		cs.public.Add(-n * cs.public.Load() / t)
	}
	cs.total.Add(-n)
}

func (a *aclStats) aclChanged(class string, public bool) {
	// The old ACL is unknown here; count the change and let the periodic
	// reload correct it.
	if public {
		a.get(class).public.Add(1)
	}
}

func (a *aclStats) invalidate(class string) { a.get(class).loadedAt.Store(0) }

func (a *aclStats) invalidateAll() {
	a.m.Range(func(_, v any) bool {
		v.(*classStats).loadedAt.Store(0)
		return true
	})
}

// readPlanFor chooses how q's ReadACL filter is written. Scanning costs
// about need/share rows, where share is the fraction of rows the public may
// read; driving from the readers index costs about public+own rows. For a
// count or an unlimited find, need is every row.
func (s *Store) readPlanFor(ctx context.Context, ss session, p *plan, q *core.Query, all bool) readPlan {
	if q.ReadACL == nil {
		return readScan
	}
	cs := s.acl.get(p.name)
	if at := cs.loadedAt.Load(); at == 0 || time.Since(time.Unix(0, at)) > statsTTL {
		s.loadStats(ctx, ss, p, cs)
	}
	total, public := cs.total.Load(), cs.public.Load()
	if total <= 0 {
		return readScan
	}
	public = max(public, 0)
	need := total
	if !all && q.Limit >= 0 {
		need = min(total, int64(q.Limit)+int64(q.Skip))
	}
	// drive when public·(public/total) < need, i.e. public² < need·total
	if float64(public)*float64(public) < float64(need)*float64(total) {
		return readDrive
	}
	return readScan
}

func (s *Store) loadStats(ctx context.Context, ss session, p *plan, cs *classStats) {
	var total, public int64
	q := "SELECT (SELECT count(*) FROM " + p.table + "), (SELECT count(*) FROM " + p.readers + ` WHERE "principal" = ` + s.d.Placeholder(1) + ")"
	if e, ok := s.d.(StatsEstimator); ok {
		q = e.EstimateSQL(p.table, p.readers)
	}
	rows, err := ss.query(ctx, q, core.PublicPrincipal)
	if err != nil {
		return
	}
	defer rows.Close()
	if rows.Next() && rows.Scan(&total, &public) == nil {
		cs.total.Store(total)
		cs.public.Store(public)
		cs.loadedAt.Store(time.Now().UnixNano())
	}
}
