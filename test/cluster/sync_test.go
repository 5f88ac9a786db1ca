package cluster_test

import (
	"context"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core"
)

// newNode opens an App on its own store connected to url: one node of a
// cluster, in this process.
func newNode(t *testing.T, url string) *core.App {
	t.Helper()
	st, err := postgres.Open(t.Context(), core.StoreConfig{URL: url, Options: map[string]any{"maxConns": 4, "writeConns": 1}})
	if err != nil {
		t.Fatal(err)
	}
	app, err := core.NewApp(t.Context(), st, core.Options{AppID: "test", MasterKey: "mk"})
	if err != nil {
		st.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { app.Close() })
	return app
}

// eventually polls cond until it holds or the deadline passes. The
// deadline is below sessionCacheTTL (10s), so a cache that only expires
// cannot pass: the change must have been announced.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(8 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not seen on the other node before the deadline", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two Apps on one PostgreSQL schema: schema, role and session changes made
// through one reach the other's caches through LISTEN/NOTIFY.
func TestCacheInvalidationAcrossNodes(t *testing.T) {
	url := pgtest.Fresh(t)
	n1, n2 := newNode(t, url), newNode(t, url)
	ctx := t.Context()
	master := core.MasterAuth()

	t.Run("schema", func(t *testing.T) {
		if _, err := n1.CreateSchema(ctx, master, "Game", map[string]any{"fields": map[string]any{"score": map[string]any{"type": "Number"}}}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "new class", func() bool { return n2.Class("Game") != nil })
		// A field inferred from a write, inside a transaction, too.
		err := n1.InTransaction(ctx, func(ctx context.Context) error {
			_, err := n1.Create(ctx, master, "Game", map[string]any{"level": "hard"})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "inferred field", func() bool { _, ok := n2.Class("Game").Fields["level"]; return ok })
		if err := n1.Purge(ctx, master, "Game"); err != nil {
			t.Fatal(err)
		}
		if err := n1.DeleteSchema(ctx, master, "Game"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "dropped class", func() bool { return n2.Class("Game") == nil })
	})

	// A class another node created a moment ago, whose announcement has
	// not arrived: node 2 finds the new object at once, because a read of
	// a class it does not know reads the schema again. The class is made
	// straight in the store here, so no announcement ever comes.
	t.Run("read before the announcement", func(t *testing.T) {
		st, err := postgres.Open(ctx, core.StoreConfig{URL: url})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		c := &core.Class{Name: "JustMade", Fields: map[string]core.Field{"n": {Type: core.TypeNumber}}, Indexes: map[string]core.Index{}}
		for k, f := range core.DefaultFields {
			c.Fields[k] = f
		}
		if err := st.CreateClass(ctx, c); err != nil {
			t.Fatal(err)
		}
		now := time.Now().UTC()
		if err := st.Insert(ctx, c, core.Object{core.FieldObjectID: "abc123", core.FieldCreatedAt: now, core.FieldUpdatedAt: now, "n": 1.0}); err != nil {
			t.Fatal(err)
		}
		got, err := n2.Get(ctx, master, "JustMade", "abc123", core.FindOptions{})
		if err != nil || got["n"] != 1.0 {
			t.Fatalf("node 2 reading an object of a class it has not heard of: %v %v", got, err)
		}
	})

	signup, _, err := n1.Signup(ctx, &core.Auth{}, map[string]any{"username": "ann", "password": "pw"})
	if err != nil {
		t.Fatal(err)
	}
	token, userID := signup["sessionToken"].(string), signup["objectId"].(string)

	t.Run("roles", func(t *testing.T) {
		role, err := n1.Create(ctx, master, "_Role", map[string]any{"name": "editors", "ACL": map[string]any{"*": map[string]any{"read": true}},
			"users": map[string]any{"__op": "AddRelation", "objects": []any{map[string]any{"__type": "Pointer", "className": "_User", "objectId": userID}}}})
		if err != nil {
			t.Fatal(err)
		}
		rolesOnN2 := func() []string {
			a, err := n2.AuthForSession(ctx, token, &core.Auth{})
			if err != nil {
				t.Fatal(err)
			}
			return a.Roles
		}
		eventually(t, "role granted", func() bool { return slices.Contains(rolesOnN2(), "role:editors") }) // and now cached on node 2
		_, err = n1.Update(ctx, master, "_Role", role["objectId"].(string), map[string]any{
			"users": map[string]any{"__op": "RemoveRelation", "objects": []any{map[string]any{"__type": "Pointer", "className": "_User", "objectId": userID}}}})
		if err != nil {
			t.Fatal(err)
		}
		eventually(t, "role revoked", func() bool { return !slices.Contains(rolesOnN2(), "role:editors") })
	})

	t.Run("logout", func(t *testing.T) {
		if _, err := n2.AuthForSession(ctx, token, &core.Auth{}); err != nil { // cached on node 2
			t.Fatal(err)
		}
		if err := n1.Logout(ctx, &core.Auth{UserID: userID, SessionToken: token}); err != nil {
			t.Fatal(err)
		}
		eventually(t, "logout", func() bool {
			_, err := n2.AuthForSession(ctx, token, &core.Auth{})
			return core.IsCode(err, core.CodeInvalidSessionToken)
		})
	})
}

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
