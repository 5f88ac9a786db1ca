// Command noophook is the switchboard server with one no-op handler bound
// on the BeforeSave chain of every class: the cost of a stage that has a
// handler, measured against the plain binary by bench/http/run.sh
// (BENCH_BIN=... bench/http/run.sh). A custom build: the standard providers and an Extension.
package main

import (
	"context"
	"os"

	"github.com/switchboardhq/switchboard/cmd/switchboard/app"
	"github.com/switchboardhq/switchboard/core"

	_ "github.com/switchboardhq/switchboard/cmd/switchboard/standard"
)

func init() {
	app.Extensions.Register("noop-trigger", func(_ context.Context, a *core.App) error {
		a.Hooks().BeforeSave.Bind(func(e *core.SaveEvent) error { return e.Next() })
		return nil
	})
}

func main() { os.Exit(app.Main()) }
