// Package store is the default analytics sink, "store": it keeps the raw
// events and their rollups in tables of the data store's own database
// (the SQLite file, or the PostgreSQL database, where the events table is
// partitioned by month), and answers the analytics reports from them
// (core.AnalyticsReader).
//
// Tables (all prefixed _analytics_, beside the store's classes):
//   - events: one row per event (time, day in the app's time zone, name,
//     device, user, platform, version, channel, dimensions as JSON);
//   - first_seen: per device and per user, the first event's day, time,
//     platform, version and channel;
//   - active: one row per (kind, day, id) with any event that day.
package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/switchboardhq/switchboard/core"
)

func init() {
	core.AnalyticsSinks.Register("store", Open)
}

// Options are the sink's own options (analytics.store).
type Options struct {
	// MaxConns bounds the sink's own connections on PostgreSQL (0: 4).
	MaxConns int `yaml:"maxConns"`
}

// Sink keeps events and rollups in the store's database.
type Sink struct {
	db *sql.DB
	d  dialect

	// Caches of rollup rows already written, so that a batch upserts only
	// what may be new. Both are only hints: the upserts are idempotent,
	// so a cache cleared (past its bound) or missing another node's rows
	// costs work, never correctness.
	mu         sync.Mutex
	firstSeen  map[idKey]int64 // earliest At (ms) written per id
	active     map[activeKey]struct{}
	partitions map[int]bool // months (y*12+m) whose partition exists (PostgreSQL)
}

type idKey struct {
	kind core.AnalyticsIDKind
	id   string
}

type activeKey struct {
	kind core.AnalyticsIDKind
	day  int
	id   string
}

// maxCached bounds each cache; past it the cache starts over.
const maxCached = 1 << 20

var (
	_ core.AnalyticsSink   = (*Sink)(nil)
	_ core.AnalyticsReader = (*Sink)(nil)
)

// Open opens the sink on env.Store's database and creates its tables.
func Open(ctx context.Context, env core.ProviderEnv) (core.AnalyticsSink, error) {
	var opts Options
	if err := core.DecodeOptions(env.Options, &opts); err != nil {
		return nil, fmt.Errorf("analytics store: %w", err)
	}
	if opts.MaxConns < 0 {
		return nil, fmt.Errorf("analytics store: maxConns must not be negative, got %d", opts.MaxConns)
	}
	if opts.MaxConns == 0 {
		opts.MaxConns = 4
	}
	var s *Sink
	switch st := env.Store.(type) {
	case core.ConnStringer:
		cfg, err := pgx.ParseConfig(st.ConnString())
		if err != nil {
			return nil, fmt.Errorf("analytics store: %w", err)
		}
		db := stdlib.OpenDB(*cfg)
		db.SetMaxOpenConns(opts.MaxConns)
		s = newSink(db, postgres{})
	case core.SideDBOpener:
		db, err := st.OpenSideDB()
		if err != nil {
			return nil, fmt.Errorf("analytics store: %w", err)
		}
		s = newSink(db, sqlite{})
	default:
		return nil, fmt.Errorf("analytics store: the %T store offers neither a PostgreSQL database nor a SQLite file; use the postgres or sqlite store, or another analytics provider", env.Store)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("analytics store: creating tables: %w", err)
	}
	return s, nil
}

func newSink(db *sql.DB, d dialect) *Sink {
	return &Sink{db: db, d: d, firstSeen: map[idKey]int64{}, active: map[activeKey]struct{}{}, partitions: map[int]bool{}}
}

// Close closes the sink's connections.
func (s *Sink) Close() error { return s.db.Close() }

func (s *Sink) migrate(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, q := range s.d.schema() {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("%s: %w", q, err)
		}
	}
	return tx.Commit()
}

// Row counts per statement: within both engines' bind-parameter limits
// (SQLite 32766, PostgreSQL 65535) for the widest table (9 columns).
const rowsPerStatement = 2000

