// Command pprofserve is the switchboard server with net/http/pprof served
// on a side address, PPROF_ADDR (default 127.0.0.1:6060), never on the API's
// listener: a build for profiling under load (PROFILE=DIR bench/http/run.sh
// builds and uses it), not one to deploy. The server is otherwise the
// standard binary: the same providers, config and routes.
package main

import (
	"context"
	"log"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof/ on http.DefaultServeMux
	"os"
	"runtime"

	"github.com/switchboardhq/switchboard/cmd/switchboard/app"
	"github.com/switchboardhq/switchboard/core"

	_ "github.com/switchboardhq/switchboard/cmd/switchboard/standard"
)

func init() {
	app.Extensions.Register("pprof", func(_ context.Context, _ *core.App) error {
		addr := os.Getenv("PPROF_ADDR")
		if addr == "" {
			addr = "127.0.0.1:6060"
		}
		// Blocking sampled about once per 10µs blocked, and one mutex
		// contention in 1000: enough to see waits on the pools, cheap
		// enough not to change the figures much.
		runtime.SetBlockProfileRate(10000)
		runtime.SetMutexProfileFraction(1000)
		go func() { log.Print(http.ListenAndServe(addr, nil)) }()
		return nil
	})
}

func main() { os.Exit(app.Main()) }
