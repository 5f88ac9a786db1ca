package importkit_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/switchboardhq/switchboard/adapters/store/sqlite"
	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/importkit"
)

func newApp(t *testing.T) *core.App {
	t.Helper()
	open, err := core.Stores.Lookup("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	st, err := open(context.Background(), core.StoreConfig{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	app, err := core.NewApp(context.Background(), st, core.Options{AppID: "a", MasterKey: "m"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = app.Close() })
	return app
}

func obj(id string, fields map[string]any) core.Object {
	o := core.Object{core.FieldObjectID: id, core.FieldCreatedAt: core.Now(), core.FieldUpdatedAt: core.Now()}
	for k, v := range fields {
		o[k] = v
	}
	return o
}

// A batch written again writes nothing twice; what each adds is in the
// same transaction, and an error there undoes the batch.
func TestInsertNew(t *testing.T) {
	ctx := context.Background()
	app := newApp(t)
	if _, err := app.CreateSchema(ctx, core.MasterAuth(), "Item", map[string]any{}); err != nil {
		t.Fatal(err)
	}
	batch := []core.Object{obj("a", map[string]any{"n": 1.0, "when": core.Now(), "p": core.Pointer{ClassName: "Item", ObjectID: "b"}}), obj("b", nil)}
	if err := importkit.InferFields(ctx, app, "Item", batch); err != nil {
		t.Fatal(err)
	}
	c := app.Class("Item")
	if c.Fields["n"].Type != core.TypeNumber || c.Fields["when"].Type != core.TypeDate || c.Fields["p"].TargetClass != "Item" {
		t.Fatalf("inferred fields %+v", c.Fields)
	}
	var seen []string
	wrote, skipped, err := importkit.InsertNew(ctx, app.Store(), c, batch, func(_ context.Context, _ core.Store, o core.Object) error {
		seen = append(seen, o.ID())
		return nil
	})
	if err != nil || wrote != 2 || skipped != 0 || strings.Join(seen, ",") != "a,b" {
		t.Fatalf("first write: %d %d %v %v", wrote, skipped, seen, err)
	}
	again := []core.Object{obj("a", nil), obj("c", nil), obj("c", map[string]any{"n": 2.0})}
	wrote, skipped, err = importkit.InsertNew(ctx, app.Store(), c, again, nil)
	if err != nil || wrote != 1 || skipped != 2 {
		t.Fatalf("re-run: wrote %d skipped %d %v", wrote, skipped, err)
	}
	boom := errors.New("boom")
	if _, _, err := importkit.InsertNew(ctx, app.Store(), c, []core.Object{obj("d", nil)}, func(context.Context, core.Store, core.Object) error { return boom }); !errors.Is(err, boom) {
		t.Fatalf("each's error: %v", err)
	}
	n, err := app.Store().Count(ctx, c, &core.Query{})
	if err != nil || n != 3 {
		t.Errorf("%d objects (%v), want a, b, c: the failed batch undone", n, err)
	}
}

func TestStateFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state")
	var st struct{ Lines map[string]int64 }
	if err := importkit.LoadJSON(path, &st); err != nil || st.Lines != nil {
		t.Fatalf("a missing file: %v %v", st, err)
	}
	st.Lines = map[string]int64{"a": 3}
	if err := importkit.SaveJSON(path, st); err != nil {
		t.Fatal(err)
	}
	var back struct{ Lines map[string]int64 }
	if err := importkit.LoadJSON(path, &back); err != nil || back.Lines["a"] != 3 {
		t.Fatalf("read back %v %v", back, err)
	}
	if _, err := os.Stat(path + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file stayed: %v", err)
	}
	if err := os.WriteFile(path, []byte("{torn"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := importkit.LoadJSON(path, &back); err == nil || !strings.Contains(err.Error(), "delete it to start over") {
		t.Errorf("a torn file: %v", err)
	}
	var p importkit.Problems
	for i := range importkit.MaxProblems + 5 {
		p.Add("problem %d", i)
	}
	if len(p) != importkit.MaxProblems || p[1] != "problem 1" {
		t.Errorf("%d problems kept", len(p))
	}
}