// WriteEvents writes a batch in one transaction: the events in multi-row
// inserts, and the rollup rows the batch may add (first-seen upserts that
// keep the earliest event, active days inserted once).
func (s *Sink) WriteEvents(ctx context.Context, events []core.AnalyticsEvent) error {
	if len(events) == 0 {
		return nil
	}
	first := map[idKey]*core.AnalyticsEvent{}
	active := map[activeKey]struct{}{}
	months := map[int]bool{}
	s.mu.Lock()
	for i := range events {
		ev := &events[i]
		months[monthKey(ev.At)] = true
		for _, k := range []idKey{{core.AnalyticsDevices, ev.InstallationID}, {core.AnalyticsUsers, ev.UserID}} {
			if k.id == "" {
				continue
			}
			if known, ok := s.firstSeen[k]; !ok || ev.At.UnixMilli() < known {
				if f := first[k]; f == nil || ev.At.Before(f.At) {
					first[k] = ev
				}
			}
			ak := activeKey{k.kind, ev.Day, k.id}
			if _, ok := s.active[ak]; !ok {
				active[ak] = struct{}{}
			}
		}
	}
	var newMonths []int
	for m := range months {
		if !s.partitions[m] {
			newMonths = append(newMonths, m)
		}
	}
	s.mu.Unlock()

	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if len(newMonths) > 0 {
		if err := s.d.ensurePartitions(ctx, tx, newMonths); err != nil {
			return fmt.Errorf("creating partitions: %w", err)
		}
	}
	if err := s.insertEvents(ctx, tx, events); err != nil {
		return err
	}
	if err := s.upsertFirstSeen(ctx, tx, first); err != nil {
		return err
	}
	if err := s.insertActive(ctx, tx, active); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.firstSeen)+len(first) > maxCached {
		s.firstSeen = map[idKey]int64{}
	}
	for k, ev := range first {
		s.firstSeen[k] = ev.At.UnixMilli()
	}
	if len(s.active)+len(active) > maxCached {
		s.active = map[activeKey]struct{}{}
	}
	for k := range active {
		s.active[k] = struct{}{}
	}
	for _, m := range newMonths {
		s.partitions[m] = true
	}
	return nil
}

func monthKey(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

func (s *Sink) insertEvents(ctx context.Context, tx *sql.Tx, events []core.AnalyticsEvent) error {
	const cols = 9
	args := make([]any, 0, min(len(events), rowsPerStatement)*cols)
	for start := 0; start < len(events); start += rowsPerStatement {
		chunk := events[start:min(start+rowsPerStatement, len(events))]
		args = args[:0]
		for i := range chunk {
			ev := &chunk[i]
			var dims any
			if len(ev.Dimensions) > 0 {
				b, err := json.Marshal(ev.Dimensions)
				if err != nil {
					return err
				}
				dims = string(b)
			}
			args = append(args, s.d.time(ev.At), ev.Day, ev.Name, ev.InstallationID, ev.UserID, ev.Platform, ev.AppVersion, ev.Channel, dims)
		}
		q := s.d.rebind(valuesSQL("INSERT INTO _analytics_events (at, day, name, installation_id, user_id, platform, app_version, channel, dimensions) VALUES ", cols, len(chunk), s.d.jsonPlaceholder(), ""))
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("inserting events: %w", err)
		}
	}
	return nil
}

