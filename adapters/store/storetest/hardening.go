package storetest

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// The hardening cases of issue 8: input that once reached an engine error
// (a 500), and reads a client can make run away. Each name says which hole
// of the penetration test it closes.
func testHardening(t *testing.T, open func(t *testing.T) core.Store) {
	t.Run("Hole7DottedKeysWithQuotes", func(t *testing.T) { testQuotedPathKeys(t, open(t)) })
	t.Run("GeoEquality", func(t *testing.T) { testGeoEquality(t, open(t)) })
	t.Run("Hole11LargePolygon", func(t *testing.T) { testLargePolygon(t, open(t)) })
	t.Run("Hole2QueryTimeLimit", func(t *testing.T) { testQueryTimeLimit(t, open(t)) })
	t.Run("Hole2RunawayReadsDoNotStarveOthers", func(t *testing.T) { testRunawayReads(t, open(t)) })
}

// testQuotedPathKeys: keys inside an Object may hold any character but "."
// and "$"; the path to them must reach exactly them, never break the query.
func testQuotedPathKeys(t *testing.T, s core.Store) {
	c := mustCreate(t, s, class("Doc", map[string]string{"obj": "Object"}))
	keys := []string{`a"b`, `c\d`, `e'f`, `g[0]`, "h\ti", `\"`, `x"]`}
	for i, k := range keys {
		mustInsert(t, s, c, obj(str(i), "obj", map[string]any{k: float64(i), "plain": "p"}))
	}
	for i, k := range keys {
		wantIDs(t, "equality under key "+k, find(t, s, c, where(core.Cmp{Field: "obj", Path: []string{k}, Op: core.OpEq, Value: float64(i)})), str(i))
		wantIDs(t, "exists under key "+k, find(t, s, c, where(core.Exists{Field: "obj", Path: []string{k}, Exists: true})), str(i))
		wantIDs(t, "$in under key "+k, find(t, s, c, where(core.In{Field: "obj", Path: []string{k, "deeper"}, Values: []any{"x"}})))
	}
	wantIDs(t, "regex under a quoted key", find(t, s, c, where(core.Regex{Field: "obj", Path: []string{`a"b`}, Pattern: "^0$"})), str(0))
	// A key shaped like an attempt to close the path and add a clause.
	wantIDs(t, "injection-shaped key", find(t, s, c, where(core.Cmp{Field: "obj", Path: []string{`plain"] OR 1=1 --`}, Op: core.OpEq, Value: "p"})))
}

// testGeoEquality: equality on Polygon and GeoPoint fields, and $polygon
// given as a closed ring.
func testGeoEquality(t *testing.T, s core.Store) {
	c := mustCreate(t, s, class("Zone", map[string]string{"area": "Polygon", "at": "GeoPoint"}))
	sq := core.Polygon{{0, 0}, {0, 1}, {1, 1}, {1, 0}}
	tri := core.Polygon{{0, 0}, {0, 2}, {2, 0}}
	mustInsert(t, s, c,
		obj("sq", "area", sq, "at", core.GeoPoint{Latitude: 0.5, Longitude: 0.5}),
		obj("tri", "area", tri, "at", core.GeoPoint{Latitude: 3, Longitude: 3}),
		obj("none"))
	wantIDs(t, "polygon equality", find(t, s, c, where(core.Cmp{Field: "area", Op: core.OpEq, Value: sq})), "sq")
	wantIDs(t, "polygon inequality", find(t, s, c, where(core.Cmp{Field: "area", Op: core.OpNe, Value: sq})), "tri", "none")
	wantIDs(t, "polygon $in", find(t, s, c, where(core.In{Field: "area", Values: []any{tri, core.Polygon{{5, 5}, {5, 6}, {6, 6}}}})), "tri")
	wantIDs(t, "geopoint equality", find(t, s, c, where(core.Cmp{Field: "at", Op: core.OpEq, Value: core.GeoPoint{Latitude: 3, Longitude: 3}})), "tri")
	closed := []core.GeoPoint{{Latitude: 0, Longitude: 0}, {Latitude: 0, Longitude: 1}, {Latitude: 1, Longitude: 1}, {Latitude: 1, Longitude: 0}, {Latitude: 0, Longitude: 0}}
	wantIDs(t, "within a closed ring", find(t, s, c, where(core.WithinPolygon{Field: "at", Points: closed})), "sq")
}

