package storetest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/switchboardhq/switchboard/core"
)

// The store benchmarks, shared so that every store measures the same calls
// on the same data. A store's bench_test.go is a harness:
//
//	func BenchmarkInsert(b *testing.B) { storetest.BenchInsert(b, open) }
//
// where open returns a new empty store and arranges its Close.

// BenchClass is the class the benchmarks use: five fields, an index on score.
func BenchClass() *core.Class {
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

// BenchObject is object number i of BenchClass, with objectId id.
func BenchObject(id string, i int, acl core.ACL) core.Object {
	now := core.Now()
	o := core.Object{
		core.FieldObjectID: id, core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
		"name": "object number " + id, "score": benchScore(i), "tags": []any{"a", "b"},
		"owner": core.Pointer{ClassName: "_User", ObjectID: "u0000001"}, "done": i%2 == 0,
	}
	if acl != nil {
		o[core.FieldACL] = acl
	}
	return o
}

// benchScore spreads objects over 1000 values independently of their index,
// so that the readable 1% of BenchFindWithACL are spread over every score.
func benchScore(i int) float64 { return float64((uint32(i) * 2654435761 >> 8) % 1000) }

// Seed opens a store with n objects of BenchClass; acl(i) is object i's
// ACL (nil: public).
func Seed(b *testing.B, open func(b *testing.B) core.Store, n int, acl func(i int) core.ACL) (core.Store, *core.Class) {
	b.Helper()
	st := open(b)
	c := BenchClass()
	ctx := context.Background()
	if err := st.CreateClass(ctx, c); err != nil {
		b.Fatal(err)
	}
	for start := 0; start < n; start += 5000 {
		err := st.Tx(ctx, func(ctx context.Context, tx core.Store) error {
			for i := start; i < min(n, start+5000); i++ {
				var a core.ACL
				if acl != nil {
					a = acl(i)
				}
				if err := tx.Insert(ctx, c, BenchObject(fmt.Sprintf("s%09d", i), i, a)); err != nil {
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

// BenchInsert: one object per Insert call, from parallel goroutines, each
// call its own committed transaction. Run it with b.SetParallelism(8) too,
// like an HTTP server with many requests in flight.
func BenchInsert(b *testing.B, open func(b *testing.B) core.Store) {
	st, c := Seed(b, open, 0, nil)
	var seq atomic.Int64
	ctx := context.Background()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := int(seq.Add(1))
			if err := st.Insert(ctx, c, BenchObject(fmt.Sprintf("i%09d", i), i, nil)); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchGetByID: the read of GET /classes/Bench/:id, with the public ACL
// filter, over 100k objects.
func BenchGetByID(b *testing.B, open func(b *testing.B) core.Store) {
	const n = 100_000
	st, c := Seed(b, open, n, nil)
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

// BenchFindIndexedPage: a filtered page of 20 sorted on an indexed field.
func BenchFindIndexedPage(b *testing.B, open func(b *testing.B) core.Store) {
	st, c := Seed(b, open, 100_000, nil)
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

// BenchFindWithACL: 100k private objects of which the user may read 1%,
// pages of 100: "sorted" by score, "natural" in no order (the Parse
// default). Compare with BenchFindPublic.
func BenchFindWithACL(b *testing.B, open func(b *testing.B) core.Store) {
	st, c := Seed(b, open, 100_000, func(i int) core.ACL {
		if i%100 == 7 {
			return core.ACL{"me": {Read: true, Write: true}}
		}
		return core.ACL{fmt.Sprintf("user%d", i%5000): {Read: true, Write: true}}
	})
	benchPages(b, st, c)
}

// BenchFindPublic is BenchFindWithACL's queries over public objects.
func BenchFindPublic(b *testing.B, open func(b *testing.B) core.Store) {
	st, c := Seed(b, open, 100_000, nil)
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
