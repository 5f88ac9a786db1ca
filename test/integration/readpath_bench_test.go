package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
)

// BenchmarkReadPath measures the read path of the HTTP benchmarks
// (bench/http: get by id, a 20-row filtered page sorted on an indexed
// field, a count) stage by stage, as an anonymous caller on public objects,
// so that a regression shows which stage it came from:
//
//	auth    what the pipeline checks before the query: internal classes,
//	        the class-level permissions, the Authorizer, the caller's
//	        principals (auth-session: a session token resolved to its user)
//	plan    the where document parsed against the schema into a core.Query
//	store   the store call: SQL built, run, rows decoded
//	store-json  the store call that writes the objects' JSON itself
//	        (core.JSONFinder), as the API's plain gets and finds use it
//	encode  objects to Parse JSON, protected fields stripped, the reply
//	        marshalled (api.MarshalJSON, as the API does)
//	http    the whole request through the server, in process (no socket):
//	        the sum of the above, the HTTP shell (request id, request log,
//	        metrics, CORS, gzip) and the API's decoding
//
// The decode stage (the API's request decoding and routing) is
// BenchmarkDecode in core/api. Besides ns/op each reports cpu-ns/op, the
// process's CPU time per request, which a busy machine disturbs less:
// compare that one. Run it with, e.g.:
//
//	SWITCHBOARD_TEST_STORES=sqlite go test ./test/integration -run '^$' -bench ReadPath -count 6 | tee new.txt
//	go run golang.org/x/perf/cmd/benchstat@latest old.txt new.txt
func BenchmarkReadPath(b *testing.B) {
	const n = 2000
	h := newHarness(b, nil)
	wantStatus(b, h.do("POST", "/schemas/BenchItem", "master", map[string]any{
		"className": "BenchItem",
		"fields": map[string]any{"name": map[string]any{"type": "String"}, "score": map[string]any{"type": "Number"},
			"tags": map[string]any{"type": "Array"}, "active": map[string]any{"type": "Boolean"}},
		"indexes": map[string]any{"score_1": map[string]any{"score": 1}},
	}), 200)
	c := h.app.Class("BenchItem")
	st := h.app.Store()
	ctx := context.Background()
	ids := make([]string, n)
	err := st.Tx(ctx, func(ctx context.Context, tx core.Store) error {
		now := core.Now()
		for i := range ids {
			ids[i] = core.NewObjectID()
			if err := tx.Insert(ctx, c, core.Object{core.FieldObjectID: ids[i], core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
				"name": fmt.Sprintf("seed-%d", i), "score": float64(i % 1000), "tags": []any{"a"}, "active": true}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	user := h.signup("reader", "pw", nil)
	anon := &core.Auth{IP: "127.0.0.1"}

	type scenario struct {
		name  string
		op    string // the CLP operation
		path  func(i int) string
		where func(i int) map[string]any
		order []core.OrderKey
		limit int
		count bool
	}
	scoreFrom := func(i int) map[string]any { return map[string]any{"score": map[string]any{"$gte": float64(i % 900)}} }
	pageQuery := func(i int, extra string) string {
		w, _ := json.Marshal(scoreFrom(i))
		return "/parse/classes/BenchItem?where=" + url.QueryEscape(string(w)) + extra
	}
	scenarios := []scenario{
		{name: "get", op: core.CLPGet, limit: 1,
			path:  func(i int) string { return "/parse/classes/BenchItem/" + ids[i%n] },
			where: func(i int) map[string]any { return map[string]any{core.FieldObjectID: ids[i%n]} }},
		{name: "page", op: core.CLPFind, limit: 20, order: []core.OrderKey{{Field: "score", Desc: true}},
			path:  func(i int) string { return pageQuery(i, "&order=-score&limit=20") },
			where: scoreFrom},
		{name: "count", op: core.CLPFind, count: true,
			path:  func(i int) string { return pageQuery(i, "&count=1&limit=0") },
			where: scoreFrom},
	}
	for _, s := range scenarios {
		runCPU(b, s.name+"/auth", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				benchAuth(b, h, c, s.op, anon)
			}
		})
		runCPU(b, s.name+"/auth-session", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				auth, err := h.app.AuthForSession(ctx, user.token, &core.Auth{IP: "127.0.0.1"})
				if err != nil {
					b.Fatal(err)
				}
				benchAuth(b, h, c, s.op, auth)
			}
		})
		runCPU(b, s.name+"/plan", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				benchPlan(b, h, anon, s.where(i), s.order, s.limit)
			}
		})
		runCPU(b, s.name+"/store", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				q := benchPlan(b, h, anon, s.where(i), s.order, s.limit)
				if s.count {
					if _, err := st.Count(ctx, c, q); err != nil {
						b.Fatal(err)
					}
				} else if objs, err := st.Find(ctx, c, q); err != nil || len(objs) == 0 {
					b.Fatalf("find: %d objects, %v", len(objs), err)
				}
			}
		})
		if jf, ok := st.(core.JSONFinder); ok && !s.count {
			runCPU(b, s.name+"/store-json", func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					q := benchPlan(b, h, anon, s.where(i), s.order, s.limit)
					if out, n, ok, err := jf.FindJSON(ctx, c, q, nil); err != nil || !ok || n == 0 || len(out) == 0 {
						b.Fatalf("FindJSON: %d objects, ok %v, %v", n, ok, err)
					}
				}
			})
		}
		if !s.count {
			objs, err := st.Find(ctx, c, benchPlan(b, h, anon, s.where(0), s.order, s.limit))
			if err != nil {
				b.Fatal(err)
			}
			runCPU(b, s.name+"/encode", func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					res := make([]map[string]any, len(objs))
					for i, o := range objs {
						res[i] = core.EncodeObject(c, o)
					}
					core.StripProtected(c, anon, res)
					var body any = map[string]any{"results": res}
					if s.name == "get" {
						body = res[0]
					}
					if _, err := api.MarshalJSON(body); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		runCPU(b, s.name+"/http", func(b *testing.B) {
			b.ReportAllocs()
			w := &discardWriter{h: http.Header{}}
			// The requests are made beforehand: their making is not the
			// server's work. A GET without a body can be served again.
			reqs := make([]*http.Request, 256)
			for i := range reqs {
				reqs[i] = httptest.NewRequest("GET", s.path(i), nil)
				reqs[i].Header.Set("X-Parse-Application-Id", appID)
			}
			for i := 0; b.Loop(); i++ {
				r := reqs[i%len(reqs)]
				clear(w.h)
				w.status = 0
				h.handler.ServeHTTP(w, r)
				if w.status != http.StatusOK {
					b.Fatalf("%s: status %d", r.URL, w.status)
				}
			}
		})
	}
}

