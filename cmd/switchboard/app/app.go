// Package app is the switchboard command: flags, configuration, wiring the
// store, the App, the API and the HTTP server together, and the process
// lifecycle. The providers it can use are the ones linked into the binary;
// cmd/switchboard/main.go lists them as blank imports, so a custom build
// changes only that list and calls Main.
package app

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/api"
	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/server"
)

// Extension adds to the App of a custom build, once it exists and before
// the server and the job queue start: it binds hooks, registers job
// handlers, subscribes to changes. A custom build's main registers its
// extensions from init(), beside its blank imports of providers.
type Extension func(ctx context.Context, app *core.App) error

// Extensions is the registry of extensions, run in the order of their names.
var Extensions = core.NewRegistry[Extension]("extension")

// Version is set at build time with
// -ldflags "-X github.com/switchboardhq/switchboard/cmd/switchboard/app.Version=v1.2.3".
var Version = ""

// Exit codes.
const (
	exitOK      = 0
	exitFailure = 1 // bad configuration, or the server failed
	exitUsage   = 2 // bad command line
)

// MasterKeyFile is the file in the data folder that keeps a generated master
// key between runs.
const MasterKeyFile = "master.key"

const usage = `Switchboard: a self-hosted Backend-as-a-Service that speaks the Parse REST API.

Usage:
  switchboard serve [--config FILE] [--http ADDR] [--dir DATA_DIR]
  switchboard migrate [--config FILE] [--dir DATA_DIR]
  switchboard deploy DIR | --list | --rollback N | --logs  --server URL
  switchboard files gc [--dry-run] [--config FILE] [--dir DATA_DIR]
  switchboard policy test [--verbose] [DIR]
  switchboard policy eval --input FILE [--dir DIR] [--schema FILE]
  switchboard import leancloud EXPORT_DIR_OR_ARCHIVE [--config FILE] [--dir DATA_DIR]
  switchboard analytics report [--days N] [--config FILE | --dir DATA_DIR]
  switchboard release publish FILE --platform P --version-code N [...] | list | rollout | rollback  --server URL
  switchboard version
  switchboard help

serve runs the server. With no configuration at all it listens on
127.0.0.1:1337, serves the API under /parse, keeps its SQLite database in
./sb_data (created if missing), and generates a master key on the first run
(saved in sb_data/master.key and printed once).

Configuration, later sources winning: built-in defaults, the YAML file given
with --config, SWITCHBOARD_* environment variables (SWITCHBOARD_ + the option
in UPPER_SNAKE_CASE, nested keys joined by __, e.g. SWITCHBOARD_APP_ID,
SWITCHBOARD_MASTER_KEY, SWITCHBOARD_DATABASE_URL, SWITCHBOARD_IDEMPOTENCY_OPTIONS__TTL),
then the flags below. config.example.yaml documents every option.

serve flags:
  --config FILE      YAML configuration file
  --http ADDR        listen address (option http), e.g. :1337 or 0.0.0.0:8080
  --dir DATA_DIR     data folder (option dir)

migrate applies the store's and the job queue's database migrations and
exits (0 on success), e.g. as a deploy step before starting new nodes.
serve applies them too, so it is optional; both are safe to run on several
nodes at once. It takes the same configuration and --config and --dir.

Health: GET /health answers 200 once the server is ready. SIGTERM or SIGINT
stops it gracefully.
`

// Main runs the command with the process's arguments, environment and
// signals, and returns the exit code.
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second signal kills at once
	}()
	return Run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
}

// Run runs the command line args (without the program name). Cancelling ctx
// shuts a running server down gracefully, as a signal does.
func Run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], environ, stdout, stderr)
	case "migrate":
		return migrate(ctx, args[1:], environ, stdout, stderr)
	case "deploy":
		return deployCommand(ctx, args[1:], environ, stdout, stderr)
	case "files":
		return filesCommand(ctx, args[1:], environ, stdout, stderr)
	case "policy":
		return policyCommand(ctx, args[1:], stdout, stderr)
	case "import":
		return importCommand(ctx, args[1:], environ, stdout, stderr)
	case "analytics":
		return analyticsCommand(ctx, args[1:], environ, stdout, stderr)
	case "release":
		return releaseCommand(ctx, args[1:], environ, stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "switchboard", versionString())
		return exitOK
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, usage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "switchboard: unknown command %q\n\n%s", args[0], usage)
		return exitUsage
	}
}

