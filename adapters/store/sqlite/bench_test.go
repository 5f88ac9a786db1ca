package sqlite_test

import (
	"testing"

	"github.com/switchboardhq/switchboard/adapters/store/storetest"
	"github.com/switchboardhq/switchboard/core"
)

// The benchmarks are storetest's, shared with the other stores, on a fresh
// database file.

func openBench(b *testing.B) core.Store {
	st := openAt(b, b.TempDir())
	b.Cleanup(func() { st.Close() })
	return st
}

// BenchmarkInsert: one object per Insert call, from parallel goroutines,
// each call its own committed transaction.
func BenchmarkInsert(b *testing.B) { storetest.BenchInsert(b, openBench) }

// BenchmarkInsertConcurrent is BenchmarkInsert with 8 goroutines per CPU,
// like an HTTP server with many requests in flight: inserts that wait
// together commit together.
func BenchmarkInsertConcurrent(b *testing.B) {
	b.SetParallelism(8)
	storetest.BenchInsert(b, openBench)
}

// BenchmarkGetByID: the read of GET /classes/Bench/:id, with the public ACL filter.
func BenchmarkGetByID(b *testing.B) { storetest.BenchGetByID(b, openBench) }

// BenchmarkFindIndexedPage: a filtered page sorted on an indexed field.
func BenchmarkFindIndexedPage(b *testing.B) { storetest.BenchFindIndexedPage(b, openBench) }

// BenchmarkFindWithACL: 100k private objects of which the user may read
// 1%, pages of 100 sorted by score and in no order; compare with
// BenchmarkFindPublic, the same pages over public objects.
func BenchmarkFindWithACL(b *testing.B) { storetest.BenchFindWithACL(b, openBench) }

// BenchmarkFindPublic is BenchmarkFindWithACL's queries over public objects.
func BenchmarkFindPublic(b *testing.B) { storetest.BenchFindPublic(b, openBench) }