// testLargePolygon: a polygon of many points is tested once per row in
// one pass, on both the stored side ($geoIntersects) and the query side.
func testLargePolygon(t *testing.T, s core.Store) {
	c := mustCreate(t, s, class("Region", map[string]string{"area": "Polygon", "at": "GeoPoint"}))
	// A 10,000-point ring approximating the square (0,0)-(10,10).
	const side = 2500
	ring := make(core.Polygon, 0, 4*side)
	for i := 0; i < side; i++ {
		ring = append(ring, [2]float64{0, 10 * float64(i) / side})
	}
	for i := 0; i < side; i++ {
		ring = append(ring, [2]float64{10 * float64(i) / side, 10})
	}
	for i := 0; i < side; i++ {
		ring = append(ring, [2]float64{10, 10 - 10*float64(i)/side})
	}
	for i := 0; i < side; i++ {
		ring = append(ring, [2]float64{10 - 10*float64(i)/side, 0})
	}
	for i := 0; i < 20; i++ {
		mustInsert(t, s, c, obj(str(i), "area", ring, "at", core.GeoPoint{Latitude: float64(i) + 0.5, Longitude: 5}))
	}
	all := make([]string, 20)
	for i := range all {
		all[i] = str(i)
	}
	wantIDs(t, "intersects a large stored polygon", find(t, s, c, where(core.PolygonContains{Field: "area", Point: core.GeoPoint{Latitude: 5, Longitude: 5}})), all...)
	wantIDs(t, "outside a large stored polygon", find(t, s, c, where(core.PolygonContains{Field: "area", Point: core.GeoPoint{Latitude: 11, Longitude: 5}})))
	pts := make([]core.GeoPoint, len(ring))
	for i, p := range ring {
		pts[i] = core.GeoPoint{Latitude: p[0], Longitude: p[1]}
	}
	wantIDs(t, "within a large query polygon", find(t, s, c, where(core.WithinPolygon{Field: "at", Points: pts})), str(0), str(1), str(2), str(3), str(4), str(5), str(6), str(7), str(8), str(9))
}

// runaway is a read that runs for many seconds on any engine: a
// regular expression that is expensive to compile (PostgreSQL) and to run
// (Go's linear-time engine still walks 5,000 states per character) over
// long strings. The core refuses such patterns from clients; the store
// must still survive them.
func runaway(t *testing.T, s core.Store) (*core.Class, *core.Query) {
	t.Helper()
	c := mustCreate(t, s, class("Slow", map[string]string{"s": "String"}))
	long := strings.Repeat("a", 4000)
	for i := 0; i < 200; i++ {
		mustInsert(t, s, c, obj(str(i), "s", long))
	}
	return c, where(core.Regex{Field: "s", Pattern: "(.*){1,1000}z"})
}

// testQueryTimeLimit: a read whose ctx ends (the core's query time limit)
// stops with CodeTimeout, and the store serves the next read.
func testQueryTimeLimit(t *testing.T, s core.Store) {
	c, slow := runaway(t, s)
	limit := &core.Error{Code: core.CodeTimeout, Message: "the query took longer than the limit"}
	qctx, cancel := context.WithTimeoutCause(ctx(t), 300*time.Millisecond, limit)
	defer cancel()
	_, err := s.Find(qctx, c, slow)
	wantCode(t, "runaway find past its deadline", err, core.CodeTimeout)
	if !errors.Is(err, limit) && err != nil && !strings.Contains(err.Error(), "limit") {
		t.Errorf("the timeout error does not carry the deadline's cause: %v", err)
	}
	cctx, ccancel := context.WithTimeout(ctx(t), 300*time.Millisecond)
	defer ccancel()
	_, err = s.Count(cctx, c, slow)
	wantCode(t, "runaway count past its deadline", err, core.CodeTimeout)
	wantIDs(t, "a read after the cut ones", find(t, s, c, where(core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: str(7)})), str(7))
}

// testRunawayReads: while more runaway reads than the store has read
// connections are running or queued, other reads are still served, and
// the runaway ones end with CodeTimeout when their ctx does.
func testRunawayReads(t *testing.T, s core.Store) {
	c, slow := runaway(t, s)
	heavyCtx, stopHeavy := context.WithCancel(ctx(t))
	defer stopHeavy()
	const heavy = 10
	var finished atomic.Int32
	errs := make(chan error, heavy)
	var wg sync.WaitGroup
	for range heavy {
		wg.Go(func() {
			_, err := s.Find(heavyCtx, c, slow)
			finished.Add(1)
			errs <- err
		})
	}
	// Let the runaway reads take their connections and queue for more.
	if st, ok := s.(core.StoreStats); ok {
		for i := 0; i < 500 && st.PoolStats().InUse == 0; i++ {
			time.Sleep(10 * time.Millisecond)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for i := 0; i < 20; i++ {
		lctx, cancel := context.WithTimeout(ctx(t), time.Minute)
		objs, err := s.Find(lctx, c, where(core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: str(i)}))
		cancel()
		if err != nil {
			t.Fatalf("read %d while runaway reads run: %v", i, err)
		}
		wantIDs(t, "read while runaway reads run", objs, str(i))
		if n, err := s.Count(ctx(t), c, where(core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: str(i)})); err != nil || n != 1 {
			t.Fatalf("count %d while runaway reads run: %d, %v", i, n, err)
		}
	}
	if n := finished.Load(); n > 0 {
		t.Errorf("%d runaway reads ended before the other reads were served: those waited for them", n)
	}
	stopHeavy()
	wg.Wait()
	close(errs)
	for err := range errs {
		wantCode(t, "runaway read when its ctx ends", err, core.CodeTimeout)
	}
	wantIDs(t, "a read after the runaway ones", find(t, s, c, where(core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: str(3)})), str(3))
}
