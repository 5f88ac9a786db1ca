// Package store is the default analytics sink, "store": it keeps the raw
// events and their rollups in tables of the data store's own database
// (the SQLite file, or the PostgreSQL database, where the events table is
// partitioned by month), and answers the analytics reports from them
// (analytics.Reader).
//
// Tables (all prefixed _analytics_, beside the store's classes):
//   - events: one row per event (time, day in the app's time zone, name,
//     device, user, platform, version, channel, dimensions as JSON);
//   - first_seen: per device and per user, a number of its own (n), and
//     its first event's day, time, platform, version and channel;
//   - days: the daily rollups as roaring bitmaps of those numbers: per
//     kind and day, the ids active that day ("active") and first seen
//     that day ("new"). Each batch adds a part holding what it added;
//     parts are merged once a day has many. Distinct ids over any days
//     are then a union of bitmaps, and a month of DAU, MAU and retention
//     reads a few hundred kilobytes whatever the traffic.
package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/analytics"
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
	// what may be new. Both are only hints: the writes are idempotent
	// (first-seen keeps the earliest, bitmaps are unions), so a cache
	// cleared (past its bound) or missing another node's rows costs
	// work, never correctness.
	// fullInsert is the insert of a full chunk of events, prepared once
	// (outside any transaction: on SQLite the sink has one connection):
	// parsing a 2000-row insert takes as long as running it on SQLite.
	fullInsert *sql.Stmt

	mu        sync.Mutex
	ids       map[idKey]idInfo
	active    map[activeKey]struct{}
	parts     map[dayKey]int // parts added per day since its last merge
	partition map[int]bool   // months (y*12+m) whose partition exists (PostgreSQL)
}

type idKey struct {
	kind core.AnalyticsIDKind
	id   string
}

// idInfo is an id's number and its first event's time (Unix ms).
type idInfo struct {
	n  uint32
	at int64
}

// activeKey packs (kind, day, n) in one word: the cache of active days
// holds millions of them and is probed twice per event.
type activeKey uint64

func newActiveKey(kind core.AnalyticsIDKind, day int, n uint32) activeKey {
	k := activeKey(uint32(day))<<32 | activeKey(n)
	if kind == core.AnalyticsUsers {
		k |= 1 << 63
	}
	return k
}

type dayKey struct {
	kind   core.AnalyticsIDKind
	rollup analytics.DaySet
	day    int
}

// maxCached bounds each cache; past it the cache starts over.
const maxCached = 1 << 21

// mergeAfter is how many parts a day's bitmap may have before the parts
// are merged into one.
const mergeAfter = 16

var (
	_ core.AnalyticsSink = (*Sink)(nil)
	_ analytics.Reader   = (*Sink)(nil)
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
	return &Sink{db: db, d: d, ids: map[idKey]idInfo{}, active: map[activeKey]struct{}{}, parts: map[dayKey]int{}, partition: map[int]bool{}}
}

// Close closes the sink's connections.
func (s *Sink) Close() error {
	if s.fullInsert != nil {
		s.fullInsert.Close()
	}
	return s.db.Close()
}

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
// inserts, the first-seen rows of ids the batch may be first for (an
// upsert that keeps the earliest event and returns each id's number), and
// one part per day of the ids the batch made active or new.
func (s *Sink) WriteEvents(ctx context.Context, events []core.AnalyticsEvent) error {
	if len(events) == 0 {
		return nil
	}
	first := map[idKey]*core.AnalyticsEvent{}
	months := map[int]bool{}
	s.mu.Lock()
	for i := range events {
		ev := &events[i]
		months[monthKey(ev.At)] = true
		for _, k := range []idKey{{core.AnalyticsDevices, ev.InstallationID}, {core.AnalyticsUsers, ev.UserID}} {
			if k.id == "" {
				continue
			}
			if known, ok := s.ids[k]; !ok || ev.At.UnixMilli() < known.at {
				if f := first[k]; f == nil || ev.At.Before(f.At) {
					first[k] = ev
				}
			}
		}
	}
	var newMonths []int
	for m := range months {
		if !s.partition[m] {
			newMonths = append(newMonths, m)
		}
	}
	s.mu.Unlock()

	if _, bulk := s.d.(bulkInserter); !bulk && len(events) >= rowsPerStatement && s.fullInsert == nil {
		st, err := s.db.PrepareContext(ctx, s.eventsInsert(rowsPerStatement))
		if err != nil {
			return err
		}
		s.fullInsert = st
	}
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
	got, err := s.upsertFirstSeen(ctx, tx, first)
	if err != nil {
		return err
	}

	// The bitmaps of what this batch adds, per day.
	bits := map[dayKey]*roaring.Bitmap{}
	add := func(k dayKey, n uint32) {
		b := bits[k]
		if b == nil {
			b = roaring.New()
			bits[k] = b
		}
		b.Add(n)
	}
	newActive := map[activeKey]struct{}{}
	s.mu.Lock()
	for k, info := range got {
		// The batch set this id's first event (new, or earlier than
		// known): it is new on that day.
		if ev := first[k]; ev != nil && ev.At.UnixMilli() == info.at {
			add(dayKey{k.kind, analytics.DayNew, ev.Day}, info.n)
		}
	}
	for i := range events {
		ev := &events[i]
		for _, k := range []idKey{{core.AnalyticsDevices, ev.InstallationID}, {core.AnalyticsUsers, ev.UserID}} {
			if k.id == "" {
				continue
			}
			info, ok := got[k]
			if !ok {
				info = s.ids[k]
			}
			ak := newActiveKey(k.kind, ev.Day, info.n)
			if _, seen := s.active[ak]; seen {
				continue
			}
			if _, seen := newActive[ak]; !seen {
				newActive[ak] = struct{}{}
				add(dayKey{k.kind, analytics.DayActive, ev.Day}, info.n)
			}
		}
	}
	s.mu.Unlock()
	if err := s.insertParts(ctx, tx, bits); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}

	s.mu.Lock()
	if len(s.ids)+len(got) > maxCached {
		s.ids = map[idKey]idInfo{}
	}
	for k, info := range got {
		s.ids[k] = info
	}
	if len(s.active)+len(newActive) > maxCached {
		s.active = map[activeKey]struct{}{}
	}
	for k := range newActive {
		s.active[k] = struct{}{}
	}
	for _, m := range newMonths {
		s.partition[m] = true
	}
	var merge []dayKey
	for k := range bits {
		if s.parts[k]++; s.parts[k] >= mergeAfter {
			merge = append(merge, k)
			s.parts[k] = 0
		}
	}
	s.mu.Unlock()
	for _, k := range merge {
		if err := s.mergeParts(ctx, k); err != nil {
			// The parts stay as they are: still correct, only slower to read.
			return fmt.Errorf("merging the %s rollup of day %d: %w", k.rollup, k.day, err)
		}
	}
	return nil
}

