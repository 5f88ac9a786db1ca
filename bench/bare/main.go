// Command bare is the physical limit the HTTP benchmarks measure
// Switchboard against: a bare net/http handler that serves the benchmark's
// objects straight from the database bench/http/run.sh seeded, with one
// prepared statement per route and encoding/json, and nothing else: no
// keys, no session, no schema, no ACL, no logging or metrics. What
// Switchboard adds over it is the cost of everything it guarantees.
//
//	bare -db sqlite:/path/to/data.db   -http 127.0.0.1:18400
//	bare -db postgres://...            -http 127.0.0.1:18400
//
// It serves GET /parse/classes/BenchItem/:id (get by id),
// GET /parse/classes/BenchItem?where={"score":{"$gte":N}}... (the 20-row
// page of run.sh, sorted on the indexed score), reading N from the where,
// and the same with count=1&limit=0 (the count of those rows).
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	_ "modernc.org/sqlite"
)

// row is one BenchItem as the API answers it.
type row struct {
	ObjectID  string          `json:"objectId"`
	CreatedAt string          `json:"createdAt"`
	UpdatedAt string          `json:"updatedAt"`
	Name      string          `json:"name"`
	Score     float64         `json:"score"`
	Tags      json.RawMessage `json:"tags"`
	Active    bool            `json:"active"`
}

// store is the one query per route the probe runs.
type store interface {
	get(ctx context.Context, id string) (*row, error)
	page(ctx context.Context, min float64) ([]row, error)
	count(ctx context.Context, min float64) (int64, error)
}

const cols = `"objectId", "createdAt", "updatedAt", "name", "score", "tags", "active"`

