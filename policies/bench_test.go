package policies

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// Benchmarks. Run them with, for example:
//
//	go test ./policies -run '^$' -bench DecisionLatency -benchtime 20000x
//	go test ./policies -run '^$' -bench FilteredFind -benchtime 2000x -timeout 30m
//
// (-short leaves out the 1M-row table, whose seeding takes minutes.)

const ownerPolicy = `package switchboard.objects.Note

allow if input.object.owner.objectId == input.auth.userId
`

// BenchmarkDecisionLatency measures one Authorize call with prepared
// queries reused across calls, and reports the median and 99th percentile.
func BenchmarkDecisionLatency(b *testing.B) {
	files := map[string]string{"note.rego": ownerPolicy}
	for _, name := range []string{"posts.rego", "teams.rego", "push.rego"} {
		files[name] = readExample(b, name)
	}
	files["limits/push/data.json"] = readExample(b, "limits/push/data.json")
	e := mustLoad(b, Options{}, files)
	now := time.Now()
	cases := []struct {
		name string
		in   *core.AuthzInput
	}{
		{"uncovered", &core.AuthzInput{Point: "objects", Action: "find", Class: "Other", Auth: user("u1")}},
		{"decide/push", &core.AuthzInput{Point: "push", Action: "send", Auth: user("u1", "role:marketing"), Extra: map[string]any{"audienceSize": 5000}}},
		{"decide/post-update", &core.AuthzInput{Point: "objects", Action: "update", Class: "Post", Schema: postClass, Auth: user("u1"), Changed: []string{"title"},
			Original: core.EncodeObject(postClass, core.Object{"objectId": "p1", "createdAt": now.Add(-time.Hour), "author": ptr("_User", "u1")}),
			Object:   core.EncodeObject(postClass, core.Object{"objectId": "p1", "createdAt": now.Add(-time.Hour), "author": ptr("_User", "u1")})}},
		{"filter/owner", &core.AuthzInput{Point: "objects", Action: "find", Class: "Note", Schema: noteClass, Auth: user("u1")}},
		{"filter/teams", &core.AuthzInput{Point: "objects", Action: "find", Class: "Document", Schema: docClass, Auth: user("u1", "role:team_a", "role:team_b", "role:x")}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) { benchAuthorize(b, e, tc.in, false) })
		if tc.in.Object == nil && tc.in.Class != "Other" && tc.in.Point == "objects" {
			// Every call by a new caller (a new user id and a new team
			// role): the partial evaluation is never in the cache.
			b.Run(tc.name+"/new-caller", func(b *testing.B) { benchAuthorize(b, e, tc.in, true) })
		}
	}
}

func benchAuthorize(b *testing.B, e *Engine, in *core.AuthzInput, newCaller bool) {
	ctx := context.Background()
	took := make([]time.Duration, 0, b.N)
	copied := *in
	in = &copied
	base := in.Auth
	i := 0
	for b.Loop() {
		if newCaller {
			i++
			id := strconv.Itoa(i)
			in.Auth = &core.Auth{UserID: "c" + id, Roles: append(slices.Clip(base.Roles), "role:team_"+id)}
		}
		start := time.Now()
		if _, err := e.Authorize(ctx, in); err != nil {
			b.Fatal(err)
		}
		took = append(took, time.Since(start))
	}
	reportPercentiles(b, took)
}

func reportPercentiles(b *testing.B, took []time.Duration) {
	if len(took) == 0 {
		return
	}
	slices.Sort(took)
	at := func(p float64) float64 {
		return float64(took[min(len(took)-1, int(p*float64(len(took))))].Nanoseconds())
	}
	b.ReportMetric(at(0.50), "p50-ns")
	b.ReportMetric(at(0.99), "p99-ns")
}

var noteClass = class("Note", map[string]core.Field{"title": {Type: core.TypeString}, "owner": {Type: core.TypePointer, TargetClass: "_User"}}, "owner")

// notesPerUser is how many notes each user owns, whatever the table size,
// so that a filtered page does the same work on 10k rows as on 1M.
const notesPerUser = 100

