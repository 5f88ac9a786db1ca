package coreapp_test

import (
	"bytes"
	"io"
	"net/http"
	"syscall"
	"testing"
	"time"
)

// Per-request cost of cloud code through the whole server (real HTTP, in
// process), beside the plain routes it is compared with in bench/http:
//
//	SWITCHBOARD_TEST_STORES=sqlite go test ./hooks/coreapp -run '^$' -bench HTTP -benchtime 5000x -cpu 2
//
// cpu-µs/op is the process's CPU time (client and server: same process)
// per request, steadier than ns/op on a shared machine.
func BenchmarkHTTP(b *testing.B) {
	n := startNode(b, nodeOptions{})
	n.deploy(`
Parse.Cloud.define('hi', () => 'hi');
Parse.Cloud.beforeSave('Hooked', req => { req.object.set('checked', true); });
`)
	id := n.must(http.StatusCreated, http.MethodPost, "/classes/Plain", "master", map[string]any{"name": "x"}).body["objectId"].(string)
	n.must(http.StatusCreated, http.MethodPost, "/classes/Hooked", "master", map[string]any{"name": "x"})
	body := []byte(`{"name":"item","score":1,"tags":["a","b"],"active":true}`)
	cases := []struct {
		name, method, path string
		body               []byte
		want               int
	}{
		{"get", http.MethodGet, "/classes/Plain/" + id, nil, 200},
		{"function", http.MethodPost, "/functions/hi", []byte("{}"), 200},
		{"create", http.MethodPost, "/classes/Plain", body, 201},
		{"createBeforeSave", http.MethodPost, "/classes/Hooked", body, 201},
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var r0, r1 syscall.Rusage
			syscall.Getrusage(syscall.RUSAGE_SELF, &r0)
			defer func() {
				syscall.Getrusage(syscall.RUSAGE_SELF, &r1)
				cpu := time.Duration(r1.Utime.Nano() + r1.Stime.Nano() - r0.Utime.Nano() - r0.Stime.Nano())
				b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
			}()
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					req, _ := http.NewRequest(c.method, n.url+c.path, bytes.NewReader(c.body))
					req.Header.Set("X-Parse-Application-Id", appID)
					req.Header.Set("Content-Type", "application/json")
					res, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode != c.want {
						b.Fatalf("status %d", res.StatusCode)
					}
				}
			})
		})
	}
}
