package app

import (
	"archive/tar"
	"archive/zip"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"

	"github.com/switchboardhq/switchboard/core"
	"github.com/switchboardhq/switchboard/core/config"
	"github.com/switchboardhq/switchboard/core/fileapi"
	"github.com/switchboardhq/switchboard/core/leancloud"
)

const importUsage = `Usage:
  switchboard import leancloud EXPORT_DIR_OR_ARCHIVE [--config FILE] [--dir DATA_DIR] [--batch N]
                               [--fetch-files] [--file-domain URL] [--fetch-concurrency N]
  switchboard import parse POSTGRES_URL [--config FILE] [--dir DATA_DIR] [--batch N]

leancloud imports a LeanCloud data export (a folder, or a .zip / .tar.gz of
one) into the configured store, keeping objectIds, ACLs, passwords and
session tokens. With --fetch-files it then copies each file's bytes from the
app's file domain (or --file-domain) into the configured files provider.

parse imports a Parse Server PostgreSQL database (its _SCHEMA and tables),
keeping objectIds, ACLs, relations, password hashes and sessions.

A re-run after an interruption resumes where it stopped and writes no object
twice; what could not be mapped is listed in DATA_DIR/import-<source>-report.txt.
`

// importCommand runs "switchboard import SOURCE ...".
func importCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "leancloud" && args[0] != "parse") {
		fmt.Fprint(stderr, importUsage)
		return exitUsage
	}
	source := args[0]
	fset := flag.NewFlagSet("import "+source, flag.ContinueOnError)
	fset.SetOutput(stderr)
	cfgPath := fset.String("config", "", "YAML configuration file")
	dir := fset.String("dir", "", "data folder")
	batch := fset.Int("batch", 500, "objects per transaction")
	var fetch fetchFlags
	if source == "leancloud" {
		fset.BoolVar(&fetch.enabled, "fetch-files", false, "copy the files' bytes from their URLs into the files provider")
		fset.StringVar(&fetch.domain, "file-domain", "", "fetch files from this URL's scheme and host instead of their own")
		fset.IntVar(&fetch.concurrency, "fetch-concurrency", 4, "files fetched at once")
	}
	var export string
	rest := args[1:]
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		export, rest = rest[0], rest[1:]
	}
	if err := fset.Parse(rest); err != nil {
		return exitUsage
	}
	if export == "" && fset.NArg() == 1 {
		export = fset.Arg(0)
	}
	if export == "" {
		fmt.Fprint(stderr, importUsage)
		return exitUsage
	}
	cfg, err := config.Load(*cfgPath, environ)
	if err == nil {
		if *dir != "" {
			cfg.Dir = *dir
		}
		if cfg.MasterKey == "" {
			cfg.MasterKey = "(not needed to import)"
		}
		err = cfg.Validate()
	}
	if err != nil {
		fmt.Fprintf(stderr, "switchboard: invalid configuration:\n%s\n", indent(err.Error()))
		return exitFailure
	}
	slog.SetDefault(newLogger(cfg, stderr))
	run := func() error { return runImport(ctx, cfg, export, *batch, fetch, stdout) }
	if source == "parse" {
		run = func() error { return runParseImport(ctx, cfg, export, *batch, stdout) }
	}
	if err := run(); err != nil {
		fmt.Fprintf(stderr, "switchboard import: %v\n", err)
		return exitFailure
	}
	return exitOK
}

// fetchFlags are import leancloud's options for file contents.
type fetchFlags struct {
	enabled     bool
	domain      string
	concurrency int
}

// openImportApp opens the configured store and an App over it, without
// the server's background work, for an import.
func openImportApp(ctx context.Context, cfg *config.Config) (*core.App, core.Store, error) {
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("creating data folder: %w", err)
	}
	opts := cfg.CoreOptions()
	opts.Jobs = nil
	w := &wiring{cfg: cfg, log: slog.Default(), opts: &opts}
	for _, k := range providerKinds {
		if k.name == "store" {
			if err := k.open(ctx, w); err != nil {
				_ = w.close(true)
				return nil, nil, err
			}
		}
	}
	app, err := core.NewApp(ctx, w.store, opts)
	if err != nil {
		_ = w.close(true)
		return nil, nil, fmt.Errorf("opening the app: %w", err)
	}
	return app, w.store, nil
}

// progressBars draws one bar per file of an import, keyed by name.
func progressBars(stdout io.Writer, unit string) func(name string, done, total int64) {
	bars := map[string]*progressbar.ProgressBar{}
	return func(name string, done, total int64) {
		b, ok := bars[name]
		if !ok {
			b = progressbar.NewOptions64(total, progressbar.OptionSetWriter(stdout), progressbar.OptionSetDescription(name),
				progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString(unit),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(stdout) }))
			bars[name] = b
		}
		_ = b.Set64(done)
	}
}