// BenchmarkFilteredFind: a find of one user's notes (a page of 100) under
// the owner policy, on 10k and on 1M rows. The owner field is indexed, so
// both sizes should take about the same time; with the notes scattered, a
// page of 100 touches up to 100 table pages, which stay cached on 10k rows
// and not all on 1M. "policy" runs the policy
// (the engine's filter, then the store); "where" sends the same condition
// as a client where without a policy, for comparison. Both ask for the same
// 200 users, each once before timing starts, so that both measure a warm
// database (and, for "policy", cached partial evaluations; see
// BenchmarkDecisionLatency for the cost of a miss).
func BenchmarkFilteredFind(b *testing.B) {
	e := mustLoad(b, Options{}, map[string]string{"note.rego": ownerPolicy})
	for _, sk := range storeKinds {
		b.Run(sk.name, func(b *testing.B) {
			sizes := []int{10_000, 1_000_000}
			if testing.Short() {
				sizes = sizes[:1]
			}
			for _, rows := range sizes {
				for _, layout := range []string{"scattered", "clustered"} {
					st := sk.open(b)
					seedNotes(b, st, rows, layout == "clustered")
					rng := rand.New(rand.NewPCG(1, uint64(rows)))
					ids := make([]string, 200)
					for i := range ids {
						ids[i] = fmt.Sprintf("u%07d", rng.IntN(rows/notesPerUser))
					}
					benchFindBoth(b, e, st, fmt.Sprintf("rows=%d/%s", rows, layout), ids)
				}
			}
		})
	}
}

// benchFindBoth runs the policy and the plain where on one table.
func benchFindBoth(b *testing.B, e *Engine, st core.Store, name string, ids []string) {
	b.Run(name+"/policy", func(b *testing.B) {
		benchFind(b, st, ids, func(ctx context.Context, uid string) (core.Expr, error) {
			return e.Authorize(ctx, &core.AuthzInput{Point: "objects", Action: "find", Class: "Note", Schema: noteClass, Auth: user(uid)})
		})
	})
	b.Run(name+"/where", func(b *testing.B) {
		benchFind(b, st, ids, func(_ context.Context, uid string) (core.Expr, error) {
			return core.Cmp{Field: "owner", Op: core.OpEq, Value: uid}, nil
		})
	})
}

func benchFind(b *testing.B, st core.Store, ids []string, where func(ctx context.Context, uid string) (core.Expr, error)) {
	ctx := context.Background()
	find := func(uid string) {
		w, err := where(ctx, uid)
		if err != nil {
			b.Fatal(err)
		}
		objs, err := st.Find(ctx, noteClass, &core.Query{Where: w, Limit: notesPerUser, ReadACL: []string{"*", uid}})
		if err != nil || len(objs) != notesPerUser {
			b.Fatalf("find for %s: %d objects, %v", uid, len(objs), err)
		}
	}
	for _, uid := range ids { // warm up, untimed: b.Loop starts the clock
		find(uid)
	}
	i := 0
	for b.Loop() {
		find(ids[i%len(ids)])
		i++
	}
}

// seedNotes inserts rows notes, notesPerUser per user, in batches. Scattered,
// a user's notes are spread over the whole table (as notes written over time
// by many users are); clustered, they are next to each other.
func seedNotes(b *testing.B, st core.Store, rows int, clustered bool) {
	b.Helper()
	ctx := context.Background()
	createClasses(b, st, noteClass)
	users := rows / notesPerUser
	now := core.Now()
	const batch = 5000
	for start := 0; start < rows; start += batch {
		err := st.Tx(ctx, func(ctx context.Context, tx core.Store) error {
			for i := start; i < min(rows, start+batch); i++ {
				owner := i % users
				if clustered {
					owner = i / notesPerUser
				}
				o := core.Object{
					core.FieldObjectID: fmt.Sprintf("n%09d", i), core.FieldCreatedAt: now, core.FieldUpdatedAt: now,
					"title": "note", "owner": ptr("_User", fmt.Sprintf("u%07d", owner)),
				}
				if err := tx.Insert(ctx, noteClass, o); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
}
