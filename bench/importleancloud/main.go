// Command importleancloud measures `switchboard import leancloud` on a
// generated LeanCloud export: the objects imported per second and the
// import process's peak resident memory (its rusage maxrss).
//
//	go run ./bench/importleancloud -objects 1000000
//	go run ./bench/importleancloud -objects 1000000 -pg postgres://postgres@127.0.0.1:5432/postgres
//
// The export (leancloudtest: posts with a pointer to their author, a
// date, an array and an ACL; users with LeanCloud password hashes and
// sessions; a role holding the users) is written once into the working
// folder, then a real import process runs on a fresh data folder (SQLite)
// or a fresh PostgreSQL schema (-pg). It builds ./cmd/switchboard unless
// -bin names a binary, and checks that every object was imported.
package main

import (
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"syscall"
	"time"

	"github.com/switchboardhq/switchboard/bench/internal/benchkit"
	"github.com/switchboardhq/switchboard/core/leancloud/leancloudtest"
)

func main() {
	objects := flag.Int("objects", 1_000_000, "posts in the export")
	users := flag.Int("users", 1000, "users in the export (each with a session)")
	batch := flag.Int("batch", 500, "objects per transaction (the import's --batch)")
	dir := flag.String("dir", "", "where to make the working folder (default: the current folder)")
	pg := flag.String("pg", "", "PostgreSQL URL: import into a fresh schema there instead of SQLite")
	bin := flag.String("bin", "", "switchboard binary (default: build ./cmd/switchboard)")
	var extra envList
	flag.Var(&extra, "env", "KEY=VALUE for the import process (repeatable), e.g. SWITCHBOARD_STORE__SQLITE__MMAP_SIZE=-1")
	flag.Parse()
	work, binary, err := benchkit.Prepare(*dir, "import-bench-", *bin)
	if work != "" {
		defer os.RemoveAll(work)
	}
	if err != nil {
		fail(err)
	}
	*bin = binary
	if err := run(*bin, work, *objects, *users, *batch, *pg, extra); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "importleancloud:", err)
	os.Exit(1)
}

var reportRE = regexp.MustCompile(`imported (\d+) objects`)

// envList collects -env flags.
type envList []string

func (e *envList) String() string     { return fmt.Sprint(*e) }
func (e *envList) Set(v string) error { *e = append(*e, v); return nil }

func run(bin, work string, objects, users, batch int, pg string, extra []string) error {
	export := filepath.Join(work, "export")
	if err := os.MkdirAll(export, 0o750); err != nil {
		return err
	}
	t0 := time.Now()
	if err := leancloudtest.Write(export, leancloudtest.Options{Users: users, Posts: objects, PartSize: 100_000}); err != nil {
		return err
	}
	size, err := dirSize(export)
	if err != nil {
		return err
	}
	fmt.Printf("export: %d posts, %d users, %d MB of JSON Lines (written in %s)\n", objects, users, size>>20, time.Since(t0).Round(time.Millisecond))

	env := append(os.Environ(), "SWITCHBOARD_APP_ID=bench", "SWITCHBOARD_MASTER_KEY=bench-master", "SWITCHBOARD_LOG_LEVEL=warn")
	env = append(env, extra...)
	store := "SQLite"
	if pg != "" {
		schemaURL, drop, err := freshSchema(pg)
		if err != nil {
			return err
		}
		defer drop()
		env = append(env, "SWITCHBOARD_DATABASE_URL="+schemaURL)
		store = "PostgreSQL"
	}
	data := filepath.Join(work, "data")
	cmd := exec.Command(bin, "import", "leancloud", export, "--dir", data, "--batch", strconv.Itoa(batch))
	cmd.Env = env
	start := time.Now()
	out, err := cmd.CombinedOutput()
	elapsed := time.Since(start)
	if err != nil {
		return fmt.Errorf("import: %v\n%s", err, tail(out))
	}
	m := reportRE.FindSubmatch(out)
	if m == nil {
		return fmt.Errorf("no report in the import's output:\n%s", tail(out))
	}
	imported, _ := strconv.Atoi(string(m[1]))
	want := objects + users + 1 // posts, users, the role
	if imported != want {
		return fmt.Errorf("imported %d objects, want %d:\n%s", imported, want, tail(out))
	}
	ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	var rssMB int64
	if ru != nil {
		rssMB = ru.Maxrss >> 10 // kilobytes on Linux
	}
	fmt.Printf("store: %s, batch %d %v\n", store, batch, extra)
	fmt.Printf("imported %d objects (+%d sessions) in %s: %.0f objects/s\n", imported, users, elapsed.Round(time.Millisecond), float64(imported)/elapsed.Seconds())
	fmt.Printf("peak RSS of the import process: %d MB\n", rssMB)
	return nil
}

func tail(b []byte) string {
	if len(b) > 3000 {
		b = b[len(b)-3000:]
	}
	return string(b)
}

func dirSize(dir string) (int64, error) {
	var n int64
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	for _, e := range entries {
		fi, err := e.Info()
		if err != nil {
			return 0, err
		}
		n += fi.Size()
	}
	return n, nil
}

// freshSchema makes a new schema on the server of pgURL with psql and
// returns a URL whose search_path is that schema, and a func that drops it.
func freshSchema(pgURL string) (string, func(), error) {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if out, err := exec.Command("psql", pgURL, "-v", "ON_ERROR_STOP=1", "-qc", "CREATE SCHEMA "+schema).CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("psql: %v: %s", err, out)
	}
	u, err := url.Parse(pgURL)
	if err != nil {
		return "", nil, err
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	drop := func() { _ = exec.Command("psql", pgURL, "-qc", "DROP SCHEMA "+schema+" CASCADE").Run() }
	return u.String(), drop, nil
}