func main() {
	dsn := flag.String("db", "", "sqlite:PATH or postgres://URL")
	addr := flag.String("http", "127.0.0.1:18400", "listen address")
	flag.Parse()
	var st store
	var err error
	switch {
	case strings.HasPrefix(*dsn, "sqlite:"):
		st, err = openSQLite(strings.TrimPrefix(*dsn, "sqlite:"))
	case strings.HasPrefix(*dsn, "postgres"):
		st, err = openPostgres(*dsn)
	default:
		log.Fatal("bare: -db must be sqlite:PATH or a postgres:// URL")
	}
	if err != nil {
		log.Fatal(err)
	}
	minScore := regexp.MustCompile(`"\$gte":\s*(-?[0-9.]+)`)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	mux.HandleFunc("GET /parse/classes/BenchItem/{id}", func(w http.ResponseWriter, r *http.Request) {
		o, err := st.get(r.Context(), r.PathValue("id"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if o == nil {
			http.Error(w, `{"code":101,"error":"Object not found."}`, http.StatusNotFound)
			return
		}
		writeJSON(w, o)
	})
	mux.HandleFunc("GET /parse/classes/BenchItem", func(w http.ResponseWriter, r *http.Request) {
		m := minScore.FindStringSubmatch(r.URL.Query().Get("where"))
		min := 0.0
		if m != nil {
			min, _ = strconv.ParseFloat(m[1], 64)
		}
		if r.URL.Query().Get("count") == "1" && r.URL.Query().Get("limit") == "0" {
			n, err := st.count(r.Context(), min)
			if err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			writeJSON(w, map[string]any{"results": []row{}, "count": n})
			return
		}
		rows, err := st.page(r.Context(), min)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		writeJSON(w, map[string]any{"results": rows})
	})
	log.Fatal((&http.Server{Addr: *addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}).ListenAndServe())
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Write(b)
}

// sqliteStore reads the file with a pool of query-only connections, as the
// store's reader pool does.
type sqliteStore struct{ getStmt, pageStmt, countStmt *sql.Stmt }

func openSQLite(path string) (*sqliteStore, error) {
	db, err := sql.Open("sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(5000)&_pragma=cache_size(-65536)&_pragma=mmap_size(268435456)")
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8)
	s := &sqliteStore{}
	if s.getStmt, err = db.Prepare(`SELECT ` + cols + ` FROM "BenchItem" WHERE "objectId" = ?`); err != nil {
		return nil, err
	}
	if s.pageStmt, err = db.Prepare(`SELECT ` + cols + ` FROM "BenchItem" WHERE "score" >= ? ORDER BY "score" DESC LIMIT 20`); err != nil {
		return nil, err
	}
	if s.countStmt, err = db.Prepare(`SELECT count(*) FROM "BenchItem" WHERE "score" >= ?`); err != nil {
		return nil, err
	}
	return s, nil
}

func scanSQLite(sc interface{ Scan(...any) error }) (row, error) {
	var o row
	var created, updated, tags any
	var active any
	err := sc.Scan(&o.ObjectID, &created, &updated, &o.Name, &o.Score, &tags, &active)
	o.CreatedAt, o.UpdatedAt = timeText(created), timeText(updated)
	o.Tags = rawJSON(tags)
	o.Active = active == int64(1) || active == true
	return o, err
}

func (s *sqliteStore) get(ctx context.Context, id string) (*row, error) {
	o, err := scanSQLite(s.getStmt.QueryRowContext(ctx, id))
	if err == sql.ErrNoRows {
		return nil, nil
	}
	return &o, err
}

func (s *sqliteStore) page(ctx context.Context, min float64) ([]row, error) {
	rs, err := s.pageStmt.QueryContext(ctx, min)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make([]row, 0, 20)
	for rs.Next() {
		o, err := scanSQLite(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rs.Err()
}

func (s *sqliteStore) count(ctx context.Context, min float64) (n int64, err error) {
	err = s.countStmt.QueryRowContext(ctx, min).Scan(&n)
	return n, err
}

// pgStore reads with a pgx pool, whose statement cache prepares each query
// once per connection. Its page query sorts as the server's does on
// PostgreSQL (NULLS LAST descending, the order the Parse API gives NULLs),
// so that both walk the score index backwards: without it the bare query
// would need a sort the server's does not, and the limit would be too low.
type pgStore struct{ pool *pgxpool.Pool }

func openPostgres(url string) (*pgStore, error) {
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		return nil, err
	}
	return &pgStore{pool: pool}, nil
}

func scanPG(sc interface{ Scan(...any) error }) (row, error) {
	var o row
	// Dates are bigint milliseconds, as the store writes them.
	var created, updated int64
	var tags []byte
	err := sc.Scan(&o.ObjectID, &created, &updated, &o.Name, &o.Score, &tags, &o.Active)
	o.CreatedAt, o.UpdatedAt, o.Tags = iso(time.UnixMilli(created)), iso(time.UnixMilli(updated)), rawJSON(tags)
	return o, err
}

func (s *pgStore) get(ctx context.Context, id string) (*row, error) {
	o, err := scanPG(s.pool.QueryRow(ctx, `SELECT `+cols+` FROM "BenchItem" WHERE "objectId" = $1`, id))
	if err != nil && strings.Contains(err.Error(), "no rows") {
		return nil, nil
	}
	return &o, err
}

func (s *pgStore) page(ctx context.Context, min float64) ([]row, error) {
	rs, err := s.pool.Query(ctx, `SELECT `+cols+` FROM "BenchItem" WHERE "score" >= $1 ORDER BY "score" DESC NULLS LAST LIMIT 20`, min)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := make([]row, 0, 20)
	for rs.Next() {
		o, err := scanPG(rs)
		if err != nil {
			return nil, err
		}
		out = append(out, o)
	}
	return out, rs.Err()
}

func (s *pgStore) count(ctx context.Context, min float64) (n int64, err error) {
	err = s.pool.QueryRow(ctx, `SELECT count(*) FROM "BenchItem" WHERE "score" >= $1`, min).Scan(&n)
	return n, err
}

func iso(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// timeText renders SQLite's stored date (text or a number) as the API does.
func timeText(v any) string {
	switch x := v.(type) {
	case time.Time:
		return iso(x)
	case string:
		return x
	case []byte:
		return string(x)
	case int64:
		return iso(time.UnixMilli(x))
	case float64:
		return iso(time.UnixMilli(int64(x)))
	}
	return fmt.Sprint(v)
}

func rawJSON(v any) json.RawMessage {
	switch x := v.(type) {
	case []byte:
		if len(x) > 0 {
			return json.RawMessage(x)
		}
	case string:
		if x != "" {
			return json.RawMessage(x)
		}
	}
	return json.RawMessage("null")
}