func (s *Sink) upsertFirstSeen(ctx context.Context, tx *sql.Tx, first map[idKey]*core.AnalyticsEvent) error {
	const cols = 7
	rows := make([]any, 0, len(first)*cols)
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		q := s.d.rebind(valuesSQL("INSERT INTO _analytics_first_seen (kind, id, day, at, platform, app_version, channel) VALUES ", cols, n, "",
			` ON CONFLICT (kind, id) DO UPDATE SET day = excluded.day, at = excluded.at, platform = excluded.platform,
			app_version = excluded.app_version, channel = excluded.channel WHERE excluded.at < _analytics_first_seen.at`))
		_, err := tx.ExecContext(ctx, q, rows...)
		rows, n = rows[:0], 0
		if err != nil {
			return fmt.Errorf("updating first-seen: %w", err)
		}
		return nil
	}
	for k, ev := range first {
		rows = append(rows, string(k.kind), k.id, ev.Day, s.d.time(ev.At), ev.Platform, ev.AppVersion, ev.Channel)
		if n++; n == rowsPerStatement {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

func (s *Sink) insertActive(ctx context.Context, tx *sql.Tx, active map[activeKey]struct{}) error {
	const cols = 3
	rows := make([]any, 0, min(len(active), rowsPerStatement)*cols)
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		q := s.d.rebind(valuesSQL("INSERT INTO _analytics_active (kind, day, id) VALUES ", cols, n, "", " ON CONFLICT DO NOTHING"))
		_, err := tx.ExecContext(ctx, q, rows...)
		rows, n = rows[:0], 0
		if err != nil {
			return fmt.Errorf("updating active days: %w", err)
		}
		return nil
	}
	for k := range active {
		rows = append(rows, string(k.kind), k.day, k.id)
		if n++; n == rowsPerStatement {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return flush()
}

// valuesSQL is head followed by n rows of cols "?" placeholders and tail;
// lastCol, when set, replaces the last column's placeholder (a cast).
func valuesSQL(head string, cols, n int, lastCol, tail string) string {
	var b strings.Builder
	b.Grow(len(head) + n*(cols*2+3) + len(tail))
	b.WriteString(head)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for c := 0; c < cols; c++ {
			if c > 0 {
				b.WriteByte(',')
			}
			if c == cols-1 && lastCol != "" {
				b.WriteString(lastCol)
			} else {
				b.WriteByte('?')
			}
		}
		b.WriteByte(')')
	}
	b.WriteString(tail)
	return b.String()
}

// ---- reads ----

func (s *Sink) FirstSeen(ctx context.Context, kind core.AnalyticsIDKind, from, to int, fn func(core.AnalyticsFirstSeen) error) error {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT id, day, at, platform, app_version, channel FROM _analytics_first_seen
		WHERE kind = ? AND day BETWEEN ? AND ?`), string(kind), from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f core.AnalyticsFirstSeen
		var at any
		if err := rows.Scan(&f.ID, &f.Day, &at, &f.Platform, &f.AppVersion, &f.Channel); err != nil {
			return err
		}
		f.At = s.d.scanTime(at)
		if err := fn(f); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Sink) Active(ctx context.Context, kind core.AnalyticsIDKind, from, to int, fn func(day int, id string) error) error {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT day, id FROM _analytics_active WHERE kind = ? AND day BETWEEN ? AND ? ORDER BY day`),
		string(kind), from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	var day int
	var id string
	for rows.Next() {
		if err := rows.Scan(&day, &id); err != nil {
			return err
		}
		if err := fn(day, id); err != nil {
			return err
		}
	}
	return rows.Err()
}

// dayBounds are times certainly before day from and after day to in any
// time zone (offsets are within ±14 h), so that PostgreSQL can skip the
// partitions of other months.
func dayBounds(from, to int) (time.Time, time.Time) {
	return core.AnalyticsDate(from).Add(-24 * time.Hour), core.AnalyticsDate(to).Add(48 * time.Hour)
}

func (s *Sink) Events(ctx context.Context, f core.AnalyticsEventFilter, fn func(*core.AnalyticsEvent) error) error {
	lo, hi := dayBounds(f.FromDay, f.ToDay)
	q := `SELECT at, day, name, installation_id, user_id, platform, app_version, channel, dimensions FROM _analytics_events
		WHERE at >= ? AND at < ? AND day BETWEEN ? AND ?`
	args := []any{s.d.time(lo), s.d.time(hi), f.FromDay, f.ToDay}
	if len(f.Names) > 0 {
		q += " AND name IN (" + strings.TrimSuffix(strings.Repeat("?,", len(f.Names)), ",") + ")"
		for _, n := range f.Names {
			args = append(args, n)
		}
	}
	switch f.By {
	case core.AnalyticsUsers:
		q += " AND user_id <> '' ORDER BY user_id, at"
	case core.AnalyticsDevices:
		q += " AND installation_id <> '' ORDER BY installation_id, at"
	default:
		q += " ORDER BY at"
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(q), args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ev core.AnalyticsEvent
		var at any
		var dims sql.NullString
		if err := rows.Scan(&at, &ev.Day, &ev.Name, &ev.InstallationID, &ev.UserID, &ev.Platform, &ev.AppVersion, &ev.Channel, &dims); err != nil {
			return err
		}
		ev.At = s.d.scanTime(at)
		if dims.Valid && dims.String != "" {
			if err := json.Unmarshal([]byte(dims.String), &ev.Dimensions); err != nil {
				return fmt.Errorf("event dimensions: %w", err)
			}
		}
		if err := fn(&ev); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *Sink) CountEvents(ctx context.Context, q core.AnalyticsCount) ([]core.AnalyticsBucket, error) {
	lo, hi := dayBounds(q.FromDay, q.ToDay)
	args := []any{s.d.time(lo), s.d.time(hi), q.FromDay, q.ToDay}
	var key string
	switch q.GroupBy {
	case "":
		key = "name"
	case "day":
		key = "day"
	case "platform":
		key = "platform"
	case "appVersion":
		key = "app_version"
	case "channel":
		key = "channel"
	case "dimension":
		key = s.d.dimension()
		args = append([]any{s.d.dimensionArg(q.Dimension)}, args...)
	default:
		return nil, core.Errorf(core.CodeInvalidQuery, "analytics: cannot group events by %q", q.GroupBy)
	}
	where := "at >= ? AND at < ? AND day BETWEEN ? AND ?"
	if q.Name != "" {
		where += " AND name = ?"
		args = append(args, q.Name)
	}
	sqlText := fmt.Sprintf(`SELECT %s AS k, count(*), count(DISTINCT NULLIF(installation_id, '')), count(DISTINCT NULLIF(user_id, ''))
		FROM _analytics_events WHERE %s GROUP BY k ORDER BY 2 DESC, 1`, key, where)
	rows, err := s.db.QueryContext(ctx, s.d.rebind(sqlText), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []core.AnalyticsBucket
	for rows.Next() {
		var b core.AnalyticsBucket
		var k any
		if err := rows.Scan(&k, &b.Count, &b.Devices, &b.Users); err != nil {
			return nil, err
		}
		switch k := k.(type) {
		case nil:
		case int64:
			b.Key = strconv.FormatInt(k, 10)
		case []byte:
			b.Key = string(k)
		default:
			b.Key = fmt.Sprint(k)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// TableBytes reports the disk space of the events table (indexes
// included) and of the rollups, for the benchmark.
func (s *Sink) TableBytes(ctx context.Context) (events, rollups int64, err error) {
	return s.d.tableBytes(ctx, s.db)
}

var errNoSize = errors.New("table sizes need the dbstat virtual table")
