package postgres_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/adapters/store/storetest"
	"github.com/switchboardhq/switchboard/core"
)

// The benchmarks are storetest's, the same as SQLite's, on a fresh schema.

func openBench(b *testing.B) core.Store { return openURL(b, pgtest.Fresh(b), nil) }

func BenchmarkInsert(b *testing.B) { storetest.BenchInsert(b, openBench) }

// BenchmarkInsertConcurrent is BenchmarkInsert with 8 goroutines per CPU,
// like an HTTP server with many requests in flight.
func BenchmarkInsertConcurrent(b *testing.B) {
	b.SetParallelism(8)
	storetest.BenchInsert(b, openBench)
}

func BenchmarkGetByID(b *testing.B)         { storetest.BenchGetByID(b, openBench) }
func BenchmarkFindIndexedPage(b *testing.B) { storetest.BenchFindIndexedPage(b, openBench) }
func BenchmarkFindWithACL(b *testing.B)     { storetest.BenchFindWithACL(b, openBench) }
func BenchmarkFindPublic(b *testing.B)      { storetest.BenchFindPublic(b, openBench) }
