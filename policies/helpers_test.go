package policies

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/switchboardhq/switchboard/core"
)

// mapFS builds a policy folder from path -> content.
func mapFS(files map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{}
	for p, s := range files {
		fsys[p] = &fstest.MapFile{Data: []byte(s)}
	}
	return fsys
}

// mustLoad returns an Engine with files loaded, failing the test if they
// are refused.
func mustLoad(t testing.TB, opts Options, files map[string]string) *Engine {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	e := New(opts)
	if err := e.Load(context.Background(), mapFS(files)); err != nil {
		t.Fatalf("load: %v", err)
	}
	return e
}

// loadErr loads files and returns the refusal (failing if there is none).
func loadErr(t *testing.T, opts Options, files map[string]string) *LoadError {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	err := New(opts).Load(context.Background(), mapFS(files))
	le, ok := err.(*LoadError)
	if !ok {
		t.Fatalf("load: got %v (%T), want a *LoadError", err, err)
	}
	return le
}

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// logBuffer is a slog handler target safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// itemClass is a class with a field of every type filters care about.
func itemClass() *core.Class {
	c := &core.Class{Name: "Item", Fields: map[string]core.Field{
		"title": {Type: core.TypeString},
		"score": {Type: core.TypeNumber},
		"done":  {Type: core.TypeBoolean},
		"due":   {Type: core.TypeDate},
		"owner": {Type: core.TypePointer, TargetClass: "_User"},
		"team":  {Type: core.TypePointer, TargetClass: "Team"},
		"tags":  {Type: core.TypeArray},
		"meta":  {Type: core.TypeObject},
		"photo": {Type: core.TypeFile},
		"where": {Type: core.TypeGeoPoint},
	}}
	for k, v := range core.DefaultFields {
		c.Fields[k] = v
	}
	return c
}

func user(id string, roles ...string) *core.Auth {
	return &core.Auth{UserID: id, Roles: roles}
}

// readExample returns a file of testdata/examples.
func readExample(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "examples", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