func monthKey(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }

func (s *Sink) insertEvents(ctx context.Context, tx *sql.Tx, events []core.AnalyticsEvent) error {
	if bulk, ok := s.d.(bulkInserter); ok {
		return bulk.insertEvents(ctx, tx, events)
	}
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
		var err error
		if len(chunk) == rowsPerStatement {
			_, err = tx.StmtContext(ctx, s.fullInsert).ExecContext(ctx, args...)
		} else {
			_, err = tx.ExecContext(ctx, s.eventsInsert(len(chunk)), args...)
		}
		if err != nil {
			return fmt.Errorf("inserting events: %w", err)
		}
	}
	return nil
}

// upsertFirstSeen writes the first events of ids not known to start
// earlier, keeping the earliest, and returns every one's number and first
// time as stored.
func (s *Sink) upsertFirstSeen(ctx context.Context, tx *sql.Tx, first map[idKey]*core.AnalyticsEvent) (map[idKey]idInfo, error) {
	const cols = 7
	got := make(map[idKey]idInfo, len(first))
	rows := make([]any, 0, min(len(first), rowsPerStatement)*cols)
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		// Every conflicting row is updated (to itself unless the new
		// event is earlier), so that RETURNING gives every id's number.
		q := s.d.rebind(valuesSQL("INSERT INTO _analytics_first_seen AS f (kind, id, day, at, platform, app_version, channel) VALUES ", cols, n, "",
			` ON CONFLICT (kind, id) DO UPDATE SET
			day = CASE WHEN excluded.at < f.at THEN excluded.day ELSE f.day END,
			platform = CASE WHEN excluded.at < f.at THEN excluded.platform ELSE f.platform END,
			app_version = CASE WHEN excluded.at < f.at THEN excluded.app_version ELSE f.app_version END,
			channel = CASE WHEN excluded.at < f.at THEN excluded.channel ELSE f.channel END,
			at = CASE WHEN excluded.at < f.at THEN excluded.at ELSE f.at END
			RETURNING kind, id, n, at`))
		res, err := tx.QueryContext(ctx, q, rows...)
		rows, n = rows[:0], 0
		if err != nil {
			return fmt.Errorf("updating first-seen: %w", err)
		}
		defer res.Close()
		for res.Next() {
			var k idKey
			var kind string
			var num int64
			var at any
			if err := res.Scan(&kind, &k.id, &num, &at); err != nil {
				return err
			}
			if num < 0 || num > math.MaxUint32 {
				return fmt.Errorf("id number %d is past the bitmaps' range", num)
			}
			k.kind = core.AnalyticsIDKind(kind)
			got[k] = idInfo{n: uint32(num), at: s.d.scanTime(at).UnixMilli()}
		}
		return res.Err()
	}
	for k, ev := range first {
		rows = append(rows, string(k.kind), k.id, ev.Day, s.d.time(ev.At), ev.Platform, ev.AppVersion, ev.Channel)
		if n++; n == rowsPerStatement {
			if err := flush(); err != nil {
				return nil, err
			}
		}
	}
	return got, flush()
}