// runCPU is b.Run that also reports cpu-ns/op, the process's CPU time
// (user and system) per operation: on a machine other work shares, it
// varies much less than ns/op, which counts the time spent waiting for a
// core too.
func runCPU(b *testing.B, name string, f func(b *testing.B)) {
	b.Run(name, func(b *testing.B) {
		var r0, r1 syscall.Rusage
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
		f(b)
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
		cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
		b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
	})
}

// benchAuth is the pipeline's checks before a read of c (runFind's
// checkClassAccess and authorizeFind), as op for auth.
func benchAuth(b *testing.B, h *harness, c *core.Class, op string, auth *core.Auth) {
	if err := core.CheckClassAccess(c.Name, auth); err != nil {
		b.Fatal(err)
	}
	if _, err := core.AuthorizeRead(c, op, auth); err != nil {
		b.Fatal(err)
	}
	if _, err := h.app.Authorize(context.Background(), &core.AuthzInput{Point: core.PointOf(c.Name), Action: op, Class: c.Name, Schema: c, Auth: auth}); err != nil {
		b.Fatal(err)
	}
	if len(auth.Principals()) == 0 {
		b.Fatal("no principals")
	}
}

// benchPlan parses where as auth into the query the store gets.
func benchPlan(b *testing.B, h *harness, auth *core.Auth, where map[string]any, order []core.OrderKey, limit int) *core.Query {
	e, c, err := h.app.ParseWhere(context.Background(), auth, "BenchItem", where)
	if err != nil {
		b.Fatal(err)
	}
	for _, k := range order {
		if err := core.CheckProbe(c, auth, k.Field); err != nil {
			b.Fatal(err)
		}
	}
	return &core.Query{Where: e, Order: order, Limit: limit, ReadACL: auth.Principals()}
}

// discardWriter is a ResponseWriter that keeps only the status.
type discardWriter struct {
	h      http.Header
	status int
}

func (w *discardWriter) Header() http.Header { return w.h }
func (w *discardWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return len(b), nil
}
func (w *discardWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}
