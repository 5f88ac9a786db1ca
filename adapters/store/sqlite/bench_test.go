package sqlite_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

func benchClass() *core.Class {
	c := &core.Class{Name: "Bench", Fields: map[string]core.Field{
		"name":  {Type: core.TypeString},
		"score": {Type: core.TypeNumber},
		"tags":  {Type: core.TypeArray},
		"owner": {Type: core.TypePointer, TargetClass: "_User"},
		"done":  {Type: core.TypeBoolean},
	}, Indexes: map[string]core.Index{"score_1": {Keys: []core.IndexKey{{Field: "score"}}}}}
	for k, v := range core.DefaultFields {
		c.Fields[k] = v
	}
	return c
}

func benchObject(id string, i int, acl core.ACL) core.Object {
	now := core.Now()
	o := core.Object{
		core.FieldObjectID: id, core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
		"name": "object number " + id, "score": score(i), "tags": []any{"a", "b"},
		"owner": core.Pointer{ClassName: "_User", ObjectID: "u0000001"}, "done": i%2 == 0,
	}
	if acl != nil {
		o[core.FieldACL] = acl
	}
	return o
}

// seeded opens a store with n objects of benchClass; acl(i) is object i's ACL.
func seeded(b *testing.B, n int, acl func(i int) core.ACL) (core.Store, *core.Class) {
	b.Helper()
	st := openAt(b, b.TempDir())
	b.Cleanup(func() { st.Close() })
	c := benchClass()
	ctx := context.Background()
	if err := st.CreateClass(ctx, c); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 5000 {
		err := st.Tx(ctx, func(ctx context.Context, tx core.Store) error {
			for i := start; i < min(n, start+5000); i++ {
				if err := tx.Insert(ctx, c, benchObject(fmt.Sprintf("s%09d", i), i, acl(i))); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	return st, c
}

func public(int) core.ACL { return nil }

// BenchmarkInsert: one object per Insert call, from parallel goroutines,
// each call its own committed transaction.
func BenchmarkInsert(b *testing.B) {
	st, c := seeded(b, 0, public)
	var seq atomic.Int64
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(1))
			if err := st.Insert(ctx, c, benchObject(fmt.Sprintf("i%09d", i), i, nil)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkInsertConcurrent is BenchmarkInsert with 8 goroutines per CPU,
// like an HTTP server with many requests in flight: inserts that wait
// together commit together.
func BenchmarkInsertConcurrent(b *testing.B) {
	b.SetParallelism(8)
	BenchmarkInsert(b)
}

// BenchmarkGetByID: the read of GET /classes/Bench/:id, with the public ACL filter.
func BenchmarkGetByID(b *testing.B) {
	const n = 100_000
	st, c := seeded(b, n, public)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := fmt.Sprintf("s%09d", rand.IntN(n))
			objs, err := st.Find(ctx, c, &core.Query{Where: core.Cmp{Field: core.FieldObjectID, Op: core.OpEq, Value: id}, Limit: 1, ReadACL: []string{"*"}})
			if err != nil || len(objs) != 1 {
				b.Errorf("get %s: %d objects, %v", id, len(objs), err)
				return
			}
		}
	})
}

// BenchmarkFindIndexedPage: a filtered page sorted on an indexed field.
func BenchmarkFindIndexedPage(b *testing.B) {
	st, c := seeded(b, 100_000, public)
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			lo := float64(rand.IntN(900))
			objs, err := st.Find(ctx, c, &core.Query{
				Where:   core.And{Exprs: []core.Expr{core.Cmp{Field: "score", Op: core.OpGte, Value: lo}, core.Cmp{Field: "score", Op: core.OpLt, Value: lo + 50}}},
				Order:   []core.OrderKey{{Field: "score", Desc: true}},
				Limit:   20,
				ReadACL: []string{"*"},
			})
			if err != nil || len(objs) != 20 {
				b.Errorf("page: %d objects, %v", len(objs), err)
				return
			}
		}
	})
}

// BenchmarkFindWithACL: 100k private objects of which the user may read
// 1%, a page of 100 sorted by score; compare with BenchmarkFindPublic, the
// same page over public objects.
// The sub-benchmark "sorted" orders by score, "natural" asks no order (the
// Parse default).
func BenchmarkFindWithACL(b *testing.B) {
	st, c := seeded(b, 100_000, func(i int) core.ACL {
		if i%100 == 7 {
			return core.ACL{"me": {Read: true, Write: true}}
		}
		return core.ACL{fmt.Sprintf("user%d", i%5000): {Read: true, Write: true}}
	})
	benchPages(b, st, c)
}

// BenchmarkFindPublic is BenchmarkFindWithACL's queries over public objects.
func BenchmarkFindPublic(b *testing.B) {
	st, c := seeded(b, 100_000, public)
	benchPages(b, st, c)
}

func benchPages(b *testing.B, st core.Store, c *core.Class) {
	b.Run("sorted", func(b *testing.B) { benchPage(b, st, c, []core.OrderKey{{Field: "score"}}) })
	b.Run("natural", func(b *testing.B) { benchPage(b, st, c, nil) })
}

func benchPage(b *testing.B, st core.Store, c *core.Class, order []core.OrderKey) {
	ctx := context.Background()
	principals, want := []string{"*", "me", "role:staff"}, 100
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			objs, err := st.Find(ctx, c, &core.Query{Order: order, Limit: 100, ReadACL: principals})
			if err != nil || len(objs) != want {
				b.Errorf("page: %d objects, %v", len(objs), err)
				return
			}
		}
	})
}

// score spreads objects over 1000 values independently of their index, so
// that the readable 1% of BenchmarkFindWithACL are spread over every score.
func score(i int) float64 { return float64((uint32(i) * 2654435761 >> 8) % 1000) }