// insertParts adds one part per day to the daily rollups.
func (s *Sink) insertParts(ctx context.Context, tx *sql.Tx, bits map[dayKey]*roaring.Bitmap) error {
	const cols = 4
	rows := make([]any, 0, len(bits)*cols)
	for k, b := range bits {
		b.RunOptimize()
		buf, err := b.ToBytes()
		if err != nil {
			return err
		}
		rows = append(rows, string(k.kind), string(k.rollup), k.day, buf)
	}
	if len(bits) == 0 {
		return nil
	}
	q := s.d.rebind(valuesSQL("INSERT INTO _analytics_days (kind, rollup, day, bits) VALUES ", cols, len(bits), "", ""))
	if _, err := tx.ExecContext(ctx, q, rows...); err != nil {
		return fmt.Errorf("updating daily rollups: %w", err)
	}
	return nil
}

// mergeParts replaces a day's parts with their union. Parts another node
// adds meanwhile are not locked, so they stay beside the merged one.
func (s *Sink) mergeParts(ctx context.Context, k dayKey) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	rows, err := tx.QueryContext(ctx, s.d.rebind(`SELECT part, bits FROM _analytics_days WHERE kind = ? AND rollup = ? AND day = ?`+s.d.forUpdate()),
		string(k.kind), string(k.rollup), k.day)
	if err != nil {
		return err
	}
	var parts []any
	union := roaring.New()
	for rows.Next() {
		var part int64
		var buf []byte
		if err := rows.Scan(&part, &buf); err != nil {
			rows.Close()
			return err
		}
		b := roaring.New()
		if _, err := b.FromUnsafeBytes(buf); err != nil {
			rows.Close()
			return fmt.Errorf("part %d: %w", part, err)
		}
		union.Or(b)
		parts = append(parts, part)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if len(parts) < 2 {
		return nil
	}
	union.RunOptimize()
	buf, err := union.ToBytes()
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`DELETE FROM _analytics_days WHERE part IN (`+strings.TrimSuffix(strings.Repeat("?,", len(parts)), ",")+`)`), parts...); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, s.d.rebind(`INSERT INTO _analytics_days (kind, rollup, day, bits) VALUES (?, ?, ?, ?)`),
		string(k.kind), string(k.rollup), k.day, buf); err != nil {
		return err
	}
	return tx.Commit()
}

// eventsInsert is the insert of n events.
func (s *Sink) eventsInsert(n int) string {
	return s.d.rebind(valuesSQL("INSERT INTO _analytics_events (at, day, name, installation_id, user_id, platform, app_version, channel, dimensions) VALUES ",
		9, n, s.d.jsonPlaceholder(), ""))
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

func (s *Sink) FirstSeen(ctx context.Context, kind core.AnalyticsIDKind, from, to int, fn func(analytics.FirstSeen) error) error {
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT id, day, at, platform, app_version, channel FROM _analytics_first_seen
		WHERE kind = ? AND day BETWEEN ? AND ?`), string(kind), from, to)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var f analytics.FirstSeen
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

// newSkew is how many days before a range Days(DayNew) reads: an id's
// first event can move earlier by a later batch (a client's time may be a
// day off the server's either way), and then it sits in the new rollup of
// two days; it counts on the earlier one only.
const newSkew = 4

func (s *Sink) Days(ctx context.Context, kind core.AnalyticsIDKind, set analytics.DaySet, from, to int) ([]*roaring.Bitmap, error) {
	lo := from
	if set == analytics.DayNew {
		lo -= newSkew
	}
	days := make([]*roaring.Bitmap, to-lo+1)
	for i := range days {
		days[i] = roaring.New()
	}
	rows, err := s.db.QueryContext(ctx, s.d.rebind(`SELECT day, bits FROM _analytics_days WHERE kind = ? AND rollup = ? AND day BETWEEN ? AND ?`),
		string(kind), string(set), lo, to)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var day int
		var buf []byte
		if err := rows.Scan(&day, &buf); err != nil {
			return nil, err
		}
		b := roaring.New()
		if _, err := b.ReadFrom(bytes.NewReader(buf)); err != nil {
			return nil, fmt.Errorf("the %s rollup of day %d: %w", set, day, err)
		}
		days[day-lo].Or(b)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if set == analytics.DayNew {
		seen := roaring.New()
		for _, b := range days {
			b.AndNot(seen)
			seen.Or(b)
		}
	}
	return days[from-lo:], nil
}

// dayBounds are times certainly before day from and after day to in any
// time zone (offsets are within ±14 h), so that PostgreSQL can skip the
// partitions of other months.
func dayBounds(from, to int) (time.Time, time.Time) {
	return core.AnalyticsDate(from).Add(-24 * time.Hour), core.AnalyticsDate(to).Add(48 * time.Hour)
}

func (s *Sink) Events(ctx context.Context, f analytics.EventFilter, fn func(*core.AnalyticsEvent) error) error {
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

func (s *Sink) CountEvents(ctx context.Context, q analytics.Count) ([]analytics.Bucket, error) {
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
	var out []analytics.Bucket
	for rows.Next() {
		var b analytics.Bucket
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
