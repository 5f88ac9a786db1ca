package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/switchboardhq/switchboard/adapters/store/postgres"
	"github.com/switchboardhq/switchboard/adapters/store/postgres/pgtest"
	"github.com/switchboardhq/switchboard/core"
)

// listener collects what Listen delivers.
type listener chan string

func (l listener) next(t *testing.T, want string) {
	t.Helper()
	select {
	case got := <-l:
		if got != want {
			t.Fatalf("received %q, want %q", got, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("nothing received in 30s, want %q", want)
	}
}

func startListening(t *testing.T, st core.Store, channel string) listener {
	t.Helper()
	l := make(listener, 100)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- st.(core.Notifier).Listen(ctx, channel, func(p string) { l <- p }) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Listen returned %v after its context ended, want nil", err)
		}
	})
	return l
}

// Two stores on one schema are two nodes: a notification from either
// reaches both, in order; another schema of the same database hears
// nothing; after its connection is killed the listener reconnects and
// says "*" before delivering again.
func TestNotifier(t *testing.T) {
	url := pgtest.Fresh(t)
	node1, node2 := openURL(t, url, nil), openURL(t, url, nil)
	other := openURL(t, pgtest.Fresh(t), nil)

	l1 := startListening(t, node1, "sb_test")
	l2 := startListening(t, node2, "sb_test")
	lOther := startListening(t, other, "sb_test")
	for _, l := range []listener{l1, l2, lOther} {
		l.next(t, "*") // LISTEN took effect
	}

	for _, p := range []string{"a", "b", "c"} {
		if err := node2.(core.Notifier).Notify(t.Context(), "sb_test", p); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"a", "b", "c"} {
		l1.next(t, p)
		l2.next(t, p)
	}

	// Kill node 1's listening connection from outside, as a failover would.
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	tag, err := conn.Exec(t.Context(), `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = $1 AND datname = current_database() AND query LIKE 'LISTEN "sb_test.' || current_schema() || '"'`,
		postgres.ListenApplicationName)
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 2 {
		t.Fatalf("terminated %d listening connections, want 2 (node 1's and node 2's)", tag.RowsAffected())
	}
	l1.next(t, "*")
	l2.next(t, "*")
	if err := node1.(core.Notifier).Notify(t.Context(), "sb_test", "after"); err != nil {
		t.Fatal(err)
	}
	l1.next(t, "after")
	l2.next(t, "after")

	if err := other.(core.Notifier).Notify(t.Context(), "sb_test", "other"); err != nil {
		t.Fatal(err)
	}
	lOther.next(t, "other")
	// Notifications reach a listener in commit order: had node 1 heard
	// the other schema's, it would come before this one.
	if err := node1.(core.Notifier).Notify(t.Context(), "sb_test", "mark"); err != nil {
		t.Fatal(err)
	}
	l1.next(t, "mark")
}