// writeReport writes what could not be mapped to DATA_DIR/import-<source>-report.txt.
func writeReport(cfg *config.Config, source string, problems []string, stdout io.Writer) {
	path := filepath.Join(cfg.Dir, "import-"+source+"-report.txt")
	if err := os.WriteFile(path, []byte(strings.Join(problems, "\n")+"\n"), 0o600); err == nil && len(problems) > 0 {
		fmt.Fprintf(stdout, "what could not be mapped: %s\n", path)
	}
}

func runImport(ctx context.Context, cfg *config.Config, export string, batch int, fetch fetchFlags, stdout io.Writer) error {
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return fmt.Errorf("creating data folder: %w", err)
	}
	src, err := exportFolder(cfg.Dir, export)
	if err != nil {
		return err
	}
	app, store, err := openImportApp(ctx, cfg)
	if err != nil {
		return err
	}
	defer app.Close()
	bar := progressBars(stdout, "objects")
	report, err := leancloud.Import(ctx, app, src, leancloud.ImportOptions{
		StateFile:     filepath.Join(cfg.Dir, "import-leancloud.state"),
		BatchSize:     batch,
		SessionLength: time.Duration(cfg.SessionLength) * time.Second,
		Progress:      func(file string, done, total int64) { bar(filepath.Base(file), done, total) },
	})
	if report == nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d objects (%d already there), %d relation rows, %d sessions, %d indexes; %d problems\n",
		report.Objects, report.Skipped, report.Relations, report.Sessions, report.Indexes, len(report.Problems))
	problems := report.Problems
	if err == nil && fetch.enabled {
		var fetched *leancloud.FetchReport
		fetched, err = fetchFiles(ctx, cfg, app, store, fetch, stdout)
		if fetched != nil {
			fmt.Fprintf(stdout, "fetched %d files (%d bytes); %d could not be fetched (a re-run tries them again)\n",
				fetched.Fetched, fetched.Bytes, fetched.Failed)
			problems = append(problems, fetched.Problems...)
		}
	}
	writeReport(cfg, "leancloud", problems, stdout)
	return err
}

// fetchFiles copies the imported files' bytes into the files provider.
func fetchFiles(ctx context.Context, cfg *config.Config, app *core.App, store core.Store, fetch fetchFlags, stdout io.Writer) (*leancloud.FetchReport, error) {
	host, stopPlugins, err := startPlugins(ctx, cfg, slog.Default())
	if err != nil {
		return nil, err
	}
	defer stopPlugins()
	files, err := openFiles(ctx, cfg, store, host, slog.Default())
	if err != nil {
		return nil, fmt.Errorf("opening the files provider: %w", err)
	}
	defer files.Close()
	bar := progressBars(stdout, "files")
	return leancloud.FetchFiles(ctx, app, leancloud.FetchOptions{
		Files: files, Registry: fileapi.NewStoreRegistry(app), FileDomain: fetch.domain,
		Concurrency: fetch.concurrency, MaxSize: cfg.Files.MaxDirectUploadBytes(),
		Progress: func(done, total int64) { bar("file contents", done, total) },
	})
}

// exportFolder returns the folder of an export: the path itself, or where
// an archive is unpacked (DATA_DIR/import-<name>, reused by a re-run).
func exportFolder(dataDir, export string) (string, error) {
	fi, err := os.Stat(export)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		return export, nil
	}
	dest := filepath.Join(dataDir, "import-"+strings.NewReplacer(".zip", "", ".tar.gz", "", ".tgz", "").Replace(filepath.Base(export)))
	if _, err := os.Stat(filepath.Join(dest, ".unpacked")); err == nil {
		return dest, nil
	}
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return "", err
	}
	switch {
	case strings.HasSuffix(export, ".zip"):
		err = unzip(export, dest)
	case strings.HasSuffix(export, ".tar.gz"), strings.HasSuffix(export, ".tgz"):
		err = untar(export, dest)
	default:
		return "", fmt.Errorf("%s: give a folder, a .zip or a .tar.gz", export)
	}
	if err != nil {
		return "", fmt.Errorf("unpacking %s: %w", export, err)
	}
	return dest, os.WriteFile(filepath.Join(dest, ".unpacked"), nil, 0o600)
}

// safeJoin refuses archive entries that would land outside dest.
func safeJoin(dest, name string) (string, error) {
	p := filepath.Join(dest, filepath.Base(filepath.Clean("/"+name)))
	if !strings.HasPrefix(p, filepath.Clean(dest)+string(os.PathSeparator)) {
		return "", fmt.Errorf("archive entry %q escapes the folder", name)
	}
	return p, nil
}

func writeEntry(dest, name string, r io.Reader) error {
	p, err := safeJoin(dest, name)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(p, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, r)
	return errors.Join(err, f.Close())
}

func unzip(archive, dest string) error {
	zr, err := zip.OpenReader(archive)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return err
		}
		err = writeEntry(dest, f.Name, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

func untar(archive, dest string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag == tar.TypeReg {
			if err := writeEntry(dest, h.Name, tr); err != nil {
				return err
			}
		}
	}
}
