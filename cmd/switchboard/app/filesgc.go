package app

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/fileapi"
)

const filesUsage = `Usage:
  switchboard files gc [--dry-run] [--min-age DURATION] [--config FILE] [--dir DATA_DIR]

gc deletes the stored files that no object references (in a File field,
or inside an Array or Object field), with their _File records and cached
thumbnails. It reads the same configuration as serve (files provider,
database) and shows its progress on standard error. Files younger than
--min-age (default 1h) are kept, so uploads whose object is not saved yet
survive. --dry-run only counts what would be deleted. Run it while the
server serves: a file is deleted only once no object held it when the
collection started.
`

// filesCommand runs `switchboard files ...` and returns the exit code.
func filesCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, filesUsage)
		return exitUsage
	}
	switch args[0] {
	case "gc":
		return filesGC(ctx, args[1:], environ, stdout, stderr)
	case "help", "-h", "--help", "-help":
		fmt.Fprint(stdout, filesUsage)
		return exitOK
	}
	fmt.Fprintf(stderr, "switchboard files: unknown command %q\n\n%s", args[0], filesUsage)
	return exitUsage
}

func filesGC(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	fset := flag.NewFlagSet("files gc", flag.ContinueOnError)
	fset.SetOutput(stderr)
	fset.Usage = func() { fmt.Fprint(stderr, filesUsage) }
	dryRun := fset.Bool("dry-run", false, "count what would be deleted, delete nothing")
	minAge := fset.Duration("min-age", time.Hour, "keep files younger than this")
	fset.String("config", "", "YAML configuration file")
	fset.String("dir", "", "data folder")
	if err := fset.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	if fset.NArg() > 0 {
		fmt.Fprintf(stderr, "switchboard files gc: unexpected argument %q\n", fset.Arg(0))
		return exitUsage
	}
	if *minAge <= 0 {
		fmt.Fprintln(stderr, "switchboard files gc: --min-age must be a positive duration, like 1h")
		return exitUsage
	}
	// The rest is the configuration every command reads.
	var common []string
	fset.Visit(func(f *flag.Flag) {
		if f.Name == "config" || f.Name == "dir" {
			common = append(common, "--"+f.Name, f.Value.String())
		}
	})
	cfg, _, code := commandConfig("files gc", common, environ, stderr, "(not needed to collect files)")
	if cfg == nil {
		return code
	}
	log := newLogger(cfg, stderr)
	rep, err := collectFiles(ctx, cfg, log, fileapi.GCOptions{DryRun: *dryRun, MinAge: *minAge}, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "switchboard files gc: %v\n", err)
		return exitFailure
	}
	verb := "deleted"
	if *dryRun {
		verb = "would delete (dry run)"
	}
	fmt.Fprintf(stdout, "files gc: scanned %d files, %d unreferenced (%d bytes); %s %d", rep.Scanned, rep.Unreferenced, rep.Bytes, verb, rep.Unreferenced)
	if !*dryRun {
		fmt.Fprintf(stdout, ", deleted %d, failed %d", rep.Deleted, rep.Failed)
	}
	fmt.Fprintln(stdout)
	if rep.Failed > 0 {
		return exitFailure
	}
	return exitOK
}

// collectFiles opens the store, the App (for the schema) and the files
// provider of cfg, finds the referenced names and runs the collection.
func collectFiles(ctx context.Context, cfg *config.Config, log *slog.Logger, opts fileapi.GCOptions, progress io.Writer) (fileapi.GCReport, error) {
	var rep fileapi.GCReport
	coreOpts := cfg.CoreOptions()
	w := &wiring{cfg: cfg, log: log, opts: &coreOpts}
	for _, k := range providerKinds {
		if k.name != "store" && k.name != "plugins" {
			continue
		}
		if err := k.open(ctx, w); err != nil {
			_ = w.close(true)
			return rep, err
		}
	}
	defer w.close(false)
	app, err := core.NewApp(ctx, w.store, coreOpts)
	if err != nil {
		_ = w.close(true)
		return rep, fmt.Errorf("starting app: %w", err)
	}
	defer app.Close()
	files, err := openFiles(ctx, cfg, w.store, w.plugins, log)
	if err != nil {
		return rep, err
	}
	defer files.Close()
	h, err := fileapi.New(fileapi.Options{
		AppID: cfg.AppID, ServerURL: filesServerURL(cfg), Files: files, Registry: fileapi.NewStoreRegistry(app),
		Authenticate: func(*http.Request, map[string]string) (*core.Auth, error) { return nil, errors.New("not serving") },
	})
	if err != nil {
		return rep, err
	}
	refs, err := referencedFiles(ctx, app)
	if err != nil {
		return rep, fmt.Errorf("reading the objects' files: %w", err)
	}
	bar := progressbar.NewOptions64(-1,
		progressbar.OptionSetWriter(progress),
		progressbar.OptionSetDescription("files gc: scanning"),
		progressbar.OptionShowCount(),
		progressbar.OptionSetItsString("files"),
		progressbar.OptionShowIts(),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
	)
	opts.Progress = func(r fileapi.GCReport) { _ = bar.Set(r.Scanned) }
	rep, err = h.GC(ctx, func(_ context.Context, name string) (bool, error) { return refs[name], nil }, opts)
	_ = bar.Finish()
	return rep, err
}

// referencedFiles returns the names of every file an object holds: in a
// File field, or anywhere inside an Array or Object field. It reads each
// class that has such fields page by page, only those fields.
func referencedFiles(ctx context.Context, app *core.App) (map[string]bool, error) {
	refs := map[string]bool{}
	st := app.Store()
	for _, c := range app.Classes() {
		if c.Name == core.FileClass {
			continue
		}
		var keys []string
		for name, f := range c.Fields {
			if f.Type == core.TypeFile || f.Type == core.TypeArray || f.Type == core.TypeObject {
				keys = append(keys, name)
			}
		}
		if len(keys) == 0 {
			continue
		}
		last := ""
		for {
			q := &core.Query{Limit: 1000, Keys: keys, Order: []core.OrderKey{{Field: core.FieldObjectID}}}
			if last != "" {
				q.Where = core.Cmp{Field: core.FieldObjectID, Op: core.OpGt, Value: last}
			}
			objs, err := st.Find(ctx, c, q)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", c.Name, err)
			}
			for _, o := range objs {
				for _, k := range keys {
					addFileNames(o[k], refs)
				}
			}
			if len(objs) < q.Limit {
				break
			}
			last = objs[len(objs)-1].ID()
		}
	}
	return refs, nil
}

// addFileNames adds the names of the files inside a stored value.
func addFileNames(v any, refs map[string]bool) {
	switch x := v.(type) {
	case core.File:
		refs[x.Name] = true
	case map[string]any:
		if x["__type"] == "File" {
			if name, ok := x["name"].(string); ok {
				refs[name] = true
			}
			return
		}
		for _, e := range x {
			addFileNames(e, refs)
		}
	case []any:
		for _, e := range x {
			addFileNames(e, refs)
		}
	}
}
