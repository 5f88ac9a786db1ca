package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// migrationLock is the advisory lock key that serializes migrations between
// nodes opening the same database at once ("SBMIGRAT" in ASCII).
const migrationLock int64 = 0x53424d4947524154

// migrationsTable records the migrations of this package (sqlstore keeps
// its own in "_sb_migrations").
const migrationsTable = `"_sb_postgres_migrations"`

// migrations run in order, once each, in a transaction that records them.
// Append only: never edit a migration that shipped.
var migrations = [][]string{
	1: {
		// sb_text reads a jsonb scalar as text and is the identity on text,
		// so that one regex predicate serves columns and JSON paths. Both
		// are inlined by the planner.
		`CREATE OR REPLACE FUNCTION sb_text(v text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS 'SELECT v'`,
		`CREATE OR REPLACE FUNCTION sb_text(v jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$SELECT v #>> '{}'$$`,
		// sb_geo_dist(point, lat, lng): the angle in radians between a
		// GeoPoint column ([lat, lng] jsonb) and (lat, lng), by the
		// haversine formula; NULL when the point is NULL.
		`CREATE OR REPLACE FUNCTION sb_geo_dist(p jsonb, lat float8, lng float8) RETURNS float8 LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT 2 * asin(least(1, sqrt(
	power(sin(radians(lat - (p->>0)::float8) / 2), 2)
	+ cos(radians((p->>0)::float8)) * cos(radians(lat)) * power(sin(radians(lng - (p->>1)::float8) / 2), 2))))
$$`,
		// sb_in_polygon(poly, lat, lng): whether (lat, lng) is inside the
		// ring poly ([[lat, lng], ...] jsonb), by ray casting in the plane
		// of latitude and longitude, as MongoDB's $polygon and SQLite's
		// store do; NULL when an argument is NULL.
		`CREATE OR REPLACE FUNCTION sb_in_polygon(poly jsonb, lat float8, lng float8) RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	n int := jsonb_array_length(poly);
	j int := n - 1;
	yi float8; xi float8; yj float8; xj float8;
	inside boolean := false;
BEGIN
	FOR i IN 0 .. n - 1 LOOP
		yi := (poly->i->>0)::float8; xi := (poly->i->>1)::float8;
		yj := (poly->j->>0)::float8; xj := (poly->j->>1)::float8;
		IF (yi > lat) <> (yj > lat) AND lng < (xj - xi) * (lat - yi) / (yj - yi) + xi THEN
			inside := NOT inside;
		END IF;
		j := i;
	END LOOP;
	RETURN inside;
END
$$`,
	},
	2: {
		// sb_in_polygon read poly->i once per point, and each read of a
		// large (toasted) jsonb decompresses all of it: a polygon of n
		// points cost n² per row. This one reads the points once into
		// arrays and walks those.
		`CREATE OR REPLACE FUNCTION sb_in_polygon(poly jsonb, lat float8, lng float8) RETURNS boolean LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
	ys float8[];
	xs float8[];
	n int;
	j int;
	inside boolean := false;
BEGIN
	SELECT array_agg((e->>0)::float8 ORDER BY k), array_agg((e->>1)::float8 ORDER BY k) INTO ys, xs
	FROM jsonb_array_elements(poly) WITH ORDINALITY AS t(e, k);
	n := coalesce(array_length(ys, 1), 0);
	j := n;
	FOR i IN 1 .. n LOOP
		IF (ys[i] > lat) <> (ys[j] > lat) AND lng < (xs[j] - xs[i]) * (lat - ys[i]) / (ys[j] - ys[i]) + xs[i] THEN
			inside := NOT inside;
		END IF;
		j := i;
	END LOOP;
	RETURN inside;
END
$$`,
	},
}

// migrate runs the migrations that have not run yet on conn, which holds
// the migration lock.
func migrate(ctx context.Context, conn *pgx.Conn) error {
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS `+migrationsTable+` ("version" bigint PRIMARY KEY, "appliedAt" bigint NOT NULL)`); err != nil {
		return fmt.Errorf("creating %s: %w", migrationsTable, err)
	}
	var version int
	if err := conn.QueryRow(ctx, `SELECT COALESCE(MAX("version"), 0) FROM `+migrationsTable).Scan(&version); err != nil {
		return fmt.Errorf("reading the migration version: %w", err)
	}
	for v := version + 1; v < len(migrations); v++ {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			for _, stmt := range migrations[v] {
				if _, err := tx.Exec(ctx, stmt); err != nil {
					return err
				}
			}
			_, err := tx.Exec(ctx, `INSERT INTO `+migrationsTable+` ("version", "appliedAt") VALUES ($1, $2)`, v, time.Now().UnixMilli())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %d: %w", v, err)
		}
	}
	return nil
}
