// Package pgtest gives tests a fresh, empty PostgreSQL schema to run a
// store in. The server is SWITCHBOARD_TEST_DATABASE_URL, by default
// postgres://postgres@127.0.0.1:5432/postgres. Each test process creates
// one database of its own (sbtest_ and a random suffix) and each Fresh
// call one schema in it; Main drops the database when the tests end.
//
// When the server cannot be reached, tests fail under CI=true and are
// skipped otherwise, with a message that says what to set.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points tests at a PostgreSQL server.
const EnvURL = "SWITCHBOARD_TEST_DATABASE_URL"

// DefaultURL is the server tests use when EnvURL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// ServerURL returns the URL of the test server's maintenance database.
func ServerURL() string {
	if u := os.Getenv(EnvURL); u != "" {
		return u
	}
	return DefaultURL
}

// InCI reports whether the tests run in CI, where PostgreSQL must be there.
func InCI() bool { return os.Getenv("CI") == "true" }

var (
	once    sync.Once
	dbURL   string // the test database, "" until created
	dbName  string
	initErr error
	nSchema atomic.Int64
)

func setup() {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		initErr = err
		return
	}
	defer conn.Close(ctx)
	var suffix [6]byte
	_, _ = rand.Read(suffix[:])
	name := "sbtest_" + hex.EncodeToString(suffix[:])
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		initErr = err
		return
	}
	u, err := url.Parse(ServerURL())
	if err != nil {
		initErr = err
		return
	}
	u.Path = "/" + name
	dbURL, dbName = u.String(), name
}

// Available reports whether the test server can be reached, with the error
// when it cannot.
func Available() error {
	once.Do(setup)
	return initErr
}

// Require fails (in CI) or skips the test when the server cannot be reached.
func Require(t testing.TB) {
	t.Helper()
	if err := Available(); err != nil {
		msg := fmt.Sprintf("PostgreSQL is not reachable at %s (set %s to a server where this user may CREATE DATABASE): %v", redact(ServerURL()), EnvURL, err)
		if InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
}

// Fresh returns a databaseURL whose search_path is a new empty schema,
// dropped when t ends.
func Fresh(t testing.TB) string {
	t.Helper()
	Require(t)
	schema := fmt.Sprintf("s%d", nSchema.Add(1))
	exec(t, "CREATE SCHEMA "+schema)
	t.Cleanup(func() { exec(t, "DROP SCHEMA "+schema+" CASCADE") })
	u, _ := url.Parse(dbURL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(t testing.TB, sql string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		t.Fatalf("pgtest: %s: %v", sql, err)
	}
}

// Main runs the tests, then drops the test database. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }
func Main(m *testing.M) int {
	code := m.Run()
	DropDatabase()
	return code
}

// DropDatabase drops the test database, if one was created.
func DropDatabase() {
	if dbName == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: dropping %s: %v\n", dbName, err)
		return
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+dbName+" WITH (FORCE)"); err != nil {
		fmt.Fprintf(os.Stderr, "pgtest: dropping %s: %v\n", dbName, err)
	}
	dbName = ""
}

// redact hides the password of a URL for messages.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(an unparsable URL)"
	}
	return u.Redacted()
}

// EnvStores chooses the stores that per-store test packages run on,
// comma-separated (sqlite, postgres); both by default.
const EnvStores = "SWITCHBOARD_TEST_STORES"

// RunPerStore runs the package's tests once per store named by EnvStores,
// calling use with the store's name before each pass, then drops the test
// database. A PostgreSQL server that cannot be reached fails the run under
// CI=true and skips that pass otherwise. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(pgtest.RunPerStore(m, func(s string) { testStore = s })) }
func RunPerStore(m *testing.M, use func(store string)) int {
	stores := []string{"sqlite", "postgres"}
	if s := os.Getenv(EnvStores); s != "" {
		stores = strings.Split(s, ",")
	}
	code := 0
	for _, name := range stores {
		if name != "sqlite" && name != "postgres" {
			fmt.Fprintf(os.Stderr, "%s: unknown store %q (sqlite or postgres)\n", EnvStores, name)
			return 2
		}
		if name == "postgres" {
			if err := Available(); err != nil {
				msg := fmt.Sprintf("PostgreSQL is not reachable (set %s, or %s=sqlite): %v", EnvURL, EnvStores, err)
				if InCI() {
					fmt.Fprintln(os.Stderr, "FAIL:", msg)
					code = 1
					continue
				}
				fmt.Println("skipping the PostgreSQL pass:", msg)
				continue
			}
		}
		use(name)
		if len(stores) > 1 {
			fmt.Printf("=== store: %s\n", name)
		}
		code = max(code, m.Run())
	}
	DropDatabase()
	return code
}
