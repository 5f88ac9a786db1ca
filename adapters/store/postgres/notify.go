package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/switchboardhq/switchboard/core"
)

// The store is a core.Notifier: PostgreSQL's LISTEN/NOTIFY carries the
// App's cache invalidations between the nodes that share the database.
var _ core.Notifier = (*Store)(nil)

const (
	// listenPing is how long a listening connection may stay silent before
	// it is pinged, so that a connection lost without a TCP reset (a
	// network partition, a failover) is noticed and replaced.
	listenPing = 30 * time.Second
	// listenBackoffMax caps the wait between two reconnection attempts.
	listenBackoffMax = 5 * time.Second
)

// ListenApplicationName is the application_name of the connection Listen
// holds, unless the databaseURL sets one: it tells the listener apart in
// pg_stat_activity.
const ListenApplicationName = "switchboard listen"

// Notify sends payload on channel (pg_notify) through the pool. Every node
// listening on channel in the same database and schema receives it, this
// one included; the notification is delivered when the statement commits,
// at once since it runs on its own.
func (s *Store) Notify(ctx context.Context, channel, payload string) error {
	if _, err := s.pool.Exec(ctx, "SELECT pg_notify($1, $2)", s.channelName(channel), payload); err != nil {
		return fmt.Errorf("postgres notify on %s: %w", channel, err)
	}
	return nil
}

// Listen calls fn with each payload sent on channel until ctx is done, and
// then returns nil. It holds one dedicated connection (not one of the
// pool's, so that a busy pool cannot delay invalidations) and replaces it
// when it breaks or stops answering pings, retrying with backoff while
// the database is down. fn runs on Listen's goroutine, one payload at a
// time. Each time LISTEN takes effect, the first time included, fn is
// called with "*": notifications sent while no connection was listening
// are lost, so the caller must drop whatever it caches.
func (s *Store) Listen(ctx context.Context, channel string, fn func(payload string)) error {
	name := s.channelName(channel)
	cfg := s.pool.Config().ConnConfig // a copy
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = ListenApplicationName
	}
	// The pool's connections cancel a call's statement on the server when
	// its ctx ends; a listening connection runs none, so that cancel is
	// ignored and the call would wait out the fallback deadline (5s) at
	// every shutdown. Closing the socket at once is right here.
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.DeadlineContextWatcherHandler{Conn: pc.Conn()}
	}
	backoff := 100 * time.Millisecond
	for ctx.Err() == nil {
		err := listenOnce(ctx, cfg, name, fn)
		if ctx.Err() != nil {
			break
		}
		slog.Default().Warn("postgres: listening for cluster notifications failed; reconnecting",
			"channel", channel, "err", err, "retry_in", backoff)
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, listenBackoffMax)
	}
	return nil
}

// listenOnce connects, listens and delivers notifications until the
// connection fails or ctx is done.
func listenOnce(ctx context.Context, cfg *pgx.ConnConfig, name string, fn func(string)) error {
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{name}.Sanitize()); err != nil {
		return err
	}
	fn("*")
	for {
		wctx, cancel := context.WithTimeout(ctx, listenPing)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		switch {
		case err == nil:
			fn(n.Payload)
		case ctx.Err() != nil:
			return ctx.Err()
		case errors.Is(err, context.DeadlineExceeded):
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			err = conn.Ping(pctx)
			cancel()
			if err != nil {
				return fmt.Errorf("ping: %w", err)
			}
		default:
			return err
		}
	}
}

// channelName scopes channel to the store's schema (the first entry of
// the URL's search_path), since notifications are per database: two apps
// in two schemas of one database must not hear each other. Names longer
// than PostgreSQL's 63-byte identifiers are shortened with a hash, the
// same way on every node.
func (s *Store) channelName(channel string) string {
	name := channel
	if sp := s.pool.Config().ConnConfig.RuntimeParams["search_path"]; sp != "" {
		first, _, _ := strings.Cut(sp, ",")
		if first = strings.Trim(strings.TrimSpace(first), `"`); first != "" {
			name += "." + first
		}
	}
	if len(name) > 63 {
		sum := sha256.Sum256([]byte(name))
		name = strings.ToValidUTF8(name[:46], "") + "_" + hex.EncodeToString(sum[:8])
	}
	return name
}
