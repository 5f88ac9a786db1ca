package api

import (
	"context"
	"net/http/httptest"
	"testing"

	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
)

// BenchmarkDecode is the decode stage of the read path (the other stages
// are BenchmarkReadPath in test/integration): an HTTP request of the
// HTTP benchmarks (bench/http) turned into the call the App gets, that is
// the keys checked, the query parameters read, the route matched and the
// find options parsed. No store call happens; the store is only there
// because an App needs one.
//
//	go test ./core/api -run '^$' -bench Decode -count 6
func BenchmarkDecode(b *testing.B) {
	open, err := core.Stores.Lookup("sqlite")
	if err != nil {
		b.Fatal(err)
	}
	st, err := open(context.Background(), core.StoreConfig{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	app, err := core.NewApp(context.Background(), st, core.Options{AppID: "bench", MasterKey: "benchmaster"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = app.Close() })
	h := New(app)
	for _, c := range []struct{ name, target string }{
		{"get", "/classes/BenchItem/Ab3dE5gH9j"},
		{"page", "/classes/BenchItem?where=%7B%22score%22%3A%7B%22%24gte%22%3A417%7D%7D&order=-score&limit=20"},
		{"count", "/classes/BenchItem?where=%7B%22score%22%3A%7B%22%24gte%22%3A417%7D%7D&count=1&limit=0"},
	} {
		r := httptest.NewRequest("GET", c.target, nil)
		r.Header.Set("X-Parse-Application-Id", "bench")
		r.Header.Set("Content-Type", "application/json")
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req, err := h.decode(r)
				if err != nil {
					b.Fatal(err)
				}
				ref, ok := h.router.match(req.method, req.path)
				if !ok {
					b.Fatal("no route")
				}
				req.route = ref
				if _, err := core.ParseFindOptions(req.params); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