func versionString() string {
	v := Version
	bi, ok := debug.ReadBuildInfo()
	if v == "" {
		v = "(devel)"
		if ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	if ok {
		v += " " + bi.GoVersion
	}
	return v
}

func serve(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	// A missing master key is generated in run, once the rest is known good.
	cfg, generateKey, code := commandConfig("serve", args, environ, stderr, "(to be generated)")
	if cfg == nil {
		return code
	}
	logs := newLogBuffer(stderr, logFlushEvery)
	defer logs.Close()
	log := newLogger(cfg, logs)
	format := accessText
	if strings.EqualFold(cfg.LogFormat, "json") {
		format = accessJSON
	}
	log = slog.New(flushOnWarn{Handler: log.Handler(), buf: logs, access: format})
	slog.SetDefault(log)
	if gc := tuneGC(cfg, log); gc != nil {
		defer gc.stop() // tests run serve many times in one process
	}
	if err := run(ctx, cfg, generateKey, log, stdout); err != nil {
		log.Error("switchboard stopped", "err", err)
		return exitFailure
	}
	return exitOK
}

// commandConfig parses the flags of a command (--config and --dir, and
// --http for serve), loads the configuration with the flags winning over
// the file and the environment, and validates it. A missing master key is
// set to placeholder first, and keyMissing says so. When cfg is nil the
// command must exit with code; the message has been written to stderr.
func commandConfig(command string, args, environ []string, stderr io.Writer, placeholder string) (cfg *config.Config, keyMissing bool, code int) {
	fset := flag.NewFlagSet(command, flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { fmt.Fprint(stderr, usage) }
	cfgPath := fset.String("config", "", "YAML configuration file")
	dir := fset.String("dir", "", "data folder")
	var httpAddr *string
	if command == "serve" {
		httpAddr = fset.String("http", "", "listen address")
	}
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, false, exitOK
		}
		return nil, false, exitUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard %s: unexpected argument %q\n", command, fset.Arg(0))
		return nil, false, exitUsage
	}
	cfg, err := config.Load(*cfgPath, environ)
	if err == nil {
		fset.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "http":
				cfg.HTTP = *httpAddr
			case "dir":
				cfg.Dir = *dir
			}
		})
		if keyMissing = cfg.MasterKey == ""; keyMissing {
			cfg.MasterKey = placeholder
		}
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "switchboard: invalid configuration:\n%s\n", indent(err.Error()))
		return nil, false, exitFailure
	}
	return cfg, keyMissing, exitOK
}

// run starts everything and blocks until ctx is done and the server has
// shut down.
func run(ctx context.Context, cfg *config.Config, generateKey bool, log *slog.Logger, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("creating data folder: %w", err)
	}
	if generateKey {
		key, created, err := LoadOrCreateMasterKey(cfg.Dir)
		if err != nil {
			return err
		}
		cfg.MasterKey = key
		if created {
			fmt.Fprintf(stdout, "\nGenerated a master key and saved it in %s (shown only this once):\n\n    %s\n\n"+
				"Set SWITCHBOARD_MASTER_KEY or masterKey to choose your own.\n\n",
				filepath.Join(cfg.Dir, MasterKeyFile), key)
		}
	}

	ln, err := net.Listen("tcp", cfg.HTTP)
	if err != nil {
		return fmt.Errorf("listening on %s: %w", cfg.HTTP, err)
	}
	defer ln.Close()
	if cfg.ServerURL == "" {
		cfg.ServerURL = config.DefaultServerURL(ln.Addr().String(), cfg.MountPath)
	}

	coreOpts := cfg.CoreOptions()
	providers, err := openProviders(ctx, cfg, log, &coreOpts)
	if err != nil {
		return err
	}
	app, err := core.NewApp(ctx, providers.store, coreOpts)
	if err != nil {
		_ = providers.close(true)
		return fmt.Errorf("starting app: %w", err)
	}
	// The App closes the job queue (running jobs get 15s) and the store;
	// the other providers close after it.
	defer func() {
		if err := errors.Join(app.Close(), providers.close(false)); err != nil {
			log.Error("closing", "err", err)
		}
	}()
	opts := server.OptionsFromConfig(cfg)
	apiHandler := api.New(app)
	opts.API = apiHandler
	opts.Ready = app.Ready
	opts.Store = providers.store
	opts.Logger = log
	feats := &features{cfg: cfg, log: log, app: app, api: apiHandler, server: &opts, store: providers.store, plugins: providers.plugins}
	// Features close before the App: they may still write through it.
	defer func() {
		if err := feats.close(context.WithoutCancel(ctx)); err != nil {
			log.Error("closing features", "err", err)
		}
	}()
	if err := feats.wire(ctx); err != nil {
		return err
	}
	for _, name := range Extensions.Names() {
		ext, _ := Extensions.Lookup(name)
		if err := ext(ctx, app); err != nil {
			return fmt.Errorf("extension %s: %w", name, err)
		}
	}
	if jobs := app.Jobs(); jobs != nil {
		if err := jobs.Start(ctx); err != nil {
			return fmt.Errorf("jobs: %w", err)
		}
	}
	srv, err := server.New(opts)
	if err != nil {
		return err
	}
	for _, fn := range feats.onServer {
		fn(srv)
	}

	dataDir, _ := filepath.Abs(cfg.Dir)
	log.Info("switchboard started",
		"address", ln.Addr().String(),
		"mount_path", cfg.MountPath,
		"server_url", cfg.ServerURL,
		"app_id", cfg.AppID,
		"store", cfg.StoreProvider(),
		"jobs", cfg.Jobs.Provider,
		"data_dir", dataDir,
		"metrics", opts.MetricsPath,
		"version", versionString(),
	)
	if err := srv.Serve(ctx, ln); err != nil {
		return err
	}
	log.Info("switchboard stopped")
	return nil
}

