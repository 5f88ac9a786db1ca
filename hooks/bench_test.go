package hooks_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/hooks"
)

const benchScript = `
Parse.Cloud.define('hi', () => 'hi');
Parse.Cloud.beforeSave('Game', req => { req.object.set('checked', true); });
Parse.Cloud.define('slow', () => new Promise(r => setTimeout(() => r('ok'), 1)));
`

// Per-invocation overhead of a trivial function.
func BenchmarkFunctionHi(b *testing.B) {
	e := newEnv(b, benchScript, hooks.Options{PoolSize: 4})
	ctx := context.Background()
	req := &hooks.Request{}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := e.m.RunFunction(ctx, "hi", req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Per-invocation overhead of a beforeSave that sets one field.
func BenchmarkBeforeSaveSetField(b *testing.B) {
	e := newEnv(b, benchScript, hooks.Options{PoolSize: 4})
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := &hooks.Request{Update: map[string]any{"score": 10.0, "player": "ada"}}
			if _, err := e.m.RunTrigger(ctx, hooks.BeforeSave, "Game", req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The beforeSave of bench/http's hooked create, with the request the
// server builds for it: the client's four fields, its headers and address.
func BenchmarkBeforeSaveCreate(b *testing.B) { benchHookedCreate(b, benchScript) }

// The same beforeSave on a class the script gave a subclass of its own
// with Parse.Object.extend, as much Parse cloud code does: its objects are
// light objects too (instances of the subclass), not the SDK's.
func BenchmarkBeforeSaveSubclass(b *testing.B) {
	benchHookedCreate(b, "const Game = Parse.Object.extend('Game');\n"+benchScript)
}

func benchHookedCreate(b *testing.B, script string) {
	e := newEnv(b, script, hooks.Options{PoolSize: 4})
	ctx := context.Background()
	headers := map[string]string{"x-parse-application-id": "bench", "content-type": "application/json", "content-length": "56"}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req := &hooks.Request{IP: "127.0.0.1", Headers: headers,
				Update: map[string]any{"name": "item", "score": 1.0, "tags": []any{"a", "b"}, "active": true}}
			if _, err := e.m.RunTrigger(ctx, hooks.BeforeSave, "Game", req); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// Pool wait under contention: 32 callers, 2 runtimes, each call ~1ms.
func BenchmarkPoolContention(b *testing.B) {
	e := newEnv(b, benchScript, hooks.Options{PoolSize: 2, QueueTimeout: time.Minute})
	ctx := context.Background()
	b.SetParallelism(16)
	var mu sync.Mutex
	var worst time.Duration
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			start := time.Now()
			if _, err := e.m.RunFunction(ctx, "slow", &hooks.Request{}); err != nil {
				b.Fatal(err)
			}
			if d := time.Since(start); d > worst {
				mu.Lock()
				worst = max(worst, d)
				mu.Unlock()
			}
		}
	})
	b.ReportMetric(float64(worst.Microseconds()), "worst-µs")
}

// Creating one runtime: SDK, Parse.Cloud API and main.js, with the
// deployment's compiled modules shared.
func BenchmarkRuntimeCreate(b *testing.B) {
	e := newEnv(b, benchScript, hooks.Options{PoolSize: 1})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := hooks.NewRuntimeForBench(e.m); err != nil {
			b.Fatal(err)
		}
	}
}
