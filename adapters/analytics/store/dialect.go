package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/switchboardhq/switchboard/core"
)

// dialect is what differs between the two databases: the tables' types,
// placeholders, times, JSON and partitions.
type dialect interface {
	schema() []string
	rebind(q string) string
	time(t time.Time) any
	scanTime(v any) time.Time
	jsonPlaceholder() string
	// dimension is the SQL of one dimension's value; its argument is
	// dimensionArg(name).
	dimension() string
	dimensionArg(name string) any
	ensurePartitions(ctx context.Context, tx *sql.Tx, months []int) error
	// forUpdate locks the rows a select reads, where rows can be locked.
	forUpdate() string
	tableBytes(ctx context.Context, db *sql.DB) (events, rollups int64, err error)
}

// bulkInserter is a dialect's faster insert of a batch of events.
type bulkInserter interface {
	insertEvents(ctx context.Context, tx *sql.Tx, events []core.AnalyticsEvent) error
}

// ---- PostgreSQL ----

// insertEvents inserts the batch in one statement whatever its size: one
// array per column, unnested into rows. It avoids PostgreSQL's limit of
// 65535 parameters and parses and plans once per batch.
func (postgres) insertEvents(ctx context.Context, tx *sql.Tx, events []core.AnalyticsEvent) error {
	n := len(events)
	at, day := make([]time.Time, n), make([]int32, n)
	name, inst, user := make([]string, n), make([]string, n), make([]string, n)
	platform, version, channel := make([]string, n), make([]string, n), make([]string, n)
	dims := make([]*string, n)
	for i := range events {
		ev := &events[i]
		at[i], day[i], name[i], inst[i], user[i] = ev.At, int32(ev.Day), ev.Name, ev.InstallationID, ev.UserID
		platform[i], version[i], channel[i] = ev.Platform, ev.AppVersion, ev.Channel
		if len(ev.Dimensions) > 0 {
			b, err := json.Marshal(ev.Dimensions)
			if err != nil {
				return err
			}
			str := string(b)
			dims[i] = &str
		}
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO _analytics_events (at, day, name, installation_id, user_id, platform, app_version, channel, dimensions)
		SELECT * FROM unnest($1::timestamptz[], $2::int[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[]::jsonb[])`,
		at, day, name, inst, user, platform, version, channel, dims)
	if err != nil {
		return fmt.Errorf("inserting events: %w", err)
	}
	return nil
}

type postgres struct{}

// schemaLock is the advisory lock that serialises the sink's DDL between
// nodes ("SBANALYT" in ASCII).
const schemaLock int64 = 0x5342414e414c5954

func (postgres) schema() []string {
	return []string{
		fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", schemaLock),
		// Partitioned by month of at: old months are dropped (or moved to
		// cheaper storage) whole, and a query for some days reads only
		// their months.
		`CREATE TABLE IF NOT EXISTS _analytics_events (
			at timestamptz NOT NULL, day integer NOT NULL, name text NOT NULL,
			installation_id text NOT NULL DEFAULT '', user_id text NOT NULL DEFAULT '',
			platform text NOT NULL DEFAULT '', app_version text NOT NULL DEFAULT '', channel text NOT NULL DEFAULT '',
			dimensions jsonb) PARTITION BY RANGE (at)`,
		// Events arrive in about time order, so a BRIN index on day (a
		// few pages per month) finds a range's events; a B-tree on
		// (name, day) cost a third of the ingestion rate and as much
		// disk as the rows. Counts scan the days they ask for.
		`CREATE INDEX IF NOT EXISTS _analytics_events_day ON _analytics_events USING brin (day)`,
		`CREATE TABLE IF NOT EXISTS _analytics_first_seen (
			kind text NOT NULL, id text NOT NULL, n bigserial NOT NULL UNIQUE, day integer NOT NULL, at timestamptz NOT NULL,
			platform text NOT NULL DEFAULT '', app_version text NOT NULL DEFAULT '', channel text NOT NULL DEFAULT '',
			PRIMARY KEY (kind, id))`,
		`CREATE INDEX IF NOT EXISTS _analytics_first_seen_day ON _analytics_first_seen (kind, day)`,
		`CREATE TABLE IF NOT EXISTS _analytics_days (part bigserial PRIMARY KEY, kind text NOT NULL, rollup text NOT NULL,
			day integer NOT NULL, bits bytea NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS _analytics_days_day ON _analytics_days (kind, rollup, day)`,
	}
}

func (postgres) rebind(q string) string {
	var b strings.Builder
	b.Grow(len(q) + len(q)/4)
	n := 0
	for i := 0; i < len(q); i++ {
		if q[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(q[i])
	}
	return b.String()
}

func (postgres) time(t time.Time) any { return t }

func (postgres) scanTime(v any) time.Time {
	t, _ := v.(time.Time)
	return t.UTC()
}

func (postgres) jsonPlaceholder() string { return "?::jsonb" }

func (postgres) dimension() string { return "COALESCE(dimensions->>?::text, '')" }

func (postgres) dimensionArg(name string) any { return name }

func (postgres) ensurePartitions(ctx context.Context, tx *sql.Tx, months []int) error {
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", schemaLock)); err != nil {
		return err
	}
	for _, m := range months {
		y, mo := m/12, m%12+1
		start := time.Date(y, time.Month(mo), 1, 0, 0, 0, 0, time.UTC)
		end := start.AddDate(0, 1, 0)
		q := fmt.Sprintf(`CREATE TABLE IF NOT EXISTS _analytics_events_%04d%02d PARTITION OF _analytics_events
			FOR VALUES FROM ('%s') TO ('%s')`, y, mo, start.Format(time.RFC3339), end.Format(time.RFC3339))
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

func (postgres) forUpdate() string { return " FOR UPDATE" }

func (postgres) tableBytes(ctx context.Context, db *sql.DB) (events, rollups int64, err error) {
	err = db.QueryRowContext(ctx, `SELECT
		COALESCE((SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = '_analytics_events'::regclass), 0)::bigint,
		(pg_total_relation_size('_analytics_first_seen') + pg_total_relation_size('_analytics_days'))::bigint`).Scan(&events, &rollups)
	return events, rollups, err
}

// ---- SQLite ----

type sqlite struct{}

func (sqlite) schema() []string {
	return []string{
		// at is Unix milliseconds, dimensions JSON text.
		`CREATE TABLE IF NOT EXISTS _analytics_events (
			at INTEGER NOT NULL, day INTEGER NOT NULL, name TEXT NOT NULL,
			installation_id TEXT NOT NULL DEFAULT '', user_id TEXT NOT NULL DEFAULT '',
			platform TEXT NOT NULL DEFAULT '', app_version TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL DEFAULT '',
			dimensions TEXT)`,
		// One index, on day, as on PostgreSQL: reports read ranges of
		// days; an index on (name, day) beside it cost a fifth of the
		// ingestion rate.
		`CREATE INDEX IF NOT EXISTS _analytics_events_day ON _analytics_events (day)`,
		`CREATE TABLE IF NOT EXISTS _analytics_first_seen (
			n INTEGER PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, day INTEGER NOT NULL, at INTEGER NOT NULL,
			platform TEXT NOT NULL DEFAULT '', app_version TEXT NOT NULL DEFAULT '', channel TEXT NOT NULL DEFAULT '',
			UNIQUE (kind, id))`,
		`CREATE INDEX IF NOT EXISTS _analytics_first_seen_day ON _analytics_first_seen (kind, day)`,
		`CREATE TABLE IF NOT EXISTS _analytics_days (part INTEGER PRIMARY KEY, kind TEXT NOT NULL, rollup TEXT NOT NULL,
			day INTEGER NOT NULL, bits BLOB NOT NULL)`,
		`CREATE INDEX IF NOT EXISTS _analytics_days_day ON _analytics_days (kind, rollup, day)`,
	}
}

func (sqlite) rebind(q string) string { return q }

func (sqlite) time(t time.Time) any { return t.UnixMilli() }

func (sqlite) scanTime(v any) time.Time {
	ms, _ := v.(int64)
	return time.UnixMilli(ms).UTC()
}

func (sqlite) jsonPlaceholder() string { return "" }

func (sqlite) dimension() string { return "COALESCE(json_extract(dimensions, ?), '')" }

// dimensionArg is the JSON path of a key; the caller refused keys with
// quotes or backslashes, which a quoted path cannot hold.
func (sqlite) dimensionArg(name string) any { return `$."` + name + `"` }

func (sqlite) ensurePartitions(context.Context, *sql.Tx, []int) error { return nil }

// forUpdate is empty: the side connection's transactions hold the file's
// write lock from their start.
func (sqlite) forUpdate() string { return "" }

func (sqlite) tableBytes(ctx context.Context, db *sql.DB) (events, rollups int64, err error) {
	err = db.QueryRowContext(ctx, `SELECT
		COALESCE((SELECT sum(pgsize) FROM dbstat WHERE name LIKE '\_analytics\_events%' ESCAPE '\'), 0),
		COALESCE((SELECT sum(pgsize) FROM dbstat WHERE name LIKE '\_analytics\_first\_seen%' ESCAPE '\' OR name LIKE '\_analytics\_days%' ESCAPE '\'), 0)`).Scan(&events, &rollups)
	if err != nil {
		return 0, 0, fmt.Errorf("%w: %v", errNoSize, err)
	}
	return events, rollups, nil
}