// migrate opens the store and the job queue, which apply their migrations
// (under PostgreSQL advisory locks, so several nodes may run it at once),
// and closes them.
func migrate(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	cfg, _, code := commandConfig("migrate", args, environ, stderr, "(not needed to migrate)")
	if cfg == nil {
		return code
	}
	slog.SetDefault(newLogger(cfg, stderr))
	if err := runMigrations(ctx, cfg); err != nil {
		fmt.Fprintf(stderr, "switchboard migrate: %v\n", err)
		return exitFailure
	}
	fmt.Fprintf(stdout, "migrated: store %s, jobs %s\n", cfg.StoreProvider(), cfg.Jobs.Provider)
	return exitOK
}

func runMigrations(ctx context.Context, cfg *config.Config) error {
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("creating data folder: %w", err)
	}
	// Opening the store and the job queue applies their migrations.
	opts := cfg.CoreOptions()
	w := &wiring{cfg: cfg, log: slog.Default(), opts: &opts}
	for _, k := range providerKinds {
		if k.name != "store" && k.name != "jobs" {
			continue
		}
		if err := k.open(ctx, w); err != nil {
			_ = w.close(true)
			return err
		}
	}
	return w.close(true)
}

func newLogger(cfg *config.Config, w io.Writer) *slog.Logger {
	ho := &slog.HandlerOptions{Level: cfg.SlogLevel()}
	if strings.EqualFold(cfg.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(w, ho))
	}
	return slog.New(slog.NewTextHandler(w, ho))
}

// LoadOrCreateMasterKey returns the master key kept in dir/master.key,
// creating the file (mode 0600) with a new random key if it does not exist.
// created reports whether the key is new.
func LoadOrCreateMasterKey(dir string) (key string, created bool, err error) {
	path := filepath.Join(dir, MasterKeyFile)
	for range 2 {
		data, err := os.ReadFile(path)
		if err == nil {
			key := strings.TrimSpace(string(data))
			if key == "" {
				return "", false, fmt.Errorf("%s is empty: delete it to generate a new key, or set masterKey", path)
			}
			return key, false, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return "", false, fmt.Errorf("reading master key: %w", err)
		}
		var b [24]byte
		if _, err := rand.Read(b[:]); err != nil {
			return "", false, fmt.Errorf("generating master key: %w", err)
		}
		key = base64.RawURLEncoding.EncodeToString(b[:])
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			continue // another process created it first: use theirs
		}
		if err != nil {
			return "", false, fmt.Errorf("saving master key: %w", err)
		}
		_, err = f.WriteString(key + "\n")
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			_ = os.Remove(path)
			return "", false, fmt.Errorf("saving master key: %w", err)
		}
		return key, true, nil
	}
	return "", false, fmt.Errorf("reading master key: %s keeps changing", path)
}

func indent(s string) string {
	return "  " + strings.ReplaceAll(s, "\n", "\n  ")
}
